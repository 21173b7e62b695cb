// With accounts in the server, the anonymous REST API is unchanged: seed 000's curls (no
// token) answer the same shapes, anonymous cancel/amend need no token, anonymous requests
// are never rate limited by default (no bucket is even created), and an anonymous order
// that trades against an account's resting order settles the account only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { balances, call, signUp } from './helpers/accounts.js';

const ORDER_KEYS = ['average_price', 'client_order_id', 'exchange_order_id', 'fill_count', 'filled_quantity', 'fills', 'order_id',
  'post_only', 'price', 'quantity', 'remaining_quantity', 'side', 'status', 'symbol', 'time_in_force', 'timestamp', 'type', 'updated_at'];

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ SHARD_MODE: 'inline' });
}, 30_000);
afterAll(async () => {
  await srv?.stop();
});

describe('anonymous REST with accounts enabled', () => {
  it("seed 000's order curls work unchanged, without a token", async () => {
    const B = srv.base;
    const buy = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: 1.0, price: 50000.0 });
    expect(buy.status).toBe(201);
    expect(Object.keys(buy.body).sort()).toEqual(ORDER_KEYS);
    expect(buy.body).toMatchObject({ symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: 1, price: 50000, status: 'active' });
    const sell = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'sell', type: 'limit', quantity: 1.0, price: 50000.0 });
    expect(sell.status).toBe(201);
    expect(Object.keys(sell.body).sort()).toEqual(ORDER_KEYS);
    expect(sell.body.status).toBe('filled');
    await call(B, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'sell', type: 'limit', quantity: 5, price: 3000 });
    const mkt = await call(B, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'buy', type: 'market', quantity: 5.0, price: 0 });
    expect([mkt.status, mkt.body.status]).toEqual([201, 'filled']);
    await srv.waitForLog((l) => l.msg === 'Order placed' && l.order_id === sell.body.order_id);

    const rest = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', quantity: '0.01', price: '49000' });
    expect((await call(B, 'PATCH', `/api/orders/${rest.body.order_id}`, { price: '49001' })).status).toBe(200);
    expect((await call(B, 'DELETE', `/api/orders/${rest.body.order_id}`)).body.status).toBe('cancelled');
  });

  it('is not rate limited by default: no anonymous bucket exists', async () => {
    const B = srv.base;
    const body = JSON.stringify({ symbol: 'ADAUSD', side: 'buy', quantity: '1', price: '1' });
    const codes = await Promise.all(Array.from({ length: 300 }, () => call(B, 'POST', '/api/orders', body).then((r) => r.status)));
    expect(new Set(codes)).toEqual(new Set([201]));
    const m = await fetch(`${B}/metrics`).then((x) => x.text());
    expect(m).toMatch(/^simex_rate_limit_buckets\{scope="anonymous"\} 0$/m);
    expect(m).toMatch(/^simex_rate_limit_rejected_total\{scope="anonymous"\} 0$/m);
  });

  it("an anonymous order filling an account's resting order settles the account", async () => {
    const B = srv.base;
    const u = await signUp(B, 'mallory');
    await call(B, 'POST', '/api/account/deposit', { asset: 'ADA', amount: '1000' }, u.token);
    const ask = await call(B, 'POST', '/api/orders', { symbol: 'ADAUSD', side: 'sell', quantity: '400', price: '1.2345' }, u.token);
    expect(ask.body.status).toBe('active');
    expect((await balances(B, u.token)).ADA).toEqual({ total: '1000.0', available: '600.0', reserved: '400.0' });
    const hit = await call(B, 'POST', '/api/orders', { symbol: 'ADAUSD', side: 'buy', quantity: '150', price: '1.2345' });
    expect(hit.status).toBe(201);
    expect(Object.keys(hit.body).sort()).toEqual(ORDER_KEYS);
    expect(hit.body.status).toBe('filled');
    const bal = await balances(B, u.token);
    expect(bal.ADA).toEqual({ total: '850.0', available: '600.0', reserved: '250.0' });
    expect(bal.USD).toEqual({ total: '185.17500000', available: '185.17500000', reserved: '0.00000000' }); // 150 x 1.2345
  });
});
