// TokenService on an injected clock: a token is valid until its exp, 401 "token expired"
// from then on; a revoked jti stays denied until its expiry; per-process secrets do not
// verify each other's tokens (tokens die with a restart). Password hashes: salted scrypt.
import { describe, expect, it } from 'vitest';
import { TokenService, hashPassword, verifyPassword } from '../../src/server/accounts/auth.js';

describe('tokens on an injected clock', () => {
  it('expire at exp, not before', async () => {
    let now = Date.UTC(2030, 0, 1, 12, 0, 0);
    const ts = new TokenService({ secret: 'x'.repeat(32), ttlS: 600, now: () => now });
    const { token, claims } = await ts.issue('user-1');
    expect(claims.exp).toBe(now / 1000 + 600);
    now += 599_000;
    expect(await ts.verify(`Bearer ${token}`)).toMatchObject({ userId: 'user-1', jti: claims.jti });
    now += 1_000;
    await expect(ts.verify(`Bearer ${token}`)).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED', message: 'token expired' });
  });

  it('revocation holds until expiry; a random secret is per instance', async () => {
    let now = 1_900_000_000_000;
    const ts = new TokenService({ secret: null, ttlS: 60, now: () => now });
    expect(ts.ephemeral).toBe(true);
    const a = await ts.issue('u');
    const b = await ts.issue('u');
    ts.revoke((await ts.verify(`Bearer ${a.token}`)));
    await expect(ts.verify(`Bearer ${a.token}`)).rejects.toMatchObject({ message: 'token revoked' });
    expect((await ts.verify(`Bearer ${b.token}`)).jti).toBe(b.claims.jti);
    const restarted = new TokenService({ secret: null, ttlS: 60, now: () => now });
    await expect(restarted.verify(`Bearer ${b.token}`)).rejects.toMatchObject({ message: 'invalid token' });
    now += 61_000;
    await expect(ts.verify(`Bearer ${a.token}`)).rejects.toMatchObject({ message: 'token expired' });
    expect(() => new TokenService({ secret: 'short', ttlS: 60, now: () => now })).toThrow(/32 bytes/);
  });

  it('passwords: salted scrypt, verified in constant form, unknown users fail', async () => {
    const h1 = await hashPassword('hunter2-hunter2');
    const h2 = await hashPassword('hunter2-hunter2');
    expect(h1).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(h1).not.toBe(h2); // salted
    expect(h1).not.toContain('hunter2');
    expect(await verifyPassword('hunter2-hunter2', h1)).toBe(true);
    expect(await verifyPassword('hunter2-hunter3', h1)).toBe(false);
    expect(await verifyPassword('hunter2-hunter2', null)).toBe(false);
  });
});
