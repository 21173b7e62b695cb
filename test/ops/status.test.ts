// `simex ops status`: one screen from /health and /admin/metrics/current; exit 0 while healthy,
// 1 in maintenance; open breakers and measured rates shown; SIMEX_URL picks the server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from '../server/helpers/server.js';
import { ops } from './helpers.js';

describe('simex ops status', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '1', CIRCUIT_BREAKER_ENABLED: 'false' });
    await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'sell', type: 'limit', price: 50000, quantity: 0.1 });
    await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', price: 50000, quantity: 0.1 });
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('healthy: exit 0, shards, controls, rates (SIMEX_URL)', async () => {
    const r = await ops(['status'], { SIMEX_URL: srv.base });
    expect(r.code).toBe(0);
    expect(r.out).toContain(`at ${srv.base}: HEALTHY (HTTP 200)`);
    expect(r.out).toMatch(/0\s+up\s+(native|ts)\s+worker\s+BTCUSD,ETHUSD,ADAUSD/);
    expect(r.out).toMatch(/maintenance:\s+off/);
    expect(r.out).toMatch(/circuit breakers: all closed/);
    expect(r.out).toMatch(/chaos:\s+inactive/);
    expect(r.out).toMatch(/totals: 2 orders, 1 trades since start/);
    const j = await ops(['status', '--json', '--url', srv.base]);
    expect(j.json().health.status).toBe('healthy');
    expect(j.json().metrics.order_count).toBe(2);
  });

  it('maintenance and an open breaker: exit 1, both shown', async () => {
    await api(srv.base, 'POST', '/admin/maintenance/enable');
    await api(srv.base, 'POST', '/admin/circuit-breaker/activate-all');
    try {
      const r = await ops(['status', '--url', srv.base]);
      expect(r.code).toBe(1);
      expect(r.out).toContain('MAINTENANCE (HTTP 503)');
      expect(r.out).toMatch(/maintenance:\s+ON since \d{4}-/);
      expect(r.out).toMatch(/circuit breakers: OPEN: BTCUSD, ETHUSD, ADAUSD/);
    } finally {
      await api(srv.base, 'POST', '/admin/circuit-breaker/reset-all');
      await api(srv.base, 'POST', '/admin/maintenance/disable');
    }
    expect((await ops(['status', '--url', srv.base])).code).toBe(0);
  });
});
