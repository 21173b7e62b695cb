/**
 * The one engine contract. Two implementations: `TsEngine` (src/engine/ts/, the readable
 * reference) and `NativeEngine` (src/engine/native.ts over the C++ addon in native/).
 * `loadEngine()` in src/engine/index.ts picks one (ENGINE=native|ts|auto).
 *
 * Commands go in as a batch of CMD_SIZE-byte records (src/engine/layout.ts); events come
 * back as EVT_SIZE-byte records in a buffer the engine owns and reuses. One call per batch,
 * never one per order field: the N-API crossing costs ~100 ns.
 */

/** Static definition of one instrument. All integer fields are in engine units. */
export interface InstrumentSpec {
  symbol: string;
  /** Price unit is 10^-priceDecimals of the quote currency (BTCUSD: 2 -> cents). */
  priceDecimals: number;
  /** Quantity unit is 10^-qtyDecimals of the base asset. */
  qtyDecimals: number;
  /** Valid prices are multiples of tickSize (price units). */
  tickSize: number;
  /** Valid quantities are multiples of lotSize (quantity units). */
  lotSize: number;
  /** Inclusive quantity limits, in quantity units. */
  minQty: number;
  maxQty: number;
  /** Inclusive absolute price limits, in price units. */
  minPrice: number;
  maxPrice: number;
  /**
   * Dynamic price band in basis points around the last trade price: a limit price p is
   * rejected (PRICE_OUT_OF_BAND) when |p - last| * 10000 > bandBps * last. 0 disables it;
   * it does not apply before the first trade or to market orders' protection price.
   */
  bandBps: number;
  /** Maximum resting orders in this book (BOOK_FULL beyond). maxQty * maxOrders < 2^53. */
  maxOrders: number;
}

/** One aggregated price level. */
export interface Level {
  price: number;
  qty: number;
  orders: number;
}

export interface DepthSnapshot {
  /** Sequence number of the last event of this book included in this view. */
  seq: number;
  bids: Level[]; // best (highest) first
  asks: Level[]; // best (lowest) first
}

export interface RestingOrder {
  orderId: number;
  owner: number;
  side: number;
  price: number;
  leaves: number;
  flags: number;
  stp: number;
  /** Quantity the order has traded so far (as a taker on entry and on crossing amends, and as
   *  a maker; STP decrements are not fills), saturating at 2^53-1. An AMEND with TOTAL_QTY
   *  sets leaves = total - filled. */
  filled: number;
}

export interface BookStats {
  orders: number;
  bidLevels: number;
  askLevels: number;
  seq: number;
  lastTradePrice: number;
}

export type EngineImplementation = 'native' | 'ts';

export interface Engine {
  readonly implementation: EngineImplementation;

  /** Create a book; returns its index (0, 1, 2 ... in call order). Throws on a bad spec
   *  (programmer error), never on order flow. */
  addBook(spec: InstrumentSpec): number;

  /**
   * Run `count` command records from `cmds` (starting at byte 0) in order. Returns the
   * number of events written. Events are in `events()` from byte 0; that view is valid until
   * the next `process` or `restore` call (the buffer may be replaced when it grows).
   * Never throws on bad command contents: they produce REJECTED events.
   */
  process(cmds: Uint8Array, count: number): number;

  /** The event buffer holding the last `process` call's events. */
  events(): Uint8Array;

  bestBid(book: number): Level | null;
  bestAsk(book: number): Level | null;
  /** Top `levels` levels per side. */
  depth(book: number, levels: number): DepthSnapshot;
  order(book: number, orderId: number): RestingOrder | null;
  stats(book: number): BookStats;

  /** Full L3 image of a book (layout in layout.ts). Byte-identical across implementations
   *  for the same history. */
  snapshot(book: number): Uint8Array;
  /** Replace a book's contents with a snapshot image. Throws on a malformed image. */
  restore(book: number, image: Uint8Array): void;
}
