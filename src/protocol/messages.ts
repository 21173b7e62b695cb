/**
 * simex binary WebSocket protocol, version 1: message types, fixed layouts, field enums and
 * the typed message objects the codec (codec.ts) reads and writes. docs/PROTOCOL.md is the
 * prose spec; `LAYOUTS` below is its machine-readable form (a test checks that the codec
 * writes every field at the offset LAYOUTS gives, and that PROTOCOL.md prints the same table).
 *
 * Wire rules (all messages):
 *  - One WebSocket *binary* frame carries 1..n messages back to back, no padding between.
 *  - Every message starts with a 4-byte header:
 *        off 0 u16 length   total bytes of this message, header included (4 .. 65535)
 *        off 2 u8  type     MsgType
 *        off 3 u8  reserved sender writes 0, receiver ignores
 *  - All integers little-endian. 64-bit fields ("u64"/"i64") hold integers whose magnitude is
 *    at most 2^53-1 (exact in a JS double); a receiver rejects others (VALUE_OUT_OF_RANGE).
 *  - A message may be LONGER than its type's v1 layout (fields appended by a later minor
 *    version): the receiver reads the fields it knows and skips to `length`. Shorter is
 *    MALFORMED_MESSAGE. An unknown `type` is skipped by `length` (UNKNOWN_MESSAGE_TYPE).
 *  - Prices are integers in units of 10^-priceDecimals, quantities in units of
 *    10^-qtyDecimals, per instrument (INSTRUMENT message). Timestamps: µs since the epoch.
 *
 * Type ranges: 1..63 client -> server, 64..127 server -> client (64.. session,
 * 80.. execution reports, 100.. market data). 0 is never sent (DECODE_ERROR pseudo-type).
 */
import { OrdType, Side, StpMode, Tif, Flags, AmendFlags, CancelReason } from '../engine/layout.js';

export { OrdType, Side, StpMode, Tif, Flags as OrderFlags, AmendFlags, CancelReason };

export const PROTOCOL_VERSION = 1;
export const HEADER_SIZE = 4;
/** Largest message (u16 length). */
export const MAX_MESSAGE_BYTES = 65535;
/** Largest WebSocket frame a server accepts from a client; bigger frames close the
 *  connection (FRAME_TOO_LARGE). Server frames to clients can be bigger (snapshots). */
export const MAX_CLIENT_FRAME_BYTES = 65536;
/** Instrument id meaning "all instruments" (MASS_CANCEL, SUBSCRIBE, NOTICE "none"). */
export const ALL_INSTRUMENTS = 0xffff;
/** Default heartbeat interval the server announces in LOGIN_ACK. */
export const DEFAULT_HEARTBEAT_MS = 1000;
/** A peer that sent nothing for this many heartbeat intervals is considered dead. */
export const HEARTBEAT_TIMEOUT_FACTOR = 3;
/** Levels per SNAPSHOT message; a deeper book is sent as several parts. (32 + 24*2048 < 65535) */
export const SNAPSHOT_LEVELS_PER_MESSAGE = 2048;
/** Largest SUBSCRIBE/UNSUBSCRIBE id count ((65535 - 8) / 2). */
export const MAX_SUBSCRIBE_IDS = 1024;
/** Largest NOTICE/DISCONNECT text, bytes of UTF-8. */
export const MAX_NOTICE_TEXT = 512;
/** Largest u64 value on the wire. */
export const MAX_U64 = Number.MAX_SAFE_INTEGER;

export const MsgType = {
  /** Pseudo-type of a decode error object; never on the wire. */
  DECODE_ERROR: 0,
  // client -> server
  LOGIN: 1,
  LOGOUT: 2,
  CLIENT_HEARTBEAT: 3,
  NEW_ORDER: 10,
  CANCEL: 11,
  AMEND: 12,
  MASS_CANCEL: 13,
  SUBSCRIBE: 20,
  UNSUBSCRIBE: 21,
  SNAPSHOT_REQUEST: 22,
  // server -> client: session
  LOGIN_ACK: 64,
  LOGIN_REJECT: 65,
  INSTRUMENT: 66,
  SERVER_HEARTBEAT: 67,
  NOTICE: 68,
  DISCONNECT: 69,
  // server -> client: execution reports (sequenced per session)
  ACCEPTED: 80,
  REJECTED: 81,
  FILL: 82,
  CANCELLED: 83,
  AMENDED: 84,
  REDUCED: 85,
  MASS_CANCEL_ACK: 86,
  // server -> client: market data (sequenced per instrument)
  MD_L2: 100,
  MD_TRADE: 101,
  SNAPSHOT: 102,
} as const;
export type MsgType = (typeof MsgType)[keyof typeof MsgType];

/** True for types a client may send. */
export function isClientType(t: number): boolean {
  return t >= 1 && t <= 63;
}
/** True for types a server may send. */
export function isServerType(t: number): boolean {
  return t >= 64 && t <= 127;
}
/** True for execution reports: they carry the per-session `seq` at offset 8. */
export function isExecReportType(t: number): boolean {
  return t >= 80 && t <= 99;
}
/** True for market-data messages: they carry the instrument at 4 and `mdSeq` at offset 8. */
export function isMarketDataType(t: number): boolean {
  return t >= 100 && t <= 119;
}

/** FILL.liquidity */
export const Liquidity = { MAKER: 1, TAKER: 2 } as const;
export type Liquidity = (typeof Liquidity)[keyof typeof Liquidity];

/** MD_L2.flags / MD_TRADE.flags */
export const MdFlags = {
  /** Last market-data message produced by one command (CME MDP3 "end of event"): a book
   *  built from updates up to here is a state that really existed. */
  END_OF_EVENT: 1,
} as const;

/** SNAPSHOT.flags */
export const SnapshotFlags = { LAST: 1 } as const;
/** SUBSCRIBE.flags */
export const SubscribeFlags = { SNAPSHOT: 1 } as const;
/**
 * AMEND.flags (byte 6, reserved 0 before: 0 keeps the original meaning). QTY_TOTAL: newQty is
 * the order's new TOTAL quantity (FIX OrderCancelReplaceRequest OrderQty): open quantity =
 * newQty - quantity already filled, so a fill racing the amend counts against it; newQty at or
 * below the filled quantity cancels the rest (CANCELLED reason AMEND_TO_FILLED, requestClOrdId
 * = the AMEND's clOrdId). Other bits: REJECTED BAD_FLAGS (6).
 */
export const AmendQtyFlags = { QTY_TOTAL: 1 } as const;
/** LOGIN_ACK.flags */
export const LoginAckFlags = { NEW_SESSION: 1 } as const;
/** INSTRUMENT.status */
export const InstrumentStatus = { TRADING: 0, HALTED: 1 } as const;

/** Fixed (minimum) length of each message type, header included. */
export const MSG_SIZE = {
  LOGIN: 32,
  LOGOUT: 4,
  CLIENT_HEARTBEAT: 24,
  NEW_ORDER: 40,
  CANCEL: 32,
  AMEND: 48,
  MASS_CANCEL: 16,
  SUBSCRIBE: 8, // + 2 * count
  UNSUBSCRIBE: 8, // + 2 * count
  SNAPSHOT_REQUEST: 12,
  LOGIN_ACK: 48,
  LOGIN_REJECT: 8,
  INSTRUMENT: 88,
  SERVER_HEARTBEAT: 24,
  NOTICE: 16, // + UTF-8 text up to `length`
  DISCONNECT: 16, // + UTF-8 text up to `length`
  ACCEPTED: 64,
  REJECTED: 48,
  FILL: 72,
  CANCELLED: 64,
  AMENDED: 80,
  REDUCED: 64,
  MASS_CANCEL_ACK: 40,
  MD_L2: 48,
  MD_TRADE: 48,
  SNAPSHOT: 32, // + 24 * levelCount
} as const;
/** Length of a LOGIN that carries a credential (authTs at 32, authMac at 40). A LOGIN of
 *  32..71 bytes carries none (bytes past 32 are skipped, the v1 "longer is valid" rule). */
export const LOGIN_SIGNED_SIZE = 72;
export const SNAPSHOT_LEVEL_SIZE = 24;
export const SYMBOL_BYTES = 16;

// ---------------------------------------------------------------------------------------
// Typed messages. Every numeric field is a JS number (a safe integer). `type` discriminates.
// ---------------------------------------------------------------------------------------

export interface Login {
  type: typeof MsgType.LOGIN;
  protocolVersion: number;
  /** 0 = create a new session (server picks the id); else resume or create this id. */
  sessionId: number;
  /** First server seq the client has NOT seen (replay starts there); 0 = no replay. */
  nextExpectedSeq: number;
  /** Account (engine owner) id; 0 = anonymous (no STP, cannot mass-cancel). */
  account: number;
  /** Credential (docs/PROTOCOL.md "Session authentication"), both or neither: with them the
   *  LOGIN is LOGIN_SIGNED_SIZE (72) bytes. authTs: µs since the epoch, client clock. */
  authTs?: number;
  /** HMAC-SHA256 of the login fields under the account's secret (src/protocol/auth.ts), 32 bytes. */
  authMac?: Uint8Array;
}
export interface Logout { type: typeof MsgType.LOGOUT }
export interface ClientHeartbeat {
  type: typeof MsgType.CLIENT_HEARTBEAT;
  ts: number;
  /** Highest server seq the client has processed (informational; lets the server trim). */
  lastSeqSeen: number;
}
export interface NewOrder {
  type: typeof MsgType.NEW_ORDER;
  instrument: number;
  side: Side;
  ordType: OrdType;
  tif: Tif;
  /** bit0 POST_ONLY; other bits must be 0. */
  flags: number;
  stp: StpMode;
  clOrdId: number;
  /** Limit price; market orders: protection price or 0 (none). */
  price: number;
  qty: number;
}
export interface Cancel {
  type: typeof MsgType.CANCEL;
  instrument: number;
  /** This request's own client order id (same increasing sequence as orders). */
  clOrdId: number;
  /** Target by the order's clOrdId; used when orderId is 0. */
  origClOrdId: number;
  /** Target by exchange order id; 0 = use origClOrdId. */
  orderId: number;
}
export interface Amend {
  type: typeof MsgType.AMEND;
  instrument: number;
  clOrdId: number;
  origClOrdId: number;
  orderId: number;
  newPrice: number;
  /** New open (leaves) quantity; with flags QTY_TOTAL the order's new total quantity. */
  newQty: number;
  /** AmendQtyFlags bits; absent = 0 (newQty = new leaves). Decoded messages always carry it. */
  flags?: number;
}
export interface MassCancel {
  type: typeof MsgType.MASS_CANCEL;
  /** Instrument id or ALL_INSTRUMENTS. */
  instrument: number;
  clOrdId: number;
}
export interface Subscribe {
  type: typeof MsgType.SUBSCRIBE;
  /** bit0 SNAPSHOT: send a SNAPSHOT of each instrument right after subscribing. */
  flags: number;
  /** Instrument ids (1..MAX_SUBSCRIBE_IDS entries); ALL_INSTRUMENTS may appear. */
  instruments: number[];
}
export interface Unsubscribe {
  type: typeof MsgType.UNSUBSCRIBE;
  flags: number;
  instruments: number[];
}
export interface SnapshotRequest {
  type: typeof MsgType.SNAPSHOT_REQUEST;
  instrument: number;
  /** Levels per side; 0 = full depth. */
  maxLevels: number;
}

export interface LoginAck {
  type: typeof MsgType.LOGIN_ACK;
  protocolVersion: number;
  /** bit0 NEW_SESSION */
  flags: number;
  /** Number of INSTRUMENT messages that follow this one (same or next frames). */
  instrumentCount: number;
  sessionId: number;
  /** Smallest clOrdId the server will accept next (highest used + 1; 1 for a new session). */
  nextClOrdId: number;
  /** Highest seq assigned in this session so far (0 = none). A replay of
   *  nextExpectedSeq..lastSeq follows the INSTRUMENT messages, before any live report. */
  lastSeq: number;
  heartbeatMs: number;
  account: number;
  serverTime: number;
}
export interface LoginReject {
  type: typeof MsgType.LOGIN_REJECT;
  reason: number;
}
export interface Instrument {
  type: typeof MsgType.INSTRUMENT;
  instrument: number;
  priceDecimals: number;
  qtyDecimals: number;
  /** InstrumentStatus */
  status: number;
  /** ASCII, 1..16 chars, on the wire NUL-padded to 16 bytes. */
  symbol: string;
  tickSize: number;
  lotSize: number;
  minQty: number;
  maxQty: number;
  minPrice: number;
  maxPrice: number;
  bandBps: number;
}
export interface ServerHeartbeat {
  type: typeof MsgType.SERVER_HEARTBEAT;
  ts: number;
  /** Highest seq assigned in this session (a client that has seen less has lost reports). */
  lastSeq: number;
}
export interface Notice {
  type: typeof MsgType.NOTICE;
  reason: number;
  /** Instrument concerned or ALL_INSTRUMENTS (= none). */
  instrument: number;
  /** Context: clOrdId, seq or mdSeq the notice is about; 0 = none. */
  ref: number;
  text: string;
}
export interface Disconnect {
  type: typeof MsgType.DISCONNECT;
  reason: number;
  instrument: number;
  ref: number;
  text: string;
}

export interface Accepted {
  type: typeof MsgType.ACCEPTED;
  instrument: number;
  side: Side;
  ordType: OrdType;
  seq: number;
  ts: number;
  clOrdId: number;
  orderId: number;
  price: number;
  qty: number;
  tif: Tif;
  flags: number;
  stp: StpMode;
}
export interface Rejected {
  type: typeof MsgType.REJECTED;
  instrument: number;
  /** MsgType of the rejected request (NEW_ORDER, CANCEL, AMEND, MASS_CANCEL). */
  requestType: number;
  seq: number;
  ts: number;
  /** clOrdId of the rejected request. */
  clOrdId: number;
  /** Target order of a rejected CANCEL/AMEND when known, else 0. */
  orderId: number;
  /** Reason code (reasons.ts). */
  reason: number;
}
export interface Fill {
  type: typeof MsgType.FILL;
  instrument: number;
  /** This order's side. */
  side: Side;
  liquidity: Liquidity;
  seq: number;
  ts: number;
  clOrdId: number;
  orderId: number;
  matchId: number;
  price: number;
  qty: number;
  /** Open quantity left after this fill (0 = order done). */
  leaves: number;
}
export interface Cancelled {
  type: typeof MsgType.CANCELLED;
  instrument: number;
  /** CancelReason (USER, IOC_REMAINDER, SELF_TRADE, MASS_CANCEL, AMEND_TO_FILLED). */
  reason: number;
  side: Side;
  seq: number;
  ts: number;
  /** The cancelled order's clOrdId. */
  clOrdId: number;
  orderId: number;
  /** clOrdId of the CANCEL/MASS_CANCEL request, or of the QTY_TOTAL AMEND (AMEND_TO_FILLED);
   *  0 when unsolicited (IOC remainder, STP). */
  requestClOrdId: number;
  /** Open quantity that was cancelled. */
  leaves: number;
  price: number;
}
export interface Amended {
  type: typeof MsgType.AMENDED;
  instrument: number;
  /** bit0 PRIORITY_KEPT */
  flags: number;
  side: Side;
  seq: number;
  ts: number;
  clOrdId: number;
  orderId: number;
  requestClOrdId: number;
  newPrice: number;
  newLeaves: number;
  oldPrice: number;
  oldLeaves: number;
}
export interface Reduced {
  type: typeof MsgType.REDUCED;
  instrument: number;
  /** CancelReason (SELF_TRADE for STP decrement-and-cancel). */
  reason: number;
  side: Side;
  seq: number;
  ts: number;
  clOrdId: number;
  orderId: number;
  price: number;
  newLeaves: number;
  decrement: number;
}
export interface MassCancelAck {
  type: typeof MsgType.MASS_CANCEL_ACK;
  instrument: number;
  seq: number;
  ts: number;
  clOrdId: number;
  /** Orders this request cancels on this instrument (their CANCELLED reports follow). */
  count: number;
}
export interface MdL2 {
  type: typeof MsgType.MD_L2;
  instrument: number;
  side: Side;
  /** bit0 END_OF_EVENT */
  flags: number;
  mdSeq: number;
  ts: number;
  price: number;
  /** Absolute total quantity at this level; 0 removes the level. */
  qty: number;
  orders: number;
}
export interface MdTrade {
  type: typeof MsgType.MD_TRADE;
  instrument: number;
  aggressorSide: Side;
  flags: number;
  mdSeq: number;
  ts: number;
  matchId: number;
  price: number;
  qty: number;
}
export interface SnapshotLevel {
  side: Side;
  orders: number;
  price: number;
  qty: number;
}
export interface Snapshot {
  type: typeof MsgType.SNAPSHOT;
  instrument: number;
  /** bit0 LAST part */
  flags: number;
  /** Last mdSeq included: apply updates with mdSeq > this. Same in every part. */
  mdSeq: number;
  ts: number;
  /** 0-based part number. */
  part: number;
  /** Bids best first, then asks best first, continuing across parts. */
  levels: SnapshotLevel[];
}

/** Returned by the decoder in place of a message it cannot accept. Never thrown. */
export interface DecodeError {
  type: typeof MsgType.DECODE_ERROR;
  /** Reason code: MALFORMED_MESSAGE, UNKNOWN_MESSAGE_TYPE, VALUE_OUT_OF_RANGE,
   *  BAD_FIELD_VALUE, or an engine reason for order fields (BAD_SIDE, BAD_TIF, ...). */
  code: number;
  /** The offending message's type byte (0 if the header itself was unreadable). */
  msgType: number;
  /** Byte offset of the message in the frame. */
  offset: number;
  /** Name of the offending field, when one is to blame. */
  field: string;
  /** True when framing is lost: nothing after `offset` in this frame can be decoded. */
  fatal: boolean;
  /** For client order-entry messages whose clOrdId (and instrument) were readable: the values,
   *  so the server can answer with REJECTED(clOrdId, code). Else 0 and ALL_INSTRUMENTS. */
  clOrdId: number;
  instrument: number;
}

export type ClientMessage =
  | Login | Logout | ClientHeartbeat | NewOrder | Cancel | Amend | MassCancel
  | Subscribe | Unsubscribe | SnapshotRequest;
export type ExecReport =
  | Accepted | Rejected | Fill | Cancelled | Amended | Reduced | MassCancelAck;
export type MarketData = MdL2 | MdTrade | Snapshot;
export type ServerMessage =
  | LoginAck | LoginReject | Instrument | ServerHeartbeat | Notice | Disconnect
  | ExecReport | MarketData;
export type Message = ClientMessage | ServerMessage;
export type Decoded = Message | DecodeError;

// ---------------------------------------------------------------------------------------
// Layout table: the byte-level spec of every message (source of the tables in PROTOCOL.md).
// kind: u8 u16 u32 u64 i64 | sym16 (16 bytes ASCII, NUL-padded) | pad (reserved, write 0).
// Variable tails are described by `tail`.
// ---------------------------------------------------------------------------------------
export type FieldKind = 'u8' | 'u16' | 'u32' | 'u64' | 'i64' | 'sym16' | 'bytes32' | 'pad';
export interface FieldSpec {
  off: number;
  kind: FieldKind;
  /** Property name in the typed message ('' for reserved bytes). */
  name: string;
  size: number;
  doc: string;
}
export interface LayoutSpec {
  type: number;
  name: keyof typeof MSG_SIZE;
  dir: 'C->S' | 'S->C';
  size: number;
  fields: FieldSpec[];
  tail?: string;
  /** Optional appended fields (a minor-version extension): present only when the message's
   *  length is at least ext.size; they start at `size` and are contiguous up to ext.size. */
  ext?: { size: number; when: string; fields: FieldSpec[] };
}

const SZ: Record<FieldKind, number> = { u8: 1, u16: 2, u32: 4, u64: 8, i64: 8, sym16: 16, bytes32: 32, pad: 0 };
function f(off: number, kind: FieldKind, name: string, doc: string, padSize = 0): FieldSpec {
  return { off, kind, name, size: kind === 'pad' ? padSize : SZ[kind], doc };
}
const HDR = [
  f(0, 'u16', 'length', 'total message length incl. header'),
  f(2, 'u8', 'type', 'message type'),
  f(3, 'pad', '', 'reserved, 0', 1),
];
function L(name: keyof typeof MSG_SIZE, dir: 'C->S' | 'S->C', fields: FieldSpec[], tail?: string, ext?: LayoutSpec['ext']): LayoutSpec {
  const type = MsgType[name];
  const spec: LayoutSpec = { type, name, dir, size: MSG_SIZE[name], fields: [...HDR, ...fields] };
  if (tail !== undefined) spec.tail = tail;
  if (ext !== undefined) spec.ext = ext;
  return spec;
}

export const LAYOUTS: readonly LayoutSpec[] = [
  L('LOGIN', 'C->S', [
    f(4, 'u8', 'protocolVersion', 'PROTOCOL_VERSION (1)'),
    f(5, 'pad', '', 'reserved, 0', 3),
    f(8, 'u64', 'sessionId', '0 = new session; else resume (or create) this id'),
    f(16, 'u64', 'nextExpectedSeq', 'first server seq not yet seen; 0 = no replay'),
    f(24, 'u32', 'account', 'account (engine owner) id; 0 = anonymous'),
    f(28, 'pad', '', 'reserved, 0', 4),
  ], undefined, {
    size: LOGIN_SIGNED_SIZE,
    when: 'a credential (section "Session authentication")',
    fields: [
      f(32, 'i64', 'authTs', 'credential: client time, µs since epoch'),
      f(40, 'bytes32', 'authMac', 'credential: HMAC-SHA256(secret, "SIMEX-LOGIN-1" sessionId account authTs)'),
    ],
  }),
  L('LOGOUT', 'C->S', []),
  L('CLIENT_HEARTBEAT', 'C->S', [
    f(4, 'pad', '', 'reserved, 0', 4),
    f(8, 'i64', 'ts', 'client time, µs since epoch'),
    f(16, 'u64', 'lastSeqSeen', 'highest server seq processed (informational)'),
  ]),
  L('NEW_ORDER', 'C->S', [
    f(4, 'u16', 'instrument', 'instrument id'),
    f(6, 'u8', 'side', '0 buy, 1 sell'),
    f(7, 'u8', 'ordType', '0 limit, 1 market'),
    f(8, 'u8', 'tif', '0 GTC, 1 IOC, 2 FOK'),
    f(9, 'u8', 'flags', 'bit0 post-only; other bits 0'),
    f(10, 'u8', 'stp', 'self-trade prevention mode 0..4'),
    f(11, 'pad', '', 'reserved, 0', 5),
    f(16, 'u64', 'clOrdId', 'client order id, strictly increasing per session'),
    f(24, 'i64', 'price', 'limit price (price units); market: protection price or 0'),
    f(32, 'i64', 'qty', 'quantity (qty units)'),
  ]),
  L('CANCEL', 'C->S', [
    f(4, 'u16', 'instrument', 'instrument id of the target order'),
    f(6, 'pad', '', 'reserved, 0', 2),
    f(8, 'u64', 'clOrdId', "this request's client order id"),
    f(16, 'u64', 'origClOrdId', 'target order by clOrdId (used when orderId = 0)'),
    f(24, 'u64', 'orderId', 'target order by exchange order id; 0 = use origClOrdId'),
  ]),
  L('AMEND', 'C->S', [
    f(4, 'u16', 'instrument', 'instrument id of the target order'),
    f(6, 'u8', 'flags', 'bit0 QTY_TOTAL: newQty is the total quantity; other bits 0'),
    f(7, 'pad', '', 'reserved, 0', 1),
    f(8, 'u64', 'clOrdId', "this request's client order id"),
    f(16, 'u64', 'origClOrdId', 'target by clOrdId (used when orderId = 0)'),
    f(24, 'u64', 'orderId', 'target by exchange order id; 0 = use origClOrdId'),
    f(32, 'i64', 'newPrice', 'new limit price'),
    f(40, 'i64', 'newQty', 'new open (leaves) quantity; flags QTY_TOTAL: new total quantity'),
  ]),
  L('MASS_CANCEL', 'C->S', [
    f(4, 'u16', 'instrument', 'instrument id, or 0xFFFF = all'),
    f(6, 'pad', '', 'reserved, 0', 2),
    f(8, 'u64', 'clOrdId', "this request's client order id"),
  ]),
  L('SUBSCRIBE', 'C->S', [
    f(4, 'u8', 'flags', 'bit0 SNAPSHOT: send a snapshot after subscribing'),
    f(5, 'pad', '', 'reserved, 0', 1),
    f(6, 'u16', 'count', 'number of instrument ids that follow (1..1024)'),
  ], '8 + 2*i: u16 instrument id (0xFFFF = all); length = 8 + 2*count'),
  L('UNSUBSCRIBE', 'C->S', [
    f(4, 'u8', 'flags', 'reserved, 0'),
    f(5, 'pad', '', 'reserved, 0', 1),
    f(6, 'u16', 'count', 'number of instrument ids that follow (1..1024)'),
  ], '8 + 2*i: u16 instrument id (0xFFFF = all); length = 8 + 2*count'),
  L('SNAPSHOT_REQUEST', 'C->S', [
    f(4, 'u16', 'instrument', 'instrument id'),
    f(6, 'pad', '', 'reserved, 0', 2),
    f(8, 'u32', 'maxLevels', 'levels per side; 0 = full depth'),
  ]),
  L('LOGIN_ACK', 'S->C', [
    f(4, 'u8', 'protocolVersion', 'protocol version in use'),
    f(5, 'u8', 'flags', 'bit0 NEW_SESSION'),
    f(6, 'u16', 'instrumentCount', 'INSTRUMENT messages that follow'),
    f(8, 'u64', 'sessionId', 'session id (echo, or assigned when LOGIN had 0)'),
    f(16, 'u64', 'nextClOrdId', 'smallest clOrdId accepted next (highest used + 1)'),
    f(24, 'u64', 'lastSeq', 'highest report seq assigned so far (0 = none)'),
    f(32, 'u32', 'heartbeatMs', 'heartbeat interval both sides use'),
    f(36, 'u32', 'account', 'account id of the session'),
    f(40, 'i64', 'serverTime', 'server time, µs since epoch'),
  ]),
  L('LOGIN_REJECT', 'S->C', [
    f(4, 'u16', 'reason', 'reason code; the server closes the connection after it'),
    f(6, 'pad', '', 'reserved, 0', 2),
  ]),
  L('INSTRUMENT', 'S->C', [
    f(4, 'u16', 'instrument', 'instrument id'),
    f(6, 'u8', 'priceDecimals', 'price unit = 10^-priceDecimals'),
    f(7, 'u8', 'qtyDecimals', 'qty unit = 10^-qtyDecimals'),
    f(8, 'u8', 'status', '0 trading, 1 halted'),
    f(9, 'pad', '', 'reserved, 0', 7),
    f(16, 'sym16', 'symbol', 'ASCII symbol, NUL-padded'),
    f(32, 'i64', 'tickSize', 'price increment (price units)'),
    f(40, 'i64', 'lotSize', 'quantity increment (qty units)'),
    f(48, 'i64', 'minQty', 'inclusive'),
    f(56, 'i64', 'maxQty', 'inclusive'),
    f(64, 'i64', 'minPrice', 'inclusive'),
    f(72, 'i64', 'maxPrice', 'inclusive'),
    f(80, 'u32', 'bandBps', 'price band around last trade, bps; 0 = off'),
    f(84, 'pad', '', 'reserved, 0', 4),
  ]),
  L('SERVER_HEARTBEAT', 'S->C', [
    f(4, 'pad', '', 'reserved, 0', 4),
    f(8, 'i64', 'ts', 'server time, µs since epoch'),
    f(16, 'u64', 'lastSeq', 'highest report seq assigned in this session'),
  ]),
  L('NOTICE', 'S->C', [
    f(4, 'u16', 'reason', 'reason code'),
    f(6, 'u16', 'instrument', 'instrument concerned, 0xFFFF = none'),
    f(8, 'u64', 'ref', 'clOrdId / seq / mdSeq concerned, 0 = none'),
  ], '16 .. length: UTF-8 text (0..512 bytes)'),
  L('DISCONNECT', 'S->C', [
    f(4, 'u16', 'reason', 'reason code; the server closes after sending'),
    f(6, 'u16', 'instrument', '0xFFFF = none'),
    f(8, 'u64', 'ref', 'context, 0 = none'),
  ], '16 .. length: UTF-8 text (0..512 bytes)'),
  L('ACCEPTED', 'S->C', [
    f(4, 'u16', 'instrument', 'instrument id'),
    f(6, 'u8', 'side', '0 buy, 1 sell'),
    f(7, 'u8', 'ordType', '0 limit, 1 market'),
    f(8, 'u64', 'seq', 'session sequence number'),
    f(16, 'i64', 'ts', 'µs since epoch'),
    f(24, 'u64', 'clOrdId', 'client order id of the order'),
    f(32, 'u64', 'orderId', 'exchange order id'),
    f(40, 'i64', 'price', 'limit price'),
    f(48, 'i64', 'qty', 'order quantity'),
    f(56, 'u8', 'tif', 'time in force'),
    f(57, 'u8', 'flags', 'bit0 post-only'),
    f(58, 'u8', 'stp', 'STP mode'),
    f(59, 'pad', '', 'reserved, 0', 5),
  ]),
  L('REJECTED', 'S->C', [
    f(4, 'u16', 'instrument', 'instrument id as sent'),
    f(6, 'u8', 'requestType', 'type of the rejected request (10..13)'),
    f(7, 'pad', '', 'reserved, 0', 1),
    f(8, 'u64', 'seq', 'session sequence number'),
    f(16, 'i64', 'ts', 'µs since epoch'),
    f(24, 'u64', 'clOrdId', 'clOrdId of the rejected request'),
    f(32, 'u64', 'orderId', 'target order of a CANCEL/AMEND if known, else 0'),
    f(40, 'u16', 'reason', 'reason code'),
    f(42, 'pad', '', 'reserved, 0', 6),
  ]),
  L('FILL', 'S->C', [
    f(4, 'u16', 'instrument', 'instrument id'),
    f(6, 'u8', 'side', "this order's side"),
    f(7, 'u8', 'liquidity', '1 maker, 2 taker'),
    f(8, 'u64', 'seq', 'session sequence number'),
    f(16, 'i64', 'ts', 'µs since epoch'),
    f(24, 'u64', 'clOrdId', 'client order id of the order'),
    f(32, 'u64', 'orderId', 'exchange order id'),
    f(40, 'u64', 'matchId', 'match (trade) id, per instrument'),
    f(48, 'i64', 'price', 'execution price'),
    f(56, 'i64', 'qty', 'executed quantity'),
    f(64, 'i64', 'leaves', 'open quantity left'),
  ]),
  L('CANCELLED', 'S->C', [
    f(4, 'u16', 'instrument', 'instrument id'),
    f(6, 'u8', 'reason', 'CancelReason: 1 user, 2 IOC remainder, 3 self-trade, 4 mass cancel, 5 amend to filled'),
    f(7, 'u8', 'side', "the order's side"),
    f(8, 'u64', 'seq', 'session sequence number'),
    f(16, 'i64', 'ts', 'µs since epoch'),
    f(24, 'u64', 'clOrdId', "the cancelled order's clOrdId"),
    f(32, 'u64', 'orderId', 'exchange order id'),
    f(40, 'u64', 'requestClOrdId', 'CANCEL/MASS_CANCEL (or AMEND: reason 5) request clOrdId; 0 = unsolicited'),
    f(48, 'i64', 'leaves', 'open quantity cancelled'),
    f(56, 'i64', 'price', "the order's price"),
  ]),
  L('AMENDED', 'S->C', [
    f(4, 'u16', 'instrument', 'instrument id'),
    f(6, 'u8', 'flags', 'bit0 priority kept'),
    f(7, 'u8', 'side', "the order's side"),
    f(8, 'u64', 'seq', 'session sequence number'),
    f(16, 'i64', 'ts', 'µs since epoch'),
    f(24, 'u64', 'clOrdId', "the order's clOrdId (unchanged by amends)"),
    f(32, 'u64', 'orderId', 'exchange order id'),
    f(40, 'u64', 'requestClOrdId', 'clOrdId of the AMEND request'),
    f(48, 'i64', 'newPrice', 'price now'),
    f(56, 'i64', 'newLeaves', 'open quantity now'),
    f(64, 'i64', 'oldPrice', 'price before'),
    f(72, 'i64', 'oldLeaves', 'open quantity before'),
  ]),
  L('REDUCED', 'S->C', [
    f(4, 'u16', 'instrument', 'instrument id'),
    f(6, 'u8', 'reason', 'CancelReason (3 self-trade)'),
    f(7, 'u8', 'side', "the order's side"),
    f(8, 'u64', 'seq', 'session sequence number'),
    f(16, 'i64', 'ts', 'µs since epoch'),
    f(24, 'u64', 'clOrdId', "the order's clOrdId"),
    f(32, 'u64', 'orderId', 'exchange order id'),
    f(40, 'i64', 'price', "the order's price"),
    f(48, 'i64', 'newLeaves', 'open quantity now (> 0)'),
    f(56, 'i64', 'decrement', 'quantity removed'),
  ]),
  L('MASS_CANCEL_ACK', 'S->C', [
    f(4, 'u16', 'instrument', 'instrument id (one ack per instrument covered)'),
    f(6, 'pad', '', 'reserved, 0', 2),
    f(8, 'u64', 'seq', 'session sequence number'),
    f(16, 'i64', 'ts', 'µs since epoch'),
    f(24, 'u64', 'clOrdId', 'clOrdId of the MASS_CANCEL request'),
    f(32, 'u32', 'count', 'orders cancelled on this instrument'),
    f(36, 'pad', '', 'reserved, 0', 4),
  ]),
  L('MD_L2', 'S->C', [
    f(4, 'u16', 'instrument', 'instrument id'),
    f(6, 'u8', 'side', 'level side: 0 bid, 1 ask'),
    f(7, 'u8', 'flags', 'bit0 END_OF_EVENT'),
    f(8, 'u64', 'mdSeq', 'per-instrument market-data sequence'),
    f(16, 'i64', 'ts', 'µs since epoch'),
    f(24, 'i64', 'price', 'level price'),
    f(32, 'i64', 'qty', 'absolute total quantity at the level; 0 = removed'),
    f(40, 'u32', 'orders', 'orders at the level'),
    f(44, 'pad', '', 'reserved, 0', 4),
  ]),
  L('MD_TRADE', 'S->C', [
    f(4, 'u16', 'instrument', 'instrument id'),
    f(6, 'u8', 'aggressorSide', 'taker side: 0 buy, 1 sell'),
    f(7, 'u8', 'flags', 'bit0 END_OF_EVENT'),
    f(8, 'u64', 'mdSeq', 'per-instrument market-data sequence'),
    f(16, 'i64', 'ts', 'µs since epoch'),
    f(24, 'u64', 'matchId', 'match id'),
    f(32, 'i64', 'price', 'trade price'),
    f(40, 'i64', 'qty', 'trade quantity'),
  ]),
  L('SNAPSHOT', 'S->C', [
    f(4, 'u16', 'instrument', 'instrument id'),
    f(6, 'u8', 'flags', 'bit0 LAST part'),
    f(7, 'pad', '', 'reserved, 0', 1),
    f(8, 'u64', 'mdSeq', 'last mdSeq included; continue with mdSeq+1'),
    f(16, 'i64', 'ts', 'µs since epoch'),
    f(24, 'u16', 'part', '0-based part number'),
    f(26, 'u16', 'levelCount', 'levels in this part (0..2048)'),
    f(28, 'pad', '', 'reserved, 0', 4),
  ], '32 + 24*i: u8 side, u8 0, u16 0, u32 orders, i64 price, i64 qty; length = 32 + 24*levelCount'),
];

/** LAYOUTS indexed by type. */
export const LAYOUT_BY_TYPE: ReadonlyMap<number, LayoutSpec> = new Map(LAYOUTS.map((l) => [l.type, l]));

const typeNames = new Map<number, string>(Object.entries(MsgType).map(([k, v]) => [v, k]));
/** "NEW_ORDER" for 10, "TYPE_<n>" for unknown types. */
export function msgTypeName(type: number): string {
  return typeNames.get(type) ?? `TYPE_${type}`;
}
