/**
 * JSON REST API (shapes from the seed runbook, shared/seeds/000_*.txt):
 *
 *   GET    /health                         status, timestamp, services, version (503 unhealthy or
 *                                          maintenance; open breakers = degraded, 200)
 *   GET    /api/symbols                    instruments, their shard and status
 *   GET    /api/orderbook/:symbol?depth=N  L2 book (main-thread mirror, exact per command)
 *   GET    /api/trades?symbol=&limit=      recent trades, newest first
 *   POST   /api/orders                     new order -> its state after immediate matching
 *   GET    /api/orders                     recent REST orders (?symbol=&status=open|all&limit=)
 *   GET    /api/orders/:id                 one REST order (ULID)
 *   DELETE /api/orders/:id                 cancel
 *   PATCH  /api/orders/:id                 amend {price?, quantity?} (quantity = new total)
 *   POST   /admin/trading/halt|resume      stop / restart new orders and amends (seed 004)
 *   GET    /admin/trading/status
 *   POST   /admin/maintenance/enable|disable  maintenance mode: new orders/amends 503
 *   GET    /admin/maintenance/status          MAINTENANCE_MODE, cancels work (seed 004)
 *   GET    /admin/circuit-breaker/status      [{pair, open, reason, opened_at, ...}] per symbol
 *   GET    /admin/circuit-breaker/history     {last_24h: [...]} (in memory, bounded)
 *   POST   /admin/circuit-breaker/activate-all | reset-all | reset/:pair
 *          (open/close breakers; an open pair's new orders/amends get 503 CIRCUIT_BREAKER_OPEN)
 *   GET    /admin/migration/status|summary    live engine migration per pair (admin/migration.ts)
 *   POST   /admin/migration/percentage|complete|emergency-stop|stop-all
 *   POST   /admin/test/shards/:n/crash     test-only (SIMEX_TEST_ROUTES=true): kill a shard
 *
 * Errors: {error, code, field?} with 400 (bad input), 404 (unknown symbol/order/route),
 * 409 (order not open), 413 (body > 64 KiB), 422 (engine rejected: the order body plus
 * code/error), 503 (shard unavailable, halted, maintenance, breaker open, overloaded). Nothing here throws past the
 * handler: every async path ends in sendHttpError.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { writeSync } from 'node:fs';
import { pino } from 'pino';
import { AmendCmdFlags, CmdType, Flags, OrdType, Side, StpMode, Tif } from '../engine/layout.js';
import { DecimalError, toUnits, unitsToNumber } from '../protocol/decimal.js';
import { EdgeReason, reasonName, reasonText } from '../protocol/reasons.js';
import { Origin } from '../shard/types.js';
import {
  AUTHORIZATION, HttpError, intParam, onJsonObject, queryOf, readJsonObject, remoteIsLoopback, sendError, sendHttpError, sendJson, sendJsonText, trackAbort,
  type ResponseState,
} from './http.js';
import { tifName, toDec, tradeJson, type BookState, type Exchange, type RestCtx, type RestOrder } from './exchange.js';
import type { ShardPool } from '../shard/pool.js';
import type { Logger } from './logger.js';
import type { TradingControl } from './trading-control.js';
import { registerMigrationRoutes } from './admin/migration.js';
import type { Accounts, OrderAccount } from './accounts/index.js';
import { REST_ANON_OWNER } from './accounts/store.js';

/** performance.timeOrigin is a getter: read it once. */
const TIME_ORIGIN = performance.timeOrigin;

export interface RouteDeps {
  exchange: Exchange;
  pool: ShardPool;
  logger: Logger;
  health: () => { status: string; body: Record<string, unknown> };
  testRoutes: boolean;
  adminToken: string | null;
  /** True while shutting down: new orders get 503. */
  draining: () => boolean;
  /** Count of REST requests in flight (graceful shutdown waits for 0). */
  inflight: { n: number };
  /** Maintenance / circuit breakers (trading-control.ts). */
  control: TradingControl;
  /** Optional accounts (src/server/accounts): Bearer orders reserve and settle funds. */
  accounts?: Accounts | null;
}


/** A REST command unanswered by its shard for this long (+ up to 1 s) gets 503. Env
 *  REST_TIMEOUT_S (whole seconds >= 1, read once) exists for tests that need a command to
 *  time out and still execute later (the chaos latency fault holds at most 5 s). */
const REST_TIMEOUT_S = Math.max(1, Math.floor(Number(process.env.REST_TIMEOUT_S) || 10));

/** Audit lines wait at most this long before their batch is written. */
const AUDIT_FLUSH_MS = 5;
/** Bound of each AuditLog fragment cache (entries). */
const FRAGMENTS_KEPT = 256;

/**
 * The REST audit lines ("Order placed", "Order rejected", info level, one per order: the
 * runbook's audit trail), queued and written with ONE stream write per AUDIT_FLUSH_MS (and at
 * process exit) instead of one pino call + one write(2) per line. Cost: a template string per
 * order plus at most 200 write(2)/s. Before, pino serialization + one write(2) per line were
 * 23 % of the main thread's profile at 87 µs of server CPU per request (--cpu-prof, wrk, 64
 * connections); one write per shard drain (a microtask) still cost 6 % (perf), drains being
 * only ~10-20 orders.
 *
 * Lines are byte-identical to what the server logger (createLogger in logger.ts: level
 * label upper-case, then `time` ISO, then the fields, then `msg`) prints for
 * `logger.info(fields, msg)`; test/server/rest-audit-log.test.ts checks it. Every field is a
 * number or one of our own ASCII tokens (ULID, symbol: A-Z0-9, side, type, status, reason
 * name), so no JSON escaping is needed. Ordering: a line logged directly through pino while
 * lines are queued (within those 5 ms) lands before them. A logger with bindings (a child) or
 * without a stream takes the plain `logger.info` path.
 */
/** `s` as one flat string (a template result is a tree of concatenations): reused fragments
 *  are then copied, not walked, each time a batch containing them is flattened. ASCII only. */
function flat(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

/** The logger's destination as AuditLog uses it (a sonic-boom for createLogger's loggers). */
interface AuditStream {
  write(s: string): unknown;
  readonly fd?: unknown;
  readonly sync?: unknown;
}

export class AuditLog {
  private readonly stream: AuditStream | null;
  private buf = '';
  private queued = false;
  private isoMs = -1;
  private iso = '';
  private readonly flushNow = (): void => this.flush();

  constructor(private readonly logger: Logger) {
    const st = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as { write?: unknown } | undefined;
    const plain = typeof logger.bindings === 'function' && Object.keys(logger.bindings()).length === 0;
    this.stream = plain && st && typeof st.write === 'function' ? (st as AuditStream) : null;
    if (this.stream) LIVE_AUDIT_LOGS.add(this);
  }

  get enabled(): boolean {
    return this.logger.isLevelEnabled('info');
  }

  /** `{"level":"INFO","time":"...",` — pino's prefix; rebuilt once per ms. */
  private prefix(): string {
    const ms = Date.now();
    if (ms !== this.isoMs) {
      this.isoMs = ms;
      this.iso = flat(`{"level":"INFO","time":"${new Date(ms).toISOString()}",`);
    }
    return this.iso;
  }

  /**
   * Constant runs of a placed line, kept per (symbol, side, type) and per status, so a line is
   * ~10 pieces instead of ~20: fewer string concatenations per order and a shallower string
   * for the batch write to flatten (~0.2 µs less per line, measured in a loop of 150-line
   * batches). At most FRAGMENTS_KEPT of each (the callers pass the configured symbols and
   * the engine's fixed words); others are built per line.
   */
  private readonly mids = new Map<string, (string | undefined)[]>();
  private readonly statusMids = new Map<string, string>();
  private mid(symbol: string, side: string, type: string): string {
    const k = (side === 'buy' ? 0 : side === 'sell' ? 2 : -4) + (type === 'limit' ? 0 : type === 'market' ? 1 : -4);
    if (k < 0) return `,"symbol":"${symbol}","side":"${side}","type":"${type}","quantity":`;
    let a = this.mids.get(symbol);
    if (a === undefined) {
      a = [];
      if (this.mids.size < FRAGMENTS_KEPT) this.mids.set(symbol, a);
    }
    return (a[k] ??= flat(`,"symbol":"${symbol}","side":"${side}","type":"${type}","quantity":`));
  }

  private push(line: string): void {
    this.buf += line;
    if (!this.queued) {
      this.queued = true;
      setTimeout(this.flushNow, AUDIT_FLUSH_MS);
    }
  }

  placed(orderId: string, exchangeOrderId: number, symbol: string, side: string, type: string, quantity: number,
    price: number, status: string, filled: number): void {
    if (!this.enabled) return;
    if (!this.stream) {
      this.logger.info({ order_id: orderId, exchange_order_id: exchangeOrderId, symbol, side, type, quantity, price,
        status, filled_quantity: filled }, 'Order placed');
      return;
    }
    const mid = this.mid(symbol, side, type);
    let st = this.statusMids.get(status);
    if (st === undefined) {
      st = flat(`,"status":"${status}","filled_quantity":`);
      if (this.statusMids.size < FRAGMENTS_KEPT) this.statusMids.set(status, st);
    }
    this.push(`${this.prefix()}"order_id":"${orderId}","exchange_order_id":${exchangeOrderId}${mid}${quantity},"price":${price}${st}${filled},"msg":"Order placed"}\n`);
  }

  rejected(orderId: string, symbol: string, reason: string): void {
    if (!this.enabled) return;
    if (!this.stream) {
      this.logger.info({ order_id: orderId, symbol, reason }, 'Order rejected');
      return;
    }
    this.push(`${this.prefix()}"order_id":"${orderId}","symbol":"${symbol}","reason":"${reason}","msg":"Order rejected"}\n`);
  }

  /** Write the queued lines now (also runs at process exit: nothing queued is lost). */
  flush(): void {
    this.queued = false;
    if (this.buf.length === 0) return;
    const b = this.buf;
    this.buf = '';
    this.write(b);
  }

  /**
   * One batch to the logger's destination. A synchronous sonic-boom (createLogger's
   * pino.destination({sync: true})) has written everything it was given before its write()
   * returns, so writing the batch to its fd directly keeps the order of lines. That skips the
   * stream's string handling, which per batch measured byteLength of the cons string, an
   * encode in writeSync, and a Buffer.from() of the whole batch after every write (sonic-boom
   * 4 releaseWritingBuf): ~1 µs per line in perf of POST /api/orders. `latin1`: the lines are
   * ASCII (see the class comment), so chars = bytes, also for a partial write. A partial
   * write's rest, an error (EAGAIN on a non-blocking fd, EPIPE...) or any other stream goes
   * through the stream's own write (its retry and 'error' handling, as before).
   */
  private write(text: string): void {
    const st = this.stream!;
    const fd = st.fd;
    if (st.sync === true && typeof fd === 'number' && fd >= 0) {
      let n = 0;
      try {
        n = writeSync(fd, text, null, 'latin1');
      } catch {
        n = 0;
      }
      if (n >= text.length) return;
      text = text.slice(n);
    }
    st.write(text);
  }
}

const LIVE_AUDIT_LOGS = new Set<AuditLog>();
process.once('exit', () => {
  for (const a of LIVE_AUDIT_LOGS) a.flush();
});

/**
 * `JSON.stringify(ex.restOrderJson(rec))` for an order that is not rejected or cancelled
 * (the 201 answer of POST /api/orders), built as one template string: no intermediate object,
 * no generic serializer walk, numbers as units / 10^d (toDec: the same double as
 * unitsToNumber, without a string round trip). Fills keep JSON.stringify (their shape is
 * exchange.ts's). Returns null for the shapes it does not build (rejected, cancelled: they
 * carry extra fields); test/server/rest-order-json.test.ts checks byte equality.
 *
 * Constant runs are kept flat: per book the 24 `"symbol" .. "quantity":` runs (side x type x
 * time in force x post_only), per status the `"status" .. "filled_quantity":` run (with the
 * whole zero-fill run for an order without fills), and the timestamps' tail for the last
 * (created, updated) pair (orders of one millisecond share it). A body is then ~15 pieces
 * instead of ~40: fewer concatenations, and less for uWS to walk when it flattens the body.
 */
export function restOrderText(ex: Exchange, rec: RestOrder): string | null {
  const st = rec.status;
  if (st === 'rejected' || st === 'cancelled') return null;
  const b = ex.books[rec.inst]!;
  const ps = b.priceScale;
  const qs = b.qtyScale;
  // order_id (a ULID), symbol (A-Z0-9, validated in engine/instruments.ts) and the ISO stamps
  // need no escaping by construction; client_order_id (the client's text) is escaped.
  const cl = rec.clientOrderId === null ? 'null' : JSON.stringify(rec.clientOrderId);
  const open = st === 'active' || st === 'partially_filled';
  const remaining = open ? toDec(rec.leaves, qs) : 0;
  let mids = ORDER_MIDS.get(b);
  if (mids === undefined) {
    mids = [];
    ORDER_MIDS.set(b, mids);
  }
  const sell = rec.side === Side.SELL;
  const market = rec.ordType === OrdType.MARKET;
  const tif = tifName(rec.tif);
  const k = (((sell ? 2 : 0) + (market ? 1 : 0)) * 3 + (tif === 'GTC' ? 0 : tif === 'IOC' ? 1 : 2)) * 2 + (rec.postOnly ? 1 : 0);
  const mid = (mids[k] ??= flat(`,"symbol":"${b.symbol}","side":"${sell ? 'sell' : 'buy'}","type":"${market ? 'market' : 'limit'}",`
    + `"time_in_force":"${tif}","post_only":${rec.postOnly},"quantity":`));
  if (rec.createdAt !== tailCreated || rec.updatedAt !== tailUpdated) {
    tailCreated = rec.createdAt;
    tailUpdated = rec.updatedAt;
    tailText = flat(`,"timestamp":"${tailCreated}","updated_at":"${tailUpdated}"}`);
  }
  const head = `{"order_id":"${rec.id}","exchange_order_id":${rec.engineId},"client_order_id":${cl}${mid}${toDec(rec.qty, qs)},"price":${toDec(rec.price, ps)}`;
  if (rec.filled === 0 && rec.fillCount === 0 && rec.fills.length === 0) {
    return `${head}${statusRun(st, true)}${remaining}${NO_FILLS_RUN}${tailText}`;
  }
  const avg = rec.filled > 0 ? Number((rec.notional / rec.filled / 10 ** ps).toFixed(ps)) : null;
  const fills = rec.fills.length === 0 ? '[]' : JSON.stringify(rec.fills);
  return `${head}${statusRun(st, false)}${toDec(rec.filled, qs)},"remaining_quantity":${remaining},`
    + `"average_price":${avg},"fills":${fills},"fill_count":${rec.fillCount}${tailText}`;
}

/** restOrderText's per-book runs (BookState objects live as long as their exchange). */
const ORDER_MIDS = new WeakMap<BookState, (string | undefined)[]>();
let tailCreated = '';
let tailUpdated = '';
let tailText = '';
const NO_FILLS_RUN = flat(',"average_price":null,"fills":[],"fill_count":0');
const STATUS_RUNS = new Map<string, [string, string]>();
/** `,"status":"<st>","filled_quantity":` (unfilled: `...":0,"remaining_quantity":`). */
function statusRun(st: string, unfilled: boolean): string {
  let r = STATUS_RUNS.get(st);
  if (r === undefined) {
    r = [flat(`,"status":"${st}","filled_quantity":`), flat(`,"status":"${st}","filled_quantity":0,"remaining_quantity":`)];
    STATUS_RUNS.set(st, r);
  }
  return unfilled ? r[1] : r[0];
}

/**
 * One in-flight REST command: the RestCtx the exchange completes, plus what the shared
 * completion functions need (no closures per request) and the links of the waiting list.
 * The waiting list is in submission order, so the 1 s sweep only looks at its head.
 */
interface RestReq extends RestCtx {
  answered: boolean;
  /** Sweep clock (s) at submission. */
  t: number;
  prev: RestReq | null;
  next: RestReq | null;
  finish: (c: RestReq) => void;
  /** Answered 503 by the timeout sweep while the command was still queued for its shard:
   *  the exchange's real completion comes later and goes to lateDone. */
  timedOut: boolean;
  /** NEW: requested quantity/price (units) for the audit line. */
  qty: number;
  price: number;
}

const STP_NAMES: Record<string, number> = {
  none: StpMode.NONE,
  cancel_newest: StpMode.CANCEL_NEWEST,
  cancel_oldest: StpMode.CANCEL_OLDEST,
  cancel_both: StpMode.CANCEL_BOTH,
  decrement_and_cancel: StpMode.DECREMENT_AND_CANCEL,
};

/**
 * toUnits(v, decimals) for the plain forms almost every order uses (a string or a JS number
 * whose text is `digits` or `digits.digits`, value > 0, at most 24 characters): the same
 * integer, by one pass over the characters instead of toUnits' regex match, strip/replace and
 * string rebuild (~0.5 µs per field in --cpu-prof of POST /api/orders). Returns -1 for
 * anything else (sign, exponent, '.5', '5.', zero, more non-zero decimals than the scale,
 * above 2^53-1, other types): the caller then runs toUnits, which decides and words the error.
 * Exactness: every partial value is an integer <= the result, so below 2^53 no step rounds;
 * a result that would exceed 2^53-1 is >= 2^53 at the step it crosses (rounding is monotonic)
 * and is sent to toUnits (OUT_OF_RANGE there). test/server/rest-units.test.ts compares both.
 */
export function plainUnits(v: unknown, decimals: number): number {
  let t: string;
  if (typeof v === 'string') t = v;
  else if (typeof v === 'number') t = String(v); // toUnits' own text for a number
  else return -1;
  const n = t.length;
  if (n === 0 || n > 24) return -1;
  let u = 0;
  let i = 0;
  let c = 0;
  for (; i < n; i++) {
    c = t.charCodeAt(i);
    if (c < 48 || c > 57) break;
    u = u * 10 + (c - 48);
  }
  if (i === 0) return -1;
  let frac = 0;
  if (i < n) {
    if (c !== 46 || i === n - 1) return -1; // not '.', or a trailing '.'
    for (i++; i < n; i++) {
      c = t.charCodeAt(i);
      if (c < 48 || c > 57) return -1;
      if (frac < decimals) {
        u = u * 10 + (c - 48);
        frac++;
      } else if (c !== 48) return -1; // a non-zero digit beyond the scale (TOO_PRECISE)
    }
  }
  for (; frac < decimals; frac++) u *= 10;
  if (u === 0 || u > Number.MAX_SAFE_INTEGER) return -1;
  return u;
}

function units(v: unknown, decimals: number, field: string, allowZero: boolean): number {
  const u = plainUnits(v, decimals);
  if (u > 0) return u;
  try {
    return toUnits(v, decimals, { allowZero });
  } catch (err) {
    if (err instanceof DecimalError) {
      throw new HttpError(400, err.code, `${field}: ${err.message}`, field);
    }
    throw err;
  }
}

function bookOf(ex: Exchange, symbol: unknown, field = 'symbol'): BookState {
  if (typeof symbol !== 'string' || symbol === '') {
    throw new HttpError(400, 'MISSING_FIELD', `${field} is required`, field);
  }
  const b = ex.bySymbol.get(symbol.toUpperCase());
  if (!b) throw new HttpError(404, 'UNKNOWN_SYMBOL', `unknown symbol ${symbol.slice(0, 32)}`, field);
  return b;
}

function checkPrice(b: BookState, p: number, field: string): void {
  const s = b.spec;
  if (p % s.tickSize !== 0) {
    throw new HttpError(400, 'OFF_TICK', `${field} must be a multiple of the tick size ${unitsToNumber(s.tickSize, s.priceDecimals)}`, field);
  }
  if (p < s.minPrice || p > s.maxPrice) {
    throw new HttpError(400, 'BAD_PRICE', `${field} must be between ${unitsToNumber(s.minPrice, s.priceDecimals)} and ${unitsToNumber(s.maxPrice, s.priceDecimals)}`, field);
  }
}

function checkQty(b: BookState, q: number, field: string): void {
  const s = b.spec;
  if (q % s.lotSize !== 0) {
    throw new HttpError(400, 'BAD_LOT', `${field} must be a multiple of the lot size ${unitsToNumber(s.lotSize, s.qtyDecimals)}`, field);
  }
  if (q < s.minQty || q > s.maxQty) {
    throw new HttpError(400, 'BAD_QUANTITY', `${field} must be between ${unitsToNumber(s.minQty, s.qtyDecimals)} and ${unitsToNumber(s.maxQty, s.qtyDecimals)}`, field);
  }
}

function edgeStatus(reason: number): number {
  if (reason === EdgeReason.SHARD_UNAVAILABLE || reason === EdgeReason.OVERLOADED || reason === EdgeReason.TRADING_HALTED
    || reason === EdgeReason.SERVER_SHUTDOWN || reason === EdgeReason.MAINTENANCE_MODE || reason === EdgeReason.SHARD_TIMEOUT
    || reason === EdgeReason.CIRCUIT_BREAKER_OPEN || reason === EdgeReason.CHAOS_INJECTED) return 503;
  return 500;
}

export function registerApiRoutes(app: TemplatedApp, deps: RouteDeps): void {
  const { exchange: ex, pool, logger, control } = deps;

  /** Maintenance / circuit breaker gate for a NEW or AMEND on `b` (after the halt check):
   *  throws 503 with the reason's string code. One typed-array read when trading. */
  const gate = (b: BookState): void => {
    const r = control.blockReason(b.inst);
    if (r === 0) return;
    control.noteRejected(b.inst, r);
    const name = reasonName(r);
    throw new HttpError(503, name, r === EdgeReason.CIRCUIT_BREAKER_OPEN
      ? `circuit breaker open for ${b.symbol}: new orders and amends are rejected (POST /admin/circuit-breaker/reset/${b.symbol})`
      : 'maintenance mode: new orders and amends are rejected (POST /admin/maintenance/disable)', 'symbol');
  };
  /** /api/symbols and /api/orderbook `status`. */
  const bookStatus = (b: BookState): string => {
    if (!ex.shardUp(b)) return 'unavailable';
    if (ex.halted) return 'halted';
    const r = control.blockReason(b.inst);
    return r === EdgeReason.MAINTENANCE_MODE ? 'maintenance' : r === EdgeReason.CIRCUIT_BREAKER_OPEN ? 'circuit_breaker' : 'trading';
  };

  /** Wrap a handler: abort tracking, request fields read synchronously, errors mapped. */
  const handle = (fn: (res: HttpResponse, req: HttpRequest, st: ResponseState) => void | Promise<void>) =>
    (res: HttpResponse, req: HttpRequest) => {
      const st = trackAbort(res);
      try {
        const r = fn(res, req, st);
        if (r && typeof (r as Promise<void>).then === 'function') {
          (r as Promise<void>).catch((err: unknown) => {
            if (!(err instanceof HttpError)) logger.error({ err: String((err as Error)?.stack ?? err) }, 'request failed');
            sendHttpError(res, st, err);
          });
        }
      } catch (err) {
        if (!(err instanceof HttpError)) logger.error({ err: String((err as Error)?.stack ?? err) }, 'request failed');
        sendHttpError(res, st, err);
      }
    };

  const admin = (res: HttpResponse, req: HttpRequest): void => {
    if (remoteIsLoopback(res)) return;
    const auth = req.getHeader('authorization');
    if (deps.adminToken && auth === `Bearer ${deps.adminToken}`) return;
    throw new HttpError(403, 'FORBIDDEN', 'admin routes: loopback only, or Authorization: Bearer $ADMIN_TOKEN');
  };

  const audit = new AuditLog(logger);

  // REST commands waiting on a shard, oldest first (intrusive list: O(1) link/unlink, no
  // hashing, no clock read per request). A stalled shard answers 503 after REST_TIMEOUT_S.
  let head: RestReq | null = null;
  let tail: RestReq | null = null;
  let clock = 0;
  const unlink = (c: RestReq): void => {
    if (c.prev) c.prev.next = c.next;
    else if (head === c) head = c.next;
    if (c.next) c.next.prev = c.prev;
    else if (tail === c) tail = c.prev;
    c.prev = c.next = null;
  };
  const sweep = setInterval(() => {
    clock++;
    while (head !== null && clock - head.t > REST_TIMEOUT_S) {
      const c = head;
      c.reject = EdgeReason.SHARD_TIMEOUT;
      c.timedOut = true;
      c.done(c); // unlinks c
      if (head === c) unlink(c); // done() already answered (cannot happen): never spin
    }
  }, 1000);
  sweep.unref();

  /** The exchange's completion callback for every REST command: runs `finish` exactly once. */
  const done = (ctx: RestCtx): void => {
    const c = ctx as RestReq;
    if (c.answered) {
      if (c.timedOut) lateDone(c);
      return;
    }
    c.answered = true;
    unlink(c);
    deps.inflight.n--;
    try {
      c.finish(c);
    } catch (err) {
      logger.error({ err: String((err as Error)?.stack ?? err) }, 'REST completion failed');
      sendHttpError(c.res, c.state, err);
    }
  };

  /**
   * The real completion of a command the sweep answered 503 (it was still queued: a stalled
   * shard, a held command): executed, rejected by the engine, or failed with its shard. The
   * 503 kept the record's leaves and the account's hold (the command could still execute);
   * now both follow what happened: a NEW that executed is live (its events already updated
   * the record), one that did not is rejected and releases its funds; an AMEND's hold
   * returns to what the order needs (OrderHold.amendDone). At most once per command.
   */
  const lateDone = (c: RestReq): void => {
    c.timedOut = false;
    const rec = c.rec;
    if (c.op === 'new') {
      if (c.reject !== 0) {
        rec.status = 'rejected';
        rec.rejectReason = c.reject;
        rec.leaves = 0;
      } else rec.rejectReason = 0;
      if (rec.owner !== null) rec.owner.onUpdate(rec);
    } else if (c.op === 'amend' && rec.owner !== null) rec.owner.amendDone(rec);
    logger.warn({ order_id: rec.id, op: c.op, outcome: c.reject === 0 ? 'executed' : reasonName(c.reject), status: rec.status },
      'REST command completed after its 503 timeout answer');
  };

  /** Submit a REST command; `finish` runs once with the outcome (exactly once). */
  const submitRest = (res: HttpResponse, st: ResponseState, op: RestCtx['op'], rec: RestOrder, cmd: number,
    side: number, ordType: number, tif: number, flags: number, stp: number, orderId: number, price: number,
    qty: number, finish: (ctx: RestReq) => void): void => {
    const c: RestReq = {
      op, rec, res, state: st, reject: 0, done, answered: false, t: clock, prev: null, next: null, finish, timedOut: false,
      qty, price,
    };
    const r = ex.submit(rec.inst, cmd, side, ordType, tif, flags, stp, rec.owner === null ? REST_ANON_OWNER : rec.owner.engineOwner,
      orderId, price, qty, Origin.REST, c, 0,
      TIME_ORIGIN + performance.now());
    if (r !== 0) {
      c.answered = true;
      throw new HttpError(edgeStatus(r), reasonName(r), reasonText[reasonName(r)] ?? 'unavailable');
    }
    deps.inflight.n++;
    if (tail === null) head = tail = c;
    else {
      c.prev = tail;
      tail.next = c;
      tail = c;
    }
    ex.flushSoon();
  };

  /** POST /api/orders completion (shared: the request's state is all in `c`). */
  const finishNew = (c: RestReq): void => {
    const rec = c.rec;
    const b = ex.books[rec.inst]!;
    if (c.reject) {
      const name = reasonName(c.reject);
      if (c.timedOut) {
        // The command may still execute: the record says pending and keeps its leaves and the
        // account's hold until the shard answers (lateDone).
        rec.status = 'pending';
        sendJson(c.res, c.state, 503, { ...ex.restOrderJson(rec), error: reasonText[name] ?? name, code: name });
        return;
      }
      rec.status = 'rejected';
      rec.rejectReason = c.reject;
      rec.leaves = 0;
      if (rec.owner !== null) rec.owner.onUpdate(rec); // releases the account's funds
      const status = c.reject >= 100 ? edgeStatus(c.reject) : 422;
      audit.rejected(rec.id, b.symbol, name);
      sendJson(c.res, c.state, status, { ...ex.restOrderJson(rec), error: reasonText[name] ?? name, code: name });
      return;
    }
    // The runbook's audit line, one per REST order (batched by AuditLog; binary orders log at debug).
    audit.placed(rec.id, rec.engineId, b.symbol, rec.side === Side.SELL ? 'sell' : 'buy',
      rec.ordType === OrdType.MARKET ? 'market' : 'limit', toDec(c.qty, b.qtyScale),
      toDec(c.price, b.priceScale), rec.status, toDec(rec.filled, b.qtyScale));
    const text = restOrderText(ex, rec);
    if (text !== null) sendJsonText(c.res, c.state, 201, text);
    else sendJson(c.res, c.state, 201, ex.restOrderJson(rec));
  };

  // Recent-failure ring (admin/failures.ts): order requests answered 4xx, each error once.
  // placeOrder records its own errors with the symbol, `fail` the rest of POST's (bad JSON,
  // oversized body), recordingErrors those of DELETE and PATCH. Only on the error path.
  const noted = new WeakSet<object>();
  const noteOrderError = (err: unknown, op: number, inst: number): void => {
    const log = ex.failures;
    if (log === null || !(err instanceof HttpError) || err.status < 400 || err.status >= 500 || noted.has(err)) return;
    noted.add(err);
    log.recordHttp(op, inst, err.status, err.code, err.field, err.message, Date.now());
  };
  const instOf = (symbol: unknown): number => (typeof symbol === 'string' ? ex.bySymbol.get(symbol.toUpperCase())?.inst ?? -1 : -1);
  type OrderHandler = (res: HttpResponse, req: HttpRequest, st: ResponseState) => void | Promise<void>;
  const recordingErrors = (op: number, fn: OrderHandler): OrderHandler => (res, req, st) => {
    try {
      const r = fn(res, req, st);
      return r instanceof Promise ? r.catch((err: unknown) => {
        noteOrderError(err, op, -1);
        throw err;
      }) : r;
    } catch (err) {
      noteOrderError(err, op, -1);
      throw err;
    }
  };

  /** POST /api/orders: validate and submit (synchronous; throws HttpError, recorded). */
  const placeOrder = (body: Record<string, unknown>, res: HttpResponse, st: ResponseState, acct?: OrderAccount): void => {
    try {
      placeNew(body, res, st, acct);
    } catch (err) {
      noteOrderError(err, CmdType.NEW, instOf(body.symbol));
      throw err;
    }
  };

  /** Validate a POST /api/orders body and submit it (synchronous; throws HttpError). */
  const placeNew = (body: Record<string, unknown>, res: HttpResponse, st: ResponseState, acct?: OrderAccount): void => {
    if (deps.draining()) throw new HttpError(503, 'SERVER_SHUTDOWN', 'server shutting down');
    const b = bookOf(ex, body.symbol);
    const sideRaw = typeof body.side === 'string' ? body.side.toLowerCase() : body.side;
    if (sideRaw !== 'buy' && sideRaw !== 'sell') throw new HttpError(400, 'BAD_SIDE', 'side must be "buy" or "sell"', 'side');
    const side = sideRaw === 'sell' ? Side.SELL : Side.BUY;
    const typeRaw = body.type === undefined ? 'limit' : typeof body.type === 'string' ? body.type.toLowerCase() : body.type;
    if (typeRaw !== 'limit' && typeRaw !== 'market') throw new HttpError(400, 'BAD_ORDER_TYPE', 'type must be "limit" or "market"', 'type');
    const ordType = typeRaw === 'market' ? OrdType.MARKET : OrdType.LIMIT;
    if (body.quantity === undefined || body.quantity === null) throw new HttpError(400, 'MISSING_FIELD', 'quantity is required', 'quantity');
    const qty = units(body.quantity, b.qtyScale, 'quantity', false);
    checkQty(b, qty, 'quantity');
    let price = 0;
    if (ordType === OrdType.LIMIT) {
      if (body.price === undefined || body.price === null) throw new HttpError(400, 'MISSING_FIELD', 'price is required for limit orders', 'price');
      price = units(body.price, b.priceScale, 'price', false);
      checkPrice(b, price, 'price');
    } else if (body.price !== undefined && body.price !== null) {
      price = units(body.price, b.priceScale, 'price', true); // 0 = no protection price
      if (price !== 0) checkPrice(b, price, 'price');
    }
    let tif: number = ordType === OrdType.MARKET ? Tif.IOC : Tif.GTC;
    if (body.time_in_force !== undefined && body.time_in_force !== null) {
      const t = typeof body.time_in_force === 'string' ? body.time_in_force.toUpperCase() : '';
      if (t === 'GTC') tif = Tif.GTC;
      else if (t === 'IOC') tif = Tif.IOC;
      else if (t === 'FOK') tif = Tif.FOK;
      else throw new HttpError(400, 'BAD_TIF', 'time_in_force must be GTC, IOC or FOK', 'time_in_force');
    }
    let postOnly = false;
    if (body.post_only !== undefined && body.post_only !== null) {
      if (typeof body.post_only !== 'boolean') throw new HttpError(400, 'BAD_FLAGS', 'post_only must be a boolean', 'post_only');
      postOnly = body.post_only;
      if (postOnly && (ordType === OrdType.MARKET || tif !== Tif.GTC)) {
        throw new HttpError(400, 'BAD_FLAGS', 'post_only needs a GTC limit order', 'post_only');
      }
    }
    let stp: number = StpMode.NONE;
    if (body.stp !== undefined && body.stp !== null) {
      const v = typeof body.stp === 'string' ? STP_NAMES[body.stp.toLowerCase()] : typeof body.stp === 'number' && Number.isInteger(body.stp) && body.stp >= 0 && body.stp <= 4 ? body.stp : undefined;
      if (v === undefined) throw new HttpError(400, 'BAD_STP_MODE', `stp must be one of ${Object.keys(STP_NAMES).join(', ')}`, 'stp');
      stp = v;
    }
    let clientOrderId: string | null = null;
    if (body.client_order_id !== undefined && body.client_order_id !== null) {
      if (typeof body.client_order_id !== 'string' || body.client_order_id.length === 0 || body.client_order_id.length > 64) {
        throw new HttpError(400, 'BAD_CLIENT_ORDER_ID', 'client_order_id must be a string of 1..64 characters', 'client_order_id');
      }
      clientOrderId = body.client_order_id;
    }
    if (ex.halted) throw new HttpError(503, 'TRADING_HALTED', 'trading is halted (POST /admin/trading/resume)');
    gate(b);
    if (!ex.shardUp(b)) {
      ex.recordError(b.symbol, CmdType.NEW, side, ordType);
      throw new HttpError(503, 'SHARD_UNAVAILABLE', `the shard owning ${b.symbol} is unavailable`, 'symbol');
    }
    if (acct !== undefined) {
      // An account's order: funds reserved first (400 INSUFFICIENT_BALANCE, nothing changed).
      const held = acct.open(b, side, ordType, price, qty);
      price = held.price;
      const rec = ex.createRestOrder(b, side, ordType, tif, postOnly, stp, qty, price, clientOrderId);
      held.attach(rec);
      try {
        submitRest(res, st, 'new', rec, CmdType.NEW, side, ordType, tif, postOnly ? Flags.POST_ONLY : 0, stp,
          rec.engineId, price, qty, finishNew);
      } catch (err) {
        rec.status = 'rejected';
        rec.leaves = 0;
        rec.owner!.onUpdate(rec);
        throw err;
      }
      return;
    }
    const rec = ex.createRestOrder(b, side, ordType, tif, postOnly, stp, qty, price, clientOrderId);
    submitRest(res, st, 'new', rec, CmdType.NEW, side, ordType, tif, postOnly ? Flags.POST_ONLY : 0, stp,
      rec.engineId, price, qty, finishNew);
  };

  // ---------------------------------------------------------------- health
  app.get('/health', handle((res, _req, st) => {
    const h = deps.health();
    // 503 also in maintenance: load balancers and readiness probes take the instance out of
    // rotation while it refuses new orders (do not point a liveness probe at /health).
    sendJson(res, st, h.status === 'unhealthy' || h.status === 'maintenance' ? 503 : 200, h.body);
  }));

  // ---------------------------------------------------------------- symbols
  app.get('/api/symbols', handle((res, _req, st) => {
    const symbols = ex.books.map((b) => {
      const s = b.spec;
      const bb = ex.bestBid(b);
      const ba = ex.bestAsk(b);
      return {
        symbol: b.symbol,
        instrument_id: b.inst,
        shard: b.shard,
        status: bookStatus(b),
        price_decimals: s.priceDecimals,
        quantity_decimals: s.qtyDecimals,
        tick_size: unitsToNumber(s.tickSize, s.priceDecimals),
        lot_size: unitsToNumber(s.lotSize, s.qtyDecimals),
        min_quantity: unitsToNumber(s.minQty, s.qtyDecimals),
        max_quantity: unitsToNumber(s.maxQty, s.qtyDecimals),
        min_price: unitsToNumber(s.minPrice, s.priceDecimals),
        max_price: unitsToNumber(s.maxPrice, s.priceDecimals),
        band_bps: s.bandBps,
        last_price: b.lastPrice ? unitsToNumber(b.lastPrice, s.priceDecimals) : null,
        best_bid: bb === null ? null : unitsToNumber(bb, s.priceDecimals),
        best_ask: ba === null ? null : unitsToNumber(ba, s.priceDecimals),
        trade_count: b.tape.count,
      };
    });
    sendJson(res, st, 200, { symbols, count: symbols.length, shards: pool.shards.length });
  }));

  // ---------------------------------------------------------------- order book
  app.get('/api/orderbook/:symbol', handle((res, req, st) => {
    const symbol = req.getParameter(0);
    const depth = intParam(queryOf(req), 'depth', 20, 1, 5000);
    const b = bookOf(ex, symbol);
    const d = ex.depth(b, depth);
    const ps = b.priceScale;
    const qs = b.qtyScale;
    const lv = (l: [number, number, number]) => ({ price: unitsToNumber(l[0], ps), quantity: unitsToNumber(l[1], qs), orders: l[2] });
    const bids = d.bids.map(lv);
    const asks = d.asks.map(lv);
    const bestBid = bids[0]?.price ?? null;
    const bestAsk = asks[0]?.price ?? null;
    sendJson(res, st, 200, {
      symbol: b.symbol,
      bids,
      asks,
      best_bid: bestBid,
      best_ask: bestAsk,
      spread: bestBid !== null && bestAsk !== null ? Number((bestAsk - bestBid).toFixed(ps)) : null,
      bid_levels: b.bids.size,
      ask_levels: b.asks.size,
      sequence: b.mdSeq,
      status: bookStatus(b),
      timestamp: new Date().toISOString(),
    });
  }));

  // ---------------------------------------------------------------- trades
  app.get('/api/trades', handle((res, req, st) => {
    const q = queryOf(req);
    const limit = intParam(q, 'limit', 50, 1, 1000);
    const sym = q.get('symbol');
    let trades;
    if (sym) trades = ex.recentTrades(bookOf(ex, sym), limit);
    else {
      trades = ex.books.flatMap((b) => ex.recentTrades(b, limit));
      trades.sort((a, b) => b.ts - a.ts || b.trade_id - a.trade_id);
      trades = trades.slice(0, limit);
    }
    sendJson(res, st, 200, {
      trades: trades.map(tradeJson),
      count: trades.length,
      symbol: sym ? sym.toUpperCase() : null,
    });
  }));

  // ---------------------------------------------------------------- orders
  // The hot REST route: no async wrapper; the body is validated and submitted inside uWS's
  // data callback (see onJsonObject), errors mapped like `handle` does.
  const fail = (err: unknown, res: HttpResponse, st: ResponseState): void => {
    noteOrderError(err, CmdType.NEW, -1);
    if (!(err instanceof HttpError)) logger.error({ err: String((err as Error)?.stack ?? err) }, 'request failed');
    sendHttpError(res, st, err);
  };
  const accounts = deps.accounts ?? null;
  app.post('/api/orders', (res, req) => {
    const st = trackAbort(res);
    // Anonymous orders pay one header read (and one boolean with RATE_LIMIT_ANON_RPS off).
    if (accounts !== null) {
      const auth = req.getHeader(AUTHORIZATION);
      if (auth.length !== 0) {
        accounts.order(res, st, auth, placeOrder, fail);
        return;
      }
      if (accounts.anonLimited && !accounts.allowAnon(res, st)) return;
    }
    onJsonObject(res, st, placeOrder, fail);
  });

  /**
   * Newest first. Without Authorization: anonymous orders only. With an account's Bearer
   * token (accounts enabled): that account's orders only (401 for a bad token, 429 past its
   * bucket, like every authenticated request). An account's orders are never public.
   */
  app.get('/api/orders', handle(async (res, req, st) => {
    const q = queryOf(req);
    const limit = intParam(q, 'limit', 100, 1, 1000);
    const sym = q.get('symbol');
    const b = sym ? bookOf(ex, sym) : null;
    const which = q.get('status') ?? 'all';
    if (which !== 'all' && which !== 'open') throw new HttpError(400, 'INVALID_PARAMETER', 'status must be open or all', 'status');
    const auth = req.getHeader(AUTHORIZATION);
    let engineOwner = 0; // 0: anonymous orders (owner === null)
    if (auth !== '' && accounts !== null) {
      engineOwner = (await accounts.authenticate(auth)).user.account.engineOwner;
      if (st.aborted) return;
    }
    const out: Record<string, unknown>[] = [];
    for (const r of ex.restById.valuesNewestFirst()) {
      if (out.length >= limit) break;
      if ((r.owner === null ? 0 : r.owner.engineOwner) !== engineOwner) continue;
      if (b && r.inst !== b.inst) continue;
      if (which === 'open' && r.status !== 'active' && r.status !== 'partially_filled') continue;
      out.push(ex.restOrderJson(r));
    }
    sendJson(res, st, 200, { orders: out, count: out.length });
  }));

  const findOrder = (id: string): RestOrder => {
    const rec = ex.restById.get(id);
    if (!rec) throw new HttpError(404, 'ORDER_NOT_FOUND', `no order ${id.slice(0, 40)}`, 'order_id');
    return rec;
  };
  const isOpen = (r: RestOrder) => r.status === 'active' || r.status === 'partially_filled';

  /** An account's order: only its own token reads it (401/403), as for cancel and amend. */
  app.get('/api/orders/:id', handle(async (res, req, st) => {
    const rec = findOrder(req.getParameter(0));
    if (rec.owner !== null) {
      await rec.owner.authorize(req.getHeader(AUTHORIZATION));
      if (st.aborted) return;
    }
    sendJson(res, st, 200, ex.restOrderJson(rec));
  }));

  app.del('/api/orders/:id', handle(recordingErrors(CmdType.CANCEL, (res, req, st) => {
    const rec = findOrder(req.getParameter(0));
    // An account's order: only its own token cancels it (401/403).
    if (rec.owner !== null) return rec.owner.authorize(req.getHeader(AUTHORIZATION)).then(() => cancelOrder(res, st, rec));
    cancelOrder(res, st, rec);
  })));
  const cancelOrder = (res: HttpResponse, st: ResponseState, rec: RestOrder): void => {
    if (st.aborted) return;
    if (!isOpen(rec)) throw new HttpError(409, 'ORDER_NOT_OPEN', `order is ${rec.status}`, 'order_id');
    if (!ex.shardUp(ex.books[rec.inst]!)) {
      ex.recordError(ex.books[rec.inst]!.symbol, CmdType.CANCEL, 0, 0);
      throw new HttpError(503, 'SHARD_UNAVAILABLE', 'the shard owning this order is unavailable');
    }
    submitRest(res, st, 'cancel', rec, CmdType.CANCEL, 0, 0, 0, 0, 0, rec.engineId, 0, 0, (c) => {
      if (c.reject) {
        const name = reasonName(c.reject);
        sendJson(res, st, c.reject >= 100 ? edgeStatus(c.reject) : 409, { ...ex.restOrderJson(rec), error: reasonText[name] ?? name, code: name });
        return;
      }
      logger.debug({ order_id: rec.id, exchange_order_id: rec.engineId }, 'Order cancelled via REST');
      sendJson(res, st, 200, ex.restOrderJson(rec));
    });
  };

  app.patch('/api/orders/:id', handle(recordingErrors(CmdType.AMEND, async (res, req, st) => {
    const id = req.getParameter(0);
    const auth = req.getHeader(AUTHORIZATION);
    const body = await readJsonObject(res, st);
    if (st.aborted) return;
    const rec = findOrder(id);
    if (rec.owner !== null) {
      await rec.owner.authorize(auth);
      if (st.aborted) return;
    }
    const b = ex.books[rec.inst]!;
    if (!isOpen(rec)) throw new HttpError(409, 'ORDER_NOT_OPEN', `order is ${rec.status}`, 'order_id');
    if (rec.ordType !== OrdType.LIMIT) throw new HttpError(409, 'ORDER_NOT_OPEN', 'only resting limit orders can be amended');
    let price = rec.price;
    if (body.price !== undefined && body.price !== null) {
      price = units(body.price, b.priceScale, 'price', false);
      checkPrice(b, price, 'price');
    }
    let leaves = rec.leaves;
    if (body.quantity !== undefined && body.quantity !== null) {
      const q = units(body.quantity, b.qtyScale, 'quantity', false);
      checkQty(b, q, 'quantity');
      leaves = q - rec.filled;
      if (leaves <= 0) throw new HttpError(400, 'BAD_QUANTITY', 'quantity must exceed the filled quantity', 'quantity');
    }
    if (body.price === undefined && body.quantity === undefined) {
      throw new HttpError(400, 'MISSING_FIELD', 'give price and/or quantity', 'price');
    }
    if (ex.halted) throw new HttpError(503, 'TRADING_HALTED', 'trading is halted');
    gate(b);
    if (!ex.shardUp(b)) {
      ex.recordError(b.symbol, CmdType.AMEND, 0, 0);
      throw new HttpError(503, 'SHARD_UNAVAILABLE', 'the shard owning this order is unavailable');
    }
    amendTo(res, st, rec, price, leaves);
  })));

  /**
   * Submit PATCH's AMEND at `price` with TOTAL_QTY: filled + `leaves` as PATCH saw them is the
   * order's new TOTAL quantity, and the engine sets leaves = total - filled with
   * the fills it has executed when the AMEND runs (FIX OrderCancelReplaceRequest). A fill of a
   * command already queued on the book ahead of the AMEND therefore counts against the
   * quantity asked; it is never bought again on top. The account's hold is reserved first
   * (OrderHold.beforeAmend, 400 INSUFFICIENT_BALANCE): the engine's leaves can only be smaller. A total at or
   * below the order's filled quantity by then cancels the rest (CANCELLED AMEND_TO_FILLED): the
   * answer is 200 with the order as it ends, status cancelled with its filled quantity.
   */
  const amendTo = (res: HttpResponse, st: ResponseState, rec: RestOrder, price: number, leaves: number): void => {
    const owner = rec.owner;
    const total = rec.filled + leaves;
    if (owner !== null) owner.beforeAmend(rec, price, leaves); // 400 INSUFFICIENT_BALANCE
    try {
      submitRest(res, st, 'amend', rec, CmdType.AMEND, 0, 0, 0, AmendCmdFlags.TOTAL_QTY, 0, rec.engineId, price, total, (c) => {
        if (owner !== null && !c.timedOut) owner.amendDone(rec); // timed out: lateDone does
        if (c.reject) {
          const name = reasonName(c.reject);
          sendJson(res, st, c.reject >= 100 ? edgeStatus(c.reject) : 422, { ...ex.restOrderJson(rec), error: reasonText[name] ?? name, code: name });
          return;
        }
        sendJson(res, st, 200, ex.restOrderJson(rec));
      });
    } catch (err) {
      if (owner !== null) owner.amendDone(rec);
      throw err;
    }
  };

  // ---------------------------------------------------------------- admin
  const haltStatus = () => ({
    trading: ex.halted ? 'halted' : 'active',
    halted: ex.halted,
    halted_at: ex.haltedAt,
    timestamp: new Date().toISOString(),
  });
  app.post('/admin/trading/halt', handle((res, req, st) => {
    admin(res, req);
    if (!ex.halted) {
      ex.halted = true;
      ex.haltedAt = new Date().toISOString();
      logger.warn({}, 'Trading halted: new orders and amends are rejected (TRADING_HALTED)');
    }
    sendJson(res, st, 200, haltStatus());
  }));
  app.post('/admin/trading/resume', handle((res, req, st) => {
    admin(res, req);
    if (ex.halted) {
      ex.halted = false;
      ex.haltedAt = null;
      logger.warn({}, 'Trading resumed');
    }
    sendJson(res, st, 200, haltStatus());
  }));
  app.get('/admin/trading/status', handle((res, _req, st) => sendJson(res, st, 200, haltStatus())));

  // Maintenance: optional JSON body {reason?: string (<= 200 chars)}; idempotent, the answer
  // says whether this call changed anything.
  app.post('/admin/maintenance/enable', handle(async (res, req, st) => {
    admin(res, req);
    const body = await readJsonObject(res, st);
    if (st.aborted) return;
    let reason: string | null = null;
    if (body.reason !== undefined && body.reason !== null) {
      if (typeof body.reason !== 'string' || body.reason.length > 200) {
        throw new HttpError(400, 'INVALID_PARAMETER', 'reason must be a string of at most 200 characters', 'reason');
      }
      reason = body.reason;
    }
    const changed = control.enableMaintenance(reason);
    sendJson(res, st, 200, { ...control.maintenanceStatus(), changed });
  }));
  app.post('/admin/maintenance/disable', handle((res, req, st) => {
    admin(res, req);
    const changed = control.disableMaintenance();
    sendJson(res, st, 200, { ...control.maintenanceStatus(), changed });
  }));
  app.get('/admin/maintenance/status', handle((res, _req, st) => sendJson(res, st, 200, control.maintenanceStatus())));

  // Circuit breakers (status is an ARRAY: the runbook pipes it to `jq '.[] | select(.open)'`).
  app.get('/admin/circuit-breaker/status', handle((res, _req, st) => sendJson(res, st, 200, control.status())));
  app.get('/admin/circuit-breaker/history', handle((res, _req, st) => sendJson(res, st, 200, control.historyView())));
  app.post('/admin/circuit-breaker/activate-all', handle((res, req, st) => {
    admin(res, req);
    const opened = control.activateAll();
    sendJson(res, st, 200, { opened, breakers: control.status() });
  }));
  app.post('/admin/circuit-breaker/reset-all', handle((res, req, st) => {
    admin(res, req);
    const closed = control.resetAll();
    sendJson(res, st, 200, { closed, breakers: control.status() });
  }));
  // `:pair` also takes "<SYMBOL>T" for a "...USD" symbol (BTCUSDT -> BTCUSD): the runbook's
  // reset step names the USDT pair, and failing a recovery step on a quote-currency spelling
  // helps nobody; the answer's `pair` names the book actually reset.
  app.post('/admin/circuit-breaker/reset/:pair', handle((res, req, st) => {
    admin(res, req);
    const name = req.getParameter(0) ?? '';
    const b = control.resolvePair(name);
    if (!b) throw new HttpError(404, 'UNKNOWN_SYMBOL', `unknown pair ${name.slice(0, 32)}`, 'pair');
    const closed = control.close(b.inst, 'reset');
    sendJson(res, st, 200, { ...control.pairStatus(b.inst), closed, requested: name.toUpperCase() });
  }));

  // Engine migration (seed 004's /admin/migration/*): shadow execution in the shards
  // (src/server/admin/migration.ts, src/shard/migration.ts).
  registerMigrationRoutes(app, {
    pool, books: ex.books, resolvePair: (name) => control.resolvePair(name), logger, admin, testRoutes: deps.testRoutes,
  });

  if (deps.testRoutes) {
    app.post('/admin/test/shards/:n/crash', handle((res, req, st) => {
      admin(res, req);
      const n = Number(req.getParameter(0));
      const how = (queryOf(req).get('how') ?? 'throw') as 'throw' | 'exit' | 'hang';
      if (!['throw', 'exit', 'hang'].includes(how)) throw new HttpError(400, 'INVALID_PARAMETER', 'how must be throw|exit|hang', 'how');
      if (pool.mode === 'inline') {
        throw new HttpError(409, 'SHARD_MODE_INLINE', 'shards run on the I/O thread (SHARD_MODE=inline): crash injection needs SHARD_MODE=worker');
      }
      if (!Number.isInteger(n) || !pool.crash(n, how)) throw new HttpError(404, 'SHARD_NOT_FOUND', `no live shard ${n}`);
      logger.warn({ shard: n, how }, 'Test route: crashing shard');
      sendJson(res, st, 202, { shard: n, how, symbols: pool.shards[n]!.symbols });
    }));
  }
}

export function sendNotFound(res: HttpResponse, st: ResponseState | null): void {
  sendError(res, st, 404, 'NOT_FOUND', 'no such route');
}
