/**
 * Account routes (seed 003). Bodies are JSON objects of at most 4 KiB; errors are
 * {error, code, field?} (http.ts), 429 adds Retry-After.
 *
 *   POST /api/auth/register   {username, password} -> 201 {user_id, username, created_at}
 *                             409 USERNAME_TAKEN, 400 BAD_USERNAME / BAD_PASSWORD / MISSING_FIELD
 *   POST /api/auth/login      {username, password} -> {access_token, token_type: "Bearer",
 *                             expires_in, user_id}; 401 INVALID_CREDENTIALS (unknown user too)
 *   POST /api/auth/logout     revokes the presented token -> {logged_out: true}
 *   GET  /api/auth/me         {user_id, username, created_at, token_expires_at}
 *   GET  /api/account/balance {user_id, balances: [{asset, total, available, reserved}]}
 *   POST /api/account/deposit  {asset, amount} -> {asset, amount, balance}
 *   POST /api/account/withdraw {asset, amount} -> same; 400 INSUFFICIENT_BALANCE
 *   GET  /api/portfolio       {total_value, assets: [...], recent_orders: [...]}
 *
 * Authenticated routes need `Authorization: Bearer <access_token>` (401 UNAUTHORIZED when
 * missing, malformed, expired, revoked) and take one token from the account's bucket;
 * register/login take one from the remote IP's auth bucket (RATE_LIMIT_AUTH_RPS, default 5/s).
 * Amounts are exact decimal strings in the asset's scale (USD 8 decimals with the default
 * instruments, BTC 6, ETH 5, ADA 1); deposits accept strings or numbers, like orders.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { AUTHORIZATION, HttpError, readJsonObject, remoteIp, sendJson, trackAbort, type ResponseState } from '../http.js';
import { OrdType, Side } from '../../engine/layout.js';
import { amountUnits, formatUnits } from './assets.js';
import { verifyPassword, hashPassword } from './auth.js';
import type { OrderHold } from './balances.js';
import { UserStore, type User } from './store.js';
import { sendAccountError, type Accounts } from './index.js';

const BODY_LIMIT = 4096;

export function registerAccountRoutes(app: TemplatedApp, accounts: Accounts): void {
  const { assets, users, tokens, audit, logger } = accounts;
  const ex = accounts.exchange;

  /** Abort tracking, headers read synchronously, every error answered (never thrown past). */
  const handle = (fn: (res: HttpResponse, req: HttpRequest, st: ResponseState, ctx: { ip: string; auth: string }) => Promise<void>) =>
    (res: HttpResponse, req: HttpRequest) => {
      const st = trackAbort(res);
      const ctx = { ip: remoteIp(res), auth: req.getHeader(AUTHORIZATION) };
      fn(res, req, st, ctx).catch((err: unknown) => sendAccountError(res, st, err, logger));
    };
  /** An authenticated route: token + account bucket, body read meanwhile when `body`. */
  const authed = (body: boolean, fn: (res: HttpResponse, st: ResponseState, user: User, b: Record<string, unknown>,
    claims: { jti: string; exp: number }, ip: string) => void) =>
    handle(async (res, _req, st, { ip, auth }) => {
      const bodyP = body ? readJsonObject(res, st, BODY_LIMIT) : Promise.resolve({});
      bodyP.catch(() => undefined);
      const { user, claims } = await accounts.authenticate(auth);
      const b = await bodyP;
      if (st.aborted) return;
      fn(res, st, user, b, claims, ip);
    });

  app.post('/api/auth/register', handle(async (res, _req, st, { ip }) => {
    accounts.limitAuth(ip);
    const body = await readJsonObject(res, st, BODY_LIMIT);
    const { username, password } = UserStore.credentials(body);
    users.reserveName(username);
    let hash: string;
    try {
      hash = await hashPassword(password);
    } catch (err) {
      users.releaseName(username);
      throw err;
    }
    const u = users.add(username, hash, accounts.now());
    accounts.count('register');
    audit.log('register', { user_id: u.id, username: u.username, ip });
    sendJson(res, st, 201, { user_id: u.id, username: u.username, created_at: u.createdAt });
  }));

  app.post('/api/auth/login', handle(async (res, _req, st, { ip }) => {
    accounts.limitAuth(ip);
    const body = await readJsonObject(res, st, BODY_LIMIT);
    const { username, password } = UserStore.credentials(body);
    accounts.checkLoginFailures(username, ip); // 429 before the scrypt
    const u = users.byUsername(username);
    const ok = await verifyPassword(password, u ? u.passwordHash : null);
    if (!u || !ok) {
      accounts.noteLoginFailure(username);
      accounts.count('login_failure');
      audit.log('login_failure', { username, reason: u ? 'bad_password' : 'unknown_user', ip });
      throw new HttpError(401, 'INVALID_CREDENTIALS', 'invalid username or password');
    }
    const { token, claims } = await tokens.issue(u.id);
    accounts.count('login_success');
    audit.log('login_success', { user_id: u.id, username: u.username, ip });
    audit.log('token_issued', { user_id: u.id, jti: claims.jti, expires_at: new Date(claims.exp * 1000).toISOString() });
    sendJson(res, st, 200, { access_token: token, token_type: 'Bearer', expires_in: tokens.ttlS, user_id: u.id });
  }));

  app.post('/api/auth/logout', authed(false, (res, st, user, _b, claims, ip) => {
    tokens.revoke({ userId: user.id, ...claims });
    accounts.count('logout');
    audit.log('logout', { user_id: user.id, username: user.username, jti: claims.jti, ip });
    sendJson(res, st, 200, { logged_out: true, user_id: user.id });
  }));

  app.get('/api/auth/me', authed(false, (res, st, user, _b, claims) => {
    sendJson(res, st, 200, {
      user_id: user.id, username: user.username, created_at: user.createdAt,
      token_expires_at: new Date(claims.exp * 1000).toISOString(),
    });
  }));

  const balances = (user: User) => assets.assets.map((a) => user.account.balanceJson(a));

  app.get('/api/account/balance', authed(false, (res, st, user) => {
    sendJson(res, st, 200, { user_id: user.id, balances: balances(user), timestamp: new Date().toISOString() });
  }));

  const move = (kind: 'deposit' | 'withdraw') => authed(true, (res, st, user, body, _c, ip) => {
    const a = assets.asset(body.asset);
    const units = amountUnits(body.amount, a);
    if (kind === 'deposit') user.account.deposit(a, units);
    else user.account.withdraw(a, units);
    const amount = formatUnits(units, a.scale);
    accounts.count(kind);
    audit.log(kind, { user_id: user.id, asset: a.name, amount, ip });
    sendJson(res, st, 200, { user_id: user.id, asset: a.name, amount, balance: user.account.balanceJson(a) });
  });
  app.post('/api/account/deposit', move('deposit'));
  app.post('/api/account/withdraw', move('withdraw'));

  app.get('/api/portfolio', authed(false, (res, st, user) => {
    const acct = user.account;
    const usd = assets.quote;
    let totalValue = 0n;
    const unpriced: string[] = [];
    const rows = assets.assets.map((a) => {
      const total = acct.total[a.ix]!;
      let price: string | null;
      let value: bigint | null;
      if (a === usd) {
        price = '1';
        value = total;
      } else {
        const inst = assets.pairs.findIndex((p) => p?.base === a);
        const b = ex.books[inst]!;
        const pd = b.priceScale;
        if (b.lastPrice > 0) {
          price = formatUnits(BigInt(b.lastPrice), pd);
          value = total * BigInt(b.lastPrice) * 10n ** BigInt(usd.scale - a.scale - pd);
        } else {
          price = null;
          value = null;
          if (total !== 0n) unpriced.push(a.name);
        }
      }
      if (value !== null) totalValue += value;
      return { ...acct.balanceJson(a), price, value: value === null ? null : formatUnits(value, usd.scale) };
    });
    const recent = [];
    for (let i = acct.recent.length - 1; i >= 0; i--) {
      const rec = acct.recent[i]!;
      const j = ex.restOrderJson(rec);
      const hold = rec.owner as OrderHold;
      recent.push({
        order_id: j.order_id, symbol: j.symbol, side: rec.side === Side.SELL ? 'sell' : 'buy',
        type: rec.ordType === OrdType.MARKET ? 'market' : 'limit', status: j.status, price: j.price, quantity: j.quantity,
        filled_quantity: j.filled_quantity, remaining_quantity: j.remaining_quantity, average_price: j.average_price,
        held: { asset: hold.spend.name, amount: formatUnits(hold.resv, hold.spend.scale) }, timestamp: j.timestamp,
      });
    }
    sendJson(res, st, 200, {
      user_id: user.id, quote_asset: usd.name, total_value: formatUnits(totalValue, usd.scale),
      valuation: 'each asset at the last trade price of its <ASSET>USD pair; assets of a pair without trades are left out of total_value',
      unpriced, assets: rows, recent_orders: recent, timestamp: new Date().toISOString(),
    });
  }));
}
