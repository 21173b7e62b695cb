/**
 * Users and their accounts, in memory only: nothing survives a restart (no durability yet;
 * README "Accounts (optional)"). Bounded by MAX_USERS (register answers 503 beyond).
 *
 * Username: 3-32 characters of A-Z a-z 0-9 _ . - , unique case-insensitively (kept as
 * given). Password: 8-128 characters (any, counted as UTF-16 code units), never stored: only
 * its salted scrypt hash (auth.ts).
 */
import { randomInt, randomUUID } from 'node:crypto';
import { HttpError } from '../http.js';
import { Account } from './balances.js';
import type { AssetTable } from './assets.js';

export const MAX_USERS = 100_000;
/**
 * Engine owner ids of the accounts: unique, uniformly random in [ENGINE_OWNER_BASE, 2^31)
 * (below 2^31: the ring stores owner | 0), so self-trade prevention and the engine's
 * CANCEL/AMEND ownership check are per account. Random, not sequential, as a second line of
 * defence: a binary LOGIN in 1 or >= 2^30 is refused (ws-binary.ts, RESERVED_ACCOUNT), and
 * without SESSION_KEYS_FILE a binary session names its owner id with no credential, so were
 * that refusal ever lost, a guessable id would let any binary client MASS_CANCEL that
 * account's orders (one guess hits some account with probability accounts / 2^30, about
 * 1e-4 at MAX_USERS; a given one 1e-9). Anonymous REST orders keep owner 1.
 */
export const ENGINE_OWNER_BASE = 2 ** 30;
/** Engine owner of anonymous REST orders. Binary LOGIN refuses it and ids >= ENGINE_OWNER_BASE
 *  (RESERVED_ACCOUNT 131, ws-binary.ts). */
export const REST_ANON_OWNER = 1;
export const USERNAME_RE = /^[A-Za-z0-9_.-]{3,32}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

export interface User {
  id: string;
  username: string;
  /** scrypt PHC-like string (auth.ts hashPassword). */
  passwordHash: string;
  createdAt: string;
  account: Account;
}

export class UserStore {
  private readonly byName = new Map<string, User>();
  private readonly byId = new Map<string, User>();
  /** Names being registered (hashing is asynchronous): a second register of the same name
   *  meanwhile gets 409 too. */
  private readonly pending = new Set<string>();
  private readonly owners = new Set<number>();

  constructor(private readonly assets: AssetTable) {}

  get size(): number {
    return this.byId.size;
  }

  /** Validated username and password of a register/login body (400 otherwise). */
  static credentials(body: Record<string, unknown>): { username: string; password: string } {
    const { username, password } = body;
    if (username === undefined || username === null) throw new HttpError(400, 'MISSING_FIELD', 'username is required', 'username');
    if (typeof username !== 'string' || !USERNAME_RE.test(username)) {
      throw new HttpError(400, 'BAD_USERNAME', 'username must be 3-32 characters of A-Z a-z 0-9 _ . -', 'username');
    }
    if (password === undefined || password === null) throw new HttpError(400, 'MISSING_FIELD', 'password is required', 'password');
    if (typeof password !== 'string' || password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
      throw new HttpError(400, 'BAD_PASSWORD', `password must be a string of ${PASSWORD_MIN}-${PASSWORD_MAX} characters`, 'password');
    }
    return { username, password };
  }

  byUsername(name: string): User | undefined {
    return this.byName.get(name.toLowerCase());
  }

  get(id: string): User | undefined {
    return this.byId.get(id);
  }

  /** Claim `name` before hashing (409 USERNAME_TAKEN, 503 ACCOUNT_LIMIT_REACHED). */
  reserveName(name: string): void {
    const k = name.toLowerCase();
    if (this.byName.has(k) || this.pending.has(k)) throw new HttpError(409, 'USERNAME_TAKEN', 'username already registered', 'username');
    if (this.byId.size + this.pending.size >= MAX_USERS) {
      throw new HttpError(503, 'ACCOUNT_LIMIT_REACHED', `at most ${MAX_USERS} accounts (in memory)`);
    }
    this.pending.add(k);
  }

  releaseName(name: string): void {
    this.pending.delete(name.toLowerCase());
  }

  private newOwner(): number {
    let o: number;
    do o = randomInt(ENGINE_OWNER_BASE, 2 ** 31); while (this.owners.has(o));
    this.owners.add(o);
    return o;
  }

  add(name: string, passwordHash: string, now: number): User {
    const k = name.toLowerCase();
    this.pending.delete(k);
    const id = randomUUID();
    const u: User = { id, username: name, passwordHash, createdAt: new Date(now).toISOString(), account: new Account(id, this.assets, this.newOwner()) };
    this.byName.set(k, u);
    this.byId.set(id, u);
    return u;
  }
}
