// GET /api/orders: the newest REST orders first, `limit`, `symbol` and `status=open` filters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from './helpers/server.js';

describe('GET /api/orders', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('lists newest first with limit, symbol and open filters', async () => {
    const ids: { id: string; symbol: string; open: boolean }[] = [];
    for (let i = 0; i < 12; i++) {
      const symbol = i % 3 === 0 ? 'ETHUSD' : 'BTCUSD';
      const r = await api(srv.base, 'POST', '/api/orders', symbol === 'BTCUSD'
        ? { symbol, side: 'buy', type: 'limit', quantity: '0.01', price: (40000 + i).toFixed(2) }
        : { symbol, side: 'sell', type: 'limit', quantity: '0.1', price: (5000 + i).toFixed(2) });
      expect(r.status).toBe(201);
      ids.push({ id: r.body.order_id, symbol, open: true });
    }
    // one of them cancelled: not open any more
    const gone = ids[7]!;
    expect((await api(srv.base, 'DELETE', `/api/orders/${gone.id}`)).status).toBe(200);
    gone.open = false;
    const newest = [...ids].reverse();

    const all = await api(srv.base, 'GET', '/api/orders?limit=5');
    expect(all.status).toBe(200);
    expect(all.body.orders.map((o: { order_id: string }) => o.order_id)).toEqual(newest.slice(0, 5).map((o) => o.id));
    expect(all.body.count).toBe(5);

    const eth = await api(srv.base, 'GET', '/api/orders?symbol=ethusd');
    expect(eth.body.orders.map((o: { order_id: string }) => o.order_id)).toEqual(newest.filter((o) => o.symbol === 'ETHUSD').map((o) => o.id));

    const open = await api(srv.base, 'GET', '/api/orders?status=open&limit=1000');
    expect(open.body.orders.map((o: { order_id: string }) => o.order_id)).toEqual(newest.filter((o) => o.open).map((o) => o.id));
    expect(open.body.orders.every((o: { status: string }) => o.status === 'active')).toBe(true);
  });
});
