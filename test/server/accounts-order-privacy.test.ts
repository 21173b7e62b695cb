// An account's orders are its own: GET /api/orders/:id answers 401 without the account's
// token and 403 with another account's (as DELETE and PATCH do); GET /api/orders without a
// token lists anonymous orders only, and with a token that account's orders only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { call, signUp } from './helpers/accounts.js';

describe('accounts: order privacy', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARD_MODE: 'inline', SHARDS: '1', RATE_LIMIT_ACCOUNT_RPS: '0' });
  }, 30_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('reads of an account order need its token; lists are per account', async () => {
    const B = srv.base;
    const alice = await signUp(B, 'alice');
    const bob = await signUp(B, 'bob');
    expect((await call(B, 'POST', '/api/account/deposit', { asset: 'USD', amount: '1000' }, alice.token)).status).toBe(200);
    const mine = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', quantity: '0.01', price: '10000' }, alice.token);
    expect(mine.status).toBe(201);
    const anon = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', quantity: '0.01', price: '10001' });
    expect(anon.status).toBe(201);
    const path = `/api/orders/${mine.body.order_id}`;

    const none = await call(B, 'GET', path);
    expect([none.status, none.body.code]).toEqual([401, 'UNAUTHORIZED']);
    expect(none.body.order_id).toBeUndefined();
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="simex"/);
    const foreign = await call(B, 'GET', path, undefined, bob.token);
    expect([foreign.status, foreign.body.code]).toEqual([403, 'FORBIDDEN']);
    expect(foreign.body.order_id).toBeUndefined();
    const own = await call(B, 'GET', path, undefined, alice.token);
    expect([own.status, own.body.order_id, own.body.status]).toEqual([200, mine.body.order_id, 'active']);
    // Anonymous orders stay public.
    expect((await call(B, 'GET', `/api/orders/${anon.body.order_id}`)).status).toBe(200);

    const ids = (r: { body: { orders: { order_id: string }[] } }) => r.body.orders.map((o) => o.order_id);
    const pub = await call(B, 'GET', '/api/orders?limit=1000');
    expect(ids(pub)).toContain(anon.body.order_id);
    expect(ids(pub)).not.toContain(mine.body.order_id);
    expect(ids(await call(B, 'GET', '/api/orders', undefined, alice.token))).toEqual([mine.body.order_id]);
    expect(ids(await call(B, 'GET', '/api/orders', undefined, bob.token))).toEqual([]);
    const bad = await call(B, 'GET', '/api/orders', undefined, 'not-a-token');
    expect([bad.status, bad.body.code]).toEqual([401, 'UNAUTHORIZED']);
  }, 30_000);
});
