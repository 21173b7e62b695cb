// Seed 004's read-only admin endpoints reflect real load: REST orders sent here (resting,
// crossing into trades, post-only rejects) show up in /admin/metrics/current|throughput|
// summary, /admin/errors/summary and /admin/reports/daily with the runbook's field names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from './helpers/server.js';

const order = (body: Record<string, unknown>) => ({ symbol: 'BTCUSD', type: 'limit', quantity: '0.01', ...body });

describe('admin metrics endpoints', () => {
  let srv: TestServer;
  const sent = { orders: 0, trades: 0, rejected: 0 };
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '2' });
    // 10 resting bids, 4 sells crossing them (4 trades at 40010..40007), 3 post-only rejects.
    for (let i = 0; i < 10; i++) {
      const r = await api(srv.base, 'POST', '/api/orders', order({ side: 'buy', price: (40001 + i).toFixed(2) }));
      expect(r.status).toBe(201);
      sent.orders++;
    }
    for (let i = 0; i < 4; i++) {
      const r = await api(srv.base, 'POST', '/api/orders', order({ side: 'sell', price: '40000.00' }));
      expect(r.status).toBe(201);
      expect(r.body.status).toBe('filled');
      sent.orders++;
      sent.trades++;
    }
    for (let i = 0; i < 3; i++) {
      const r = await api(srv.base, 'POST', '/api/orders', order({ side: 'sell', price: '39000.00', post_only: true }));
      expect(r.status).toBe(422);
      sent.orders++;
      sent.rejected++;
    }
    const eth = await api(srv.base, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'sell', type: 'limit', quantity: '0.1', price: '5000.00' });
    expect(eth.status).toBe(201);
    sent.orders++;
    // Rates and the 1 s history cover closed seconds only: wait (bounded) until every second
    // holding one of these orders has closed.
    const t0 = Date.now();
    while (Date.now() - t0 < 6000) {
      const h = await api(srv.base, 'GET', '/admin/metrics/throughput');
      const closed = (h.body.per_second_last_minute as { orders: number }[]).reduce((a, p) => a + p.orders, 0);
      if (closed >= sent.orders) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('GET /admin/metrics/current: rates, latency in ms, error rate as a ratio, connections', async () => {
    const r = await api(srv.base, 'GET', '/admin/metrics/current');
    expect(r.status).toBe(200);
    const b = r.body;
    expect(b.order_count).toBe(sent.orders);
    expect(b.trade_count).toBe(sent.trades);
    expect(b.orders_per_sec).toBeGreaterThan(0);
    expect(b.latency_samples).toBe(sent.orders);
    for (const k of ['latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms']) expect(b[k]).toBeGreaterThan(0);
    expect(b.latency_p50_ms).toBeLessThanOrEqual(b.latency_p95_ms);
    expect(b.latency_p95_ms).toBeLessThanOrEqual(b.latency_p99_ms);
    // 3 of 18 NEW orders rejected, all inside the 10 s rate window: a ratio, not a percent
    expect(b.error_rate).toBeGreaterThan(0);
    expect(b.error_rate).toBeLessThan(1);
    expect(b.error_rate_unit).toMatch(/ratio/);
    expect(b.connections).toEqual({ trading: 0, feed: 0, sessions: 0 });
  });

  it('GET /admin/metrics/throughput: .last_minute counts what was sent', async () => {
    const r = await api(srv.base, 'GET', '/admin/metrics/throughput');
    expect(r.status).toBe(200);
    const m = r.body.last_minute;
    expect(m.orders).toBe(sent.orders);
    expect(m.trades).toBe(sent.trades);
    expect(m.errors).toBe(sent.rejected);
    expect(m.since_start).toBe(true);
    expect(m.window_s).toBeGreaterThan(0);
    expect(m.window_s).toBeLessThanOrEqual(60);
    expect(m.orders_per_sec).toBeCloseTo(m.orders / m.window_s, 1);
    expect(m.peak_orders_1s).toBeGreaterThan(0);
    expect(m.peak_orders_1s).toBeLessThanOrEqual(sent.orders);
    expect(r.body.last_10s.window_s).toBeLessThanOrEqual(10);
    const perSec = r.body.per_second_last_minute as { orders: number }[];
    expect(perSec.reduce((a, p) => a + p.orders, 0)).toBeLessThanOrEqual(sent.orders);
  });

  it('GET /admin/metrics/summary: the runbook fields, over since-start (said in the body)', async () => {
    const r = await api(srv.base, 'GET', '/admin/metrics/summary');
    expect(r.status).toBe(200);
    const b = r.body;
    expect(b.total_orders_24h).toBe(sent.orders);
    expect(b.total_trades_24h).toBe(sent.trades);
    expect(b.error_rate_24h).toBeCloseTo(sent.rejected / sent.orders, 4);
    expect(b.avg_latency_p95).toBeGreaterThan(0);
    expect(b.peak_throughput_24h).toBeGreaterThan(0);
    expect(b.last_24h.orders).toBe(sent.orders);
    expect(b.since_start).toBe(true);
    expect(b.window_s).toBeLessThan(120); // the server's uptime, not 86400
    expect(b.window_note).toMatch(/since server start, capped at 24 h/);
  });

  it('GET /admin/errors/summary: rejects by code and symbol', async () => {
    const r = await api(srv.base, 'GET', '/admin/errors/summary');
    expect(r.status).toBe(200);
    expect(r.body.by_code).toEqual({ 'new.rejected': sent.rejected });
    expect(r.body.by_symbol).toEqual({ BTCUSD: { 'new.rejected': sent.rejected } });
    expect(r.body.rejected).toBe(sent.rejected);
    expect(r.body.failed).toBe(0);
    expect(r.body.requests).toBe(sent.orders);
    expect(r.body.last_5m.by_code['new.rejected']).toBe(sent.rejected);
    expect(r.body.edge.binary_decode_errors_total).toBe(0);
  });

  it('GET /admin/reports/daily: per-symbol figures and every section', async () => {
    const r = await api(srv.base, 'GET', '/admin/reports/daily');
    expect(r.status).toBe(200);
    const b = r.body;
    expect(Date.parse(b.generated_at)).toBeGreaterThan(0);
    expect(b.window.since_start).toBe(true);
    expect(b.symbols.BTCUSD.orders).toBe(sent.orders - 1);
    expect(b.symbols.BTCUSD.trades).toBe(sent.trades);
    expect(b.symbols.BTCUSD.rejected).toBe(sent.rejected);
    expect(b.symbols.BTCUSD.last_price).toBe(40007); // the 4th sell hit the 4th-best bid
    expect(b.symbols.ETHUSD.orders).toBe(1);
    expect(b.symbols.ETHUSD.trades).toBe(0);
    expect(b.summary.total_orders_24h).toBe(sent.orders);
    expect(b.errors.by_code['new.rejected']).toBe(sent.rejected);
    expect(Array.isArray(b.alerts.alerts)).toBe(true);
    expect(b.resources.memory.rss_bytes).toBeGreaterThan(0);
  });

  it('GET / lists the admin endpoints; the pprof extras stay off without DEBUG_ENDPOINTS', async () => {
    const r = await api(srv.base, 'GET', '/');
    for (const p of ['/admin/metrics/current', '/admin/metrics/throughput', '/admin/metrics/summary', '/admin/errors/summary',
      '/admin/alerts/active', '/admin/system/resources', '/admin/reports/daily']) expect(r.body.endpoints).toContain(p);
    expect((await api(srv.base, 'GET', '/debug/pprof/goroutine?debug=1')).status).toBe(404);
    expect((await api(srv.base, 'GET', '/debug/pprof/mutex')).status).toBe(404);
  });
});
