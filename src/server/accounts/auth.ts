/**
 * Passwords and access tokens of the optional accounts.
 *
 * Passwords: node's crypto.scrypt (RFC 7914, memory-hard), N=2^14 r=8 p=1 (16 MiB, ~50 ms on
 * this VM, off the event loop in libuv's thread pool), 16-byte random salt per password,
 * 32-byte key, compared with timingSafeEqual. Stored as `scrypt$16384$8$1$<salt b64>$<key b64>`.
 * No library: scrypt ships with node (OpenSSL), while the usual bcrypt/argon2 packages are
 * native addons whose install scripts we do not run (npm install --ignore-scripts). A login
 * for an unknown username hashes against a fixed dummy salt, so both failures cost the same.
 *
 * Tokens: JWT HS256 via `jose`: {sub: user_id, jti: 128 random bits, iat, exp, iss: "simex"}.
 * Secret: AUTH_JWT_SECRET (>= 32 bytes of text), or 32 random bytes per process: tokens then
 * die with a restart (so do the in-memory accounts). TTL: AUTH_TOKEN_TTL_S (default 3600).
 * Logout puts the jti on a deny-list until the token's own expiry (then it is dropped: an
 * expired token fails on exp anyway). Verification is asynchronous (WebCrypto HMAC).
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { HttpError } from '../http.js';

const SCRYPT_N = 16384;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const KEY_LEN = 32;
const SALT_LEN = 16;
const ISSUER = 'simex';

function scryptAsync(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LEN, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LEN);
  const key = await scryptAsync(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P);
  return `scrypt$${SCRYPT_N}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const DUMMY_HASH = `scrypt$${SCRYPT_N}$${SCRYPT_R}$${SCRYPT_P}$${Buffer.alloc(SALT_LEN).toString('base64')}$${Buffer.alloc(KEY_LEN).toString('base64')}`;

/** True when `password` matches `stored`; `stored` null (unknown user) hashes anyway, false. */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parts = (stored ?? DUMMY_HASH).split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const key = await scryptAsync(password, Buffer.from(parts[4]!, 'base64'), Number(parts[1]), Number(parts[2]), Number(parts[3]));
  const want = Buffer.from(parts[5]!, 'base64');
  return stored !== null && want.length === key.length && timingSafeEqual(want, key);
}

export interface TokenClaims {
  userId: string;
  jti: string;
  /** Expiry, seconds since epoch. */
  exp: number;
}

export interface TokenOptions {
  /** AUTH_JWT_SECRET; null/'' = random per process. */
  secret: string | null;
  ttlS: number;
  /** ms since epoch (tests inject one). */
  now: () => number;
}

export class TokenService {
  private readonly key: Uint8Array;
  readonly ttlS: number;
  /** True when the secret is random per process (tokens die with a restart). */
  readonly ephemeral: boolean;
  private readonly now: () => number;
  /** Revoked jti -> its token's exp (s). */
  private readonly denied = new Map<string, number>();
  private purgeAt = 1024;

  constructor(opts: TokenOptions) {
    this.ephemeral = !opts.secret;
    if (opts.secret && Buffer.byteLength(opts.secret) < 32) throw new RangeError('AUTH_JWT_SECRET must be at least 32 bytes');
    this.key = opts.secret ? new Uint8Array(Buffer.from(opts.secret, 'utf8')) : new Uint8Array(randomBytes(32));
    this.ttlS = opts.ttlS;
    this.now = opts.now;
  }

  async issue(userId: string): Promise<{ token: string; claims: TokenClaims }> {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + this.ttlS;
    const jti = randomBytes(16).toString('base64url');
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId).setJti(jti).setIssuer(ISSUER).setIssuedAt(iat).setExpirationTime(exp)
      .sign(this.key);
    return { token, claims: { userId, jti, exp } };
  }

  /**
   * `Authorization` header value -> claims. 401 UNAUTHORIZED for a missing/malformed header, a
   * bad signature, another algorithm, an expired or revoked token (the message says which;
   * the code is the same).
   */
  async verify(authorization: string): Promise<TokenClaims> {
    if (authorization.length === 0) throw unauthorized('missing Authorization: Bearer <token>', false);
    const m = /^Bearer ([A-Za-z0-9_.-]{1,4096})$/i.exec(authorization);
    if (!m) throw unauthorized('Authorization must be "Bearer <token>"', false);
    let payload;
    try {
      ({ payload } = await jwtVerify(m[1]!, this.key, {
        algorithms: ['HS256'], issuer: ISSUER, currentDate: new Date(this.now()), requiredClaims: ['sub', 'jti', 'exp'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthorized('token expired');
      throw unauthorized('invalid token');
    }
    const { sub, jti, exp } = payload;
    if (typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number') throw unauthorized('invalid token');
    if (this.denied.has(jti)) throw unauthorized('token revoked');
    return { userId: sub, jti, exp };
  }

  revoke(c: TokenClaims): void {
    this.denied.set(c.jti, c.exp);
    if (this.denied.size >= this.purgeAt) {
      const nowS = this.now() / 1000;
      for (const [j, exp] of this.denied) if (exp < nowS) this.denied.delete(j);
      this.purgeAt = Math.max(1024, this.denied.size * 2);
    }
  }

  get revokedCount(): number {
    return this.denied.size;
  }
}

/** 401 UNAUTHORIZED with the RFC 6750 challenge: `invalid` = a token was presented and
 *  refused (error="invalid_token"); otherwise none was presented. */
export function unauthorized(msg: string, invalid = true): HttpError {
  const e = new HttpError(401, 'UNAUTHORIZED', msg);
  e.headers = { 'WWW-Authenticate': invalid ? 'Bearer realm="simex", error="invalid_token"' : 'Bearer realm="simex"' };
  return e;
}
