// Regression (review of seed 003 accounts): a cancel or amend of an account's order that
// runs its account's token bucket dry is answered 429 RATE_LIMITED *with* Retry-After and the
// {error, code} shape, like every other 429 (it went through routes.ts's generic error
// mapping, which wrote no Retry-After).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { call, signUp } from './helpers/accounts.js';

describe('accounts: 429 on DELETE/PATCH of an owned order carries Retry-After', () => {
  let srv: TestServer;
  beforeAll(async () => {
    // 0.2 tokens/s: "the next request is refused" holds on a loaded machine.
    srv = await startTestServer({ SHARD_MODE: 'inline', SHARDS: '1', RATE_LIMIT_ACCOUNT_RPS: '0.2', RATE_LIMIT_ACCOUNT_BURST: '3' });
  }, 30_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('DELETE and PATCH past the burst: 429 + Retry-After + {error, code}', async () => {
    const B = srv.base;
    const alice = await signUp(B, 'alice');
    expect((await call(B, 'POST', '/api/account/deposit', { asset: 'USD', amount: '1000' }, alice.token)).status).toBe(200);
    const o = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', quantity: '0.01', price: '10000' }, alice.token);
    expect(o.status).toBe(201);
    expect((await call(B, 'GET', '/api/account/balance', undefined, alice.token)).status).toBe(200); // last token
    let retryAfter = 0;
    for (const [method, body] of [['DELETE', undefined], ['PATCH', { price: '9000' }]] as const) {
      const r = await call(B, method, `/api/orders/${o.body.order_id}`, body, alice.token);
      expect(r.status, method).toBe(429);
      expect(r.body, method).toMatchObject({ code: 'RATE_LIMITED' });
      expect(typeof r.body.error).toBe('string');
      expect(Number(r.headers.get('retry-after')), method).toBeGreaterThanOrEqual(1);
      retryAfter = Number(r.headers.get('retry-after'));
    }
    // Nothing changed: once the bucket refills, the owner reads the order still active.
    await new Promise((res) => setTimeout(res, retryAfter * 1000 + 50));
    const g = await call(B, 'GET', `/api/orders/${o.body.order_id}`, undefined, alice.token);
    expect([g.status, g.body.status]).toEqual([200, 'active']);
  }, 30_000);
});
