/**
 * Hot-path encoders for the server's sequenced and market-data messages (protocol v1,
 * layouts in src/protocol/messages.ts LAYOUTS / docs/PROTOCOL.md section 8).
 *
 * Why not FrameWriter: its methods take one object per message; these take positional
 * arguments and write straight into a caller's buffer (a session journal slot or a
 * per-book market-data buffer), so the order path allocates nothing. Session messages
 * (LOGIN_ACK, INSTRUMENT, NOTICE, SNAPSHOT ...) use protocol's FrameWriter.
 * test/server/wire.test.ts decodes every encoder's output with protocol's FrameReader.
 *
 * Every function writes a complete message at `o` and returns its length. The caller
 * guarantees room (MAX_REPORT_BYTES for reports, MD_MSG_BYTES for market data).
 */
import { MsgType, MSG_SIZE } from '../protocol/messages.js';
import { writeI64 } from '../engine/codec.js';

const TWO32 = 4294967296;
/** Largest execution report (AMENDED). Journal slots are this size. */
export const MAX_REPORT_BYTES = 80;
export const MD_MSG_BYTES = 48;

/** Non-negative safe integer as u64 / i64. */
export function putU64(dv: DataView, o: number, v: number): void {
  dv.setUint32(o, v >>> 0, true);
  dv.setUint32(o + 4, (v / TWO32) >>> 0, true);
}

/** Any safe integer as two's-complement i64. */
export function putI64(dv: DataView, o: number, v: number): void {
  if (v >= 0) {
    putU64(dv, o, v);
    return;
  }
  const hi = Math.floor(v / TWO32);
  dv.setUint32(o, (v - hi * TWO32) >>> 0, true);
  dv.setInt32(o + 4, hi, true);
}

function head(dv: DataView, o: number, len: number, type: number): void {
  dv.setUint16(o, len, true);
  dv.setUint8(o + 2, type);
  dv.setUint8(o + 3, 0);
}

function zero(u8: Uint8Array, from: number, to: number): void {
  u8.fill(0, from, to);
}

/**
 * Word-source encoders (`...W`): every i64 field is copied as its two Int32 words (lo, hi)
 * from `src` at the word index given (`tsW`, `idW` ...), typically straight from an engine
 * event record in the shard's outbound ring (layout.ts EVT_SIZE records). Why: on the order
 * path these values (µs timestamps, order ids = slot * 2^32 + n, prices) are never Smis, so
 * each one passed as a number through a call that is not inlined costs a 16-byte HeapNumber;
 * a word index is a Smi. The bytes equal the number encoders' for every safe integer: both
 * write little-endian two's complement (`src` words are what writeI64 stores).
 * Number-valued fields (seq, clOrdIds) stay numbers: they come from the session and the
 * pending table, not the ring.
 */
function copyI64(dv: DataView, o: number, src: Int32Array, w: number): void {
  dv.setInt32(o, src[w]!, true);
  dv.setInt32(o + 4, src[w + 1]!, true);
}

/** Four consecutive i64 fields at o, o + 8, o + 16, o + 24. */
function copyI64x4(dv: DataView, o: number, src: Int32Array, a: number, b: number, c: number, d: number): void {
  copyI64(dv, o, src, a);
  copyI64(dv, o + 8, src, b);
  copyI64(dv, o + 16, src, c);
  copyI64(dv, o + 24, src, d);
}

/** Bytes 0..23 shared by every message here (reports and market data): header, instrument,
 *  two type-specific bytes (6, 7), a u64 sequence (seq or mdSeq), ts. */
function msgHead(dv: DataView, o: number, len: number, type: number, instrument: number, b6: number, b7: number,
  seq: number, src: Int32Array, tsW: number): void {
  head(dv, o, len, type);
  dv.setUint16(o + 4, instrument, true);
  dv.setUint8(o + 6, b6);
  dv.setUint8(o + 7, b7);
  putU64(dv, o + 8, seq);
  copyI64(dv, o + 16, src, tsW);
}

/**
 * Bytes 0..39 shared by every execution report (ACCEPTED, FILL, CANCELLED, AMENDED, REDUCED):
 * header, instrument, two type-specific bytes (6, 7), seq, ts, clOrdId, orderId.
 */
function reportHead(dv: DataView, o: number, len: number, type: number, instrument: number, b6: number, b7: number,
  seq: number, clOrdId: number, src: Int32Array, tsW: number, idW: number): void {
  msgHead(dv, o, len, type, instrument, b6, b7, seq, src, tsW);
  putU64(dv, o + 24, clOrdId);
  copyI64(dv, o + 32, src, idW);
}

export function encAcceptedW(u8: Uint8Array, dv: DataView, o: number, instrument: number, side: number,
  ordType: number, seq: number, clOrdId: number, tif: number, flags: number, stp: number,
  src: Int32Array, tsW: number, idW: number, priceW: number, qtyW: number): number {
  const len = MSG_SIZE.ACCEPTED;
  reportHead(dv, o, len, MsgType.ACCEPTED, instrument, side, ordType, seq, clOrdId, src, tsW, idW);
  copyI64(dv, o + 40, src, priceW);
  copyI64(dv, o + 48, src, qtyW);
  dv.setUint8(o + 56, tif);
  dv.setUint8(o + 57, flags);
  dv.setUint8(o + 58, stp);
  zero(u8, o + 59, o + len);
  return len;
}

export function encFillW(dv: DataView, o: number, instrument: number, side: number, liquidity: number,
  seq: number, clOrdId: number, src: Int32Array, tsW: number, idW: number, matchW: number, priceW: number,
  qtyW: number, leavesW: number): number {
  const len = MSG_SIZE.FILL;
  reportHead(dv, o, len, MsgType.FILL, instrument, side, liquidity, seq, clOrdId, src, tsW, idW);
  copyI64x4(dv, o + 40, src, matchW, priceW, qtyW, leavesW);
  return len;
}

export function encCancelledW(dv: DataView, o: number, instrument: number, reason: number, side: number,
  seq: number, clOrdId: number, requestClOrdId: number, src: Int32Array, tsW: number, idW: number,
  leavesW: number, priceW: number): number {
  const len = MSG_SIZE.CANCELLED;
  reportHead(dv, o, len, MsgType.CANCELLED, instrument, reason, side, seq, clOrdId, src, tsW, idW);
  putU64(dv, o + 40, requestClOrdId);
  copyI64(dv, o + 48, src, leavesW);
  copyI64(dv, o + 56, src, priceW);
  return len;
}

export function encAmendedW(dv: DataView, o: number, instrument: number, flags: number, side: number,
  seq: number, clOrdId: number, requestClOrdId: number, src: Int32Array, tsW: number, idW: number,
  newPriceW: number, newLeavesW: number, oldPriceW: number, oldLeavesW: number): number {
  const len = MSG_SIZE.AMENDED;
  reportHead(dv, o, len, MsgType.AMENDED, instrument, flags, side, seq, clOrdId, src, tsW, idW);
  putU64(dv, o + 40, requestClOrdId);
  copyI64x4(dv, o + 48, src, newPriceW, newLeavesW, oldPriceW, oldLeavesW);
  return len;
}

export function encReducedW(dv: DataView, o: number, instrument: number, reason: number, side: number,
  seq: number, clOrdId: number, src: Int32Array, tsW: number, idW: number, priceW: number, newLeavesW: number,
  decrementW: number): number {
  const len = MSG_SIZE.REDUCED;
  reportHead(dv, o, len, MsgType.REDUCED, instrument, reason, side, seq, clOrdId, src, tsW, idW);
  copyI64(dv, o + 40, src, priceW);
  copyI64(dv, o + 48, src, newLeavesW);
  copyI64(dv, o + 56, src, decrementW);
  return len;
}

export function encMdL2W(u8: Uint8Array, dv: DataView, o: number, instrument: number, side: number,
  flags: number, mdSeq: number, orders: number, src: Int32Array, tsW: number, priceW: number, qtyW: number): number {
  const len = MSG_SIZE.MD_L2;
  msgHead(dv, o, len, MsgType.MD_L2, instrument, side, flags, mdSeq, src, tsW);
  copyI64(dv, o + 24, src, priceW);
  copyI64(dv, o + 32, src, qtyW);
  dv.setUint32(o + 40, orders >>> 0, true);
  zero(u8, o + 44, o + len);
  return len;
}

export function encMdTradeW(dv: DataView, o: number, instrument: number, aggressorSide: number, flags: number,
  mdSeq: number, src: Int32Array, tsW: number, matchW: number, priceW: number, qtyW: number): number {
  const len = MSG_SIZE.MD_TRADE;
  msgHead(dv, o, len, MsgType.MD_TRADE, instrument, aggressorSide, flags, mdSeq, src, tsW);
  copyI64(dv, o + 24, src, matchW);
  copyI64(dv, o + 32, src, priceW);
  copyI64(dv, o + 40, src, qtyW);
  return len;
}

/**
 * Number-argument encoders (tests, tools, the rare paths): each stores its i64 arguments
 * into SCRATCH (writeI64: safe integers, any sign) and runs the word-source encoder, so
 * there is one byte layout per message.
 */
const SCRATCH = new Int32Array(16);
function scratch(a: number, b: number, c: number, d: number, e: number, f: number): Int32Array {
  writeI64(SCRATCH, 0, a);
  writeI64(SCRATCH, 2, b);
  writeI64(SCRATCH, 4, c);
  writeI64(SCRATCH, 6, d);
  writeI64(SCRATCH, 8, e);
  writeI64(SCRATCH, 10, f);
  return SCRATCH;
}

export function encAccepted(u8: Uint8Array, dv: DataView, o: number, instrument: number, side: number,
  ordType: number, seq: number, ts: number, clOrdId: number, orderId: number, price: number,
  qty: number, tif: number, flags: number, stp: number): number {
  return encAcceptedW(u8, dv, o, instrument, side, ordType, seq, clOrdId, tif, flags, stp,
    scratch(ts, orderId, price, qty, 0, 0), 0, 2, 4, 6);
}

export function encRejected(u8: Uint8Array, dv: DataView, o: number, instrument: number,
  requestType: number, seq: number, ts: number, clOrdId: number, orderId: number, reason: number): number {
  const len = MSG_SIZE.REJECTED;
  reportHead(dv, o, len, MsgType.REJECTED, instrument, requestType, 0, seq, clOrdId, scratch(ts, orderId, 0, 0, 0, 0), 0, 2);
  dv.setUint16(o + 40, reason, true);
  zero(u8, o + 42, o + len);
  return len;
}

export function encFill(_u8: Uint8Array, dv: DataView, o: number, instrument: number, side: number,
  liquidity: number, seq: number, ts: number, clOrdId: number, orderId: number, matchId: number,
  price: number, qty: number, leaves: number): number {
  return encFillW(dv, o, instrument, side, liquidity, seq, clOrdId,
    scratch(ts, orderId, matchId, price, qty, leaves), 0, 2, 4, 6, 8, 10);
}

export function encCancelled(_u8: Uint8Array, dv: DataView, o: number, instrument: number, reason: number,
  side: number, seq: number, ts: number, clOrdId: number, orderId: number, requestClOrdId: number,
  leaves: number, price: number): number {
  return encCancelledW(dv, o, instrument, reason, side, seq, clOrdId, requestClOrdId,
    scratch(ts, orderId, leaves, price, 0, 0), 0, 2, 4, 6);
}

export function encAmended(_u8: Uint8Array, dv: DataView, o: number, instrument: number, flags: number,
  side: number, seq: number, ts: number, clOrdId: number, orderId: number, requestClOrdId: number,
  newPrice: number, newLeaves: number, oldPrice: number, oldLeaves: number): number {
  return encAmendedW(dv, o, instrument, flags, side, seq, clOrdId, requestClOrdId,
    scratch(ts, orderId, newPrice, newLeaves, oldPrice, oldLeaves), 0, 2, 4, 6, 8, 10);
}

export function encReduced(_u8: Uint8Array, dv: DataView, o: number, instrument: number, reason: number,
  side: number, seq: number, ts: number, clOrdId: number, orderId: number, price: number,
  newLeaves: number, decrement: number): number {
  return encReducedW(dv, o, instrument, reason, side, seq, clOrdId,
    scratch(ts, orderId, price, newLeaves, decrement, 0), 0, 2, 4, 6, 8);
}

export function encMassCancelAck(u8: Uint8Array, dv: DataView, o: number, instrument: number, seq: number,
  ts: number, clOrdId: number, count: number): number {
  const len = MSG_SIZE.MASS_CANCEL_ACK;
  head(dv, o, len, MsgType.MASS_CANCEL_ACK);
  dv.setUint16(o + 4, instrument, true);
  dv.setUint16(o + 6, 0, true);
  putU64(dv, o + 8, seq);
  putI64(dv, o + 16, ts);
  putU64(dv, o + 24, clOrdId);
  dv.setUint32(o + 32, count >>> 0, true);
  zero(u8, o + 36, o + len);
  return len;
}

export function encMdL2(u8: Uint8Array, dv: DataView, o: number, instrument: number, side: number,
  flags: number, mdSeq: number, ts: number, price: number, qty: number, orders: number): number {
  return encMdL2W(u8, dv, o, instrument, side, flags, mdSeq, orders, scratch(ts, price, qty, 0, 0, 0), 0, 2, 4);
}

export function encMdTrade(_u8: Uint8Array, dv: DataView, o: number, instrument: number, aggressorSide: number,
  flags: number, mdSeq: number, ts: number, matchId: number, price: number, qty: number): number {
  return encMdTradeW(dv, o, instrument, aggressorSide, flags, mdSeq, scratch(ts, matchId, price, qty, 0, 0), 0, 2, 4, 6);
}

/**
 * Bytes handed to uWS `send` / `publish`, which copy them before returning (the server
 * resets and refills its buffers right after each call). A view of an OutBuf's first `len`
 * bytes is a new Uint8Array per send (~100 B of heap); here the bytes are copied (4 bytes
 * per step) into one shared buffer and the view of its first `len` bytes is made once per
 * length and kept (lengths up to SEND_VIEW_MAX: at most one view per distinct length seen,
 * ~100 B each). The returned view is valid until the next `sendView` call.
 */
const SEND_VIEW_MAX = 16 * 1024;
const SEND_BUF = new Uint8Array(SEND_VIEW_MAX);
const SEND_DV = new DataView(SEND_BUF.buffer);
const SEND_VIEWS: (Uint8Array | undefined)[] = [];

export function sendView(b: OutBuf): Uint8Array {
  const len = b.len;
  if (len > SEND_VIEW_MAX) return b.view();
  let v = SEND_VIEWS[len];
  if (v === undefined) v = SEND_VIEWS[len] = SEND_BUF.subarray(0, len);
  const dv = b.dv;
  const words = len & ~3;
  let i = 0;
  for (; i < words; i += 4) SEND_DV.setInt32(i, dv.getInt32(i, true), true);
  const u8 = b.u8;
  for (; i < len; i++) SEND_BUF[i] = u8[i]!;
  return v;
}

/**
 * Growable byte buffer for outgoing frames (one per connection, one per book for market
 * data). `ensure(n)` before writing n bytes at `len`. Doubles; never shrinks below its
 * initial size after `reset`.
 */
export class OutBuf {
  u8: Uint8Array;
  dv: DataView;
  len = 0;
  constructor(initial = 1024) {
    this.u8 = new Uint8Array(initial);
    this.dv = new DataView(this.u8.buffer);
  }
  ensure(n: number): void {
    if (this.len + n <= this.u8.byteLength) return;
    let cap = this.u8.byteLength * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.u8.subarray(0, this.len));
    this.u8 = nb;
    this.dv = new DataView(nb.buffer);
  }
  append(src: Uint8Array): void {
    this.ensure(src.byteLength);
    this.u8.set(src, this.len);
    this.len += src.byteLength;
  }
  view(): Uint8Array {
    return this.u8.subarray(0, this.len);
  }
  /** Drop a buffer that grew very large (after a burst) back to `initial`. */
  reset(initial = 1024): void {
    this.len = 0;
    if (this.u8.byteLength > 1 << 20) {
      this.u8 = new Uint8Array(initial);
      this.dv = new DataView(this.u8.buffer);
    }
  }
}
