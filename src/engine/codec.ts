/**
 * Command writer and event reader for the engine's binary contract (src/engine/layout.ts).
 *
 * - `CommandWriter` appends CMD_SIZE-byte command records into a growable buffer. `bytes()`
 *   is a view of the used part, valid until the next append that grows the buffer or until
 *   `reset()` + new appends overwrite it.
 * - `readI64` / `writeI64` are the int64 helpers both the codec and the TS engine use: an
 *   int64 is a (lo, hi) pair of Int32 words, little-endian. Conversion to a double is exact
 *   for |v| <= 2^53 - 1; beyond that it rounds (monotonically, so range checks on the rounded
 *   value still give the right answer). Writes accept any safe integer, negative included
 *   (two's complement), or a bigint for the full int64 range (fuzzing).
 * - `decodeEvent` / `readEvents` build typed event objects (allocates: tests, tools, edge);
 *   `EventView` / `forEachEvent` read fields in place with no allocation (hot paths).
 *
 * Records are read through Int32Array views, so a buffer must start at a 4-byte aligned
 * offset; the functions here copy when it is not.
 */
import {
  CMD_SIZE, CmdOff, CmdType, EVT_SIZE, EvtOff, EventType,
  cancelReasonName, rejectCodeName,
} from './layout.js';

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // The Int32Array fast paths below assume the platform byte order is little-endian.
  throw new Error('simex engine codec requires a little-endian platform');
}

const TWO_32 = 4294967296;
const INV_TWO_32 = 1 / TWO_32;

// ---------------------------------------------------------------------------------------
// int64 helpers over Int32Array word pairs. `w` is the index of the low word.
// ---------------------------------------------------------------------------------------

/** int64 at words (w, w+1) as a double: exact for |v| <= 2^53 - 1, rounded beyond. */
export function readI64(i32: Int32Array, w: number): number {
  return i32[w + 1]! * TWO_32 + (i32[w]! >>> 0);
}

/** Writes a safe integer (any sign) as int64 at words (w, w+1). Cost: a few flops. */
export function writeI64(i32: Int32Array, w: number, v: number): void {
  const hi = Math.floor(v * INV_TWO_32);
  i32[w] = (v - hi * TWO_32) | 0;
  i32[w + 1] = hi | 0;
}

/** Fast path for 0 <= v <= 2^53 - 1 (everything the engine itself emits). */
export function writeU53(i32: Int32Array, w: number, v: number): void {
  i32[w] = v >>> 0;
  i32[w + 1] = (v * INV_TWO_32) | 0;
}

/** Full-range int64 as bigint (exact; slow path for tests and tools). */
export function readI64Big(i32: Int32Array, w: number): bigint {
  return (BigInt(i32[w + 1]!) << 32n) | BigInt(i32[w]! >>> 0);
}

export function writeI64Big(i32: Int32Array, w: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  i32[w] = Number(u & 0xffffffffn) | 0;
  i32[w + 1] = Number(u >> 32n) | 0;
}

/** An Int32Array over the same bytes as `u8` (copied when `u8` is not 4-byte aligned). */
export function int32View(u8: Uint8Array, byteLength = u8.byteLength): Int32Array {
  const n = byteLength >>> 2;
  if ((u8.byteOffset & 3) === 0) return new Int32Array(u8.buffer, u8.byteOffset, n);
  const copy = new Int32Array(n);
  new Uint8Array(copy.buffer).set(u8.subarray(0, n * 4));
  return copy;
}

// ---------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------

/** int64 command field: a safe integer, or a bigint for out-of-range / fuzz values. */
export type I64 = number | bigint;

export interface NewOrderArgs {
  book: number;
  orderId: I64;
  owner: number;
  side: number; // Side
  ordType?: number; // OrdType, default LIMIT
  tif?: number; // Tif, default GTC
  flags?: number; // Flags bits, default 0
  stp?: number; // StpMode, default NONE
  price: I64; // LIMIT: limit price; MARKET: protection price or 0
  qty: I64;
  ts?: I64; // default 0
}
export interface CancelArgs { book: number; orderId: I64; owner: number; ts?: I64 }
/** `flags`: AmendCmdFlags bits (TOTAL_QTY: qty is the new total quantity), default 0. */
export interface AmendArgs { book: number; orderId: I64; owner: number; price: I64; qty: I64; ts?: I64; flags?: number }
export interface MassCancelArgs { book: number; owner: number; ts?: I64 }

const CMD_W = CMD_SIZE >>> 2; // 12 words per command

/**
 * Growable buffer of command records. Byte fields are written masked to their width
 * (`side: 300` writes 44), so any byte pattern is reachable via `writeRaw`.
 * Cost: O(1) amortized per record; growth doubles the buffer.
 */
export class CommandWriter {
  private buf: ArrayBuffer;
  private u8: Uint8Array;
  private i32: Int32Array;
  private n = 0;

  constructor(initialCommands = 256) {
    this.buf = new ArrayBuffer(Math.max(1, initialCommands) * CMD_SIZE);
    this.u8 = new Uint8Array(this.buf);
    this.i32 = new Int32Array(this.buf);
  }

  /** Number of records written since construction or the last `reset()`. */
  get count(): number { return this.n; }

  /** View of the used part (count * CMD_SIZE bytes). Valid until the buffer grows. */
  bytes(): Uint8Array { return this.u8.subarray(0, this.n * CMD_SIZE); }

  reset(): void { this.n = 0; }

  private slot(): number {
    if ((this.n + 1) * CMD_SIZE > this.buf.byteLength) {
      const nb = new ArrayBuffer(this.buf.byteLength * 2);
      new Uint8Array(nb).set(this.u8);
      this.buf = nb;
      this.u8 = new Uint8Array(nb);
      this.i32 = new Int32Array(nb);
    }
    const w = this.n * CMD_W;
    this.n++;
    return w;
  }

  private header(w: number, type: number, side: number, ordType: number, tif: number,
    flags: number, stp: number, book: number, owner: number, ts: I64 | undefined): void {
    const i32 = this.i32;
    i32[w] = (type & 0xff) | ((side & 0xff) << 8) | ((ordType & 0xff) << 16) | ((tif & 0xff) << 24);
    i32[w + 1] = (flags & 0xff) | ((stp & 0xff) << 8) | ((book & 0xffff) << 16);
    i32[w + 2] = owner | 0;
    i32[w + 3] = 0;
    this.i64(w + 4, ts ?? 0);
  }

  private i64(w: number, v: I64): void {
    if (typeof v === 'number') writeI64(this.i32, w, v);
    else writeI64Big(this.i32, w, v);
  }

  newOrder(a: NewOrderArgs): this {
    const w = this.slot();
    this.header(w, CmdType.NEW, a.side, a.ordType ?? 0, a.tif ?? 0, a.flags ?? 0, a.stp ?? 0,
      a.book, a.owner, a.ts);
    this.i64(w + 6, a.orderId);
    this.i64(w + 8, a.price);
    this.i64(w + 10, a.qty);
    return this;
  }

  cancel(a: CancelArgs): this {
    const w = this.slot();
    this.header(w, CmdType.CANCEL, 0, 0, 0, 0, 0, a.book, a.owner, a.ts);
    this.i64(w + 6, a.orderId);
    this.i64(w + 8, 0);
    this.i64(w + 10, 0);
    return this;
  }

  amend(a: AmendArgs): this {
    const w = this.slot();
    this.header(w, CmdType.AMEND, 0, 0, 0, a.flags ?? 0, 0, a.book, a.owner, a.ts);
    this.i64(w + 6, a.orderId);
    this.i64(w + 8, a.price);
    this.i64(w + 10, a.qty);
    return this;
  }

  massCancel(a: MassCancelArgs): this {
    const w = this.slot();
    this.header(w, CmdType.MASS_CANCEL, 0, 0, 0, 0, 0, a.book, a.owner, a.ts);
    this.i64(w + 6, 0);
    this.i64(w + 8, 0);
    this.i64(w + 10, 0);
    return this;
  }

  /** Appends one record verbatim (exactly CMD_SIZE bytes). For fuzzing and replay. */
  writeRaw(record: Uint8Array): this {
    if (record.byteLength !== CMD_SIZE) {
      throw new RangeError(`writeRaw needs exactly ${CMD_SIZE} bytes, got ${record.byteLength}`);
    }
    const w = this.slot();
    this.u8.set(record, w * 4);
    return this;
  }

  /** Appends all records of another buffer (byteLength must be a multiple of CMD_SIZE). */
  writeAll(records: Uint8Array): this {
    if (records.byteLength % CMD_SIZE !== 0) throw new RangeError('writeAll: not a whole number of records');
    const k = records.byteLength / CMD_SIZE;
    for (let i = 0; i < k; i++) this.writeRaw(records.subarray(i * CMD_SIZE, (i + 1) * CMD_SIZE));
    return this;
  }
}

/** Decoded command (tools and tests). int64 fields are doubles (rounded beyond 2^53). */
export interface DecodedCommand {
  type: number; side: number; ordType: number; tif: number; flags: number; stp: number;
  book: number; owner: number; ts: number; orderId: number; price: number; qty: number;
}

export function decodeCommand(buf: Uint8Array, index: number): DecodedCommand {
  const i32 = int32View(buf.subarray(index * CMD_SIZE, (index + 1) * CMD_SIZE));
  const u8 = buf.subarray(index * CMD_SIZE);
  return {
    type: u8[CmdOff.type]!, side: u8[CmdOff.side]!, ordType: u8[CmdOff.ordType]!,
    tif: u8[CmdOff.tif]!, flags: u8[CmdOff.flags]!, stp: u8[CmdOff.stp]!,
    book: u8[CmdOff.book]! | (u8[CmdOff.book + 1]! << 8),
    owner: i32[CmdOff.owner >>> 2]! >>> 0,
    ts: readI64(i32, CmdOff.ts >>> 2), orderId: readI64(i32, CmdOff.orderId >>> 2),
    price: readI64(i32, CmdOff.price >>> 2), qty: readI64(i32, CmdOff.qty >>> 2),
  };
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

interface EventBase {
  side: number;
  reason: number;
  cmdType: number;
  book: number;
  flags: number;
  seq: number;
  ts: number;
}
export interface AcceptedEvent extends EventBase { type: typeof EventType.ACCEPTED; orderId: number; owner: number; price: number; qty: number }
export interface RejectedEvent extends EventBase {
  type: typeof EventType.REJECTED;
  /** The command's raw orderId bytes read as int64 (rounded beyond 2^53; exact in orderIdRaw). */
  orderId: number;
  orderIdRaw: bigint;
  owner: number;
  code: string; // rejectCodeName(reason)
}
export interface TradeEvent extends EventBase {
  type: typeof EventType.TRADE; takerId: number; makerId: number; price: number; qty: number;
  takerLeaves: number; makerLeaves: number; matchId: number;
}
export interface CancelledEvent extends EventBase {
  type: typeof EventType.CANCELLED; orderId: number; owner: number; price: number; leaves: number;
  code: string; // cancelReasonName(reason)
}
export interface AmendedEvent extends EventBase {
  type: typeof EventType.AMENDED; orderId: number; owner: number; newPrice: number; newLeaves: number;
  oldPrice: number; oldLeaves: number;
}
export interface L2Event extends EventBase { type: typeof EventType.L2; price: number; totalQty: number; orders: number }
export interface DecrementedEvent extends EventBase {
  type: typeof EventType.DECREMENTED; orderId: number; owner: number; price: number; newLeaves: number; decrement: number;
}
export interface UnknownEvent extends EventBase { type: number; s: number[] }

export type EngineEvent =
  | AcceptedEvent | RejectedEvent | TradeEvent | CancelledEvent | AmendedEvent | L2Event
  | DecrementedEvent;

const EVT_W = EVT_SIZE >>> 2; // 20 words per event
const S0 = EvtOff.s0 >>> 2;

/**
 * Zero-allocation reader: point it at a buffer, `at(i)` selects an event, getters read in
 * place. Reuse one instance per buffer; after the engine replaces its buffer, call `reset`.
 */
export class EventView {
  private i32: Int32Array;
  private w = 0;
  constructor(buf: Uint8Array) { this.i32 = int32View(buf); }
  reset(buf: Uint8Array): this { this.i32 = int32View(buf); this.w = 0; return this; }
  at(index: number): this { this.w = index * EVT_W; return this; }
  get type(): number { return this.i32[this.w]! & 0xff; }
  get side(): number { return (this.i32[this.w]! >>> 8) & 0xff; }
  get reason(): number { return (this.i32[this.w]! >>> 16) & 0xff; }
  get cmdType(): number { return this.i32[this.w]! >>> 24; }
  get book(): number { return this.i32[this.w + 1]! & 0xffff; }
  get flags(): number { return this.i32[this.w + 1]! >>> 16; }
  get seq(): number { return readI64(this.i32, this.w + 2); }
  get ts(): number { return readI64(this.i32, this.w + 4); }
  /** Payload slot k (0..6) as a double. */
  s(k: number): number { return readI64(this.i32, this.w + S0 + 2 * k); }
}

/** Calls fn(view, i) for each of `count` events with one reused view (no allocation). */
export function forEachEvent(buf: Uint8Array, count: number, fn: (ev: EventView, index: number) => void): void {
  const v = new EventView(buf);
  for (let i = 0; i < count; i++) fn(v.at(i), i);
}

/** Decodes event `index` of `buf` into a typed object. */
export function decodeEvent(buf: Uint8Array, index: number): EngineEvent | UnknownEvent {
  const i32 = int32View(buf.subarray(index * EVT_SIZE, (index + 1) * EVT_SIZE));
  const w0 = i32[0]!;
  const w1 = i32[1]!;
  const s = (k: number) => readI64(i32, S0 + 2 * k);
  const base: EventBase = {
    side: (w0 >>> 8) & 0xff,
    reason: (w0 >>> 16) & 0xff,
    cmdType: w0 >>> 24,
    book: w1 & 0xffff,
    flags: w1 >>> 16,
    seq: readI64(i32, 2),
    ts: readI64(i32, 4),
  };
  const type = w0 & 0xff;
  switch (type) {
    case EventType.ACCEPTED:
      return { type, ...base, orderId: s(0), owner: s(1), price: s(2), qty: s(3) };
    case EventType.REJECTED:
      return { type, ...base, orderId: s(0), orderIdRaw: readI64Big(i32, S0), owner: s(1), code: rejectCodeName(base.reason) };
    case EventType.TRADE:
      return { type, ...base, takerId: s(0), makerId: s(1), price: s(2), qty: s(3), takerLeaves: s(4), makerLeaves: s(5), matchId: s(6) };
    case EventType.CANCELLED:
      return { type, ...base, orderId: s(0), owner: s(1), price: s(2), leaves: s(3), code: cancelReasonName(base.reason) };
    case EventType.AMENDED:
      return { type, ...base, orderId: s(0), owner: s(1), newPrice: s(2), newLeaves: s(3), oldPrice: s(4), oldLeaves: s(5) };
    case EventType.L2:
      return { type, ...base, price: s(0), totalQty: s(1), orders: s(2) };
    case EventType.DECREMENTED:
      return { type, ...base, orderId: s(0), owner: s(1), price: s(2), newLeaves: s(3), decrement: s(4) };
    default:
      return { type, ...base, s: [0, 1, 2, 3, 4, 5, 6].map(s) };
  }
}

/** Decodes the first `count` events of `buf`. Allocates one object per event. */
export function readEvents(buf: Uint8Array, count: number): (EngineEvent | UnknownEvent)[] {
  const out = new Array<EngineEvent | UnknownEvent>(count);
  for (let i = 0; i < count; i++) out[i] = decodeEvent(buf, i);
  return out;
}

const typeNames = new Map<number, string>(Object.entries(EventType).map(([k, v]) => [v, k]));
/** Stable name of an event type ("TRADE"), or "EVENT_<n>". */
export function eventTypeName(type: number): string {
  return typeNames.get(type) ?? `EVENT_${type}`;
}

/** One-line human form of an event, for test failure messages and logs. */
export function formatEvent(ev: EngineEvent | UnknownEvent): string {
  const { type, ...rest } = ev as unknown as Record<string, unknown> & { type: number };
  const parts = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'bigint' ? `${v}n` : String(v)}`);
  return `${eventTypeName(type)} ${parts.join(' ')}`;
}
