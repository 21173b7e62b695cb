// `simex ops find-trade` against a real server after real trades (REST orders that cross):
// the trade's fields, its REST orders' status, per-symbol ids, not-found exit 1, bad input exit 2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from '../server/helpers/server.js';
import { ops } from './helpers.js';

describe('simex ops find-trade', () => {
  let srv: TestServer;
  let sellId: string;
  let buyId: string;
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '1', CIRCUIT_BREAKER_ENABLED: 'false' });
    const s = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'sell', type: 'limit', price: 50000, quantity: 0.5 });
    expect(s.status).toBe(201);
    sellId = s.body.order_id;
    const b = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', price: 50000, quantity: 0.2 });
    expect(b.body.status).toBe('filled');
    buyId = b.body.order_id;
    // ETHUSD trade 1 as well: trade ids are per symbol.
    await api(srv.base, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'buy', type: 'limit', price: 3000, quantity: 1 });
    const e = await api(srv.base, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'sell', type: 'limit', price: 3000, quantity: 1 });
    expect(e.body.status).toBe('filled');
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('lists trade 1 of every symbol with its orders (--json)', async () => {
    const r = await ops(['find-trade', '--id', '1', '--json', '--url', srv.base]);
    expect(r.code).toBe(0);
    const j = r.json();
    expect(j.found).toBe(true);
    expect(j.matches.map((m: any) => m.symbol).sort()).toEqual(['BTCUSD', 'ETHUSD']);
    const btc = j.matches.find((m: any) => m.symbol === 'BTCUSD');
    expect(btc).toMatchObject({ trade_id: 1, price: 50000, quantity: 0.2, side: 'buy' });
    expect(btc.buy_order).toMatchObject({ origin: 'rest', known: true, order_id: buyId, status: 'filled', filled_quantity: 0.2 });
    expect(btc.sell_order).toMatchObject({ origin: 'rest', known: true, order_id: sellId, status: 'partially_filled', remaining_quantity: 0.3 });
    const eth = j.matches.find((m: any) => m.symbol === 'ETHUSD');
    expect(eth.side).toBe('sell');
  });

  it('prints a table; --symbol narrows to one symbol', async () => {
    const r = await ops(['find-trade', '--id', '1', '--symbol', 'btcusd', '--url', srv.base]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/TRADE\s+SYMBOL\s+PRICE\s+QUANTITY\s+AGGRESSOR\s+BUY ORDER\s+SELL ORDER\s+TIME/);
    expect(r.out).toMatch(/1\s+BTCUSD\s+50000\s+0\.2\s+buy\s+\d+\s+\d+\s+\d{4}-\d\d-\d\dT/);
    expect(r.out).toContain(buyId);
    expect(r.out).toContain('filled');
    expect(r.out).not.toContain('ETHUSD');
  });

  it('a trade that does not exist: exit 1, says why per symbol', async () => {
    const r = await ops(['find-trade', '--id', '25', '--url', srv.base]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('Trade 25 not found');
    expect(r.out).toMatch(/BTCUSD\s+not traded yet \(newest is 1\)/);
    expect(r.out).toMatch(/ADAUSD\s+no trades yet/);
    expect(r.out).toContain('keeps the last 1000');
    const j = await ops(['find-trade', '--id', '25', '--json', '--url', srv.base]);
    expect(j.code).toBe(1);
    expect(j.json()).toMatchObject({ found: false, code: 'TRADE_NOT_FOUND', retained: { BTCUSD: { newest_trade_id: 1, capacity: 1000 } } });
  });

  it('the route answers 400 on a bad id and 404 on an unknown symbol', async () => {
    expect((await api(srv.base, 'GET', '/api/trades/abc')).body).toMatchObject({ code: 'BAD_TRADE_ID', field: 'id' });
    expect((await api(srv.base, 'GET', '/api/trades/0')).status).toBe(400);
    expect((await api(srv.base, 'GET', '/api/trades/1?symbol=NOPE')).status).toBe(404);
    const r = await ops(['find-trade', '--id', '1', '--symbol', 'NOPE', '--url', srv.base]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown symbol');
  });

  it('usage errors exit 2 and never reach the server', async () => {
    expect((await ops(['find-trade', '--url', srv.base])).code).toBe(2);
    expect((await ops(['find-trade', '--id', '-3', '--url', srv.base])).code).toBe(2);
    expect((await ops(['find-trade', '--id', '1', '--limit', '3', '--url', srv.base])).code).toBe(2);
  });
});
