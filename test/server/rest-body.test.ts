// POST /api/orders body handling (http.ts onJsonObject): a body that reaches the server in
// several TCP segments (a multi-byte UTF-8 character split between two of them) is reassembled
// exactly; an empty body is {}; bad JSON / non-objects / oversize map to their codes; the
// connection stays usable (keep-alive) after each answer.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Raw HTTP/1.1 over one socket: send `parts` with a pause between them, read one response. */
class RawConn {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  constructor(private readonly sock: net.Socket) {
    sock.on('data', (b: Buffer) => {
      this.buf = Buffer.concat([this.buf, b]);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(port: number): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawConn(s)));
      s.setNoDelay(true);
      s.once('error', reject);
    });
  }

  async request(parts: Buffer[], pauseMs = 30): Promise<{ status: number; body: any }> {
    for (let i = 0; i < parts.length; i++) {
      this.sock.write(parts[i]!);
      if (i < parts.length - 1) await new Promise((r) => setTimeout(r, pauseMs));
    }
    for (;;) {
      const text = this.buf.toString('latin1');
      const he = text.indexOf('\r\n\r\n');
      if (he >= 0) {
        const m = /content-length: *(\d+)/i.exec(text.slice(0, he));
        const len = m ? Number(m[1]) : 0;
        if (this.buf.length >= he + 4 + len) {
          const status = Number(text.slice(9, 12));
          const body = this.buf.subarray(he + 4, he + 4 + len).toString('utf8');
          this.buf = this.buf.subarray(he + 4 + len);
          return { status, body: JSON.parse(body) };
        }
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  close(): void {
    this.sock.destroy();
  }
}

function post(body: Buffer, cut: number[] = []): Buffer[] {
  const head = Buffer.from(`POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
  const parts: Buffer[] = [head];
  let at = 0;
  for (const c of cut) {
    parts.push(body.subarray(at, c));
    at = c;
  }
  parts.push(body.subarray(at));
  return parts;
}

describe('REST body handling', () => {
  let srv: TestServer;
  let c: RawConn;
  beforeAll(async () => {
    srv = await startTestServer();
    c = await RawConn.open(srv.port);
  });
  afterAll(async () => {
    c?.close();
    await srv?.stop();
  });

  it('reassembles a body split into several segments, UTF-8 split mid-character included', async () => {
    const cl = 'bot-é-✓-"q"';
    const body = Buffer.from(JSON.stringify({ symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: '0.001', price: '41000.00', client_order_id: cl }));
    const e = body.indexOf(Buffer.from('é'));
    expect(e).toBeGreaterThan(0);
    const r = await c.request(post(body, [10, e + 1, body.length - 3]));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ symbol: 'BTCUSD', side: 'buy', quantity: 0.001, price: 41000, client_order_id: cl, status: 'active' });
  });

  it('one-segment bodies, empty bodies, bad JSON, arrays and oversize bodies on one keep-alive connection', async () => {
    const one = await c.request(post(Buffer.from('{"symbol":"ETHUSD","side":"sell","type":"limit","quantity":1,"price":"3500.5"}')));
    expect(one.status).toBe(201);
    expect(one.body).toMatchObject({ symbol: 'ETHUSD', side: 'sell', price: 3500.5 });
    const empty = await c.request(post(Buffer.alloc(0)));
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ code: 'MISSING_FIELD', field: 'symbol' });
    const bad = await c.request(post(Buffer.from('{"symbol": "BTCUSD", '), [5]));
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('INVALID_JSON');
    const arr = await c.request(post(Buffer.from('[{"symbol":"BTCUSD"}]')));
    expect(arr.body.code).toBe('BODY_NOT_OBJECT');
    const nul = await c.request(post(Buffer.from('null')));
    expect(nul.body.code).toBe('BODY_NOT_OBJECT');
    const last = await c.request(post(Buffer.from('{"symbol":"ADAUSD","side":"buy","quantity":10,"price":"0.5"}')));
    expect(last.status).toBe(201);
    expect(last.body).toMatchObject({ symbol: 'ADAUSD', type: 'limit' });
    // Oversize: answered 413 before the whole body was read (the server then drops the rest).
    const big = await (await RawConn.open(srv.port)).request(post(Buffer.from(JSON.stringify({ symbol: 'BTCUSD', pad: 'x'.repeat(70_000) })), [30_000]));
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
