/**
 * The engine's binary contract: command records in, event records out.
 *
 * This file is the specification both implementations follow (the TypeScript engine in
 * `src/engine/ts/` and the C++ addon in `native/`). The C++ mirror is `native/src/layout.h`;
 * a test checks that the two agree. Change both or neither, and bump ENGINE_ABI_VERSION.
 *
 * All integers are little-endian. Every 64-bit field is a two's-complement int64. Prices are
 * integers in the instrument's price units (10^-priceDecimals), quantities in its quantity
 * units (10^-qtyDecimals); the engine never sees a decimal or a float. Timestamps are
 * microseconds since the Unix epoch, supplied by the caller: the engine has no clock and no
 * randomness, so the same command bytes always produce the same event bytes.
 *
 * Values the TypeScript engine reads as doubles are exact up to 2^53 - 1; the engine rejects
 * any order id, price or quantity outside its valid range before doing arithmetic on it, and
 * copies echoed raw fields byte for byte, so both engines stay byte-identical even on
 * garbage input.
 */

/** 2: AMEND flag TOTAL_QTY, CancelReason AMEND_TO_FILLED, per-order filled quantity in
 *  the L3 snapshot (48-byte order records). A v1 snapshot is refused (see "L3 snapshot"). */
export const ENGINE_ABI_VERSION = 2;

// ---------------------------------------------------------------------------------------
// Commands: fixed 48-byte records.
//
//  off size field     NEW            CANCEL        AMEND            MASS_CANCEL
//    0  u8  type      1              2             3                4
//    1  u8  side      0 buy, 1 sell  (ignored)     (ignored)        (ignored)
//    2  u8  ordType   0 limit,1 mkt  (ignored)     (ignored)        (ignored)
//    3  u8  tif       0 GTC,1 IOC,2 FOK
//    4  u8  flags     NEW: bit0 post-only; AMEND: bit1 TOTAL_QTY (AmendCmdFlags);
//                     any other bit must be 0 (BAD_FLAGS)
//    5  u8  stp       self-trade prevention mode (StpMode)
//    6  u16 book      book index returned by addBook
//    8  u32 owner     account id; 0 = anonymous (no STP, cannot mass-cancel)
//   12  u32 reserved  ignored
//   16  i64 ts        caller timestamp, µs since epoch; copied into every event
//   24  i64 orderId   1 .. 2^53-1, unique among live orders of the book
//   32  i64 price     limit price; market: protection price or 0 (none); amend: new price
//   40  i64 qty       NEW: order quantity; AMEND: new open (leaves) quantity, or with
//                     TOTAL_QTY the order's new total quantity (leaves = qty - filled)
// ---------------------------------------------------------------------------------------
export const CMD_SIZE = 48;
export const CmdOff = {
  type: 0,
  side: 1,
  ordType: 2,
  tif: 3,
  flags: 4,
  stp: 5,
  book: 6,
  owner: 8,
  reserved: 12,
  ts: 16,
  orderId: 24,
  price: 32,
  qty: 40,
} as const;

export const CmdType = { NEW: 1, CANCEL: 2, AMEND: 3, MASS_CANCEL: 4 } as const;
export type CmdType = (typeof CmdType)[keyof typeof CmdType];

export const Side = { BUY: 0, SELL: 1 } as const;
export type Side = (typeof Side)[keyof typeof Side];

export const OrdType = { LIMIT: 0, MARKET: 1 } as const;
export type OrdType = (typeof OrdType)[keyof typeof OrdType];

export const Tif = { GTC: 0, IOC: 1, FOK: 2 } as const;
export type Tif = (typeof Tif)[keyof typeof Tif];

export const Flags = { POST_ONLY: 1 } as const;

/**
 * AMEND command flags (byte 4). TOTAL_QTY: `qty` is the order's new TOTAL quantity (FIX
 * OrderCancelReplaceRequest OrderQty): new leaves = qty - filled, where filled is what the
 * order has traded over its whole life (as a taker on entry, on crossing amends, as a maker).
 * qty <= filled cancels the remainder (CANCELLED reason AMEND_TO_FILLED, no AMENDED). A
 * fill that lands just before the AMEND therefore counts against the quantity asked instead
 * of being bought again on top. Without it: qty is the new absolute leaves (v1 behaviour).
 * Bit 1, not bit 0: bit 0 is NEW's post-only, and AMEND rejects it (BAD_FLAGS).
 */
export const AmendCmdFlags = { TOTAL_QTY: 2 } as const;

/** Self-trade prevention: the taker's mode decides what happens when it meets a resting order
 *  of the same (non-zero) owner. */
export const StpMode = {
  NONE: 0, // self-trades allowed
  CANCEL_NEWEST: 1, // cancel the taker's remainder, stop matching
  CANCEL_OLDEST: 2, // cancel the resting order, keep matching
  CANCEL_BOTH: 3, // cancel both, stop matching
  DECREMENT_AND_CANCEL: 4, // reduce both by the smaller leaves; cancel whichever reaches 0
} as const;
export type StpMode = (typeof StpMode)[keyof typeof StpMode];

// ---------------------------------------------------------------------------------------
// Events: fixed 80-byte records, written from offset 0 of the event buffer on each call.
//
//  off size field
//    0  u8  type      EventType
//    1  u8  side      order side (TRADE: aggressor side; L2: level side; REJECTED: raw byte)
//    2  u8  reason    REJECTED: RejectReason; CANCELLED: CancelReason; else 0
//    3  u8  cmdType   type byte of the command that caused the event (raw for REJECTED)
//    4  u16 book      book index (REJECTED for UNKNOWN_BOOK: the raw book field)
//    6  u16 flags     AMENDED: bit0 priority kept. Otherwise 0
//    8  i64 seq       per-book sequence, 1, 2, 3 ... over all events of the book
//                     (0 only for a reject whose book does not exist)
//   16  i64 ts        the command's ts
//   24  i64 s0 ..  72  i64 s6   payload, per type:
//
//   type          s0        s1       s2        s3           s4          s5           s6
//   ACCEPTED   1  orderId   owner    price     qty          0           0            0
//                 (MASS_CANCEL: s0 = 0, s3 = number of orders it will cancel)
//   REJECTED   2  orderId*  owner    0         0            0           0            0
//                 (* the command's 8 raw bytes, copied, never re-encoded)
//   TRADE      3  takerId   makerId  price     qty          takerLeaves makerLeaves  matchId
//   CANCELLED  4  orderId   owner    price     leaves       0           0            0
//   AMENDED    5  orderId   owner    newPrice  newLeaves    oldPrice    oldLeaves    0
//   L2         6  price     totalQty orders    0            0           0            0
//   DECREMENTED 7 orderId   owner    price     newLeaves    decrement   0            0
// ---------------------------------------------------------------------------------------
export const EVT_SIZE = 80;
export const EvtOff = {
  type: 0,
  side: 1,
  reason: 2,
  cmdType: 3,
  book: 4,
  flags: 6,
  seq: 8,
  ts: 16,
  s0: 24,
  s1: 32,
  s2: 40,
  s3: 48,
  s4: 56,
  s5: 64,
  s6: 72,
} as const;

export const EventType = {
  ACCEPTED: 1,
  REJECTED: 2,
  TRADE: 3,
  CANCELLED: 4,
  AMENDED: 5,
  L2: 6,
  DECREMENTED: 7,
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

export const AmendFlags = { PRIORITY_KEPT: 1 } as const;

/** Why a resting or incoming order left the book without trading. */
export const CancelReason = {
  USER: 1, // CANCEL command
  IOC_REMAINDER: 2, // unfilled part of an IOC or market order
  SELF_TRADE: 3, // removed by self-trade prevention
  MASS_CANCEL: 4, // MASS_CANCEL command
  AMEND_TO_FILLED: 5, // AMEND with TOTAL_QTY at or below the filled quantity (cmdType AMEND)
} as const;
export type CancelReason = (typeof CancelReason)[keyof typeof CancelReason];

/**
 * Engine reject reasons: 1..99. Stable numbers, never reused. The edge maps them to string
 * codes (`rejectCodeName`) and uses 100+ for its own. Checks run in the order documented in
 * docs/ENGINE.md, so the first failing check names the reason.
 */
export const RejectReason = {
  UNKNOWN_COMMAND: 1,
  UNKNOWN_BOOK: 2,
  BAD_SIDE: 3,
  BAD_ORDER_TYPE: 4,
  BAD_TIF: 5,
  BAD_FLAGS: 6,
  BAD_STP_MODE: 7,
  BAD_ORDER_ID: 8,
  DUPLICATE_ORDER_ID: 9,
  UNKNOWN_ORDER: 10,
  NOT_OWNER: 11,
  BAD_QUANTITY: 12,
  BAD_LOT: 13,
  BAD_PRICE: 14,
  OFF_TICK: 15,
  PRICE_OUT_OF_BAND: 16,
  POST_ONLY_WOULD_CROSS: 17,
  FOK_NOT_FILLABLE: 18,
  BOOK_FULL: 19,
  AMEND_NO_CHANGE: 20,
  BAD_OWNER: 21,
} as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];

const rejectNames = new Map<number, string>(
  Object.entries(RejectReason).map(([k, v]) => [v, k]),
);
/** Stable string code for a numeric reject reason ("UNKNOWN_ORDER"), or "REASON_<n>". */
export function rejectCodeName(reason: number): string {
  return rejectNames.get(reason) ?? `REASON_${reason}`;
}

const cancelNames = new Map<number, string>(
  Object.entries(CancelReason).map(([k, v]) => [v, k]),
);
export function cancelReasonName(reason: number): string {
  return cancelNames.get(reason) ?? `REASON_${reason}`;
}

/** Largest order id / price / quantity the engine accepts (exact in a double). */
export const MAX_SAFE = Number.MAX_SAFE_INTEGER; // 2^53 - 1

// ---------------------------------------------------------------------------------------
// L3 snapshot (Engine.snapshot / Engine.restore): a binary image of one book, enough to
// rebuild it exactly (same priorities, same future sequence and match ids).
//
//   header, 40 bytes:
//     0 u32 magic 0x334C5853 ("SXL3")   4 u16 ENGINE_ABI_VERSION (2)   6 u16 book
//     8 i64 seq (last assigned)         16 i64 nextMatchId
//    24 i64 lastTradePrice (0 = none)   32 i64 orderCount
//   then orderCount records of 48 bytes, bids best price first, then asks best price first,
//   each level in time priority:
//     0 i64 orderId  8 u32 owner  12 u8 side  13 u8 flags  14 u8 stp  15 u8 0
//    16 i64 price   24 i64 leaves  32 i64 ownerRank  40 i64 filled
// ownerRank is the order's 0-based position in its owner's list (the order in which
// MASS_CANCEL cancels: oldest acceptance first); restore rebuilds owner lists from it.
// filled: quantity the order has traded (0 .. 2^53-1, saturating), what TOTAL_QTY amends
// subtract. Version 1 images (40-byte records, no filled) are refused, not read with
// filled = 0: an order restored with filled 0 would let a TOTAL_QTY amend buy its past fills
// again, the very over-fill TOTAL_QTY exists to prevent. Snapshots live only in memory
// (shard migration), so a v1 image can only come from a process running older code.
// ---------------------------------------------------------------------------------------
export const SNAP_MAGIC = 0x334c5853;
export const SNAP_HEADER_SIZE = 40;
export const SNAP_ORDER_SIZE = 48;
