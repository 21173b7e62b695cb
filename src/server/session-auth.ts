/**
 * Session authentication of binary LOGINs (SESSION_KEYS_FILE; docs/PROTOCOL.md "Session
 * authentication"). Off unless the file is configured: then every LOGIN of a non-zero
 * account must carry authTs + authMac = HMAC-SHA256(secret, src/protocol/auth.ts input).
 *
 * Keys file: JSON object {"<account id>": "<secret>", ...}, loaded once at start-up (no hot
 * reload: edit, then restart). Ids are decimal u32 strings, not 0 (anonymous, never needs a
 * credential) and not reserved (1, >= 2^30: RESERVED_ACCOUNT either way); each secret is a
 * string of at least MIN_SECRET_CHARS characters, its UTF-8 bytes are the HMAC key. Any
 * violation is a ConfigError naming the file and the account, never the secret. A file
 * readable by "other" is reported (worldReadable) for a warning, not refused.
 *
 * State: the highest authTs accepted per account (replay protection), in memory: one number
 * per account of the file (+ the simulator's and the load-test demo's), lost on restart (the 30 s window bounds what a
 * restart lets through: a LOGIN captured less than 30 s before it).
 * Cost: one HMAC (~2 µs) per LOGIN, whatever the outcome (an unknown account is checked
 * against a random key, so it takes as long as a wrong MAC).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { AUTH_WINDOW_US, MIN_SECRET_CHARS, secretKey, verifyLoginMac } from '../protocol/auth.js';
import { ENGINE_OWNER_BASE, REST_ANON_OWNER } from './accounts/store.js';
import { ConfigError } from './config.js';

/** Why a LOGIN's credential was refused (logged at info; the client only sees BAD_CREDENTIALS). */
export type AuthCause = 'no_credential' | 'unknown_account' | 'bad_mac' | 'clock_skew' | 'replay';

export interface SessionKeys {
  path: string;
  /** account -> HMAC key bytes */
  keys: Map<number, Uint8Array>;
  /** The file's mode grants read to "other" (warn). */
  worldReadable: boolean;
}

/** Read and validate a keys file. Throws ConfigError with a message fit for the operator. */
export function loadSessionKeys(path: string): SessionKeys {
  const where = `SESSION_KEYS_FILE ${path}`;
  let text: string;
  let mode: number;
  try {
    text = readFileSync(path, 'utf8');
    mode = statSync(path).mode;
  } catch (err) {
    throw new ConfigError(`${where}: cannot read: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${where}: not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ConfigError(`${where}: expected a JSON object {"<account id>": "<secret>", ...}`);
  }
  const keys = new Map<number, Uint8Array>();
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (!/^\d{1,10}$/.test(k) || Number(k) > 0xffffffff) throw new ConfigError(`${where}: key "${k}" is not an account id (decimal 0..4294967295)`);
    const account = Number(k);
    if (String(account) !== k) throw new ConfigError(`${where}: account id "${k}" has leading zeros`);
    if (account === 0) throw new ConfigError(`${where}: account 0 is anonymous and logs in without a credential; remove it`);
    if (account === REST_ANON_OWNER || account >= ENGINE_OWNER_BASE) {
      throw new ConfigError(`${where}: account ${account} is reserved by the server (1 and >= 2^30 are refused RESERVED_ACCOUNT); remove it`);
    }
    if (typeof v !== 'string') throw new ConfigError(`${where}: account ${account}: the secret must be a JSON string`);
    const chars = [...v].length;
    if (chars < MIN_SECRET_CHARS) {
      throw new ConfigError(`${where}: account ${account}: secret is ${chars} characters, at least ${MIN_SECRET_CHARS} required (e.g. \`openssl rand -hex 32\`)`);
    }
    keys.set(account, secretKey(v));
  }
  return { path, keys, worldReadable: (mode & 0o004) !== 0 };
}

export class SessionAuth {
  private readonly keys: Map<number, Uint8Array>;
  /** Highest authTs accepted per account. */
  private readonly lastTs = new Map<number, number>();
  /** Key an unknown account's MAC is checked against (same cost as a known one). */
  private readonly dummy = randomBytes(32);
  /** Accounts given an ephemeral secret (the in-process simulator). */
  readonly ephemeral: number[] = [];

  constructor(keys: ReadonlyMap<number, Uint8Array>, private readonly windowUs = AUTH_WINDOW_US) {
    this.keys = new Map(keys);
  }

  get accounts(): number { return this.keys.size; }

  /**
   * The key of each account, for an in-process client (the simulator): the file's when the
   * file names the account, else a fresh random one (64 hex characters, used as UTF-8 like
   * any secret) known only to this process.
   */
  secretsFor(accounts: readonly number[]): Map<number, Uint8Array> {
    const out = new Map<number, Uint8Array>();
    for (const a of accounts) {
      let k = this.keys.get(a);
      if (!k) {
        k = secretKey(randomBytes(32).toString('hex'));
        this.keys.set(a, k);
        this.ephemeral.push(a);
      }
      out.set(a, k);
    }
    return out;
  }

  /**
   * One fresh random secret (64 hex characters) for the in-process load-test demo, whose
   * generator logs in as accounts base .. base + count - 1. Given to each of those accounts
   * the file does not list; returns the secret and the accounts the file lists (their
   * connections from the demo will be refused: the file's secret wins).
   */
  sharedSecretFor(base: number, count: number): { secret: string; listed: number[] } {
    const secret = randomBytes(32).toString('hex');
    const key = secretKey(secret);
    const listed: number[] = [];
    for (let a = base; a < base + count; a++) {
      if (this.keys.has(a)) listed.push(a);
      else this.keys.set(a, key);
    }
    return { secret, listed };
  }

  /**
   * Check a LOGIN's credential for a non-zero account; null = accepted (and its authTs
   * recorded as the account's latest), else the cause. nowUs: server clock, µs since epoch.
   */
  verify(account: number, sessionId: number, authTs: number | undefined, mac: Uint8Array | undefined, nowUs: number): AuthCause | null {
    if (authTs === undefined || mac === undefined) return 'no_credential';
    const key = this.keys.get(account);
    const ok = verifyLoginMac(key ?? this.dummy, sessionId, account, authTs, mac);
    if (!key) return 'unknown_account';
    if (!ok) return 'bad_mac';
    if (Math.abs(nowUs - authTs) > this.windowUs) return 'clock_skew';
    const last = this.lastTs.get(account);
    if (last !== undefined && authTs <= last) return 'replay';
    this.lastTs.set(account, authTs);
    return null;
  }
}
