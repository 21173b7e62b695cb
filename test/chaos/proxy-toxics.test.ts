// ChaosProxy against a local echo server: pass-through, each toxic's effect, loopback-only
// guard, and that clearing toxics restores normal flow.
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChaosProxy } from '../../src/chaos/proxy.js';

let echo: net.Server;
let echoPort = 0;
let proxy: ChaosProxy | null = null;

beforeEach(async () => {
  echo = net.createServer((s) => {
    s.on('error', () => undefined); // the proxy's reset_peer resets this side too
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  echoPort = (echo.address() as net.AddressInfo).port;
});
afterEach(async () => {
  await proxy?.stop();
  proxy = null;
  await new Promise<void>((r) => echo.close(() => r()));
});

async function newProxy(): Promise<ChaosProxy> {
  proxy = new ChaosProxy({ upstreamPort: echoPort, random: () => 0.25 });
  await proxy.start();
  return proxy;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
    s.on('error', () => undefined); // resets are asserted via roundTrip's `closed`
  });
}

/** Send `payload`, collect echoed bytes until `n` arrived or `ms` passed. */
function roundTrip(s: net.Socket, payload: Buffer, n: number, ms = 2000): Promise<{ data: Buffer; chunks: number; closed: string | null; ms: number }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let got = 0;
    let closed: string | null = null;
    const t0 = performance.now();
    const done = () => {
      clearTimeout(timer);
      s.removeAllListeners('data');
      resolve({ data: Buffer.concat(parts), chunks: parts.length, closed, ms: performance.now() - t0 });
    };
    const timer = setTimeout(done, ms);
    s.on('data', (b: Buffer) => {
      parts.push(b);
      got += b.byteLength;
      if (got >= n) done();
    });
    s.once('error', (e: NodeJS.ErrnoException) => { closed = e.code ?? 'error'; done(); });
    s.once('close', () => { closed ??= 'close'; done(); });
    s.write(payload);
  });
}

describe('ChaosProxy', () => {
  it('refuses non-loopback listen or upstream addresses', () => {
    expect(() => new ChaosProxy({ upstreamHost: '10.0.0.1', upstreamPort: 80 })).toThrow(/loopback/);
    expect(() => new ChaosProxy({ listenHost: '0.0.0.0', upstreamPort: 80 })).toThrow(/loopback/);
  });

  it('passes bytes through unchanged with no toxic', async () => {
    const p = await newProxy();
    const s = await connect(p.port);
    const payload = Buffer.from('hello simex '.repeat(100));
    const r = await roundTrip(s, payload, payload.byteLength);
    expect(r.data.equals(payload)).toBe(true);
    expect(p.stats.bytes_upstream).toBe(payload.byteLength);
    s.destroy();
  });

  it('latency delays the echo by at least the latency', async () => {
    const p = await newProxy();
    p.addToxic({ type: 'latency', stream: 'downstream', attributes: { latency: 80, jitter: 0 } });
    const s = await connect(p.port);
    const r = await roundTrip(s, Buffer.from('ping'), 4);
    expect(r.data.toString()).toBe('ping');
    expect(r.ms).toBeGreaterThanOrEqual(75);
    expect(p.stats.toxic_effects.latency_downstream).toBeGreaterThan(0);
    s.destroy();
  });

  it('slicer cuts a chunk into small pieces that still add up', async () => {
    const p = await newProxy();
    p.addToxic({ type: 'slicer', stream: 'downstream', attributes: { average_size: 50, size_variation: 0, delay: 30_000 } });
    const s = await connect(p.port);
    const payload = Buffer.from(Array.from({ length: 200 }, (_, i) => i));
    const r = await roundTrip(s, payload, 200);
    expect(r.data.equals(payload)).toBe(true);
    expect(p.stats.toxic_effects.slicer_downstream).toBeGreaterThanOrEqual(4); // pieces cut
    expect(r.chunks).toBeGreaterThan(1); // 30 ms apart: they cannot all arrive as one read
    s.destroy();
  });

  it('bandwidth paces the bytes (200 KB at 1000 KB/s takes >= ~190 ms)', async () => {
    const p = await newProxy();
    p.addToxic({ type: 'bandwidth', stream: 'downstream', attributes: { rate: 1000 } });
    const s = await connect(p.port);
    const payload = Buffer.alloc(200 * 1024, 1);
    const r = await roundTrip(s, payload, payload.byteLength, 5000);
    expect(r.data.byteLength).toBe(payload.byteLength);
    expect(r.ms).toBeGreaterThanOrEqual(150);
    s.destroy();
  });

  it('timeout blackholes data, and clearing the toxic lets new data flow', async () => {
    const p = await newProxy();
    p.addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
    const s = await connect(p.port);
    const r = await roundTrip(s, Buffer.from('lost'), 4, 200);
    expect(r.data.byteLength).toBe(0);
    expect(r.closed).toBeNull();
    p.clearToxics();
    const r2 = await roundTrip(s, Buffer.from('back'), 4);
    expect(r2.data.toString()).toBe('back');
    s.destroy();
  });

  it('timeout with a timeout closes the connection', async () => {
    const p = await newProxy();
    p.addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 50 } });
    const s = await connect(p.port);
    const r = await roundTrip(s, Buffer.from('x'), 1, 2000);
    expect(r.data.byteLength).toBe(0);
    expect(r.closed).not.toBeNull();
  });

  it('reset_peer resets the client connection', async () => {
    const p = await newProxy();
    p.addToxic({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 30 } });
    const s = await connect(p.port);
    const r = await roundTrip(s, Buffer.from(''), 1, 2000);
    expect(r.closed === 'ECONNRESET' || r.closed === 'close').toBe(true);
    expect(p.stats.toxic_effects.reset_peer_upstream).toBe(1);
  });

  it('limit_data closes after the byte budget', async () => {
    const p = await newProxy();
    p.addToxic({ type: 'limit_data', stream: 'downstream', attributes: { bytes: 10 } });
    const s = await connect(p.port);
    const r = await roundTrip(s, Buffer.alloc(100, 2), 100, 2000);
    expect(r.data.byteLength).toBe(10);
    expect(r.closed).not.toBeNull();
  });

  it('toxicity 0 applies to no connection', async () => {
    const p = await newProxy();
    p.addToxic({ type: 'timeout', stream: 'upstream', toxicity: 0, attributes: { timeout: 0 } });
    const s = await connect(p.port);
    const r = await roundTrip(s, Buffer.from('ok'), 2);
    expect(r.data.toString()).toBe('ok');
    expect(p.stats.toxic_applications.timeout_upstream).toBe(0);
    s.destroy();
  });

  it('stop() closes every connection and the listener', async () => {
    const p = await newProxy();
    const port = p.port;
    const s = await connect(port);
    const closed = new Promise((r) => s.once('close', r));
    await p.stop();
    await closed;
    expect(p.activeConnections).toBe(0);
    await expect(connect(port)).rejects.toThrow();
  });
});
