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

export function encAccepted(u8: Uint8Array, dv: DataView, o: number, instrument: number, side: number,
  ordType: number, seq: number, ts: number, clOrdId: number, orderId: number, price: number,
  qty: number, tif: number, flags: number, stp: number): number {
  const len = MSG_SIZE.ACCEPTED;
  head(dv, o, len, MsgType.ACCEPTED);
  dv.setUint16(o + 4, instrument, true);
  dv.setUint8(o + 6, side);
  dv.setUint8(o + 7, ordType);
  putU64(dv, o + 8, seq);
  putI64(dv, o + 16, ts);
  putU64(dv, o + 24, clOrdId);
  putU64(dv, o + 32, orderId);
  putI64(dv, o + 40, price);
  putI64(dv, o + 48, qty);
  dv.setUint8(o + 56, tif);
  dv.setUint8(o + 57, flags);
  dv.setUint8(o + 58, stp);
  zero(u8, o + 59, o + len);
  return len;
}

export function encRejected(u8: Uint8Array, dv: DataView, o: number, instrument: number,
  requestType: number, seq: number, ts: number, clOrdId: number, orderId: number, reason: number): number {
  const len = MSG_SIZE.REJECTED;
  head(dv, o, len, MsgType.REJECTED);
  dv.setUint16(o + 4, instrument, true);
  dv.setUint8(o + 6, requestType);
  dv.setUint8(o + 7, 0);
  putU64(dv, o + 8, seq);
  putI64(dv, o + 16, ts);
  putU64(dv, o + 24, clOrdId);
  putU64(dv, o + 32, orderId);
  dv.setUint16(o + 40, reason, true);
  zero(u8, o + 42, o + len);
  return len;
}

export function encFill(_u8: Uint8Array, dv: DataView, o: number, instrument: number, side: number,
  liquidity: number, seq: number, ts: number, clOrdId: number, orderId: number, matchId: number,
  price: number, qty: number, leaves: number): number {
  const len = MSG_SIZE.FILL;
  head(dv, o, len, MsgType.FILL);
  dv.setUint16(o + 4, instrument, true);
  dv.setUint8(o + 6, side);
  dv.setUint8(o + 7, liquidity);
  putU64(dv, o + 8, seq);
  putI64(dv, o + 16, ts);
  putU64(dv, o + 24, clOrdId);
  putU64(dv, o + 32, orderId);
  putU64(dv, o + 40, matchId);
  putI64(dv, o + 48, price);
  putI64(dv, o + 56, qty);
  putI64(dv, o + 64, leaves);
  return len;
}

export function encCancelled(_u8: Uint8Array, dv: DataView, o: number, instrument: number, reason: number,
  side: number, seq: number, ts: number, clOrdId: number, orderId: number, requestClOrdId: number,
  leaves: number, price: number): number {
  const len = MSG_SIZE.CANCELLED;
  head(dv, o, len, MsgType.CANCELLED);
  dv.setUint16(o + 4, instrument, true);
  dv.setUint8(o + 6, reason);
  dv.setUint8(o + 7, side);
  putU64(dv, o + 8, seq);
  putI64(dv, o + 16, ts);
  putU64(dv, o + 24, clOrdId);
  putU64(dv, o + 32, orderId);
  putU64(dv, o + 40, requestClOrdId);
  putI64(dv, o + 48, leaves);
  putI64(dv, o + 56, price);
  return len;
}

export function encAmended(_u8: Uint8Array, dv: DataView, o: number, instrument: number, flags: number,
  side: number, seq: number, ts: number, clOrdId: number, orderId: number, requestClOrdId: number,
  newPrice: number, newLeaves: number, oldPrice: number, oldLeaves: number): number {
  const len = MSG_SIZE.AMENDED;
  head(dv, o, len, MsgType.AMENDED);
  dv.setUint16(o + 4, instrument, true);
  dv.setUint8(o + 6, flags);
  dv.setUint8(o + 7, side);
  putU64(dv, o + 8, seq);
  putI64(dv, o + 16, ts);
  putU64(dv, o + 24, clOrdId);
  putU64(dv, o + 32, orderId);
  putU64(dv, o + 40, requestClOrdId);
  putI64(dv, o + 48, newPrice);
  putI64(dv, o + 56, newLeaves);
  putI64(dv, o + 64, oldPrice);
  putI64(dv, o + 72, oldLeaves);
  return len;
}

export function encReduced(_u8: Uint8Array, dv: DataView, o: number, instrument: number, reason: number,
  side: number, seq: number, ts: number, clOrdId: number, orderId: number, price: number,
  newLeaves: number, decrement: number): number {
  const len = MSG_SIZE.REDUCED;
  head(dv, o, len, MsgType.REDUCED);
  dv.setUint16(o + 4, instrument, true);
  dv.setUint8(o + 6, reason);
  dv.setUint8(o + 7, side);
  putU64(dv, o + 8, seq);
  putI64(dv, o + 16, ts);
  putU64(dv, o + 24, clOrdId);
  putU64(dv, o + 32, orderId);
  putI64(dv, o + 40, price);
  putI64(dv, o + 48, newLeaves);
  putI64(dv, o + 56, decrement);
  return len;
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
  const len = MSG_SIZE.MD_L2;
  head(dv, o, len, MsgType.MD_L2);
  dv.setUint16(o + 4, instrument, true);
  dv.setUint8(o + 6, side);
  dv.setUint8(o + 7, flags);
  putU64(dv, o + 8, mdSeq);
  putI64(dv, o + 16, ts);
  putI64(dv, o + 24, price);
  putI64(dv, o + 32, qty);
  dv.setUint32(o + 40, orders >>> 0, true);
  zero(u8, o + 44, o + len);
  return len;
}

export function encMdTrade(_u8: Uint8Array, dv: DataView, o: number, instrument: number, aggressorSide: number,
  flags: number, mdSeq: number, ts: number, matchId: number, price: number, qty: number): number {
  const len = MSG_SIZE.MD_TRADE;
  head(dv, o, len, MsgType.MD_TRADE);
  dv.setUint16(o + 4, instrument, true);
  dv.setUint8(o + 6, aggressorSide);
  dv.setUint8(o + 7, flags);
  putU64(dv, o + 8, mdSeq);
  putI64(dv, o + 16, ts);
  putU64(dv, o + 24, matchId);
  putI64(dv, o + 32, price);
  putI64(dv, o + 40, qty);
  return len;
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
