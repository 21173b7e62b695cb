// Access tokens: login's shape (JWT HS256, sub = user_id, exp = iat + AUTH_TOKEN_TTL_S),
// the secret from AUTH_JWT_SECRET, and 401 UNAUTHORIZED for missing, malformed, foreign,
// expired, unknown-subject and revoked (logout) tokens — on account routes and on orders,
// where nothing is created. Register/login input rules and the one 401 for both bad
// password and unknown user; an account's order is cancelled only with its own token.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { startTestServer, type TestServer } from './helpers/server.js';
import { call, signUp } from './helpers/accounts.js';

const SECRET = 'test-secret-0123456789-abcdefghijklmnop';
const TTL = 120;
let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ SHARD_MODE: 'inline', AUTH_JWT_SECRET: SECRET, AUTH_TOKEN_TTL_S: String(TTL) });
}, 30_000);
afterAll(async () => {
  await srv?.stop();
});

async function mint(sub: string, opts: { secret?: string; iat?: number; exp?: number; iss?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setJti(randomBytes(8).toString('hex'))
    .setIssuer(opts.iss ?? 'simex').setIssuedAt(opts.iat ?? now).setExpirationTime(opts.exp ?? now + 60)
    .sign(new TextEncoder().encode(opts.secret ?? SECRET));
}

describe('accounts: tokens', () => {
  it('login issues an HS256 JWT for the user with the configured lifetime', async () => {
    const B = srv.base;
    const reg = await call(B, 'POST', '/api/auth/register', { username: 'erin', password: 'pass-word-1' });
    expect(reg.status).toBe(201);
    expect(Object.keys(reg.body).sort()).toEqual(['created_at', 'user_id', 'username']);
    const l = await call(B, 'POST', '/api/auth/login', { username: 'ERIN', password: 'pass-word-1' }); // names case-insensitive
    expect(l.status).toBe(200);
    expect(l.body).toMatchObject({ token_type: 'Bearer', expires_in: TTL, user_id: reg.body.user_id });
    expect(decodeProtectedHeader(l.body.access_token).alg).toBe('HS256');
    const claims = decodeJwt(l.body.access_token);
    expect(claims.sub).toBe(reg.body.user_id);
    expect(claims.exp! - claims.iat!).toBe(TTL);
    expect(typeof claims.jti).toBe('string');
    const me = await call(B, 'GET', '/api/auth/me', undefined, l.body.access_token);
    expect(me.body).toMatchObject({ user_id: reg.body.user_id, username: 'erin', token_expires_at: new Date(claims.exp! * 1000).toISOString() });
    // A token the test signs with the same secret is accepted: the server uses AUTH_JWT_SECRET.
    expect((await call(B, 'GET', '/api/auth/me', undefined, await mint(reg.body.user_id))).status).toBe(200);
  });

  it('answers 401 UNAUTHORIZED for every bad token, and places no order with one', async () => {
    const B = srv.base;
    const u = await signUp(B, 'frank');
    const now = Math.floor(Date.now() / 1000);
    const bad: [string, Record<string, string>, RegExp][] = [
      ['missing', {}, /missing/],
      ['basic', { authorization: 'Basic Zm9vOmJhcg==' }, /Bearer/],
      ['garbage', { authorization: 'Bearer not-a-jwt' }, /invalid/],
      ['foreign secret', { authorization: `Bearer ${await mint(u.userId, { secret: 'another-secret-of-32-bytes-or-more!!' })}` }, /invalid/],
      ['expired', { authorization: `Bearer ${await mint(u.userId, { iat: now - 7200, exp: now - 3600 })}` }, /expired/],
      ['other issuer', { authorization: `Bearer ${await mint(u.userId, { iss: 'elsewhere' })}` }, /invalid/],
      ['unknown subject', { authorization: `Bearer ${await mint('no-such-user')}` }, /invalid/],
      ['alg none', { authorization: `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: u.userId, jti: 'x', iss: 'simex', exp: now + 60 })).toString('base64url')}.` }, /invalid/],
    ];
    const before = (await call(B, 'GET', '/api/orders')).body.count;
    for (const [name, headers, msg] of bad) {
      for (const [m, p] of [['GET', '/api/account/balance'], ['GET', '/api/portfolio'], ['POST', '/api/auth/logout']] as const) {
        const r = await call(B, m, p, undefined, null, headers);
        expect([name, r.status, r.body.code], `${name} ${p}`).toEqual([name, 401, 'UNAUTHORIZED']);
        expect(r.body.error).toMatch(msg);
      }
      const o = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', quantity: '0.001', price: '100' }, null, headers);
      if (name === 'missing') expect(o.status).toBe(201); // no header = anonymous, as always
      else expect([name, o.status, o.body.code]).toEqual([name, 401, 'UNAUTHORIZED']);
    }
    expect((await call(B, 'GET', '/api/orders')).body.count).toBe(before + 1);
  });

  it('logout revokes exactly that token', async () => {
    const B = srv.base;
    const u = await signUp(B, 'grace');
    const second = (await call(B, 'POST', '/api/auth/login', { username: 'grace', password: 'correct-horse-battery' })).body.access_token;
    expect((await call(B, 'POST', '/api/auth/logout', undefined, u.token)).body).toMatchObject({ logged_out: true, user_id: u.userId });
    const r = await call(B, 'GET', '/api/account/balance', undefined, u.token);
    expect([r.status, r.body.code, r.body.error]).toEqual([401, 'UNAUTHORIZED', 'token revoked']);
    const o = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', quantity: '0.001', price: '100' }, u.token);
    expect(o.status).toBe(401);
    expect((await call(B, 'POST', '/api/auth/logout', undefined, u.token)).status).toBe(401);
    expect((await call(B, 'GET', '/api/account/balance', undefined, second)).status).toBe(200);
  });

  it('register/login input rules; one 401 for bad password and unknown user', async () => {
    const B = srv.base;
    const cases: [unknown, number, string, string?][] = [
      [{ username: 'ab', password: 'long-enough' }, 400, 'BAD_USERNAME', 'username'],
      [{ username: 'has space', password: 'long-enough' }, 400, 'BAD_USERNAME', 'username'],
      [{ username: 'x'.repeat(33), password: 'long-enough' }, 400, 'BAD_USERNAME', 'username'],
      [{ username: 42, password: 'long-enough' }, 400, 'BAD_USERNAME', 'username'],
      [{ password: 'long-enough' }, 400, 'MISSING_FIELD', 'username'],
      [{ username: 'heidi' }, 400, 'MISSING_FIELD', 'password'],
      [{ username: 'heidi', password: 'short' }, 400, 'BAD_PASSWORD', 'password'],
      [{ username: 'heidi', password: 'p'.repeat(129) }, 400, 'BAD_PASSWORD', 'password'],
      [[1, 2], 400, 'BODY_NOT_OBJECT'],
    ];
    for (const [body, status, code, field] of cases) {
      const r = await call(B, 'POST', '/api/auth/register', body);
      expect([r.status, r.body.code, r.body.field], JSON.stringify(body)).toEqual([status, code, field]);
    }
    expect((await call(B, 'POST', '/api/auth/register', { username: 'heidi.h-1', password: 'long-enough' })).status).toBe(201);
    const dup = await call(B, 'POST', '/api/auth/register', { username: 'HEIDI.H-1', password: 'other-password' });
    expect([dup.status, dup.body.code]).toEqual([409, 'USERNAME_TAKEN']);
    const wrong = await call(B, 'POST', '/api/auth/login', { username: 'heidi.h-1', password: 'wrong-password' });
    const unknown = await call(B, 'POST', '/api/auth/login', { username: 'nobody-here', password: 'wrong-password' });
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.body).toEqual({ error: 'invalid username or password', code: 'INVALID_CREDENTIALS' });
  });

  it("an account's order is cancelled and amended only with its own token", async () => {
    const B = srv.base;
    const own = await signUp(B, 'ivan');
    const other = await signUp(B, 'judy');
    await call(B, 'POST', '/api/account/deposit', { asset: 'USD', amount: '1000' }, own.token);
    const o = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', quantity: '0.001', price: '100' }, own.token);
    expect(o.status).toBe(201);
    const id = o.body.order_id;
    let r = await call(B, 'DELETE', `/api/orders/${id}`);
    expect([r.status, r.body.code]).toEqual([401, 'UNAUTHORIZED']);
    r = await call(B, 'DELETE', `/api/orders/${id}`, undefined, other.token);
    expect([r.status, r.body.code]).toEqual([403, 'FORBIDDEN']);
    r = await call(B, 'PATCH', `/api/orders/${id}`, { price: '101' }, other.token);
    expect([r.status, r.body.code]).toEqual([403, 'FORBIDDEN']);
    expect((await call(B, 'GET', `/api/orders/${id}`, undefined, own.token)).body).toMatchObject({ status: 'active', price: 100 });
    r = await call(B, 'DELETE', `/api/orders/${id}`, undefined, own.token);
    expect([r.status, r.body.status]).toEqual([200, 'cancelled']);
  });
});
