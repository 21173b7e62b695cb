// GET /admin/system/resources measures the process under the load sent here (CPU time of
// the main thread grows, shard workers are listed with their thread ids and utilisation,
// host steal is a number on Linux), and the Go-runbook pprof extras (goroutine, mutex)
// answer with Node's equivalents behind the usual DEBUG_ENDPOINTS gating.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from './helpers/server.js';

const linux = process.platform === 'linux';

describe('admin system resources and pprof extras', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '2', SHARD_MODE: 'worker', DEBUG_ENDPOINTS: '1' });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('reports CPU, memory, event loop, threads and host figures that move with load', async () => {
    const a = await api(srv.base, 'GET', '/admin/system/resources');
    expect(a.status).toBe(200);
    // 300 REST orders, 20 in flight at a time
    for (let i = 0; i < 15; i++) {
      await Promise.all(Array.from({ length: 20 }, (_, j) => api(srv.base, 'POST', '/api/orders', {
        symbol: j % 2 ? 'BTCUSD' : 'ETHUSD', side: j % 3 ? 'buy' : 'sell', type: 'limit', quantity: '0.01',
        price: j % 2 ? (40000 + (j % 7)).toFixed(2) : (3000 + (j % 5)).toFixed(2),
      })));
    }
    const b = await api(srv.base, 'GET', '/admin/system/resources');
    const r = b.body;
    expect(r.pid).toBe(srv.proc.pid);
    expect(r.cpu.process_percent).toBeGreaterThan(0);
    expect(r.cpu.window_s).toBeGreaterThan(0);
    expect(r.cpu.cores).toBeGreaterThanOrEqual(1);
    expect(r.memory.rss_bytes).toBeGreaterThan(r.memory.heap_used_bytes);
    expect(r.memory.heap_total_bytes).toBeGreaterThanOrEqual(r.memory.heap_used_bytes);
    expect(r.event_loop.utilization).toBeGreaterThan(0);
    expect(r.event_loop.utilization).toBeLessThanOrEqual(1);
    expect(r.threads.shard_mode).toBe('worker');
    expect(r.threads.shards.map((s: { name: string }) => s.name)).toEqual(['shard-0', 'shard-1']);
    for (const s of r.threads.shards) {
      expect(s.state).toBe('up');
      expect(s.thread_id).toBeGreaterThan(0);
      expect(s.event_loop_utilization).toBeGreaterThanOrEqual(0);
      expect(s.event_loop_utilization).toBeLessThanOrEqual(1);
    }
    expect(r.threads.shards.reduce((n: number, s: { commands_submitted: number }) => n + s.commands_submitted, 0)).toBeGreaterThanOrEqual(300);
    expect(r.load_average).toHaveLength(3);
    // worker threads keep MessagePorts open on the main thread
    expect(r.active_resources.MessagePort).toBeGreaterThanOrEqual(1);
    if (linux) {
      expect(typeof r.host.steal_share).toBe('number');
      expect(r.host.steal_share).toBeGreaterThanOrEqual(0);
      expect(r.host.steal_share).toBeLessThanOrEqual(1);
      // main + 2 shard workers + libuv/V8 helpers
      expect(r.os_threads.count).toBeGreaterThanOrEqual(3);
      const mainBefore = a.body.os_threads.threads.find((t: { tid: number }) => t.tid === r.pid);
      const mainAfter = r.os_threads.threads.find((t: { tid: number }) => t.tid === r.pid);
      expect(mainAfter.cpu_ms_total).toBeGreaterThan(mainBefore.cpu_ms_total);
    } else {
      expect(r.host.steal_share).toBeNull();
    }
  });

  it('GET /debug/pprof/goroutine?debug=1: JS threads, kernel threads and active handles as text', async () => {
    const res = await fetch(`${srv.base}/debug/pprof/goroutine?debug=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^threads: total \d+ kernel threads, 3 JavaScript threads/);
    expect(text).toMatch(/^shard-0 {2}worker simex-shard-0 threadId=\d+ state=up/m);
    expect(text).toMatch(/^shard-1 {2}worker simex-shard-1 threadId=\d+ state=up/m);
    expect(text).toMatch(/# active resources on the main thread \(process\.getActiveResourcesInfo\): \d+/);
    expect(text).toMatch(/^\d+ @ MessagePort$/m);
    if (linux) expect(text).toMatch(new RegExp(`^${srv.proc.pid} {2}[A-Z] {2}\\d+ {2}.*\\[main\\]$`, 'm'));
    const bad = await api(srv.base, 'GET', '/debug/pprof/goroutine?debug=9');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: 'debug must be 0, 1 or 2', code: 'INVALID_PARAMETER', field: 'debug' });
  });

  it('GET /debug/pprof/mutex: 501 with the explanation and the equivalents that exist', async () => {
    const r = await api(srv.base, 'GET', '/debug/pprof/mutex');
    expect(r.status).toBe(501);
    expect(r.body.code).toBe('NO_MUTEX_PROFILE');
    expect(r.body.supported).toBe(false);
    const hows = (r.body.equivalents as { how: string }[]).map((e) => e.how).join('\n');
    const { existsSync } = await import('node:fs');
    for (const f of hows.match(/bpf\/[\w-]+\.bt/g) ?? []) expect(existsSync(f)).toBe(true);
    expect(hows).toContain('bpf/offcpu.bt');
    expect(hows).toContain('bpf/runqlat.bt');
  });
});
