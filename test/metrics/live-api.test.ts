// Runbook "Health Verification" and "Demo 2" against the real server with the simulator:
// /health services, /api/metrics fields growing over time, /api/simulation control, log lines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startLiveServer, waitFor, type TestServer } from './fixtures/live.js';

let s: TestServer;
beforeAll(async () => {
  s = await startLiveServer();
}, 60_000);
afterAll(async () => {
  await s?.stop();
});

describe('live server: metrics and simulation (runbook)', () => {
  it('logs the simulator lifecycle the runbook greps for', async () => {
    await s.waitForLog((l) => l.msg === 'Starting market simulation');
    const started = await s.waitForLog((l) => l.msg === 'Market simulation started');
    expect(started).toMatchObject({ symbols: ['BTCUSD', 'ETHUSD', 'ADAUSD'], orders_per_second: 20, volatility_factor: 0.05 });
  });

  it('/health reports metrics and simulation healthy', async () => {
    const h = await api(s.base, 'GET', '/health');
    expect(h.body.services.metrics).toBe('healthy');
    expect(h.body.services.simulation).toBe('healthy');
  });

  it('/api/metrics has the runbook fields, measured, and they grow', async () => {
    const a = (await api(s.base, 'GET', '/api/metrics')).body;
    for (const f of ['timestamp', 'order_count', 'trade_count', 'total_volume', 'avg_latency', 'p95_latency', 'p99_latency', 'orders_per_sec', 'trades_per_sec', 'error_rate', 'symbol_metrics']) {
      expect(a, f).toHaveProperty(f);
    }
    expect(a.avg_latency).toMatch(/^\d+\.\d{3}ms$/);
    expect(a.p99_latency_us).toBeGreaterThan(0);
    expect(a.engine_latency.count).toBeGreaterThan(0);
    for (const sym of ['BTCUSD', 'ETHUSD', 'ADAUSD']) {
      expect(Object.keys(a.symbol_metrics[sym]).sort()).toEqual(['avg_price', 'last_price', 'order_count', 'trade_count', 'volume']);
      expect(a.symbol_metrics[sym].order_count).toBeGreaterThan(0);
    }
    await waitFor(async () => {
      const b = (await api(s.base, 'GET', '/api/metrics')).body;
      const traded = ['BTCUSD', 'ETHUSD', 'ADAUSD'].every((x) => b.symbol_metrics[x].trade_count > 0);
      return traded && b.order_count > a.order_count && b.trade_count > a.trade_count && b.orders_per_sec > 0;
    }, 30_000, 'order and trade counts to increase, trades in every symbol');
    const b = (await api(s.base, 'GET', '/api/metrics')).body;
    // Trades happened near the runbook's prices.
    expect(Math.abs(b.symbol_metrics.BTCUSD.avg_price / 50_000 - 1)).toBeLessThan(0.02);
    expect(Math.abs(b.symbol_metrics.ETHUSD.avg_price / 3_000 - 1)).toBeLessThan(0.02);
    expect(Math.abs(b.symbol_metrics.ADAUSD.avg_price / 1.5 - 1)).toBeLessThan(0.02);
  });

  it('books have depth on both sides (depth ladder data)', async () => {
    let live: any = null;
    await waitFor(async () => {
      live = (await api(s.base, 'GET', '/api/metrics/live')).body;
      return ['BTCUSD', 'ETHUSD', 'ADAUSD'].every((x) => live.books[x]?.bids.length >= 3 && live.books[x]?.asks.length >= 3);
    }, 20_000, 'three levels on both sides of every book');
    for (const sym of ['BTCUSD', 'ETHUSD', 'ADAUSD']) {
      const b = live.books[sym];
      expect(b.bids.length, `${sym} bids`).toBeGreaterThan(0);
      expect(b.asks.length, `${sym} asks`).toBeGreaterThan(0);
      expect(b.best_bid).toBeLessThan(b.best_ask);
    }
    expect(live.shards.every((x: { up: boolean }) => x.up)).toBe(true);
  });

  it('POST /api/simulation changes the rate, stops and restarts the flow', async () => {
    const r = await api(s.base, 'POST', '/api/simulation', { orders_per_second: 40 });
    expect(r.status).toBe(200);
    expect(r.body.config.orders_per_second).toBe(40);
    const bad = await api(s.base, 'POST', '/api/simulation', { orders_per_second: -1 });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'INVALID_PARAMETER', field: 'orders_per_second' });
    const stop = await api(s.base, 'POST', '/api/simulation', { action: 'stop' });
    expect(stop.body).toMatchObject({ running: false });
    expect((await api(s.base, 'GET', '/health')).body.services.simulation).toBe('disabled');
    const c0 = (await api(s.base, 'GET', '/api/simulation')).body.stats.orders_sent;
    await new Promise((res) => setTimeout(res, 1500));
    expect((await api(s.base, 'GET', '/api/simulation')).body.stats.orders_sent).toBe(c0);
    const start = await api(s.base, 'POST', '/api/simulation', { action: 'start' });
    expect(start.body).toMatchObject({ status: 'healthy', running: true });
    await waitFor(async () => (await api(s.base, 'GET', '/api/simulation')).body.stats.orders_sent > c0, 10_000, 'orders after restart');
  });
});
