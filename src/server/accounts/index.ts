/**
 * Optional accounts (seed 003): register/login (JWT), balances, funds held by orders,
 * portfolio, per-account / per-IP rate limiting and a security audit log. The REST API stays
 * anonymous: an anonymous POST /api/orders pays one Authorization header read and one
 * `anonLimited` check (false by default); with RATE_LIMIT_ANON_RPS > 0 the public routes are
 * registered through limitPublicRoutes.
 *
 *   store.ts     users (in memory), username/password rules
 *   auth.ts      scrypt password hashes, JWT HS256 (jose), logout deny-list
 *   balances.ts  per-account bigint balances, OrderHold (the settlement hooks the exchange
 *                calls for an account's REST order: RestOrderOwner in exchange.ts)
 *   limiter.ts   token buckets
 *   audit.ts     the security audit log
 *   routes.ts    registerAccountRoutes(app, accounts): /api/auth/*, /api/account/*, /api/portfolio
 *
 * Configuration (environment, read once at start):
 *   AUTH_JWT_SECRET          HS256 secret (>= 32 bytes); unset: random per process
 *   AUTH_TOKEN_TTL_S         token lifetime, default 3600
 *   RATE_LIMIT_ACCOUNT_RPS   per-account bucket refill per second, default 100 (0 = off)
 *   RATE_LIMIT_ACCOUNT_BURST per-account bucket size, default 200
 *   RATE_LIMIT_ANON_RPS      per-remote-IP bucket for anonymous requests, default 0 = off
 *   RATE_LIMIT_ANON_BURST    default 2 x RATE_LIMIT_ANON_RPS
 *   RATE_LIMIT_AUTH_RPS      per-remote-IP bucket for register/login, default 5 (0 = off):
 *                            each attempt costs a ~50 ms scrypt, and guessing is bounded
 *   RATE_LIMIT_AUTH_BURST    default 30
 *   RATE_LIMIT_LOGIN_FAIL_RPS per-username bucket of FAILED logins, default 0.1 (one per 10 s
 *                            sustained; 0 = off): guessing one account's password from many
 *                            IPs is bounded too. An empty bucket answers 429 before scrypt.
 *   RATE_LIMIT_LOGIN_FAIL_BURST default 10
 *   AUDIT_LOG_FILE           security audit lines go to this file instead of stdout
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import client from 'prom-client';
import type { InstrumentSpec } from '../../engine/types.js';
import { HttpError, onJsonObject, remoteIp, sendHttpError, type ResponseState } from '../http.js';
import type { BookState, Exchange, RestOrder } from '../exchange.js';
import type { Logger } from '../logger.js';
import { AssetTable } from './assets.js';
import { TokenService, unauthorized } from './auth.js';
import { Ledger } from './balances.js';
import { TokenBucketLimiter } from './limiter.js';
import { SecurityAudit } from './audit.js';
import { UserStore, type User } from './store.js';

export { registerAccountRoutes } from './routes.js';

/** 429 with Retry-After: the header travels on the error (HttpError.headers), so every
 *  error path that answers with sendHttpError writes it (routes.ts's DELETE/PATCH owner
 *  checks too, not only sendAccountError). */
export class RateLimitedError extends HttpError {
  constructor(readonly retryAfterS: number) {
    super(429, 'RATE_LIMITED', `rate limit exceeded: retry after ${retryAfterS} s`);
    this.headers = { 'Retry-After': String(retryAfterS) };
  }
}

export interface AccountsConfig {
  jwtSecret: string | null;
  tokenTtlS: number;
  accountRps: number;
  accountBurst: number;
  anonRps: number;
  anonBurst: number;
  authRps: number;
  authBurst: number;
  loginFailRps: number;
  loginFailBurst: number;
  auditLogFile: string | null;
}

function envNum(env: NodeJS.ProcessEnv, name: string, dflt: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return dflt;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) throw new RangeError(`${name} must be a number from ${min} to ${max}, got ${raw}`);
  return v;
}

export function accountsConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AccountsConfig {
  const accountRps = envNum(env, 'RATE_LIMIT_ACCOUNT_RPS', 100, 0, 1e9);
  const anonRps = envNum(env, 'RATE_LIMIT_ANON_RPS', 0, 0, 1e9);
  const authRps = envNum(env, 'RATE_LIMIT_AUTH_RPS', 5, 0, 1e9);
  return {
    jwtSecret: env.AUTH_JWT_SECRET?.trim() || null,
    tokenTtlS: envNum(env, 'AUTH_TOKEN_TTL_S', 3600, 1, 30 * 86400),
    accountRps,
    accountBurst: envNum(env, 'RATE_LIMIT_ACCOUNT_BURST', Math.max(1, accountRps * 2), 1, 1e9),
    anonRps,
    anonBurst: envNum(env, 'RATE_LIMIT_ANON_BURST', Math.max(1, anonRps * 2), 1, 1e9),
    authRps,
    authBurst: envNum(env, 'RATE_LIMIT_AUTH_BURST', 30, 1, 1e9),
    loginFailRps: envNum(env, 'RATE_LIMIT_LOGIN_FAIL_RPS', 0.1, 0, 1e9),
    loginFailBurst: envNum(env, 'RATE_LIMIT_LOGIN_FAIL_BURST', 10, 1, 1e9),
    auditLogFile: env.AUDIT_LOG_FILE?.trim() || null,
  };
}

export interface AccountsDeps {
  exchange: Exchange;
  logger: Logger;
  instruments: readonly InstrumentSpec[];
  config: AccountsConfig;
  /** Wall clock, ms since epoch (tokens). Default Date.now. */
  now?: () => number;
  /** Monotonic clock, ms (token buckets). Default performance.now. */
  mono?: () => number;
  audit?: SecurityAudit;
}

/** What POST /api/orders hands to routes.ts's placeOrder for an authenticated order. */
export interface OrderAccount {
  /** Reserve for a NEW order (400 INSUFFICIENT_BALANCE / UNSUPPORTED_SYMBOL / NO_LIQUIDITY,
   *  nothing changed) -> the price to submit (a market buy's protection price, see
   *  Ledger.open) and `attach`, to call with the created record. */
  open(b: BookState, side: number, ordType: number, price: number, qty: number): { price: number; attach(rec: RestOrder): void };
}

export type PlaceOrder = (body: Record<string, unknown>, res: HttpResponse, st: ResponseState, acct: OrderAccount) => void;
export type FailOrder = (err: unknown, res: HttpResponse, st: ResponseState) => void;

export class Accounts {
  readonly assets: AssetTable;
  readonly users: UserStore;
  readonly tokens: TokenService;
  readonly ledger: Ledger;
  readonly accountLimiter: TokenBucketLimiter;
  readonly anonLimiter: TokenBucketLimiter;
  readonly authLimiter: TokenBucketLimiter;
  /** Failed logins per username (lower case), whatever the IP (RATE_LIMIT_LOGIN_FAIL_RPS). */
  readonly loginFailLimiter: TokenBucketLimiter;
  /** RATE_LIMIT_ANON_RPS > 0: the one check anonymous POST /api/orders pays. */
  readonly anonLimited: boolean;
  readonly audit: SecurityAudit;
  readonly exchange: Exchange;
  readonly logger: Logger;
  readonly now: () => number;
  /** Security events so far (simex_auth_events_total). */
  readonly events = new Map<string, number>();

  constructor(deps: AccountsDeps) {
    this.exchange = deps.exchange;
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
    const mono = deps.mono ?? (() => performance.now());
    const c = deps.config;
    this.assets = new AssetTable(deps.instruments);
    this.users = new UserStore(this.assets);
    this.tokens = new TokenService({ secret: c.jwtSecret, ttlS: c.tokenTtlS, now: this.now });
    this.ledger = new Ledger(this.assets, deps.logger);
    this.accountLimiter = new TokenBucketLimiter(c.accountRps, c.accountBurst, mono);
    this.anonLimiter = new TokenBucketLimiter(c.anonRps, c.anonBurst, mono);
    this.authLimiter = new TokenBucketLimiter(c.authRps, c.authBurst, mono);
    this.loginFailLimiter = new TokenBucketLimiter(c.loginFailRps, c.loginFailBurst, mono);
    this.anonLimited = this.anonLimiter.enabled;
    this.audit = deps.audit ?? new SecurityAudit(c.auditLogFile ?? deps.logger);
  }

  count(event: string): void {
    this.events.set(event, (this.events.get(event) ?? 0) + 1);
  }

  /** `Authorization` value -> the user (401 UNAUTHORIZED), then the account's bucket (429). */
  async authenticate(authorization: string): Promise<{ user: User; claims: { jti: string; exp: number } }> {
    const claims = await this.tokens.verify(authorization);
    const user = this.users.get(claims.userId);
    if (!user) throw unauthorized('invalid token');
    this.limitAccount(user);
    return { user, claims };
  }

  /** One token of `key`'s bucket, or 429 (the first rejection of a run is audited). */
  private charge(l: TokenBucketLimiter, key: string, scope: string, who: Record<string, string>): void {
    if (!l.enabled) return;
    const r = l.take(key);
    if (r.ok) return;
    if (r.newTrip) this.audit.log('rate_limited', { scope, ...who, retry_after_s: r.retryAfterS });
    throw new RateLimitedError(r.retryAfterS);
  }

  /** The account's bucket (RATE_LIMIT_ACCOUNT_RPS). */
  limitAccount(user: User): void {
    this.charge(this.accountLimiter, user.id, 'account', { user_id: user.id, username: user.username });
  }

  /** Anonymous bucket of `ip` (RATE_LIMIT_ANON_RPS; off by default). */
  limitAnon(ip: string): void {
    this.charge(this.anonLimiter, ip, 'anonymous', { ip });
  }

  /** Register/login bucket of `ip` (RATE_LIMIT_AUTH_RPS). */
  limitAuth(ip: string): void {
    this.charge(this.authLimiter, ip, 'auth', { ip });
  }

  /** Before a login's password check: 429 when `username` has used up its failed-login
   *  bucket (RATE_LIMIT_LOGIN_FAIL_RPS), so a run of guesses costs no scrypt. */
  checkLoginFailures(username: string, ip: string): void {
    const l = this.loginFailLimiter;
    if (!l.enabled) return;
    const r = l.check(username.toLowerCase());
    if (r.ok) return;
    if (r.newTrip) this.audit.log('rate_limited', { scope: 'login_user', username, ip, retry_after_s: r.retryAfterS });
    throw new RateLimitedError(r.retryAfterS);
  }

  /** After a failed login: one token of the username's failed-login bucket. */
  noteLoginFailure(username: string): void {
    const l = this.loginFailLimiter;
    if (!l.enabled) return;
    l.take(username.toLowerCase());
  }

  /** Anonymous POST /api/orders with the anonymous limiter on: false = 429 already sent. */
  allowAnon(res: HttpResponse, st: ResponseState | null): boolean {
    try {
      this.limitAnon(remoteIp(res));
      return true;
    } catch (err) {
      sendAccountError(res, st, err, this.logger);
      return false;
    }
  }

  /**
   * `app` for registerApiRoutes when RATE_LIMIT_ANON_RPS > 0 (otherwise `app` itself: no
   * cost): each route handler first takes one token of the remote IP's anonymous bucket and
   * answers 429 without running when it is empty (the seed's gateway, for the public REST
   * routes). Not wrapped: POST /api/orders (it limits itself: the IP for anonymous orders,
   * the account for Bearer ones) and GET /health (load-balancer probes). Wrapped routes are
   * charged to the IP whatever headers they carry (an Authorization header must not be a
   * way around the limit), so a Bearer cancel also takes an IP token. The 429 is written
   * synchronously inside the handler, so no abort tracking is needed for it.
   */
  limitPublicRoutes(app: TemplatedApp): TemplatedApp {
    if (!this.anonLimited) return app;
    type Handler = (res: HttpResponse, req: HttpRequest) => void;
    const methods = new Set(['get', 'post', 'put', 'del', 'patch', 'options', 'head', 'any']);
    return new Proxy(app, {
      get: (target, prop) => {
        const v = Reflect.get(target, prop, target) as unknown;
        if (typeof v !== 'function') return v;
        const fn = v as (...a: unknown[]) => unknown;
        if (typeof prop !== 'string' || !methods.has(prop)) return fn.bind(target);
        return (pattern: string, handler: Handler) => {
          if ((prop === 'post' && pattern === '/api/orders') || pattern === '/health') fn.call(target, pattern, handler);
          else fn.call(target, pattern, (res: HttpResponse, req: HttpRequest) => {
            if (this.allowAnon(res, null)) handler(res, req);
          });
          return target;
        };
      },
    });
  }

  /**
   * POST /api/orders with an Authorization header: the body is read while the token is
   * verified; then the account's bucket, then `place` (routes.ts placeOrder) with the
   * account. Every error goes to `fail` (a 429 is answered here, with Retry-After). Call
   * synchronously in the handler, after trackAbort.
   */
  order(res: HttpResponse, st: ResponseState, authorization: string, place: PlaceOrder, fail: FailOrder): void {
    const who = this.authenticate(authorization);
    who.catch(() => undefined); // handled below, once the body is in (or never: body error)
    onJsonObject(res, st, (body) => {
      who.then(({ user }) => {
        if (st.aborted) return;
        try {
          place(body, res, st, this.orderAccount(user));
        } catch (err) {
          fail(err, res, st);
        }
      }, (err: unknown) => {
        if (err instanceof RateLimitedError) sendAccountError(res, st, err, this.logger);
        else fail(err, res, st);
      });
    }, fail);
  }

  private orderAccount(user: User): OrderAccount {
    const ex = this.exchange;
    return {
      open: (b, side, ordType, price, qty) => {
        const o = this.ledger.open(user.account, b, () => ex.depth(b, 1000).asks, side, ordType, price, qty,
          (authorization) => this.authorizeOwner(authorization, user));
        return {
          price: o.price,
          attach: (rec: RestOrder) => {
            rec.owner = o.hold;
            user.account.remember(rec);
          },
        };
      },
    };
  }

  /** Cancel/amend of `owner`'s order: its token (401), nobody else's (403). */
  private async authorizeOwner(authorization: string, owner: User): Promise<void> {
    if (authorization.length === 0) {
      throw unauthorized("this order belongs to an account: send its Authorization: Bearer <token>", false);
    }
    const { user } = await this.authenticate(authorization);
    if (user.id !== owner.id) throw new HttpError(403, 'FORBIDDEN', "this order belongs to another account");
  }

  /** Prometheus series on `registry` (the metrics hub's), read at scrape time. */
  registerMetrics(registry: client.Registry): void {
    const self = this;
    const scopes = [['account', this.accountLimiter], ['anonymous', this.anonLimiter], ['auth', this.authLimiter],
      ['login_user', this.loginFailLimiter]] as const;
    // Counters copied from the limiters' own counts at scrape time (nothing per request).
    const perScope = (name: string, help: string, read: (l: TokenBucketLimiter) => number) => new client.Counter({
      name, help, labelNames: ['scope'], registers: [registry],
      collect() {
        this.reset();
        for (const [s, l] of scopes) this.inc({ scope: s }, read(l));
      },
    });
    perScope('simex_rate_limit_rejected_total', 'Requests answered 429 RATE_LIMITED by the token buckets', (l) => l.rejected);
    perScope('simex_rate_limit_allowed_total', 'Requests a token bucket let through (only limited scopes count)', (l) => l.allowed);
    new client.Gauge({
      name: 'simex_rate_limit_buckets', help: 'Token buckets held in memory (one per account / remote IP seen)',
      labelNames: ['scope'], registers: [registry],
      collect() { for (const [s, l] of scopes) this.set({ scope: s }, l.size); },
    });
    new client.Gauge({
      name: 'simex_accounts', help: 'Registered accounts (in memory)', registers: [registry],
      collect() { this.set(self.users.size); },
    });
    new client.Counter({
      name: 'simex_accounts_overdrawn_total',
      help: 'Fills settled beyond the funds an account held (two amends of one order in flight at once racing a fill); logged at most once per second',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(self.ledger.overdrafts);
      },
    });
    new client.Counter({
      name: 'simex_auth_events_total', help: 'Security events written to the audit log, by event',
      labelNames: ['event'], registers: [registry],
      collect() {
        this.reset();
        for (const [e, n] of self.events) this.inc({ event: e }, n);
      },
    });
  }
}

/** sendHttpError (a 429's Retry-After comes with the error); unknown errors logged and answered 500. */
export function sendAccountError(res: HttpResponse, st: ResponseState | null, err: unknown, logger: Logger): void {
  if (!(err instanceof HttpError)) logger.error({ err: String((err as Error)?.stack ?? err) }, 'account request failed');
  sendHttpError(res, st, err);
}
