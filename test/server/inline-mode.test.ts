// The server with SHARD_MODE=inline (shards on the I/O thread): /health says so, orders
// rest, match and report over REST and the binary protocol as in worker mode, and the
// test-only crash route refuses with a clear code instead of pretending.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient, Side } from '../../src/client/index.js';
import { api, startTestServer, type TestServer } from './helpers/server.js';

describe('SHARD_MODE=inline server', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARD_MODE: 'inline', SHARDS: '2', SIMEX_TEST_ROUTES: 'true' });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('trades like worker mode and reports its mode', async () => {
    const h = await api(srv.base, 'GET', '/health');
    expect(h.status).toBe(200);
    expect(h.body.shards.map((s: { mode: string; state: string }) => [s.mode, s.state])).toEqual([['inline', 'up'], ['inline', 'up']]);

    const buy = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: '0.5', price: '49000.00' });
    expect(buy.status).toBe(201);
    expect(buy.body.status).toBe('active');
    const c = await SimexClient.connect(srv.wsUrl, { account: 77 });
    const btc = c.instrument('BTCUSD');
    const sell = await c.newOrder({ instrument: btc.instrument, side: Side.SELL, price: c.price(btc, '49000.00'), qty: c.qty(btc, '0.2') });
    expect(sell.status).toBe('filled');
    expect(sell.fills[0]).toMatchObject({ price: 4_900_000, qty: 200_000 });
    const after = await api(srv.base, 'GET', `/api/orders/${buy.body.order_id}`);
    expect(after.body.status).toBe('partially_filled');
    expect(after.body.filled_quantity).toBe(0.2);
    // ETHUSD lives on the other inline shard
    const eth = await api(srv.base, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'sell', type: 'limit', quantity: '1', price: '3000.00' });
    expect(eth.body.status).toBe('active');
    await c.close();
  });

  it('refuses crash injection with 409 SHARD_MODE_INLINE', async () => {
    const r = await api(srv.base, 'POST', '/admin/test/shards/0/crash?how=throw');
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('SHARD_MODE_INLINE');
    const h = await api(srv.base, 'GET', '/health');
    expect(h.body.status).toBe('healthy');
  });
});
