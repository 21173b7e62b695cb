import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../server/helpers/server.js';
import type { TestServer } from '../server/helpers/server.js';
import { call, waitFor } from './fixtures/demo-app.js';
import { runLoadgen } from '../../src/loadgen/runner.js';
import { DEFAULT_OPTIONS } from '../../src/loadgen/types.js';

// The real server (bin/simex.js from dist/, server team's helper) in a child process, the
// generator over its binary endpoint. Low rates, a few seconds: behaviour, not speed.
describe('against the real server', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('loadgen: every order gets its first execution report, matched by clOrdId', async () => {
    const { report } = await runLoadgen({ ...DEFAULT_OPTIONS, url: srv.wsUrl, rate: 300, durationSec: 2, connections: 3, threads: 0, drainMs: 5000 });
    const c = report.counters;
    expect(report.connections).toBe(3);
    expect(c.planned).toBe(600);
    expect(c.sent).toBe(600);
    expect(c.acked + c.timeouts).toBe(600);
    expect(c.errors).toBe(0);
    expect(report.error_kinds).toEqual({});
    // Cancels target only accepted resting orders: business rejects stay rare (a cancel can
    // still race a fill), system rejects (>= 100) do not happen at this rate.
    expect(c.systemRejects).toBe(0);
    expect(c.rejected).toBeLessThan(60);
    expect(c.fills).toBeGreaterThan(0);
  });

  it('demo: the runbook light scenario runs to completion and reports measured results', async () => {
    const start = await call(srv.base, 'POST', '/demo/load-test', {
      scenario: 'light', duration: '3s', orders_per_second: 25, concurrent_users: 5, symbols: ['BTCUSD', 'ETHUSD', 'ADAUSD'],
    });
    expect(start.status).toBe(202);
    const again = await call(srv.base, 'POST', '/demo/load-test', { scenario: 'light', duration: '3s' });
    expect(again.status).toBe(409);
    expect(again.json.error).toBe('load test already running');
    const done = await waitFor(async () => {
      const s = await call(srv.base, 'GET', '/demo/load-test/status');
      return s.json.is_running === false && s.json.test_id === start.json.test_id ? s.json : null;
    }, 30_000);
    expect(done.phase).toBe('completed');
    const res = await call(srv.base, 'GET', '/demo/load-test/results');
    expect(res.status).toBe(200);
    expect(res.json.summary.total_orders).toBe(75);
    expect(res.json.summary.successful_orders + res.json.summary.failed_orders).toBe(75);
    expect(res.json.summary.peak_memory_mb).toBeGreaterThan(0);
    expect(res.json.recommendations.length).toBeGreaterThan(2);
    expect(res.json.generator.connections).toBe(5);
  });

  it('demo: stop ends a running test', async () => {
    const start = await call(srv.base, 'POST', '/demo/load-test', { scenario: 'medium', duration: '60s', orders_per_second: 100, concurrent_users: 10 });
    expect(start.status).toBe(202);
    await waitFor(async () => (await call(srv.base, 'GET', '/demo/load-test/status')).json.completed_orders > 0, 30_000);
    expect((await call(srv.base, 'POST', '/demo/load-test/stop')).status).toBe(200);
    const done = await waitFor(async () => {
      const s = await call(srv.base, 'GET', '/demo/load-test/status');
      return s.json.is_running === false ? s.json : null;
    }, 30_000);
    expect(done.phase).toBe('stopped');
    expect((await call(srv.base, 'GET', '/demo/load-test/results')).json.status).toBe('stopped');
  });
});
