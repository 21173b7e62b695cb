import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startDemoApp, waitFor } from './fixtures/demo-app.js';
import type { DemoApp } from './fixtures/demo-app.js';
import { startFakeExchange } from './fixtures/fake-exchange.js';
import type { FakeExchange } from './fixtures/fake-exchange.js';
import { f1 } from '../../src/server/demo/recommend.js';

// The generator runs in a child process from dist/: `npx tsc -p tsconfig.json` first.
describe('load-test demo lifecycle (child-process generator against a protocol fake)', () => {
  let fx: FakeExchange;
  let app: DemoApp;
  beforeAll(async () => {
    fx = await startFakeExchange();
    app = await startDemoApp(fx.url);
  });
  afterAll(async () => {
    await app.close();
    await fx.close();
  });

  it('runs a short test: start -> 409 while running -> status -> results with computed recommendations', async () => {
    const start = await call(app.base, 'POST', '/demo/load-test', {
      scenario: 'light', duration: '3s', orders_per_second: 40, concurrent_users: 5, symbols: ['BTCUSD', 'ETHUSD', 'ADAUSD'],
    });
    expect(start.status).toBe(202);
    expect(start.json.test_id).toMatch(/^loadtest_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(start.json.status).toBe('started');
    expect(Date.parse(start.json.estimated_completion) - Date.parse(start.json.start_time)).toBe(3000);

    const again = await call(app.base, 'POST', '/demo/load-test', { scenario: 'light' });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'LOAD_TEST_RUNNING', error: 'load test already running' });
    const early = await call(app.base, 'GET', '/demo/load-test/results');
    expect(early.status).toBe(409);

    // While running, the status carries live metrics from the child.
    const live = await waitFor(async () => {
      const s = await call(app.base, 'GET', '/demo/load-test/status');
      return s.json.is_running && s.json.current_metrics.active_connections > 0 && s.json.completed_orders > 0 ? s.json : null;
    });
    expect(live.phase).toBe('sustained');
    expect(live.scenario).toMatchObject({ name: 'light', intensity: 'light', orders_per_second: 40, duration: '3s' });
    expect(live.current_metrics.active_connections).toBe(5);
    for (const k of ['orders_per_second', 'average_latency', 'p95_latency', 'p99_latency', 'error_rate', 'cpu_usage_percent', 'memory_usage_mb']) {
      expect(typeof live.current_metrics[k]).toBe('number');
    }
    expect(live.current_metrics.memory_usage_mb).toBeGreaterThan(10);

    const done = await waitFor(async () => {
      const s = await call(app.base, 'GET', '/demo/load-test/status');
      return s.json.is_running === false ? s.json : null;
    });
    expect(done.phase).toBe('completed');
    expect(done.progress).toBe(100);

    const res = await call(app.base, 'GET', '/demo/load-test/results');
    expect(res.status).toBe(200);
    const s = res.json.summary;
    expect(res.json.test_id).toBe(start.json.test_id);
    expect(res.json.status).toBe('completed');
    expect(s.total_orders).toBe(120);
    expect(s.successful_orders + s.failed_orders).toBe(120);
    expect(s.failed_orders).toBe(0);
    expect(s.success_rate).toBe(100);
    expect(s.p99_latency_ms).toBeGreaterThan(0);
    expect(s.max_latency_ms).toBeGreaterThanOrEqual(s.p99_latency_ms);
    expect(s.peak_memory_mb).toBeGreaterThan(10);
    expect(fx.received.newOrders + fx.received.cancels).toBeGreaterThanOrEqual(120);
    // SLO checks and recommendations derive from the figures: the p99 quoted is the measured one.
    expect(res.json.slos.map((x: { name: string }) => x.name)).toEqual(['success_rate', 'p95_latency', 'p99_latency', 'p99_latency_sla', 'throughput']);
    const rec: string[] = res.json.recommendations;
    expect(rec.length).toBeGreaterThanOrEqual(3);
    expect(rec.join('\n')).toContain(`100% of 120 orders succeeded`);
    expect(rec.join("\n")).toContain(`${f1(s.p99_latency_ms)} ms`);
    expect(rec.join('\n')).toContain(`${f1(s.throughput)} orders/s of the 40 targeted`);
  });

  it('stop ends a running test early and its results say stopped', async () => {
    const start = await call(app.base, 'POST', '/demo/load-test', { scenario: 'custom', duration: '60s', orders_per_second: 200, concurrent_users: 2 });
    expect(start.status).toBe(202);
    await waitFor(async () => (await call(app.base, 'GET', '/demo/load-test/status')).json.completed_orders > 0);
    const stop = await call(app.base, 'POST', '/demo/load-test/stop');
    expect(stop.status).toBe(200);
    expect(stop.json.test_id).toBe(start.json.test_id);
    const done = await waitFor(async () => {
      const s = await call(app.base, 'GET', '/demo/load-test/status');
      return s.json.is_running === false ? s.json : null;
    });
    expect(done.phase).toBe('stopped');
    expect(done.progress).toBeLessThan(50);
    const res = await call(app.base, 'GET', '/demo/load-test/results');
    expect(res.json.status).toBe('stopped');
    expect(res.json.summary.total_orders).toBeGreaterThan(0);
    expect(res.json.summary.total_orders).toBeLessThan(12_000);
    // A new test may start once the previous one stopped.
    const next = await call(app.base, 'POST', '/demo/load-test', { scenario: 'light', duration: '1s' });
    expect(next.status).toBe(202);
    await waitFor(async () => (await call(app.base, 'GET', '/demo/load-test/status')).json.is_running === false);
  });

  it('a generator that cannot connect fails the test with a reason', async () => {
    const bad = await startDemoApp('ws://127.0.0.1:1/ws/v1');
    try {
      const start = await call(bad.base, 'POST', '/demo/load-test', { scenario: 'light', duration: '5s' });
      expect(start.status).toBe(202);
      const done = await waitFor(async () => {
        const s = await call(bad.base, 'GET', '/demo/load-test/status');
        return s.json.is_running === false ? s.json : null;
      });
      expect(done.phase).toBe('failed');
      expect(done.error).toMatch(/could not connect/);
      const res = await call(bad.base, 'GET', '/demo/load-test/results');
      expect(res.json.status).toBe('failed');
      expect(res.json.recommendations[0]).toMatch(/No orders were sent/);
    } finally {
      await bad.close();
    }
  });
});
