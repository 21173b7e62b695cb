/**
 * Session authentication of the binary protocol (docs/PROTOCOL.md "Session authentication"):
 * the credential a LOGIN carries when the server runs with SESSION_KEYS_FILE. Pure functions,
 * shared by the client library (signs) and the server edge (verifies).
 *
 * MAC = HMAC-SHA256(key, input), key = the account's secret (a string is used as its UTF-8
 * bytes, as written in the keys file; it is NOT hex/base64-decoded), input = 33 bytes:
 *
 *     off  0  13 bytes  ASCII "SIMEX-LOGIN-1"  (domain tag + version of this scheme)
 *     off 13  u64 LE    sessionId   (as sent in the LOGIN: 0 for a new session)
 *     off 21  u32 LE    account
 *     off 25  i64 LE    authTs      (µs since the epoch, client clock; two's complement)
 *
 * Cost: one HMAC over 33 bytes (~2 µs) per LOGIN on each side; nothing per order.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Domain tag at the start of the MAC input. A new scheme gets a new tag. */
export const LOGIN_MAC_DOMAIN = 'SIMEX-LOGIN-1';
/** Bytes of the MAC input (13 + 8 + 4 + 8). */
export const LOGIN_MAC_INPUT_BYTES = 33;
/** Bytes of LOGIN.authMac (HMAC-SHA256 output). */
export const AUTH_MAC_BYTES = 32;
/** |server now - authTs| above this is refused (BAD_CREDENTIALS), µs: 30 s. */
export const AUTH_WINDOW_US = 30_000_000;
/** A secret shorter than this many characters is refused (at server start-up). */
export const MIN_SECRET_CHARS = 32;

const DOMAIN_BYTES = new TextEncoder().encode(LOGIN_MAC_DOMAIN);

/** The secret as HMAC key bytes: a string's UTF-8 bytes, a Uint8Array as is. */
export function secretKey(secret: string | Uint8Array): Uint8Array {
  return typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
}

/** The 33-byte MAC input (layout above). sessionId 0..2^53-1, account u32, authTs a safe
 *  integer; others throw RangeError (programmer error). */
export function loginMacInput(sessionId: number, account: number, authTs: number): Uint8Array {
  if (!Number.isSafeInteger(sessionId) || sessionId < 0) throw new RangeError(`sessionId ${sessionId} not a u53`);
  if (!Number.isInteger(account) || account < 0 || account > 0xffffffff) throw new RangeError(`account ${account} not a u32`);
  if (!Number.isSafeInteger(authTs)) throw new RangeError(`authTs ${authTs} not a safe integer`);
  const b = new Uint8Array(LOGIN_MAC_INPUT_BYTES);
  b.set(DOMAIN_BYTES, 0);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(13, BigInt(sessionId), true);
  dv.setUint32(21, account, true);
  dv.setBigInt64(25, BigInt(authTs), true);
  return b;
}

/** LOGIN.authMac for these fields: HMAC-SHA256(secret, loginMacInput(...)), 32 bytes. */
export function loginMac(secret: string | Uint8Array, sessionId: number, account: number, authTs: number): Uint8Array {
  const h = createHmac('sha256', secretKey(secret));
  h.update(loginMacInput(sessionId, account, authTs));
  return new Uint8Array(h.digest());
}

/** True when `mac` is the MAC of these fields under `key`; compared in constant time
 *  (crypto.timingSafeEqual; a MAC of the wrong length is false without comparing). */
export function verifyLoginMac(key: Uint8Array, sessionId: number, account: number, authTs: number, mac: Uint8Array): boolean {
  const want = loginMac(key, sessionId, account, authTs);
  if (mac.length !== want.length) return false;
  return timingSafeEqual(want, mac);
}

/** Last authTs handed out per account in this process (nextAuthTs). */
const lastAuthTs = new Map<number, number>();

/**
 * A fresh authTs for a LOGIN of `account`: the wall clock (Date.now, what NTP keeps right;
 * ms resolution) in µs, and above any value this process handed out for the account before:
 * the server accepts an account's authTs only above the last one it accepted, so two clients
 * of one account signing in the same ms, or a clock step back, still send increasing values.
 */
export function nextAuthTs(account: number): number {
  const ts = Math.max(Date.now() * 1000, (lastAuthTs.get(account) ?? 0) + 1);
  lastAuthTs.set(account, ts);
  return ts;
}
