// Maintenance mode (seed 004's planned maintenance): POST /admin/maintenance/enable rejects
// new REST orders and amends with 503 MAINTENANCE_MODE while cancels work, /health answers
// 503 status "maintenance" (load balancers drain), idempotent with one log line per
// transition; disable restores trading.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from './helpers/server.js';

describe('maintenance mode', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  const order = (o: Record<string, unknown> = {}) =>
    api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: 1, price: 40000, ...o });

  it('off by default; enable/disable are idempotent and logged once per transition', async () => {
    const s0 = await api(srv.base, 'GET', '/admin/maintenance/status');
    expect(s0.status).toBe(200);
    expect(s0.body).toMatchObject({ maintenance: false, status: 'disabled', since: null });
    const resting = await order({ price: 39000 });
    expect(resting.status).toBe(201);

    const e1 = await api(srv.base, 'POST', '/admin/maintenance/enable', { reason: 'db upgrade' });
    expect(e1.status).toBe(200);
    expect(e1.body).toMatchObject({ maintenance: true, status: 'enabled', reason: 'db upgrade', changed: true });
    const e2 = await api(srv.base, 'POST', '/admin/maintenance/enable');
    expect(e2.body).toMatchObject({ maintenance: true, changed: false, reason: 'db upgrade' });
    expect((await api(srv.base, 'POST', '/admin/maintenance/enable', { reason: 5 })).body)
      .toMatchObject({ code: 'INVALID_PARAMETER', field: 'reason' });

    // New orders and amends: 503 with the code; cancels work.
    const r = await order();
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ code: 'MAINTENANCE_MODE', field: 'symbol' });
    expect(typeof r.body.error).toBe('string');
    const eth = await order({ symbol: 'ETHUSD', price: 3000 });
    expect(eth.body.code).toBe('MAINTENANCE_MODE');
    const am = await api(srv.base, 'PATCH', `/api/orders/${resting.body.order_id}`, { price: 39500 });
    expect(am.status).toBe(503);
    expect(am.body.code).toBe('MAINTENANCE_MODE');
    const cx = await api(srv.base, 'DELETE', `/api/orders/${resting.body.order_id}`);
    expect(cx.status).toBe(200);
    expect(cx.body.status).toBe('cancelled');

    const h = await api(srv.base, 'GET', '/health');
    expect(h.status).toBe(503);
    expect(h.body.status).toBe('maintenance');
    expect(h.body.services.maintenance).toBe('enabled');
    expect(h.body.trading_controls).toMatchObject({ maintenance: true, open_circuit_breakers: [] });
    const sym = await api(srv.base, 'GET', '/api/symbols');
    expect(sym.body.symbols.map((s: { status: string }) => s.status)).toEqual(['maintenance', 'maintenance', 'maintenance']);
    const st = await api(srv.base, 'GET', '/admin/maintenance/status');
    expect(st.body).toMatchObject({ maintenance: true, orders_rejected: 3 });
    // Prometheus: the mode and the refusals, read at scrape time
    const prom = await fetch(`${srv.base}/metrics`).then((x) => x.text());
    expect(prom).toMatch(/^simex_maintenance_mode 1$/m);
    expect(prom).toMatch(/^simex_trading_control_rejected\{reason="maintenance"\} 3$/m);
    expect(prom).toMatch(/^simex_circuit_breaker_open\{symbol="BTCUSD"\} 0$/m);

    const d1 = await api(srv.base, 'POST', '/admin/maintenance/disable');
    expect(d1.body).toMatchObject({ maintenance: false, changed: true });
    const d2 = await api(srv.base, 'POST', '/admin/maintenance/disable');
    expect(d2.body).toMatchObject({ maintenance: false, changed: false });
    expect((await order()).status).toBe(201);
    const h2 = await api(srv.base, 'GET', '/health');
    expect(h2.status).toBe(200);
    expect(h2.body.services.maintenance).toBe('disabled');

    await srv.waitForLog((l) => String(l.msg).startsWith('Maintenance mode disabled'));
    const logs = srv.logs();
    expect(logs.filter((l) => String(l.msg).startsWith('Maintenance mode enabled'))).toHaveLength(1);
    expect(logs.filter((l) => String(l.msg).startsWith('Maintenance mode disabled'))).toHaveLength(1);
  });

  it('the global halt keeps its own code and wins over maintenance', async () => {
    await api(srv.base, 'POST', '/admin/maintenance/enable');
    await api(srv.base, 'POST', '/admin/trading/halt');
    expect((await order()).body.code).toBe('TRADING_HALTED');
    await api(srv.base, 'POST', '/admin/trading/resume');
    expect((await order()).body.code).toBe('MAINTENANCE_MODE');
    await api(srv.base, 'POST', '/admin/maintenance/disable');
    expect((await order()).status).toBe(201);
  });
});
