// registerDebugRoutes on a real uWS app: off unless enabled, loopback-or-token access,
// per-thread profiles from a worker through the profiler port, output readable by
// `go tool pprof` (Debian golang-go; skipped locally without it, required in CI).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Heap snapshots of a worker on a loaded CI machine can take many seconds.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });
import uws from 'uWebSockets.js';
import { Profile } from 'pprof-format';
import { ProfilerThreadRegistry, registerDebugRoutes } from '../../src/server/debug/index.js';
import { isLoopbackAddress } from '../../src/server/http.js';
import { ROOT, ensureDist, requirement, which } from './helpers.js';

const externalIPv4 = Object.values(networkInterfaces()).flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

interface Running { app: uws.TemplatedApp; port: number; close: () => void }

function listen(configure: (app: uws.TemplatedApp) => void, host = '127.0.0.1'): Promise<Running> {
  const app = uws.App();
  configure(app);
  app.any('/*', (res) => { res.writeStatus('404 Not Found').end('{"error":"not found","code":"NOT_FOUND"}'); });
  return new Promise((resolve, reject) => {
    app.listen(host, 0, (sock) => {
      if (!sock) return reject(new Error('listen failed'));
      resolve({ app, port: uws.us_socket_local_port(sock), close: () => uws.us_listen_socket_close(sock) });
    });
  });
}

function names(buf: ArrayBuffer): { p: Profile; fn: string[]; threads: Set<string> } {
  const p = Profile.decode(gunzipSync(Buffer.from(buf)));
  const s = (i: unknown) => p.stringTable.strings[Number(i)]!;
  const threads = new Set(p.sample.flatMap((x) => x.label.map((l) => s(l.str))));
  return { p, fn: p.function.map((f) => s(f.name)), threads };
}

describe('registerDebugRoutes disabled', () => {
  it('registers nothing unless enabled', async () => {
    let registered = true;
    const srv = await listen((app) => { registered = registerDebugRoutes(app, { enabled: false }); });
    try {
      expect(registered).toBe(false);
      const r = await fetch(`http://127.0.0.1:${srv.port}/debug/pprof/`);
      expect(r.status).toBe(404);
    } finally { srv.close(); }
  });
});

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true], ['127.9.8.7', true], ['::1', true], ['0000:0000:0000:0000:0000:0000:0000:0001', true],
    ['::ffff:127.0.0.1', true], ['0000:0000:0000:0000:0000:ffff:7f00:0001', true],
    ['192.0.2.2', false], ['::', false], ['fd00::2', false], ['::ffff:10.0.0.1', false], ['128.0.0.1', false], ['', false],
  ])('%s -> %s', (addr, want) => { expect(isLoopbackAddress(addr)).toBe(want); });
});

describe('registerDebugRoutes enabled, with a shard worker', () => {
  let srv: Running;
  let worker: Worker;
  const registry = new ProfilerThreadRegistry(60_000);
  const token = 'test-admin-token';

  beforeAll(async () => {
    ensureDist('dist/src/server/debug/profiler.js', 'src/server/debug/profiler.ts');
    const ch = new MessageChannel();
    worker = new Worker(join(ROOT, 'test/profiling/fixtures/profiler-worker.mjs'), {
      name: 'simex-shard-0', workerData: { profilerPort: ch.port2 }, transferList: [ch.port2],
    });
    registry.attach('shard-0', ch.port1);
    srv = await listen((app) => registerDebugRoutes(app, { enabled: true, token, threads: registry }), '0.0.0.0');
  });
  afterAll(async () => {
    srv?.close();
    await worker?.terminate();
  });

  const url = (path: string, host = '127.0.0.1') => `http://${host}:${srv.port}${path}`;

  it('lists the threads', async () => {
    const r = await fetch(url('/debug/pprof/'));
    expect(r.status).toBe(200);
    expect(((await r.json()) as { threads: string[] }).threads).toEqual(['main', 'shard-0']);
  });

  it('profiles the shard worker by name (its own inspector session)', async () => {
    const r = await fetch(url('/debug/pprof/profile?seconds=1&thread=shard-0&interval_us=500'));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    const { p, fn, threads } = names(await r.arrayBuffer());
    expect(fn).toContain('fixtureWorkerHotLoop');
    expect([...threads]).toEqual(['shard-0']);
    expect(p.sample.reduce((a, s) => a + Number(s.value[1]), 0)).toBeGreaterThan(0);
  });

  it('profiles all threads at once, labelled', async () => {
    const r = await fetch(url('/debug/pprof/profile?seconds=1&thread=all'));
    expect(r.status).toBe(200);
    const { fn, threads } = names(await r.arrayBuffer());
    expect([...threads].sort()).toEqual(['main', 'shard-0']);
    expect(fn).toContain('fixtureWorkerHotLoop');
  });

  it('serves the worker heap profile, a heap snapshot and a raw cpuprofile', async () => {
    // A fresh 2 s sampling window...
    const heap = await fetch(url('/debug/pprof/heap?thread=shard-0&seconds=2'));
    expect(heap.status).toBe(200);
    expect(names(await heap.arrayBuffer()).fn).toContain('fixtureWorkerAllocates');
    // ...and the continuous sampler serveProfiler started (seconds=0): it fills as the
    // worker allocates (one sample per ~512 KiB), so poll until it has something.
    let continuous: string[] = [];
    for (let i = 0; i < 40 && !continuous.includes('fixtureWorkerAllocates'); i++) {
      const r = await fetch(url('/debug/pprof/heap?thread=shard-0'));
      expect(r.status).toBe(200);
      continuous = names(await r.arrayBuffer()).fn;
      if (!continuous.includes('fixtureWorkerAllocates')) await new Promise((res) => setTimeout(res, 250));
    }
    expect(continuous).toContain('fixtureWorkerAllocates');

    const snap = await fetch(url('/debug/heapsnapshot?thread=shard-0'));
    expect(snap.status).toBe(200);
    const parsed = await snap.json() as { snapshot: { meta: { node_fields: string[] } }; strings: string[] };
    expect(parsed.snapshot.meta.node_fields).toContain('self_size');
    expect(parsed.strings).toContain('fixtureWorkerAllocates');

    const cpu = await fetch(url('/debug/cpuprofile?seconds=1&thread=shard-0'));
    expect(cpu.status).toBe(200);
    const prof = await cpu.json() as { nodes: Array<{ callFrame: { functionName: string } }> };
    expect(prof.nodes.map((n) => n.callFrame.functionName)).toContain('fixtureWorkerHotLoop');
  });

  it('answers bad parameters with 400/404 JSON errors', async () => {
    const a = await fetch(url('/debug/pprof/profile?seconds=0'));
    expect(a.status).toBe(400);
    expect(await a.json()).toMatchObject({ code: 'INVALID_PARAMETER', field: 'seconds' });
    const b = await fetch(url('/debug/pprof/profile?seconds=1&thread=shard-9'));
    expect(b.status).toBe(404);
    expect(await b.json()).toMatchObject({ code: 'UNKNOWN_THREAD', field: 'thread' });
    const c = await fetch(url('/debug/heapsnapshot?thread=all'));
    expect(c.status).toBe(404);
    const d = await fetch(url('/debug/heapprofile?seconds=1&interval_bytes=10'));
    expect(d.status).toBe(400);
    expect(await d.json()).toMatchObject({ code: 'INVALID_PARAMETER', field: 'interval_bytes' });
    // The continuous sampler (seconds=0) has fixed settings: window parameters need a window.
    const e = await fetch(url('/debug/pprof/heap?collected=1'));
    expect(e.status).toBe(400);
    expect(await e.json()).toMatchObject({ code: 'INVALID_PARAMETER', field: 'seconds' });
  });

  it.skipIf(!externalIPv4)('requires the admin token from a non-loopback peer', async () => {
    const u = url('/debug/pprof/', externalIPv4);
    expect((await fetch(u)).status).toBe(401);
    expect((await fetch(u, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(u, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(u, { headers: { 'x-simex-admin-token': token } })).status).toBe(200);
  });

  it('writes a profile `go tool pprof` reads, with the worker function in -top', async (ctx) => {
    const skip = requirement(which('go') !== null, 'go (Debian golang-go) is not installed: cannot run `go tool pprof`');
    if (skip) return ctx.skip();
    const r = await fetch(url('/debug/pprof/profile?seconds=1&thread=all'));
    const dir = mkdtempSync(join(tmpdir(), 'simex-pprof-'));
    try {
      const file = join(dir, 'cpu.pb.gz');
      writeFileSync(file, Buffer.from(await r.arrayBuffer()));
      const env = { ...process.env, HOME: dir, GOCACHE: join(dir, 'gocache'), PPROF_TMPDIR: dir };
      const top = execFileSync('go', ['tool', 'pprof', '-top', '-sample_index=cpu', file], { encoding: 'utf8', env, timeout: 60_000 });
      expect(top).toMatch(/Type: cpu/);
      expect(top).toContain('fixtureWorkerHotLoop');
      const tagged = execFileSync('go', ['tool', 'pprof', '-top', '-tagfocus=thread=shard-0', file], { encoding: 'utf8', env, timeout: 60_000 });
      expect(tagged).toContain('fixtureWorkerHotLoop');
      expect(tagged).not.toContain('mainThread');
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('registerDebugRoutes without a token', () => {
  it.skipIf(!externalIPv4)('answers non-loopback peers 403', async () => {
    const srv = await listen((app) => registerDebugRoutes(app, { enabled: true }), '0.0.0.0');
    try {
      const r = await fetch(`http://${externalIPv4}:${srv.port}/debug/pprof/`, { headers: { authorization: 'Bearer anything' } });
      expect(r.status).toBe(403);
      expect(await r.json()).toMatchObject({ code: 'DEBUG_LOOPBACK_ONLY' });
      expect((await fetch(`http://127.0.0.1:${srv.port}/debug/pprof/`)).status).toBe(200);
    } finally { srv.close(); }
  });
});
