// An account order it cannot pay for is rejected 400 INSUFFICIENT_BALANCE and changes
// nothing: no balance, no order record, no book level. Same for withdrawals, amends that
// would need more than is available, and bad amounts (400 with the field).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { balances, call, signUp } from './helpers/accounts.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ SHARD_MODE: 'inline' });
}, 30_000);
afterAll(async () => {
  await srv?.stop();
});

describe('accounts: insufficient balance', () => {
  it('rejects buys, sells, withdrawals and amends beyond the available funds without changing anything', async () => {
    const B = srv.base;
    const u = await signUp(B, 'carol');
    await call(B, 'POST', '/api/account/deposit', { asset: 'USD', amount: '1000.5' }, u.token);
    await call(B, 'POST', '/api/account/deposit', { asset: 'ETH', amount: '0.5' }, u.token);
    const before = await balances(B, u.token);
    const orders = (await call(B, 'GET', '/api/orders', undefined, u.token)).body.count;
    const book = (await call(B, 'GET', '/api/orderbook/ETHUSD')).body;

    // 0.334 x 3000 = 1002 > 1000.5
    let r = await call(B, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'buy', quantity: '0.334', price: '3000' }, u.token);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'INSUFFICIENT_BALANCE', field: 'quantity' });
    expect(r.body.error).toMatch(/USD/);
    r = await call(B, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'sell', quantity: '0.501', price: '3000' }, u.token);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('INSUFFICIENT_BALANCE');
    r = await call(B, 'POST', '/api/orders', { symbol: 'ADAUSD', side: 'sell', quantity: '1', price: '1.5' }, u.token);
    expect(r.body.code).toBe('INSUFFICIENT_BALANCE');
    r = await call(B, 'POST', '/api/account/withdraw', { asset: 'USD', amount: '1000.50000001' }, u.token);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'INSUFFICIENT_BALANCE', field: 'amount' });

    expect(await balances(B, u.token)).toEqual(before);
    expect((await call(B, 'GET', '/api/orders', undefined, u.token)).body.count).toBe(orders);
    const after = (await call(B, 'GET', '/api/orderbook/ETHUSD')).body;
    expect([after.bids, after.asks, after.sequence]).toEqual([book.bids, book.asks, book.sequence]);
    const pf = await call(B, 'GET', '/api/portfolio', undefined, u.token);
    expect(pf.body.recent_orders).toEqual([]);

    // Exactly the available amount is fine: 0.333 x 3000 = 999, then amend up to 0.334 is not.
    const ok = await call(B, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'buy', quantity: '0.333', price: '3000' }, u.token);
    expect(ok.status).toBe(201);
    expect((await balances(B, u.token)).USD).toEqual({ total: '1000.50000000', available: '1.50000000', reserved: '999.00000000' });
    r = await call(B, 'PATCH', `/api/orders/${ok.body.order_id}`, { quantity: '0.334' }, u.token);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'INSUFFICIENT_BALANCE', field: 'quantity' });
    expect((await call(B, 'GET', `/api/orders/${ok.body.order_id}`, undefined, u.token)).body.quantity).toBe(0.333);
    expect((await balances(B, u.token)).USD.reserved).toBe('999.00000000');
    // An amend down releases; an amend up within the funds reserves the difference.
    r = await call(B, 'PATCH', `/api/orders/${ok.body.order_id}`, { price: '2000' }, u.token);
    expect(r.status).toBe(200);
    expect((await balances(B, u.token)).USD).toEqual({ total: '1000.50000000', available: '334.50000000', reserved: '666.00000000' });
    r = await call(B, 'PATCH', `/api/orders/${ok.body.order_id}`, { price: '3003' }, u.token);
    expect(r.status).toBe(200);
    expect((await balances(B, u.token)).USD).toEqual({ total: '1000.50000000', available: '0.50100000', reserved: '999.99900000' });
  });

  it('bad amounts and assets are 400 with the field', async () => {
    const B = srv.base;
    const u = await signUp(B, 'dave');
    const cases: [unknown, string, string][] = [
      [{ asset: 'USD', amount: '-5' }, 'DECIMAL_NEGATIVE', 'amount'],
      [{ asset: 'USD', amount: '0' }, 'DECIMAL_ZERO', 'amount'],
      [{ asset: 'USD', amount: '1.000000001' }, 'DECIMAL_TOO_PRECISE', 'amount'],
      [{ asset: 'USD', amount: 'ten' }, 'DECIMAL_SYNTAX', 'amount'],
      [{ asset: 'USD', amount: '1e40' }, 'DECIMAL_OUT_OF_RANGE', 'amount'],
      [{ asset: 'USD' }, 'MISSING_FIELD', 'amount'],
      [{ asset: 'DOGE', amount: '1' }, 'UNKNOWN_ASSET', 'asset'],
      [{ amount: '1' }, 'MISSING_FIELD', 'asset'],
    ];
    for (const [body, code, field] of cases) {
      const r = await call(B, 'POST', '/api/account/deposit', body, u.token);
      expect([r.status, r.body.code, r.body.field], JSON.stringify(body)).toEqual([400, code, field]);
    }
    const j = await call(B, 'POST', '/api/account/deposit', '{"asset":', u.token);
    expect([j.status, j.body.code]).toEqual([400, 'INVALID_JSON']);
    expect((await balances(B, u.token)).USD.total).toBe('0.00000000');
  });
});
