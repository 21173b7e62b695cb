// Review of seed 003 accounts, auth hardening checked without a server: the algorithm is
// pinned (HS384/HS512 tokens made with the very same secret are refused, so are tampered
// headers and payloads), a login for an unknown user runs the same scrypt as a real one
// (the work, not its timing, is asserted: no timing assertions in tests), and the logout
// deny-list drops entries whose token has expired (its size is bounded by the tokens still
// alive, not by every logout ever).
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:crypto', async (importOriginal) => {
  const m = await importOriginal<typeof import('node:crypto')>();
  return { ...m, scrypt: vi.fn(m.scrypt) };
});

const crypto = await import('node:crypto');
const { SignJWT } = await import('jose');
const { TokenService, hashPassword, verifyPassword } = await import('../../src/server/accounts/auth.js');

const SECRET = 's'.repeat(40);

describe('token verification', () => {
  it('pins HS256 and refuses tampered tokens', async () => {
    const now = Date.now();
    const ts = new TokenService({ secret: SECRET, ttlS: 600, now: () => now });
    const { token } = await ts.issue('user-1');
    expect((await ts.verify(`Bearer ${token}`)).userId).toBe('user-1');
    const key = new TextEncoder().encode(SECRET);
    const s = Math.floor(now / 1000);
    for (const alg of ['HS384', 'HS512']) {
      const other = await new SignJWT({}).setProtectedHeader({ alg }).setSubject('user-1').setJti('j').setIssuer('simex')
        .setIssuedAt(s).setExpirationTime(s + 60).sign(key);
      await expect(ts.verify(`Bearer ${other}`), alg).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED', message: 'invalid token' });
    }
    const [h, p, sig] = token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...payload, sub: 'user-2' })).toString('base64url');
    await expect(ts.verify(`Bearer ${h}.${forged}.${sig}`)).rejects.toMatchObject({ status: 401, message: 'invalid token' });
    const longer = Buffer.from(JSON.stringify({ ...payload, exp: payload.exp + 86400 })).toString('base64url');
    await expect(ts.verify(`Bearer ${h}.${longer}.${sig}`)).rejects.toMatchObject({ status: 401 });
    const hdr = Buffer.from(JSON.stringify({ alg: 'HS512', typ: 'JWT' })).toString('base64url');
    await expect(ts.verify(`Bearer ${hdr}.${p}.${sig}`)).rejects.toMatchObject({ status: 401 });
    await expect(ts.verify(`Bearer ${token}x`)).rejects.toMatchObject({ status: 401 });
    await expect(ts.verify(`bearer ${token}`)).resolves.toMatchObject({ userId: 'user-1' }); // scheme is case-insensitive
  });

  it('an unknown user costs the same scrypt as a wrong password', async () => {
    const stored = await hashPassword('right-password');
    const spy = vi.mocked(crypto.scrypt);
    spy.mockClear();
    expect(await verifyPassword('wrong-password', stored)).toBe(false);
    expect(await verifyPassword('wrong-password', null)).toBe(false);
    expect(spy).toHaveBeenCalledTimes(2);
    const [a, b] = spy.mock.calls;
    expect(a![3]).toEqual(b![3]); // same N, r, p, maxmem
    expect(a![2]).toBe(b![2]); // same key length
    expect((a![1] as Buffer).length).toBe((b![1] as Buffer).length); // same salt length
  });

  it('the deny-list forgets expired tokens', async () => {
    let now = 1_900_000_000_000;
    const ts = new TokenService({ secret: SECRET, ttlS: 60, now: () => now });
    for (let i = 0; i < 1500; i++) ts.revoke({ userId: 'u', jti: `old-${i}`, exp: now / 1000 + 60 });
    expect(ts.revokedCount).toBe(1500);
    now += 61_000; // every one of them expired
    for (let i = 0; i < 3000; i++) ts.revoke({ userId: 'u', jti: `new-${i}`, exp: now / 1000 + 60 });
    // Only live entries (plus at most one purge period of new ones) remain.
    expect(ts.revokedCount).toBeLessThanOrEqual(3000);
    const { token, claims } = await ts.issue('u');
    ts.revoke(claims);
    await expect(ts.verify(`Bearer ${token}`)).rejects.toMatchObject({ message: 'token revoked' });
  });
});
