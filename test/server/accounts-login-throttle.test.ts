// Failed logins are limited per username, whatever the remote IP (RATE_LIMIT_LOGIN_FAIL_RPS /
// _BURST): the per-IP auth bucket alone lets an attacker with many IPs guess one account's
// password without bound. Past the burst of failures a login of that username, right or
// wrong, is answered 429 RATE_LIMITED with Retry-After before any scrypt; an unknown username
// is treated the same (no enumeration); other usernames are unaffected; one audit line per
// run of refusals; the refusals count in simex_rate_limit_rejected_total{scope="login_user"}.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenBucketLimiter } from '../../src/server/accounts/limiter.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { call, signUp } from './helpers/accounts.js';

describe('TokenBucketLimiter.check', () => {
  it('answers like take without taking, and trips once per run', () => {
    let t = 0;
    const l = new TokenBucketLimiter(1, 2, () => t);
    expect(l.check('k').ok).toBe(true); // no bucket yet: full
    l.take('k');
    l.take('k');
    const a = l.check('k');
    expect([a.ok, a.retryAfterS, a.newTrip]).toEqual([false, 1, true]);
    expect(l.check('k').newTrip).toBe(false);
    t = 1000; // one token back
    expect(l.check('k').ok).toBe(true);
    expect(l.check('k').ok).toBe(true); // check took nothing
    expect(l.take('k').ok).toBe(true);
    expect(l.rejected).toBe(2);
  });
});

describe('failed logins per username over HTTP', () => {
  let srv: TestServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'simex-login-'));
    srv = await startTestServer({
      // The per-IP auth bucket off: what trips is the username's. 0.01/s: nothing refills
      // during the test, even on a loaded machine.
      SHARD_MODE: 'inline', RATE_LIMIT_AUTH_RPS: '0', RATE_LIMIT_LOGIN_FAIL_RPS: '0.01', RATE_LIMIT_LOGIN_FAIL_BURST: '3',
      AUDIT_LOG_FILE: path.join(dir, 'audit.log'),
    });
  }, 30_000);
  afterAll(async () => {
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('locks the guessed username for a while, not the others', async () => {
    const B = srv.base;
    await signUp(B, 'victim');
    await signUp(B, 'bystander');
    const login = (username: string, password: string) => call(B, 'POST', '/api/auth/login', { username, password });
    for (let i = 0; i < 3; i++) expect((await login('victim', `wrong-guess-${i}`)).status).toBe(401);
    const refused = await login('Victim', 'wrong-guess-3'); // usernames are case-insensitive
    expect([refused.status, refused.body.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The right password is refused too while the username is throttled.
    expect((await login('victim', 'correct-horse-battery')).status).toBe(429);
    // Others log in.
    const ok = await login('bystander', 'correct-horse-battery');
    expect([ok.status, ok.body.token_type]).toEqual([200, 'Bearer']);
    // Unknown usernames are throttled the same way (the answers do not tell them apart).
    for (let i = 0; i < 3; i++) expect((await login('ghost', `wrong-guess-${i}`)).status).toBe(401);
    expect((await login('ghost', 'wrong-guess-3')).status).toBe(429);

    const audit = readFileSync(path.join(dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const trips = audit.filter((l) => l.event === 'rate_limited' && l.scope === 'login_user');
    expect(trips.map((l) => l.username)).toEqual(['Victim', 'ghost']); // one line per run
    const m = await fetch(`${B}/metrics`).then((x) => x.text());
    expect(m).toMatch(/^simex_rate_limit_rejected_total\{scope="login_user"\} 3$/m);
  }, 30_000);
});
