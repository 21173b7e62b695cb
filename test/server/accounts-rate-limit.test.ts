// Rate limiting (seed 003's gateway): the token bucket on an injected clock (exact), then
// over HTTP: an account past its burst gets 429 RATE_LIMITED with Retry-After (orders too,
// none created), recovers after waiting that long, trips are audited once and counted in
// Prometheus; anonymous requests get a per-IP bucket only when RATE_LIMIT_ANON_RPS > 0.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenBucketLimiter } from '../../src/server/accounts/limiter.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { call, signUp } from './helpers/accounts.js';

describe('token bucket (injected clock)', () => {
  it('allows the burst, then one request per 1/rps, with the exact wait', () => {
    let t = 1000;
    const l = new TokenBucketLimiter(2, 3, () => t);
    for (let i = 0; i < 3; i++) expect(l.take('a').ok).toBe(true);
    const r = l.take('a');
    expect(r).toEqual({ ok: false, retryAfterS: 1, newTrip: true });
    expect(l.take('a').newTrip).toBe(false); // one trip per run of rejections
    expect(l.take('b').ok).toBe(true); // keys are independent
    t += 499;
    expect(l.take('a').ok).toBe(false);
    t += 1; // 500 ms at 2/s = one token
    expect(l.take('a').ok).toBe(true);
    expect(l.take('a')).toMatchObject({ ok: false, newTrip: true });
    t += 60_000; // refills up to the burst, not beyond
    for (let i = 0; i < 3; i++) expect(l.take('a').ok).toBe(true);
    expect(l.take('a').ok).toBe(false);
    expect([l.allowed, l.rejected]).toEqual([8, 5]);
  });

  it('Retry-After rounds the wait up to whole seconds', () => {
    let t = 0;
    const l = new TokenBucketLimiter(0.1, 1, () => t);
    expect(l.take('k').ok).toBe(true);
    expect(l.take('k').retryAfterS).toBe(10);
    t += 9_500;
    expect(l.take('k').retryAfterS).toBe(1);
    expect(new TokenBucketLimiter(0, 0, () => t).enabled).toBe(false);
  });
});

describe('rate limiting over HTTP', () => {
  let srv: TestServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'simex-rl-'));
    srv = await startTestServer({
      // 0.2/s: a token every 5 s, so "the next request is refused" holds on a loaded machine.
      SHARD_MODE: 'inline', RATE_LIMIT_ACCOUNT_RPS: '0.2', RATE_LIMIT_ACCOUNT_BURST: '3',
      RATE_LIMIT_ANON_RPS: '0.2', RATE_LIMIT_ANON_BURST: '4', RATE_LIMIT_AUTH_RPS: '0.2', RATE_LIMIT_AUTH_BURST: '3',
      AUDIT_LOG_FILE: path.join(dir, 'audit.log'),
    });
  }, 30_000);
  afterAll(async () => {
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an account past its burst gets 429 + Retry-After, then recovers', async () => {
    const B = srv.base;
    const u = await signUp(B, 'kate'); // 2 of the IP's auth bucket (register, login)
    for (let i = 0; i < 3; i++) expect((await call(B, 'GET', '/api/account/balance', undefined, u.token)).status).toBe(200);
    const r = await call(B, 'GET', '/api/account/balance', undefined, u.token);
    expect(r.status).toBe(429);
    expect(r.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(typeof r.body.error).toBe('string');
    const wait = Number(r.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(5);
    const o = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', quantity: '0.001', price: '100' }, u.token);
    expect([o.status, o.body.code]).toEqual([429, 'RATE_LIMITED']);
    expect(o.headers.get('retry-after')).not.toBeNull();

    await new Promise((res) => setTimeout(res, wait * 1000 + 50));
    // Recovered (the bucket's next token), and the refused POST left no order of the account.
    const mine = await call(B, 'GET', '/api/orders', undefined, u.token);
    expect([mine.status, mine.body.count]).toEqual([200, 0]);

    const audit = readFileSync(path.join(dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const trips = audit.filter((l) => l.event === 'rate_limited' && l.scope === 'account');
    expect(trips).toHaveLength(1); // two rejections in a row: one trip
    expect(trips[0]).toMatchObject({ log_type: 'audit', service: 'audit', user_id: u.userId, username: 'kate' });

    const m = await fetch(`${B}/metrics`).then((x) => x.text());
    expect(m).toMatch(/^simex_rate_limit_rejected_total\{scope="account"\} 2$/m);
  });

  it('anonymous requests share the per-IP bucket when RATE_LIMIT_ANON_RPS > 0', async () => {
    const B = srv.base;
    const body = { symbol: 'ETHUSD', side: 'buy', quantity: '0.001', price: '100' };
    let last = null;
    let ok = 0;
    for (let i = 0; i < 8; i++) {
      last = await call(B, 'POST', '/api/orders', body);
      if (last.status !== 201) break;
      ok++;
    }
    expect(ok).toBeLessThan(8);
    expect([last!.status, last!.body.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const m = await fetch(`${B}/metrics`).then((x) => x.text());
    expect(m).toMatch(/^simex_rate_limit_rejected_total\{scope="anonymous"\} [1-9]/m);
    // The other public REST routes share the bucket; health probes are never limited.
    const ob = await call(B, 'GET', '/api/orderbook/ETHUSD');
    expect([ob.status, ob.body.code]).toEqual([429, 'RATE_LIMITED']);
    expect((await call(B, 'GET', '/health')).status).toBe(200);
    // An account's requests are not charged to the IP's anonymous bucket.
    const u = await signUp(B, 'leo');
    expect((await call(B, 'GET', '/api/account/balance', undefined, u.token)).status).toBe(200);
  });

  it('register/login have their own per-IP bucket (RATE_LIMIT_AUTH_RPS), on by default', async () => {
    const B = srv.base;
    const codes: number[] = [];
    let last = null;
    for (let i = 0; i < 8 && !codes.includes(429); i++) {
      last = await call(B, 'POST', '/api/auth/login', { username: 'kate', password: 'correct-horse-battery' });
      codes.push(last.status);
    }
    expect(codes[codes.length - 1]).toBe(429);
    expect(codes.slice(0, -1).every((c) => c === 200)).toBe(true);
    expect(last!.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    const audit = readFileSync(path.join(dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit.filter((l) => l.event === 'rate_limited' && l.scope === 'auth')).toHaveLength(1);
    expect(audit.find((l) => l.event === 'rate_limited' && l.scope === 'auth')).toMatchObject({ ip: '127.0.0.1' });
  });
});
