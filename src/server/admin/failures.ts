/**
 * Recent failures the server saw, for operators (`simex ops investigate-failures`, seed 002's
 * `operator_tool.py investigate_failures`): a bounded ring of measured records, and the read
 * route
 *
 *   GET /admin/errors/recent?limit=N&since_s=S   newest first; 400 BAD_LIMIT / BAD_SINCE
 *
 * What is recorded (hooks in src/server/exchange.ts, trading-control.ts, and the chaos
 * injector's reject listener wired in src/server/server.ts):
 *   kind reject, origin binary  every REJECTED report sent to a session (Exchange.rRejected):
 *                               decode/validation errors, engine rejects, halted, maintenance,
 *                               breaker open, chaos-injected, shard unavailable, overloaded
 *   kind reject, origin rest    REST commands the engine rejected (onResult), REST commands
 *                               the server failed (Exchange.recordError: shard down, ring
 *                               full), REST NEW/AMEND refused by maintenance / an open breaker
 *                               (TradingControl.noteRejected), REST NEW orders refused by
 *                               chaos injection
 *   kind shard_down             a shard died (Exchange.onShardDown): `count` = commands failed
 *   kind reject, origin rest    REST order requests answered 4xx (routes.ts: POST, DELETE,
 *   (http_status set)           PATCH /api/orders: bad JSON, bad fields, off-tick prices,
 *                               unknown symbol/order, 401/403/429 of the optional accounts):
 *                               the HttpError's code, field and message, no numeric reason
 * Not recorded: binary decode errors without a session (before LOGIN), 429s of the accounts'
 * token buckets (answered in accounts/index.ts; the audit log has each trip), circuit-breaker trips
 * (they are events, kept by TradingControl: GET /admin/circuit-breaker/history).
 *
 * Cost: nothing when nothing fails. A record is ~10 typed-array stores into preallocated
 * columns (no allocation: no object, no string; the symbol is an instrument index, the reason
 * a u8); reading builds objects only for the records asked for. Memory: capacity x 45 B
 * (4096 -> ~180 KB).
 *
 * Origin of maintenance / breaker / chaos / server-failure rejects: the hook that sees them
 * (noteRejected, the injector's listener, recordError) cannot tell REST from binary, so it writes a TENTATIVE rest record; the
 * binary edge always calls rRejected right after (same synchronous turn, same instrument and
 * reason, a compatible operation), which turns that newest tentative record into the binary
 * one instead of adding a second record. Anything else written in between ends the tentative
 * state.
 */
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { HttpError, queryOf, sendHttpError, sendJson } from '../http.js';
import { EdgeReason, reasonName, reasonText } from '../../protocol/reasons.js';
import { MsgType } from '../../protocol/messages.js';
import { CmdType } from '../../engine/layout.js';

export const FailureKind = { REJECT: 1, SHARD_DOWN: 2 } as const;
export const FailureOrigin = { REST: 1, BINARY: 2, SERVER: 3 } as const;
/** Operation of a record (engine CmdType values; 0 = NEW or AMEND, not known by the hook). */
export const FailureOp = { ORDER: 0, NEW: CmdType.NEW, CANCEL: CmdType.CANCEL, AMEND: CmdType.AMEND, MASS_CANCEL: CmdType.MASS_CANCEL, OTHER: 255 } as const;

const KIND_NAME: Record<number, string> = { 1: 'reject', 2: 'shard_down' };
const ORIGIN_NAME: Record<number, string> = { 1: 'rest', 2: 'binary', 3: 'server' };
const OP_NAME: Record<number, string> = {
  0: 'new|amend', [CmdType.NEW]: 'new', [CmdType.CANCEL]: 'cancel', [CmdType.AMEND]: 'amend', [CmdType.MASS_CANCEL]: 'mass_cancel', 255: 'other',
};

/** Binary message type -> FailureOp. */
export function opOfMsg(msgType: number): number {
  switch (msgType) {
    case MsgType.NEW_ORDER: return CmdType.NEW;
    case MsgType.CANCEL: return CmdType.CANCEL;
    case MsgType.AMEND: return CmdType.AMEND;
    case MsgType.MASS_CANCEL: return CmdType.MASS_CANCEL;
    default: return FailureOp.OTHER;
  }
}

export const DEFAULT_FAILURE_CAPACITY = 4096;

export interface FailureRecord {
  seq: number;
  time: string;
  kind: string;
  origin: string;
  op: string;
  symbol: string | null;
  /** Reason code (protocol/reasons.ts); null for an HTTP client error (see http_status). */
  reason: number | null;
  reason_name: string;
  reason_text: string | null;
  /** HTTP client errors: the status, and the request field the error names. */
  http_status?: number;
  field?: string;
  /** Exchange order id: the REST order's, or the target of a binary CANCEL/AMEND. */
  order_id?: number;
  /** Binary session's clOrdId of the rejected request. */
  cl_ord_id?: number;
  /** Binary session's account. */
  account?: number;
  /** shard_down: the shard and the commands that failed with it. */
  shard?: number;
  failed_commands?: number;
}

export class FailureLog {
  /** Records written since start (the newest has seq `count`). */
  count = 0;
  /** Per reason code (u8), records since start: the summary beyond the ring. */
  readonly byReason = new Float64Array(256);
  private readonly ts: Float64Array; // epoch ms
  private readonly orderId: Float64Array; // 0 = none
  private readonly clOrd: Float64Array; // 0 = none
  private readonly account: Uint32Array; // binary account; shard id for shard_down
  private readonly n: Uint32Array; // shard_down: failed commands
  private readonly inst: Int16Array; // -1 = unknown instrument
  private readonly reason: Uint8Array;
  private readonly kind: Uint8Array;
  private readonly origin: Uint8Array;
  private readonly op: Uint8Array;
  /** HTTP client errors: status (0 = a reason-coded record), interned code and field, message. */
  private readonly http: Uint16Array;
  private readonly code: Uint8Array;
  private readonly field: Uint8Array;
  private readonly message: (string | null)[];
  /** Interned HttpError codes / fields (index 0 = none); at most 255 of each. */
  private readonly names: string[] = [''];
  private readonly nameIx = new Map<string, number>();
  /** Per HttpError code, HTTP client-error records since start. */
  readonly byCode = new Map<string, number>();
  /** `count` when the newest record was written tentatively (see header), else -1. */
  private tentative = -1;

  constructor(readonly capacity = DEFAULT_FAILURE_CAPACITY) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be >= 1');
    this.ts = new Float64Array(capacity);
    this.orderId = new Float64Array(capacity);
    this.clOrd = new Float64Array(capacity);
    this.account = new Uint32Array(capacity);
    this.n = new Uint32Array(capacity);
    this.inst = new Int16Array(capacity);
    this.reason = new Uint8Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.origin = new Uint8Array(capacity);
    this.op = new Uint8Array(capacity);
    this.http = new Uint16Array(capacity);
    this.code = new Uint8Array(capacity);
    this.field = new Uint8Array(capacity);
    this.message = new Array<string | null>(capacity).fill(null);
  }

  private intern(name: string | undefined): number {
    if (!name) return 0;
    let ix = this.nameIx.get(name);
    if (ix === undefined) {
      if (this.names.length > 255) return 0;
      ix = this.names.length;
      this.names.push(name);
      this.nameIx.set(name, ix);
    }
    return ix;
  }

  /** A REST order request answered with an HTTP client error (4xx). `inst` -1 when unknown. */
  recordHttp(op: number, inst: number, status: number, code: string, field: string | undefined, message: string, tsMs: number): void {
    this.tentative = -1;
    const i = this.write(FailureOrigin.REST, op, inst, 0, tsMs, 0, 0, 0);
    this.http[i] = status;
    this.code[i] = this.intern(code);
    this.field[i] = this.intern(field);
    this.message[i] = message;
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
  }

  /** Records retained (<= capacity). */
  get size(): number {
    return Math.min(this.count, this.capacity);
  }

  /**
   * One reject. `inst` -1 when the request named no known instrument. O(1), no allocation.
   * A binary record matching the newest tentative one (same instrument and reason) completes
   * it instead of adding a record.
   */
  record(origin: number, op: number, inst: number, reason: number, tsMs: number, orderId = 0, clOrd = 0, account = 0): void {
    let i: number;
    if (this.tentative === this.count && origin === FailureOrigin.BINARY) {
      i = (this.count - 1) % this.capacity;
      this.tentative = -1;
      const top = this.op[i]!;
      if (this.inst[i] === inst && this.reason[i] === (reason & 0xff)
        && (top === op || (top === FailureOp.ORDER && (op === CmdType.NEW || op === CmdType.AMEND)))) {
        this.origin[i] = origin;
        this.op[i] = op;
        this.orderId[i] = orderId;
        this.clOrd[i] = clOrd;
        this.account[i] = account;
        return;
      }
    }
    this.tentative = -1;
    this.byReason[reason & 0xff]!++;
    this.write(origin, op, inst, reason, tsMs, orderId, clOrd, account);
  }

  /** Append one reject record; returns its slot. */
  private write(origin: number, op: number, inst: number, reason: number, tsMs: number, orderId: number, clOrd: number,
    account: number): number {
    const i = this.count % this.capacity;
    this.ts[i] = tsMs;
    this.kind[i] = FailureKind.REJECT;
    this.origin[i] = origin;
    this.op[i] = op;
    this.inst[i] = inst;
    this.reason[i] = reason;
    this.orderId[i] = orderId;
    this.clOrd[i] = clOrd;
    this.account[i] = account;
    this.n[i] = 0;
    if (this.http[i] !== 0) {
      this.http[i] = 0;
      this.code[i] = 0;
      this.field[i] = 0;
      this.message[i] = null;
    }
    this.count++;
    return i;
  }

  /** A reject seen by a hook that does not know its origin: recorded as REST unless the
   *  binary edge completes it right away (see header). */
  recordTentative(op: number, inst: number, reason: number, tsMs: number): void {
    this.record(FailureOrigin.REST, op, inst, reason, tsMs);
    this.tentative = this.count;
  }

  /** A shard died; `failed` commands in flight on it were answered with SHARD_UNAVAILABLE. */
  recordShardDown(shard: number, inst: number, failed: number, tsMs: number): void {
    this.record(FailureOrigin.SERVER, FailureOp.OTHER, inst, EdgeReason.SHARD_UNAVAILABLE, tsMs);
    const i = (this.count - 1) % this.capacity;
    this.kind[i] = FailureKind.SHARD_DOWN;
    this.account[i] = shard;
    this.n[i] = failed;
  }

  /** The newest records first, at most `limit`, those at or after `sinceMs` only. */
  recent(limit: number, sinceMs: number, symbols: readonly string[]): FailureRecord[] {
    const out: FailureRecord[] = [];
    const oldest = this.count - this.size + 1;
    for (let seq = this.count; seq >= oldest && out.length < limit; seq--) {
      const i = (seq - 1) % this.capacity;
      if (this.ts[i]! < sinceMs) break; // written in time order
      out.push(this.at(seq, symbols));
    }
    return out;
  }

  /** Retained records at or after `sinceMs`, counted by reason name, largest first. */
  summary(sinceMs: number): { reason: number | null; reason_name: string; http_status?: number; count: number }[] {
    // Key: the reason code (0..255), or 256 * status + code index for HTTP client errors.
    const by = new Map<number, number>();
    const oldest = this.count - this.size + 1;
    for (let seq = this.count; seq >= oldest; seq--) {
      const i = (seq - 1) % this.capacity;
      if (this.ts[i]! < sinceMs) break;
      const key = this.http[i] !== 0 ? this.http[i]! * 256 + this.code[i]! : this.reason[i]!;
      by.set(key, (by.get(key) ?? 0) + 1);
    }
    return [...by].map(([key, count]) => key < 256
      ? { reason: key, reason_name: reasonName(key), count }
      : { reason: null, reason_name: this.names[key % 256] ?? 'HTTP_ERROR', http_status: Math.floor(key / 256), count })
      .sort((a, b) => b.count - a.count);
  }

  /** Time of the oldest retained record, or null. */
  oldestMs(): number | null {
    if (this.count === 0) return null;
    return this.ts[(this.count - this.size) % this.capacity]!;
  }

  private at(seq: number, symbols: readonly string[]): FailureRecord {
    const i = (seq - 1) % this.capacity;
    const kind = this.kind[i]!;
    const reason = this.reason[i]!;
    const name = reasonName(reason);
    const inst = this.inst[i]!;
    const r: FailureRecord = {
      seq, time: new Date(this.ts[i]!).toISOString(), kind: KIND_NAME[kind] ?? String(kind),
      origin: ORIGIN_NAME[this.origin[i]!] ?? 'unknown', op: OP_NAME[this.op[i]!] ?? 'other',
      symbol: inst >= 0 ? symbols[inst] ?? null : null, reason, reason_name: name, reason_text: reasonText[name] ?? null,
    };
    if (this.http[i] !== 0) {
      r.reason = null;
      r.reason_name = this.names[this.code[i]!] ?? 'HTTP_ERROR';
      r.reason_text = this.message[i] ?? null;
      r.http_status = this.http[i]!;
      if (this.field[i] !== 0) r.field = this.names[this.field[i]!];
      return r;
    }
    if (kind === FailureKind.SHARD_DOWN) {
      r.shard = this.account[i]!;
      r.failed_commands = this.n[i]!;
      return r;
    }
    if (this.orderId[i]! !== 0) r.order_id = this.orderId[i]!;
    if (this.clOrd[i]! !== 0) r.cl_ord_id = this.clOrd[i]!;
    if (this.origin[i] === FailureOrigin.BINARY) r.account = this.account[i]!;
    return r;
  }
}

export interface FailureRouteDeps {
  log: FailureLog;
  /** Symbol of each instrument index. */
  symbols: readonly string[];
}

export const NOT_RECORDED =
  'binary decode errors before LOGIN and 429 RATE_LIMITED answers (the audit log has each rate-limit trip) are not recorded; ' +
  'circuit-breaker trips are in GET /admin/circuit-breaker/history';

/** GET /admin/errors/recent (open like /admin/errors/summary: read-only, no secrets). */
export function registerFailureRoutes(app: TemplatedApp, deps: FailureRouteDeps): void {
  const { log, symbols } = deps;
  app.get('/admin/errors/recent', (res: HttpResponse, req) => {
    try {
      const q = queryOf(req);
      const limRaw = q.get('limit');
      const limit = limRaw === null || limRaw === '' ? 20 : Number(limRaw);
      if (!Number.isInteger(limit) || limit < 1 || limit > log.capacity) {
        throw new HttpError(400, 'BAD_LIMIT', `limit must be an integer 1..${log.capacity}`, 'limit');
      }
      const sRaw = q.get('since_s');
      const sinceS = sRaw === null || sRaw === '' ? null : Number(sRaw);
      if (sinceS !== null && !(Number.isFinite(sinceS) && sinceS > 0)) {
        throw new HttpError(400, 'BAD_SINCE', 'since_s must be a positive number of seconds', 'since_s');
      }
      const now = Date.now();
      const sinceMs = sinceS === null ? -Infinity : now - sinceS * 1000;
      const failures = log.recent(limit, sinceMs, symbols);
      const oldest = log.oldestMs();
      const totals: Record<string, number> = {};
      for (let r = 0; r < 256; r++) if (log.byReason[r]! > 0) totals[reasonName(r)] = log.byReason[r]!;
      for (const [code, n] of log.byCode) totals[code] = (totals[code] ?? 0) + n;
      sendJson(res, null, 200, {
        timestamp: new Date(now).toISOString(),
        limit,
        since_s: sinceS,
        count: failures.length,
        failures,
        summary: { window: sinceS === null ? 'retained records' : `last ${sinceS} s (retained records)`, by_reason: log.summary(sinceMs) },
        recorded_total: log.count,
        retained: log.size,
        capacity: log.capacity,
        oldest_retained: oldest === null ? null : new Date(oldest).toISOString(),
        totals_since_start: totals,
        not_recorded: NOT_RECORDED,
      });
    } catch (err) {
      sendHttpError(res, null, err);
    }
  });
}

/** What attachFailureLog needs from the chaos injector (src/chaos/faults.ts FaultInjector). */
export interface RejectSource {
  onReject: ((symbol: string, side: number, ordType: number, reason: number) => void) | null;
}

/**
 * Wire `log` into the exchange (binary reports, REST engine/submit rejects, shard deaths), the
 * trading controls (maintenance / breaker rejects, tentative: see header) and the chaos
 * injector's reject listener (chaos-injected NEW orders, tentative; the listener already set,
 * the chaos controller's metrics count, keeps running first).
 */
export function attachFailureLog(log: FailureLog, ex: { failures: FailureLog | null; bySymbol: ReadonlyMap<string, { inst: number }> },
  control: { onRejected: ((i: number, reason: number) => void) | null } | null, injector: RejectSource | null): void {
  ex.failures = log;
  if (control) control.onRejected = (i, reason) => log.recordTentative(FailureOp.ORDER, i, reason, Date.now());
  if (injector) {
    const prev = injector.onReject;
    injector.onReject = (symbol, side, ordType, reason) => {
      prev?.(symbol, side, ordType, reason);
      log.recordTentative(FailureOp.NEW, ex.bySymbol.get(symbol)?.inst ?? -1, reason, Date.now());
    };
  }
}
