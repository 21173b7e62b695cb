// Review of seed 003 accounts: a 401 of a Bearer-protected route says how to authenticate
// (RFC 6750 §3: WWW-Authenticate: Bearer, error="invalid_token" for a bad token) besides
// the {error, code} body; a 403 (someone else's order) carries no challenge: another token
// would not help. Login's 401 INVALID_CREDENTIALS is not a Bearer challenge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { call, signUp } from './helpers/accounts.js';

describe('accounts: 401 carries a Bearer challenge, 403 does not', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARD_MODE: 'inline', SHARDS: '1' });
  }, 30_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('missing, invalid and foreign tokens', async () => {
    const B = srv.base;
    const alice = await signUp(B, 'alice');
    const bob = await signUp(B, 'bob');
    let r = await call(B, 'GET', '/api/auth/me');
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="simex"');
    r = await call(B, 'GET', '/api/account/balance', undefined, 'not-a-jwt');
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="simex", error="invalid_token"');
    r = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', quantity: '0.01', price: '100' }, `${alice.token}x`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="simex", error="invalid_token"/);

    await call(B, 'POST', '/api/account/deposit', { asset: 'USD', amount: '10' }, alice.token);
    const o = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', quantity: '0.01', price: '100' }, alice.token);
    expect(o.status).toBe(201);
    r = await call(B, 'DELETE', `/api/orders/${o.body.order_id}`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="simex"');
    r = await call(B, 'DELETE', `/api/orders/${o.body.order_id}`, undefined, bob.token);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: 'FORBIDDEN' });
    expect(r.headers.get('www-authenticate')).toBeNull();

    r = await call(B, 'POST', '/api/auth/login', { username: 'alice', password: 'wrong-password' });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('INVALID_CREDENTIALS');
    expect(r.headers.get('www-authenticate')).toBeNull();
  });
});
