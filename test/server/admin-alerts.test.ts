// GET /admin/alerts/active on a real server: no shard alert while every shard is up; after
// a shard is crashed (test-only route) SimexShardDown fires for it, orders for its symbol
// fail server-side and show up as new.error in /admin/errors/summary, the error-rate alert
// fires and the availability burn-rate alert is pending (its Prometheus `for:` is 2m).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from './helpers/server.js';

interface A { name: string; severity: string; value: number; threshold: number; since: string; state: string; labels?: Record<string, string> }

describe('admin alerts', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '2', SHARD_MODE: 'worker', SIMEX_TEST_ROUTES: 'true' });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('fires SimexShardDown and the error-rate alert when a shard dies; failures counted by code', async () => {
    const before = await api(srv.base, 'GET', '/admin/alerts/active');
    expect(before.status).toBe(200);
    const names = (before.body.alerts as A[]).map((a) => a.name);
    expect(names).not.toContain('SimexShardDown');
    expect(names).not.toContain('SimexOrderErrorRateHigh');
    expect(before.body.count).toBe(before.body.alerts.length);

    const k = await api(srv.base, 'POST', '/admin/test/shards/1/crash?how=throw');
    expect(k.status).toBe(202);
    await srv.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('Shard 1 is down'));

    const ok = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: '0.01', price: '40000.00' });
    expect(ok.status).toBe(201);
    for (let i = 0; i < 5; i++) {
      const r = await api(srv.base, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'buy', type: 'limit', quantity: '0.1', price: '3000.00' });
      expect(r.status).toBe(503);
    }

    const down = await api(srv.base, 'GET', '/admin/alerts/active');
    const sd = (down.body.alerts as A[]).find((a) => a.name === 'SimexShardDown');
    expect(sd).toBeDefined();
    expect(sd!.labels).toEqual({ shard: '1' });
    expect(sd!.severity).toBe('page');
    expect(sd!.state).toBe('firing');
    expect(Date.parse(sd!.since)).toBeGreaterThan(0);
    expect((down.body.alerts as A[]).filter((a) => a.name === 'SimexShardDown')).toHaveLength(1); // shard 0 is fine

    // The error-rate alert reads the hub's rate window (complete seconds): poll, bounded.
    let errAlert: A | undefined;
    let burn: A | undefined;
    for (let i = 0; i < 40 && !errAlert; i++) {
      const r = await api(srv.base, 'GET', '/admin/alerts/active');
      errAlert = (r.body.alerts as A[]).find((a) => a.name === 'SimexOrderErrorRateHigh');
      burn = (r.body.pending as A[]).find((a) => a.name === 'SimexAvailabilityBudgetBurnFast');
      if (!errAlert) await new Promise((res) => setTimeout(res, 100));
    }
    expect(errAlert).toBeDefined();
    expect(errAlert!.value).toBeGreaterThan(errAlert!.threshold);
    expect(errAlert!.threshold).toBe(0.01);
    // 5 of 6 NEW orders failed server-side: far above 14.4x the 0.1% budget, held < 2 min
    expect(burn).toBeDefined();
    expect(burn!.state).toBe('pending');
    expect(burn!.value).toBeGreaterThan(14.4);

    const e = await api(srv.base, 'GET', '/admin/errors/summary');
    expect(e.body.by_code['new.error']).toBe(5);
    expect(e.body.by_symbol.ETHUSD).toEqual({ 'new.error': 5 });
    expect(e.body.failed).toBe(5);
    expect(e.body.shards.find((s: { id: number }) => s.id === 1)).toBeDefined();

    const cur = await api(srv.base, 'GET', '/admin/metrics/current');
    expect(cur.body.server_error_rate).toBeGreaterThan(0);
  });
});
