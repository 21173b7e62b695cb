// A REST order whose shard never answers (hung, not yet declared stalled) is answered once,
// with 503 SHARD_TIMEOUT, by the route's timeout sweep (REST_TIMEOUT_S = 10 s, + up to 1 s).
// The order record says pending, not rejected: the command is still queued and could execute
// if the shard came back. Uses the test-only crash route.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from './helpers/server.js';

describe('REST timeout on a hung shard', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '2', SIMEX_TEST_ROUTES: 'true', SHARD_MODE: 'worker' }); // crashes need worker threads
  });
  afterAll(async () => {
    // The hung shard never stops by itself: no graceful shutdown to wait for.
    await srv?.stop('SIGKILL');
  });

  it('answers 503 SHARD_TIMEOUT after the timeout, the order pending; the other shard keeps trading', async () => {
    // ETHUSD lives on shard 1 (index % shards).
    const ok = await api(srv.base, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'buy', type: 'limit', quantity: 1, price: 3000 });
    expect(ok.status).toBe(201);
    const k = await api(srv.base, 'POST', '/admin/test/shards/1/crash?how=hang');
    expect(k.status).toBe(202);
    await new Promise((r) => setTimeout(r, 200)); // the worker handles the message within ~5 ms
    const t0 = Date.now();
    const stuck = await api(srv.base, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'sell', type: 'limit', quantity: 1, price: 3100 });
    const waited = Date.now() - t0;
    expect(stuck.status).toBe(503);
    expect(stuck.body.code).toBe('SHARD_TIMEOUT');
    expect(stuck.body.error).toMatch(/may still execute/);
    expect(stuck.body.status).toBe('pending');
    expect(stuck.body.remaining_quantity).toBe(1);
    expect(stuck.body.symbol).toBe('ETHUSD');
    // Not answered early by anything else (a lower bound only: no upper timing assertion).
    expect(waited).toBeGreaterThanOrEqual(9_000);
    const rec = await api(srv.base, 'GET', `/api/orders/${stuck.body.order_id}`);
    expect(rec.body.status).toBe('pending');
    expect(rec.body.reject_reason).toBeUndefined();
    const del = await api(srv.base, 'DELETE', `/api/orders/${stuck.body.order_id}`);
    expect([del.status, del.body.code]).toEqual([409, 'ORDER_NOT_OPEN']);
    const btc = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: 0.001, price: 40000 });
    expect(btc.status).toBe(201);
  }, 30_000);
});
