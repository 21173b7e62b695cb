/**
 * Encoder and decoder for protocol v1 (layouts: messages.ts / docs/PROTOCOL.md).
 *
 * Encoding: `FrameWriter` appends messages into one growable buffer; `bytes()` (a view,
 * valid until the next write/reset) or `take()` (a copy, then reset) is the frame to send.
 * Cost: one bounds check + a handful of DataView stores per message, no allocation unless
 * the buffer grows (it doubles; it never shrinks). The writer trusts its caller: numeric
 * fields must be safe integers in range (values outside are written truncated).
 *
 * Decoding: `FrameReader` walks one received frame message by message and returns typed
 * message objects (one small object per message) or a `DecodeError` object in a message's
 * place. It never throws on input bytes: truncated, oversized, unknown or out-of-range input
 * becomes a DecodeError (see messages.ts for its fields). After a *fatal* error (framing
 * lost) it returns null. `decodeFrame` is the convenience form returning an array.
 */
import { EdgeReason, RejectReason } from './reasons.js';
import {
  MsgType, MSG_SIZE, LOGIN_SIGNED_SIZE, HEADER_SIZE, SNAPSHOT_LEVEL_SIZE, SYMBOL_BYTES,
  MAX_SUBSCRIBE_IDS, MAX_NOTICE_TEXT, SNAPSHOT_LEVELS_PER_MESSAGE, ALL_INSTRUMENTS, SnapshotFlags, AmendQtyFlags, CancelReason,
  type Message, type Decoded, type DecodeError, type Login, type ClientHeartbeat, type NewOrder,
  type Cancel, type Amend, type MassCancel, type Subscribe, type Unsubscribe,
  type SnapshotRequest, type LoginAck, type LoginReject, type Instrument, type ServerHeartbeat,
  type Notice, type Disconnect, type Accepted, type Rejected, type Fill, type Cancelled,
  type Amended, type Reduced, type MassCancelAck, type MdL2, type MdTrade, type Snapshot,
  type SnapshotLevel, type Side, type OrdType, type Tif, type StpMode, type Liquidity,
} from './messages.js';

const TWO32 = 4294967296;
/** Highest CancelReason a receiver accepts (5 AMEND_TO_FILLED: sent only to a client that set
 *  AMEND flags QTY_TOTAL, so a client decoding only 1..4 never sees it). */
const MAX_CANCEL_REASON = CancelReason.AMEND_TO_FILLED;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** Field values of message M without its `type` tag (what FrameWriter methods take). */
export type Fields<M> = Omit<M, 'type'>;

// ---------------------------------------------------------------------------------------
// Encoder
// ---------------------------------------------------------------------------------------

export class FrameWriter {
  private buf: Uint8Array;
  private dv: DataView;
  private len = 0;
  /** Messages in the current frame. */
  count = 0;

  constructor(initialBytes = 4096) {
    this.buf = new Uint8Array(Math.max(64, initialBytes));
    this.dv = new DataView(this.buf.buffer);
  }

  /** Bytes in the current frame. */
  get length(): number {
    return this.len;
  }

  /** Start a new frame (keeps the buffer). */
  reset(): void {
    this.len = 0;
    this.count = 0;
  }

  /** The frame so far: a view into the writer's buffer, valid until the next write/reset. */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** A copy of the frame so far; then reset. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    this.reset();
    return out;
  }

  /** Reserve `size` zeroed bytes, write the header, return the message offset. */
  private begin(type: number, size: number): number {
    const off = this.len;
    const need = off + size;
    if (need > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < need) cap *= 2;
      const nb = new Uint8Array(cap);
      nb.set(this.buf.subarray(0, off));
      this.buf = nb;
      this.dv = new DataView(nb.buffer);
    }
    this.buf.fill(0, off, need);
    this.dv.setUint16(off, size, true);
    this.buf[off + 2] = type;
    this.len = need;
    this.count++;
    return off;
  }

  private u64(off: number, v: number): void {
    this.dv.setUint32(off, v >>> 0, true);
    this.dv.setUint32(off + 4, Math.floor(v / TWO32) >>> 0, true);
  }

  private i64(off: number, v: number): void {
    this.dv.setUint32(off, v >>> 0, true);
    this.dv.setInt32(off + 4, Math.floor(v / TWO32), true);
  }

  // ----- client -> server -----

  /** 32 bytes; LOGIN_SIGNED_SIZE (72) when `authMac` is given (authTs at 32, the first 32
   *  bytes of authMac at 40). */
  login(m: Fields<Login>): void {
    const signed = m.authMac !== undefined;
    const o = this.begin(MsgType.LOGIN, signed ? LOGIN_SIGNED_SIZE : MSG_SIZE.LOGIN);
    this.buf[o + 4] = m.protocolVersion;
    this.u64(o + 8, m.sessionId);
    this.u64(o + 16, m.nextExpectedSeq);
    this.dv.setUint32(o + 24, m.account, true);
    if (signed) {
      this.i64(o + 32, m.authTs ?? 0);
      this.buf.set(m.authMac!.subarray(0, 32), o + 40);
    }
  }

  logout(): void {
    this.begin(MsgType.LOGOUT, MSG_SIZE.LOGOUT);
  }

  clientHeartbeat(m: Fields<ClientHeartbeat>): void {
    const o = this.begin(MsgType.CLIENT_HEARTBEAT, MSG_SIZE.CLIENT_HEARTBEAT);
    this.i64(o + 8, m.ts);
    this.u64(o + 16, m.lastSeqSeen);
  }

  newOrder(m: Fields<NewOrder>): void {
    const o = this.begin(MsgType.NEW_ORDER, MSG_SIZE.NEW_ORDER);
    const b = this.buf;
    this.dv.setUint16(o + 4, m.instrument, true);
    b[o + 6] = m.side;
    b[o + 7] = m.ordType;
    b[o + 8] = m.tif;
    b[o + 9] = m.flags;
    b[o + 10] = m.stp;
    this.u64(o + 16, m.clOrdId);
    this.i64(o + 24, m.price);
    this.i64(o + 32, m.qty);
  }

  cancel(m: Fields<Cancel>): void {
    const o = this.begin(MsgType.CANCEL, MSG_SIZE.CANCEL);
    this.dv.setUint16(o + 4, m.instrument, true);
    this.u64(o + 8, m.clOrdId);
    this.u64(o + 16, m.origClOrdId);
    this.u64(o + 24, m.orderId);
  }

  amend(m: Fields<Amend>): void {
    const o = this.begin(MsgType.AMEND, MSG_SIZE.AMEND);
    this.dv.setUint16(o + 4, m.instrument, true);
    this.u64(o + 8, m.clOrdId);
    this.u64(o + 16, m.origClOrdId);
    this.u64(o + 24, m.orderId);
    this.buf[o + 6] = m.flags ?? 0;
    this.i64(o + 32, m.newPrice);
    this.i64(o + 40, m.newQty);
  }

  massCancel(m: Fields<MassCancel>): void {
    const o = this.begin(MsgType.MASS_CANCEL, MSG_SIZE.MASS_CANCEL);
    this.dv.setUint16(o + 4, m.instrument, true);
    this.u64(o + 8, m.clOrdId);
  }

  private idList(type: number, flags: number, ids: readonly number[]): void {
    const n = Math.min(ids.length, MAX_SUBSCRIBE_IDS);
    const o = this.begin(type, MSG_SIZE.SUBSCRIBE + 2 * n);
    this.buf[o + 4] = flags;
    this.dv.setUint16(o + 6, n, true);
    for (let i = 0; i < n; i++) this.dv.setUint16(o + 8 + 2 * i, ids[i]!, true);
  }

  /** Up to MAX_SUBSCRIBE_IDS ids per message (extra ids are not written: split first). */
  subscribe(m: Fields<Subscribe>): void {
    this.idList(MsgType.SUBSCRIBE, m.flags, m.instruments);
  }

  unsubscribe(m: Fields<Unsubscribe>): void {
    this.idList(MsgType.UNSUBSCRIBE, m.flags, m.instruments);
  }

  snapshotRequest(m: Fields<SnapshotRequest>): void {
    const o = this.begin(MsgType.SNAPSHOT_REQUEST, MSG_SIZE.SNAPSHOT_REQUEST);
    this.dv.setUint16(o + 4, m.instrument, true);
    this.dv.setUint32(o + 8, m.maxLevels, true);
  }

  // ----- server -> client: session -----

  loginAck(m: Fields<LoginAck>): void {
    const o = this.begin(MsgType.LOGIN_ACK, MSG_SIZE.LOGIN_ACK);
    this.buf[o + 4] = m.protocolVersion;
    this.buf[o + 5] = m.flags;
    this.dv.setUint16(o + 6, m.instrumentCount, true);
    this.u64(o + 8, m.sessionId);
    this.u64(o + 16, m.nextClOrdId);
    this.u64(o + 24, m.lastSeq);
    this.dv.setUint32(o + 32, m.heartbeatMs, true);
    this.dv.setUint32(o + 36, m.account, true);
    this.i64(o + 40, m.serverTime);
  }

  loginReject(m: Fields<LoginReject>): void {
    const o = this.begin(MsgType.LOGIN_REJECT, MSG_SIZE.LOGIN_REJECT);
    this.dv.setUint16(o + 4, m.reason, true);
  }

  /** Symbol: ASCII, at most 16 bytes (longer is cut). */
  instrument(m: Fields<Instrument>): void {
    const o = this.begin(MsgType.INSTRUMENT, MSG_SIZE.INSTRUMENT);
    const b = this.buf;
    this.dv.setUint16(o + 4, m.instrument, true);
    b[o + 6] = m.priceDecimals;
    b[o + 7] = m.qtyDecimals;
    b[o + 8] = m.status;
    const n = Math.min(m.symbol.length, SYMBOL_BYTES);
    for (let i = 0; i < n; i++) b[o + 16 + i] = m.symbol.charCodeAt(i) & 0x7f;
    this.i64(o + 32, m.tickSize);
    this.i64(o + 40, m.lotSize);
    this.i64(o + 48, m.minQty);
    this.i64(o + 56, m.maxQty);
    this.i64(o + 64, m.minPrice);
    this.i64(o + 72, m.maxPrice);
    this.dv.setUint32(o + 80, m.bandBps, true);
  }

  serverHeartbeat(m: Fields<ServerHeartbeat>): void {
    const o = this.begin(MsgType.SERVER_HEARTBEAT, MSG_SIZE.SERVER_HEARTBEAT);
    this.i64(o + 8, m.ts);
    this.u64(o + 16, m.lastSeq);
  }

  private noticeLike(type: number, m: Fields<Notice>): void {
    // Encode the text first into a scratch area so the message length is known.
    const text = textEncoder.encode(m.text);
    let n = Math.min(text.length, MAX_NOTICE_TEXT);
    // Do not cut a UTF-8 sequence: back up to a lead byte.
    if (n < text.length) while (n > 0 && (text[n]! & 0xc0) === 0x80) n--;
    const o = this.begin(type, MSG_SIZE.NOTICE + n);
    this.dv.setUint16(o + 4, m.reason, true);
    this.dv.setUint16(o + 6, m.instrument, true);
    this.u64(o + 8, m.ref);
    this.buf.set(text.subarray(0, n), o + 16);
  }

  /** Text is cut to MAX_NOTICE_TEXT bytes of UTF-8 (on a character boundary). */
  notice(m: Fields<Notice>): void {
    this.noticeLike(MsgType.NOTICE, m);
  }

  disconnect(m: Fields<Disconnect>): void {
    this.noticeLike(MsgType.DISCONNECT, m);
  }

  // ----- server -> client: execution reports -----

  accepted(m: Fields<Accepted>): void {
    const o = this.begin(MsgType.ACCEPTED, MSG_SIZE.ACCEPTED);
    const b = this.buf;
    this.dv.setUint16(o + 4, m.instrument, true);
    b[o + 6] = m.side;
    b[o + 7] = m.ordType;
    this.u64(o + 8, m.seq);
    this.i64(o + 16, m.ts);
    this.u64(o + 24, m.clOrdId);
    this.u64(o + 32, m.orderId);
    this.i64(o + 40, m.price);
    this.i64(o + 48, m.qty);
    b[o + 56] = m.tif;
    b[o + 57] = m.flags;
    b[o + 58] = m.stp;
  }

  rejected(m: Fields<Rejected>): void {
    const o = this.begin(MsgType.REJECTED, MSG_SIZE.REJECTED);
    this.dv.setUint16(o + 4, m.instrument, true);
    this.buf[o + 6] = m.requestType;
    this.u64(o + 8, m.seq);
    this.i64(o + 16, m.ts);
    this.u64(o + 24, m.clOrdId);
    this.u64(o + 32, m.orderId);
    this.dv.setUint16(o + 40, m.reason, true);
  }

  fill(m: Fields<Fill>): void {
    const o = this.begin(MsgType.FILL, MSG_SIZE.FILL);
    this.dv.setUint16(o + 4, m.instrument, true);
    this.buf[o + 6] = m.side;
    this.buf[o + 7] = m.liquidity;
    this.u64(o + 8, m.seq);
    this.i64(o + 16, m.ts);
    this.u64(o + 24, m.clOrdId);
    this.u64(o + 32, m.orderId);
    this.u64(o + 40, m.matchId);
    this.i64(o + 48, m.price);
    this.i64(o + 56, m.qty);
    this.i64(o + 64, m.leaves);
  }

  cancelled(m: Fields<Cancelled>): void {
    const o = this.begin(MsgType.CANCELLED, MSG_SIZE.CANCELLED);
    this.dv.setUint16(o + 4, m.instrument, true);
    this.buf[o + 6] = m.reason;
    this.buf[o + 7] = m.side;
    this.u64(o + 8, m.seq);
    this.i64(o + 16, m.ts);
    this.u64(o + 24, m.clOrdId);
    this.u64(o + 32, m.orderId);
    this.u64(o + 40, m.requestClOrdId);
    this.i64(o + 48, m.leaves);
    this.i64(o + 56, m.price);
  }

  amended(m: Fields<Amended>): void {
    const o = this.begin(MsgType.AMENDED, MSG_SIZE.AMENDED);
    this.dv.setUint16(o + 4, m.instrument, true);
    this.buf[o + 6] = m.flags;
    this.buf[o + 7] = m.side;
    this.u64(o + 8, m.seq);
    this.i64(o + 16, m.ts);
    this.u64(o + 24, m.clOrdId);
    this.u64(o + 32, m.orderId);
    this.u64(o + 40, m.requestClOrdId);
    this.i64(o + 48, m.newPrice);
    this.i64(o + 56, m.newLeaves);
    this.i64(o + 64, m.oldPrice);
    this.i64(o + 72, m.oldLeaves);
  }

  reduced(m: Fields<Reduced>): void {
    const o = this.begin(MsgType.REDUCED, MSG_SIZE.REDUCED);
    this.dv.setUint16(o + 4, m.instrument, true);
    this.buf[o + 6] = m.reason;
    this.buf[o + 7] = m.side;
    this.u64(o + 8, m.seq);
    this.i64(o + 16, m.ts);
    this.u64(o + 24, m.clOrdId);
    this.u64(o + 32, m.orderId);
    this.i64(o + 40, m.price);
    this.i64(o + 48, m.newLeaves);
    this.i64(o + 56, m.decrement);
  }

  massCancelAck(m: Fields<MassCancelAck>): void {
    const o = this.begin(MsgType.MASS_CANCEL_ACK, MSG_SIZE.MASS_CANCEL_ACK);
    this.dv.setUint16(o + 4, m.instrument, true);
    this.u64(o + 8, m.seq);
    this.i64(o + 16, m.ts);
    this.u64(o + 24, m.clOrdId);
    this.dv.setUint32(o + 32, m.count, true);
  }

  // ----- server -> client: market data -----

  mdL2(m: Fields<MdL2>): void {
    const o = this.begin(MsgType.MD_L2, MSG_SIZE.MD_L2);
    this.dv.setUint16(o + 4, m.instrument, true);
    this.buf[o + 6] = m.side;
    this.buf[o + 7] = m.flags;
    this.u64(o + 8, m.mdSeq);
    this.i64(o + 16, m.ts);
    this.i64(o + 24, m.price);
    this.i64(o + 32, m.qty);
    this.dv.setUint32(o + 40, m.orders, true);
  }

  mdTrade(m: Fields<MdTrade>): void {
    const o = this.begin(MsgType.MD_TRADE, MSG_SIZE.MD_TRADE);
    this.dv.setUint16(o + 4, m.instrument, true);
    this.buf[o + 6] = m.aggressorSide;
    this.buf[o + 7] = m.flags;
    this.u64(o + 8, m.mdSeq);
    this.i64(o + 16, m.ts);
    this.u64(o + 24, m.matchId);
    this.i64(o + 32, m.price);
    this.i64(o + 40, m.qty);
  }

  /** One SNAPSHOT part; at most SNAPSHOT_LEVELS_PER_MESSAGE levels (extra are not written). */
  snapshot(m: Fields<Snapshot>): void {
    this.snapshotPart(m.instrument, m.flags, m.mdSeq, m.ts, m.part, m.levels, 0, m.levels.length);
  }

  private snapshotPart(
    instrument: number, flags: number, mdSeq: number, ts: number, part: number,
    levels: readonly SnapshotLevel[], from: number, to: number,
  ): void {
    const n = Math.min(to - from, SNAPSHOT_LEVELS_PER_MESSAGE);
    const o = this.begin(MsgType.SNAPSHOT, MSG_SIZE.SNAPSHOT + SNAPSHOT_LEVEL_SIZE * n);
    this.dv.setUint16(o + 4, instrument, true);
    this.buf[o + 6] = flags;
    this.u64(o + 8, mdSeq);
    this.i64(o + 16, ts);
    this.dv.setUint16(o + 24, part, true);
    this.dv.setUint16(o + 26, n, true);
    let p = o + MSG_SIZE.SNAPSHOT;
    for (let i = from; i < from + n; i++, p += SNAPSHOT_LEVEL_SIZE) {
      const l = levels[i]!;
      this.buf[p] = l.side;
      this.dv.setUint32(p + 4, l.orders, true);
      this.i64(p + 8, l.price);
      this.i64(p + 16, l.qty);
    }
  }

  /**
   * A whole book as SNAPSHOT parts (bids best first, then asks best first), splitting every
   * `perPart` levels and flagging the last part. An empty book is one part with no levels.
   * Returns the number of parts written.
   */
  snapshotParts(
    instrument: number, mdSeq: number, ts: number,
    bids: readonly { price: number; qty: number; orders: number }[],
    asks: readonly { price: number; qty: number; orders: number }[],
    perPart = SNAPSHOT_LEVELS_PER_MESSAGE,
  ): number {
    const levels: SnapshotLevel[] = [];
    for (const l of bids) levels.push({ side: 0, orders: l.orders, price: l.price, qty: l.qty });
    for (const l of asks) levels.push({ side: 1, orders: l.orders, price: l.price, qty: l.qty });
    const per = Math.max(1, Math.min(perPart, SNAPSHOT_LEVELS_PER_MESSAGE));
    const parts = Math.max(1, Math.ceil(levels.length / per));
    for (let p = 0; p < parts; p++) {
      const last = p === parts - 1 ? SnapshotFlags.LAST : 0;
      this.snapshotPart(instrument, last, mdSeq, ts, p, levels, p * per, Math.min(levels.length, (p + 1) * per));
    }
    return parts;
  }

  /** Append any typed message (dispatch on `type`). DECODE_ERROR objects are not writable. */
  write(m: Message): void {
    switch (m.type) {
      case MsgType.LOGIN: return this.login(m);
      case MsgType.LOGOUT: return this.logout();
      case MsgType.CLIENT_HEARTBEAT: return this.clientHeartbeat(m);
      case MsgType.NEW_ORDER: return this.newOrder(m);
      case MsgType.CANCEL: return this.cancel(m);
      case MsgType.AMEND: return this.amend(m);
      case MsgType.MASS_CANCEL: return this.massCancel(m);
      case MsgType.SUBSCRIBE: return this.subscribe(m);
      case MsgType.UNSUBSCRIBE: return this.unsubscribe(m);
      case MsgType.SNAPSHOT_REQUEST: return this.snapshotRequest(m);
      case MsgType.LOGIN_ACK: return this.loginAck(m);
      case MsgType.LOGIN_REJECT: return this.loginReject(m);
      case MsgType.INSTRUMENT: return this.instrument(m);
      case MsgType.SERVER_HEARTBEAT: return this.serverHeartbeat(m);
      case MsgType.NOTICE: return this.notice(m);
      case MsgType.DISCONNECT: return this.disconnect(m);
      case MsgType.ACCEPTED: return this.accepted(m);
      case MsgType.REJECTED: return this.rejected(m);
      case MsgType.FILL: return this.fill(m);
      case MsgType.CANCELLED: return this.cancelled(m);
      case MsgType.AMENDED: return this.amended(m);
      case MsgType.REDUCED: return this.reduced(m);
      case MsgType.MASS_CANCEL_ACK: return this.massCancelAck(m);
      case MsgType.MD_L2: return this.mdL2(m);
      case MsgType.MD_TRADE: return this.mdTrade(m);
      case MsgType.SNAPSHOT: return this.snapshot(m);
    }
  }
}

/** Encode messages into one new frame (convenience; allocates). */
export function encodeFrame(messages: readonly Message[]): Uint8Array {
  const w = new FrameWriter(256);
  for (const m of messages) w.write(m);
  return w.take();
}

// ---------------------------------------------------------------------------------------
// Decoder
// ---------------------------------------------------------------------------------------

/** u64 at off, or NaN when > 2^53-1. */
function rU64(dv: DataView, off: number): number {
  const hi = dv.getUint32(off + 4, true);
  if (hi > 0x1fffff) return NaN;
  return hi * TWO32 + dv.getUint32(off, true);
}

/** i64 at off, or NaN when its magnitude is > 2^53-1. */
function rI64(dv: DataView, off: number): number {
  const hi = dv.getInt32(off + 4, true);
  if (hi > 0x1fffff || hi < -0x200000) return NaN;
  const v = hi * TWO32 + dv.getUint32(off, true);
  return v === -9007199254740992 ? NaN : v;
}

function decodeError(
  code: number, msgType: number, offset: number, field: string, fatal: boolean,
  clOrdId = 0, instrument: number = ALL_INSTRUMENTS,
): DecodeError {
  return { type: MsgType.DECODE_ERROR, code, msgType, offset, field, fatal, clOrdId, instrument };
}

/**
 * Non-fatal DecodeError for the message at `o`. Order-entry context for REJECTED answers:
 * instrument at +4 and clOrdId at +clOff (16 NEW_ORDER, 8 CANCEL/AMEND/MASS_CANCEL; 0 = none),
 * when the message is long enough to hold them.
 */
function fail(
  dv: DataView, o: number, len: number, type: number, code: number, field: string, clOff = 0,
): DecodeError {
  let cl = 0;
  let inst: number = ALL_INSTRUMENTS;
  if (clOff > 0) {
    if (len >= 6) inst = dv.getUint16(o + 4, true);
    if (len >= clOff + 8) {
      const v = rU64(dv, o + clOff);
      if (v === v) cl = v;
    }
  }
  return decodeError(code, type, o, field, false, cl, inst);
}

/**
 * Decode one well-framed message (header already checked: 4 <= len <= bytes available).
 * Returns a typed message or a non-fatal DecodeError.
 */
function decodeBody(dv: DataView, b: Uint8Array, o: number, len: number, type: number, scratch: OrderEntryScratch | null): Decoded {
  const OOR = EdgeReason.VALUE_OUT_OF_RANGE;
  const BFV = EdgeReason.BAD_FIELD_VALUE;

  switch (type) {
    case MsgType.LOGIN: {
      if (len < MSG_SIZE.LOGIN) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const sessionId = rU64(dv, o + 8);
      if (sessionId !== sessionId) return fail(dv, o, len, type, OOR, 'sessionId');
      const nextExpectedSeq = rU64(dv, o + 16);
      if (nextExpectedSeq !== nextExpectedSeq) return fail(dv, o, len, type, OOR, 'nextExpectedSeq');
      const login: Login = {
        type, protocolVersion: b[o + 4]!, sessionId, nextExpectedSeq,
        account: dv.getUint32(o + 24, true),
      };
      if (len >= LOGIN_SIGNED_SIZE) {
        const authTs = rI64(dv, o + 32);
        if (authTs !== authTs) return fail(dv, o, len, type, OOR, 'authTs');
        login.authTs = authTs;
        // A copy: the frame's buffer does not outlive the handler (one LOGIN per connection).
        // (Uint8Array.prototype.slice: Buffer#slice would return a view.)
        login.authMac = Uint8Array.prototype.slice.call(b, o + 40, o + 72);
      }
      return login;
    }
    case MsgType.LOGOUT:
      return { type };
    case MsgType.CLIENT_HEARTBEAT: {
      if (len < MSG_SIZE.CLIENT_HEARTBEAT) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const ts = rI64(dv, o + 8);
      if (ts !== ts) return fail(dv, o, len, type, OOR, 'ts');
      const lastSeqSeen = rU64(dv, o + 16);
      if (lastSeqSeen !== lastSeqSeen) return fail(dv, o, len, type, OOR, 'lastSeqSeen');
      return { type, ts, lastSeqSeen };
    }
    case MsgType.NEW_ORDER: {
      if (len < MSG_SIZE.NEW_ORDER) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length', 16);
      const clOrdId = rU64(dv, o + 16);
      if (clOrdId !== clOrdId) return fail(dv, o, len, type, OOR, 'clOrdId', 16);
      const side = b[o + 6]!;
      if (side > 1) return fail(dv, o, len, type, RejectReason.BAD_SIDE, 'side', 16);
      const ordType = b[o + 7]!;
      if (ordType > 1) return fail(dv, o, len, type, RejectReason.BAD_ORDER_TYPE, 'ordType', 16);
      const tif = b[o + 8]!;
      if (tif > 2) return fail(dv, o, len, type, RejectReason.BAD_TIF, 'tif', 16);
      const flags = b[o + 9]!;
      if (flags & ~1) return fail(dv, o, len, type, RejectReason.BAD_FLAGS, 'flags', 16);
      const stp = b[o + 10]!;
      if (stp > 4) return fail(dv, o, len, type, RejectReason.BAD_STP_MODE, 'stp', 16);
      const price = rI64(dv, o + 24);
      if (price !== price) return fail(dv, o, len, type, OOR, 'price', 16);
      const qty = rI64(dv, o + 32);
      if (qty !== qty) return fail(dv, o, len, type, OOR, 'qty', 16);
      if (scratch) {
        scratch.type = type; scratch.instrument = dv.getUint16(o + 4, true); scratch.side = side as Side;
        scratch.ordType = ordType as OrdType; scratch.tif = tif as Tif; scratch.flags = flags; scratch.stp = stp as StpMode;
        scratch.clOrdId = clOrdId; scratch.price = price; scratch.qty = qty;
        return scratch as unknown as Decoded;
      }
      return {
        type, instrument: dv.getUint16(o + 4, true), side: side as Side, ordType: ordType as OrdType,
        tif: tif as Tif, flags, stp: stp as StpMode, clOrdId, price, qty,
      };
    }
    case MsgType.CANCEL: {
      if (len < MSG_SIZE.CANCEL) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length', 8);
      const clOrdId = rU64(dv, o + 8);
      if (clOrdId !== clOrdId) return fail(dv, o, len, type, OOR, 'clOrdId', 8);
      const origClOrdId = rU64(dv, o + 16);
      if (origClOrdId !== origClOrdId) return fail(dv, o, len, type, OOR, 'origClOrdId', 8);
      const orderId = rU64(dv, o + 24);
      if (orderId !== orderId) return fail(dv, o, len, type, OOR, 'orderId', 8);
      if (scratch) {
        scratch.type = type; scratch.instrument = dv.getUint16(o + 4, true); scratch.clOrdId = clOrdId;
        scratch.origClOrdId = origClOrdId; scratch.orderId = orderId;
        return scratch as unknown as Decoded;
      }
      return { type, instrument: dv.getUint16(o + 4, true), clOrdId, origClOrdId, orderId };
    }
    case MsgType.AMEND: {
      if (len < MSG_SIZE.AMEND) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length', 8);
      const clOrdId = rU64(dv, o + 8);
      if (clOrdId !== clOrdId) return fail(dv, o, len, type, OOR, 'clOrdId', 8);
      const origClOrdId = rU64(dv, o + 16);
      if (origClOrdId !== origClOrdId) return fail(dv, o, len, type, OOR, 'origClOrdId', 8);
      const orderId = rU64(dv, o + 24);
      if (orderId !== orderId) return fail(dv, o, len, type, OOR, 'orderId', 8);
      const newPrice = rI64(dv, o + 32);
      if (newPrice !== newPrice) return fail(dv, o, len, type, OOR, 'newPrice', 8);
      const newQty = rI64(dv, o + 40);
      if (newQty !== newQty) return fail(dv, o, len, type, OOR, 'newQty', 8);
      // Byte 6 (reserved 0 in the first v1 servers: 0 keeps that meaning): AmendQtyFlags.
      const flags = b[o + 6]!;
      if (flags & ~AmendQtyFlags.QTY_TOTAL) return fail(dv, o, len, type, RejectReason.BAD_FLAGS, 'flags', 8);
      if (scratch) {
        scratch.type = type; scratch.instrument = dv.getUint16(o + 4, true); scratch.clOrdId = clOrdId;
        scratch.origClOrdId = origClOrdId; scratch.orderId = orderId; scratch.newPrice = newPrice; scratch.newQty = newQty;
        scratch.flags = flags;
        return scratch as unknown as Decoded;
      }
      return {
        type, instrument: dv.getUint16(o + 4, true), clOrdId, origClOrdId, orderId, newPrice, newQty, flags,
      };
    }
    case MsgType.MASS_CANCEL: {
      if (len < MSG_SIZE.MASS_CANCEL) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length', 8);
      const clOrdId = rU64(dv, o + 8);
      if (clOrdId !== clOrdId) return fail(dv, o, len, type, OOR, 'clOrdId', 8);
      if (scratch) {
        scratch.type = type; scratch.instrument = dv.getUint16(o + 4, true); scratch.clOrdId = clOrdId;
        return scratch as unknown as Decoded;
      }
      return { type, instrument: dv.getUint16(o + 4, true), clOrdId };
    }
    case MsgType.SUBSCRIBE:
    case MsgType.UNSUBSCRIBE: {
      if (len < MSG_SIZE.SUBSCRIBE) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const flags = b[o + 4]!;
      if (type === MsgType.SUBSCRIBE ? flags & ~1 : flags !== 0) return fail(dv, o, len, type, BFV, 'flags');
      const count = dv.getUint16(o + 6, true);
      if (count < 1 || count > MAX_SUBSCRIBE_IDS) return fail(dv, o, len, type, BFV, 'count');
      if (len < MSG_SIZE.SUBSCRIBE + 2 * count) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'count');
      const instruments = new Array<number>(count);
      for (let i = 0; i < count; i++) instruments[i] = dv.getUint16(o + 8 + 2 * i, true);
      return { type, flags, instruments };
    }
    case MsgType.SNAPSHOT_REQUEST: {
      if (len < MSG_SIZE.SNAPSHOT_REQUEST) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      return { type, instrument: dv.getUint16(o + 4, true), maxLevels: dv.getUint32(o + 8, true) };
    }
    case MsgType.LOGIN_ACK: {
      if (len < MSG_SIZE.LOGIN_ACK) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const flags = b[o + 5]!;
      if (flags & ~1) return fail(dv, o, len, type, BFV, 'flags');
      const sessionId = rU64(dv, o + 8);
      if (sessionId !== sessionId) return fail(dv, o, len, type, OOR, 'sessionId');
      const nextClOrdId = rU64(dv, o + 16);
      if (nextClOrdId !== nextClOrdId) return fail(dv, o, len, type, OOR, 'nextClOrdId');
      const lastSeq = rU64(dv, o + 24);
      if (lastSeq !== lastSeq) return fail(dv, o, len, type, OOR, 'lastSeq');
      const serverTime = rI64(dv, o + 40);
      if (serverTime !== serverTime) return fail(dv, o, len, type, OOR, 'serverTime');
      return {
        type, protocolVersion: b[o + 4]!, flags, instrumentCount: dv.getUint16(o + 6, true),
        sessionId, nextClOrdId, lastSeq, heartbeatMs: dv.getUint32(o + 32, true),
        account: dv.getUint32(o + 36, true), serverTime,
      };
    }
    case MsgType.LOGIN_REJECT: {
      if (len < MSG_SIZE.LOGIN_REJECT) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      return { type, reason: dv.getUint16(o + 4, true) };
    }
    case MsgType.INSTRUMENT: {
      if (len < MSG_SIZE.INSTRUMENT) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const status = b[o + 8]!;
      if (status > 1) return fail(dv, o, len, type, BFV, 'status');
      let symbol = '';
      for (let i = 0; i < SYMBOL_BYTES; i++) {
        const c = b[o + 16 + i]!;
        if (c === 0) break;
        if (c < 0x21 || c > 0x7e) return fail(dv, o, len, type, BFV, 'symbol');
        symbol += String.fromCharCode(c);
      }
      if (symbol.length === 0) return fail(dv, o, len, type, BFV, 'symbol');
      const v: number[] = [];
      const names = ['tickSize', 'lotSize', 'minQty', 'maxQty', 'minPrice', 'maxPrice'];
      for (let i = 0; i < 6; i++) {
        const x = rI64(dv, o + 32 + 8 * i);
        if (x !== x) return fail(dv, o, len, type, OOR, names[i]!);
        v.push(x);
      }
      return {
        type, instrument: dv.getUint16(o + 4, true), priceDecimals: b[o + 6]!, qtyDecimals: b[o + 7]!,
        status, symbol, tickSize: v[0]!, lotSize: v[1]!, minQty: v[2]!, maxQty: v[3]!,
        minPrice: v[4]!, maxPrice: v[5]!, bandBps: dv.getUint32(o + 80, true),
      };
    }
    case MsgType.SERVER_HEARTBEAT: {
      if (len < MSG_SIZE.SERVER_HEARTBEAT) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const ts = rI64(dv, o + 8);
      if (ts !== ts) return fail(dv, o, len, type, OOR, 'ts');
      const lastSeq = rU64(dv, o + 16);
      if (lastSeq !== lastSeq) return fail(dv, o, len, type, OOR, 'lastSeq');
      return { type, ts, lastSeq };
    }
    case MsgType.NOTICE:
    case MsgType.DISCONNECT: {
      if (len < MSG_SIZE.NOTICE) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const ref = rU64(dv, o + 8);
      if (ref !== ref) return fail(dv, o, len, type, OOR, 'ref');
      const text = len > MSG_SIZE.NOTICE ? textDecoder.decode(b.subarray(o + MSG_SIZE.NOTICE, o + len)) : '';
      return {
        type, reason: dv.getUint16(o + 4, true), instrument: dv.getUint16(o + 6, true), ref, text,
      } as Notice | Disconnect;
    }
    case MsgType.ACCEPTED: {
      if (len < MSG_SIZE.ACCEPTED) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const side = b[o + 6]!;
      if (side > 1) return fail(dv, o, len, type, RejectReason.BAD_SIDE, 'side');
      const ordType = b[o + 7]!;
      if (ordType > 1) return fail(dv, o, len, type, RejectReason.BAD_ORDER_TYPE, 'ordType');
      const tif = b[o + 56]!;
      if (tif > 2) return fail(dv, o, len, type, RejectReason.BAD_TIF, 'tif');
      const flags = b[o + 57]!;
      if (flags & ~1) return fail(dv, o, len, type, RejectReason.BAD_FLAGS, 'flags');
      const stp = b[o + 58]!;
      if (stp > 4) return fail(dv, o, len, type, RejectReason.BAD_STP_MODE, 'stp');
      const seq = rU64(dv, o + 8);
      if (seq !== seq) return fail(dv, o, len, type, OOR, 'seq');
      const ts = rI64(dv, o + 16);
      if (ts !== ts) return fail(dv, o, len, type, OOR, 'ts');
      const clOrdId = rU64(dv, o + 24);
      if (clOrdId !== clOrdId) return fail(dv, o, len, type, OOR, 'clOrdId');
      const orderId = rU64(dv, o + 32);
      if (orderId !== orderId) return fail(dv, o, len, type, OOR, 'orderId');
      const price = rI64(dv, o + 40);
      if (price !== price) return fail(dv, o, len, type, OOR, 'price');
      const qty = rI64(dv, o + 48);
      if (qty !== qty) return fail(dv, o, len, type, OOR, 'qty');
      return {
        type, instrument: dv.getUint16(o + 4, true), side: side as Side, ordType: ordType as OrdType,
        seq, ts, clOrdId, orderId, price, qty, tif: tif as Tif, flags, stp: stp as StpMode,
      };
    }
    case MsgType.REJECTED: {
      if (len < MSG_SIZE.REJECTED) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const requestType = b[o + 6]!;
      if (requestType < MsgType.NEW_ORDER || requestType > MsgType.MASS_CANCEL) return fail(dv, o, len, type, BFV, 'requestType');
      const seq = rU64(dv, o + 8);
      if (seq !== seq) return fail(dv, o, len, type, OOR, 'seq');
      const ts = rI64(dv, o + 16);
      if (ts !== ts) return fail(dv, o, len, type, OOR, 'ts');
      const clOrdId = rU64(dv, o + 24);
      if (clOrdId !== clOrdId) return fail(dv, o, len, type, OOR, 'clOrdId');
      const orderId = rU64(dv, o + 32);
      if (orderId !== orderId) return fail(dv, o, len, type, OOR, 'orderId');
      return {
        type, instrument: dv.getUint16(o + 4, true), requestType, seq, ts, clOrdId, orderId,
        reason: dv.getUint16(o + 40, true),
      };
    }
    case MsgType.FILL: {
      if (len < MSG_SIZE.FILL) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const side = b[o + 6]!;
      if (side > 1) return fail(dv, o, len, type, RejectReason.BAD_SIDE, 'side');
      const liquidity = b[o + 7]!;
      if (liquidity < 1 || liquidity > 2) return fail(dv, o, len, type, BFV, 'liquidity');
      const seq = rU64(dv, o + 8);
      if (seq !== seq) return fail(dv, o, len, type, OOR, 'seq');
      const ts = rI64(dv, o + 16);
      if (ts !== ts) return fail(dv, o, len, type, OOR, 'ts');
      const clOrdId = rU64(dv, o + 24);
      if (clOrdId !== clOrdId) return fail(dv, o, len, type, OOR, 'clOrdId');
      const orderId = rU64(dv, o + 32);
      if (orderId !== orderId) return fail(dv, o, len, type, OOR, 'orderId');
      const matchId = rU64(dv, o + 40);
      if (matchId !== matchId) return fail(dv, o, len, type, OOR, 'matchId');
      const price = rI64(dv, o + 48);
      if (price !== price) return fail(dv, o, len, type, OOR, 'price');
      const qty = rI64(dv, o + 56);
      if (qty !== qty) return fail(dv, o, len, type, OOR, 'qty');
      const leaves = rI64(dv, o + 64);
      if (leaves !== leaves) return fail(dv, o, len, type, OOR, 'leaves');
      return {
        type, instrument: dv.getUint16(o + 4, true), side: side as Side,
        liquidity: liquidity as Liquidity, seq, ts, clOrdId, orderId, matchId, price, qty, leaves,
      };
    }
    case MsgType.CANCELLED: {
      if (len < MSG_SIZE.CANCELLED) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const reason = b[o + 6]!;
      if (reason < 1 || reason > MAX_CANCEL_REASON) return fail(dv, o, len, type, BFV, 'reason');
      const side = b[o + 7]!;
      if (side > 1) return fail(dv, o, len, type, RejectReason.BAD_SIDE, 'side');
      const seq = rU64(dv, o + 8);
      if (seq !== seq) return fail(dv, o, len, type, OOR, 'seq');
      const ts = rI64(dv, o + 16);
      if (ts !== ts) return fail(dv, o, len, type, OOR, 'ts');
      const clOrdId = rU64(dv, o + 24);
      if (clOrdId !== clOrdId) return fail(dv, o, len, type, OOR, 'clOrdId');
      const orderId = rU64(dv, o + 32);
      if (orderId !== orderId) return fail(dv, o, len, type, OOR, 'orderId');
      const requestClOrdId = rU64(dv, o + 40);
      if (requestClOrdId !== requestClOrdId) return fail(dv, o, len, type, OOR, 'requestClOrdId');
      const leaves = rI64(dv, o + 48);
      if (leaves !== leaves) return fail(dv, o, len, type, OOR, 'leaves');
      const price = rI64(dv, o + 56);
      if (price !== price) return fail(dv, o, len, type, OOR, 'price');
      return {
        type, instrument: dv.getUint16(o + 4, true), reason, side: side as Side, seq, ts, clOrdId,
        orderId, requestClOrdId, leaves, price,
      };
    }
    case MsgType.AMENDED: {
      if (len < MSG_SIZE.AMENDED) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const flags = b[o + 6]!;
      if (flags & ~1) return fail(dv, o, len, type, BFV, 'flags');
      const side = b[o + 7]!;
      if (side > 1) return fail(dv, o, len, type, RejectReason.BAD_SIDE, 'side');
      const seq = rU64(dv, o + 8);
      if (seq !== seq) return fail(dv, o, len, type, OOR, 'seq');
      const ts = rI64(dv, o + 16);
      if (ts !== ts) return fail(dv, o, len, type, OOR, 'ts');
      const clOrdId = rU64(dv, o + 24);
      if (clOrdId !== clOrdId) return fail(dv, o, len, type, OOR, 'clOrdId');
      const orderId = rU64(dv, o + 32);
      if (orderId !== orderId) return fail(dv, o, len, type, OOR, 'orderId');
      const requestClOrdId = rU64(dv, o + 40);
      if (requestClOrdId !== requestClOrdId) return fail(dv, o, len, type, OOR, 'requestClOrdId');
      const newPrice = rI64(dv, o + 48);
      if (newPrice !== newPrice) return fail(dv, o, len, type, OOR, 'newPrice');
      const newLeaves = rI64(dv, o + 56);
      if (newLeaves !== newLeaves) return fail(dv, o, len, type, OOR, 'newLeaves');
      const oldPrice = rI64(dv, o + 64);
      if (oldPrice !== oldPrice) return fail(dv, o, len, type, OOR, 'oldPrice');
      const oldLeaves = rI64(dv, o + 72);
      if (oldLeaves !== oldLeaves) return fail(dv, o, len, type, OOR, 'oldLeaves');
      return {
        type, instrument: dv.getUint16(o + 4, true), flags, side: side as Side, seq, ts, clOrdId,
        orderId, requestClOrdId, newPrice, newLeaves, oldPrice, oldLeaves,
      };
    }
    case MsgType.REDUCED: {
      if (len < MSG_SIZE.REDUCED) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const reason = b[o + 6]!;
      if (reason < 1 || reason > MAX_CANCEL_REASON) return fail(dv, o, len, type, BFV, 'reason');
      const side = b[o + 7]!;
      if (side > 1) return fail(dv, o, len, type, RejectReason.BAD_SIDE, 'side');
      const seq = rU64(dv, o + 8);
      if (seq !== seq) return fail(dv, o, len, type, OOR, 'seq');
      const ts = rI64(dv, o + 16);
      if (ts !== ts) return fail(dv, o, len, type, OOR, 'ts');
      const clOrdId = rU64(dv, o + 24);
      if (clOrdId !== clOrdId) return fail(dv, o, len, type, OOR, 'clOrdId');
      const orderId = rU64(dv, o + 32);
      if (orderId !== orderId) return fail(dv, o, len, type, OOR, 'orderId');
      const price = rI64(dv, o + 40);
      if (price !== price) return fail(dv, o, len, type, OOR, 'price');
      const newLeaves = rI64(dv, o + 48);
      if (newLeaves !== newLeaves) return fail(dv, o, len, type, OOR, 'newLeaves');
      const decrement = rI64(dv, o + 56);
      if (decrement !== decrement) return fail(dv, o, len, type, OOR, 'decrement');
      return {
        type, instrument: dv.getUint16(o + 4, true), reason, side: side as Side, seq, ts, clOrdId,
        orderId, price, newLeaves, decrement,
      };
    }
    case MsgType.MASS_CANCEL_ACK: {
      if (len < MSG_SIZE.MASS_CANCEL_ACK) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const seq = rU64(dv, o + 8);
      if (seq !== seq) return fail(dv, o, len, type, OOR, 'seq');
      const ts = rI64(dv, o + 16);
      if (ts !== ts) return fail(dv, o, len, type, OOR, 'ts');
      const clOrdId = rU64(dv, o + 24);
      if (clOrdId !== clOrdId) return fail(dv, o, len, type, OOR, 'clOrdId');
      return { type, instrument: dv.getUint16(o + 4, true), seq, ts, clOrdId, count: dv.getUint32(o + 32, true) };
    }
    case MsgType.MD_L2: {
      if (len < MSG_SIZE.MD_L2) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const side = b[o + 6]!;
      if (side > 1) return fail(dv, o, len, type, RejectReason.BAD_SIDE, 'side');
      const flags = b[o + 7]!;
      if (flags & ~1) return fail(dv, o, len, type, BFV, 'flags');
      const mdSeq = rU64(dv, o + 8);
      if (mdSeq !== mdSeq) return fail(dv, o, len, type, OOR, 'mdSeq');
      const ts = rI64(dv, o + 16);
      if (ts !== ts) return fail(dv, o, len, type, OOR, 'ts');
      const price = rI64(dv, o + 24);
      if (price !== price) return fail(dv, o, len, type, OOR, 'price');
      const qty = rI64(dv, o + 32);
      if (qty !== qty) return fail(dv, o, len, type, OOR, 'qty');
      return {
        type, instrument: dv.getUint16(o + 4, true), side: side as Side, flags, mdSeq, ts, price, qty,
        orders: dv.getUint32(o + 40, true),
      };
    }
    case MsgType.MD_TRADE: {
      if (len < MSG_SIZE.MD_TRADE) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const side = b[o + 6]!;
      if (side > 1) return fail(dv, o, len, type, BFV, 'aggressorSide');
      const flags = b[o + 7]!;
      if (flags & ~1) return fail(dv, o, len, type, BFV, 'flags');
      const mdSeq = rU64(dv, o + 8);
      if (mdSeq !== mdSeq) return fail(dv, o, len, type, OOR, 'mdSeq');
      const ts = rI64(dv, o + 16);
      if (ts !== ts) return fail(dv, o, len, type, OOR, 'ts');
      const matchId = rU64(dv, o + 24);
      if (matchId !== matchId) return fail(dv, o, len, type, OOR, 'matchId');
      const price = rI64(dv, o + 32);
      if (price !== price) return fail(dv, o, len, type, OOR, 'price');
      const qty = rI64(dv, o + 40);
      if (qty !== qty) return fail(dv, o, len, type, OOR, 'qty');
      return {
        type, instrument: dv.getUint16(o + 4, true), aggressorSide: side as Side, flags, mdSeq, ts,
        matchId, price, qty,
      };
    }
    case MsgType.SNAPSHOT: {
      if (len < MSG_SIZE.SNAPSHOT) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'length');
      const flags = b[o + 6]!;
      if (flags & ~1) return fail(dv, o, len, type, BFV, 'flags');
      const mdSeq = rU64(dv, o + 8);
      if (mdSeq !== mdSeq) return fail(dv, o, len, type, OOR, 'mdSeq');
      const ts = rI64(dv, o + 16);
      if (ts !== ts) return fail(dv, o, len, type, OOR, 'ts');
      const count = dv.getUint16(o + 26, true);
      if (count > SNAPSHOT_LEVELS_PER_MESSAGE) return fail(dv, o, len, type, BFV, 'levelCount');
      if (len < MSG_SIZE.SNAPSHOT + SNAPSHOT_LEVEL_SIZE * count) return fail(dv, o, len, type, EdgeReason.MALFORMED_MESSAGE, 'levelCount');
      const levels = new Array<SnapshotLevel>(count);
      let p = o + MSG_SIZE.SNAPSHOT;
      for (let i = 0; i < count; i++, p += SNAPSHOT_LEVEL_SIZE) {
        const side = b[p]!;
        if (side > 1) return fail(dv, o, len, type, RejectReason.BAD_SIDE, 'levels.side');
        const price = rI64(dv, p + 8);
        if (price !== price) return fail(dv, o, len, type, OOR, 'levels.price');
        const qty = rI64(dv, p + 16);
        if (qty !== qty) return fail(dv, o, len, type, OOR, 'levels.qty');
        levels[i] = { side: side as Side, orders: dv.getUint32(p + 4, true), price, qty };
      }
      return {
        type, instrument: dv.getUint16(o + 4, true), flags, mdSeq, ts, part: dv.getUint16(o + 24, true),
        levels,
      };
    }
    default:
      return fail(dv, o, len, type, EdgeReason.UNKNOWN_MESSAGE_TYPE, 'type');
  }
}

/**
 * Walks one received frame. Reuse one reader per connection:
 *
 *     reader.reset(frameBytes);
 *     for (let m = reader.next(); m !== null; m = reader.next()) {
 *       if (m.type === MsgType.DECODE_ERROR) { ...m.code, m.fatal... } else { ... }
 *     }
 *
 * Messages are fully copied out of the frame, so the frame buffer may be reused (uWS) as
 * soon as the loop is done.
 */
/**
 * One object every order-entry message (NEW_ORDER, CANCEL, AMEND, MASS_CANCEL) is decoded
 * into when a FrameReader is built with `{ reuseOrderEntry: true }`: all their fields, one
 * hidden class, no allocation per order. Fields not carried by the message's type keep
 * stale values: read only those of `type`.
 */
export interface OrderEntryScratch {
  type: number; instrument: number; side: Side; ordType: OrdType; tif: Tif; flags: number; stp: StpMode;
  clOrdId: number; price: number; qty: number; origClOrdId: number; orderId: number; newPrice: number; newQty: number;
}

function newOrderEntryScratch(): OrderEntryScratch {
  return {
    type: 0, instrument: 0, side: 0 as Side, ordType: 0 as OrdType, tif: 0 as Tif, flags: 0, stp: 0 as StpMode,
    clOrdId: 0, price: 0, qty: 0, origClOrdId: 0, orderId: 0, newPrice: 0, newQty: 0,
  };
}

export class FrameReader {
  /** With `reuseOrderEntry`, order-entry messages are decoded into one scratch object,
   *  valid until the next `next()` (the server's hot path); otherwise every message is a
   *  new object (safe to keep). */
  constructor(opts: { reuseOrderEntry?: boolean } = {}) {
    this.scratch = opts.reuseOrderEntry ? newOrderEntryScratch() : null;
  }
  private readonly scratch: OrderEntryScratch | null;
  private bytes: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(this.bytes.buffer);
  private pos = 0;
  private end = 0;
  private dead = false;

  /** Start reading a frame (Uint8Array/Buffer view or a whole ArrayBuffer). */
  reset(frame: Uint8Array | ArrayBuffer): this {
    const u = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
    this.bytes = u;
    this.dv = new DataView(u.buffer, u.byteOffset, u.byteLength);
    this.pos = 0;
    this.end = u.byteLength;
    this.dead = false;
    return this;
  }

  /** Byte offset of the next message. */
  get offset(): number {
    return this.pos;
  }

  /** Next message or decode error; null at the end of the frame or after a fatal error. */
  next(): Decoded | null {
    if (this.dead || this.pos >= this.end) return null;
    const o = this.pos;
    const rem = this.end - o;
    if (rem < HEADER_SIZE) {
      this.dead = true;
      return decodeError(EdgeReason.MALFORMED_MESSAGE, rem >= 3 ? this.bytes[o + 2]! : 0, o, 'length', true);
    }
    const len = this.dv.getUint16(o, true);
    const type = this.bytes[o + 2]!;
    if (len < HEADER_SIZE || len > rem) {
      this.dead = true;
      return decodeError(EdgeReason.MALFORMED_MESSAGE, type, o, 'length', true);
    }
    this.pos = o + len;
    return decodeBody(this.dv, this.bytes, o, len, type, this.scratch);
  }
}

/** Decode a whole frame into an array (messages and DecodeErrors, in order). */
export function decodeFrame(frame: Uint8Array | ArrayBuffer): Decoded[] {
  const r = new FrameReader().reset(frame);
  const out: Decoded[] = [];
  for (let m = r.next(); m !== null; m = r.next()) out.push(m);
  return out;
}

/** True when `d` is a DecodeError. */
export function isDecodeError(d: Decoded): d is DecodeError {
  return d.type === MsgType.DECODE_ERROR;
}

