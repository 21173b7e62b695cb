/**
 * Per-book trade tape: the last `capacity` trades in typed-array columns.
 *
 * Why columns and not one object per trade: the tape is written on the I/O thread for every
 * match, and objects that live for ~1000 trades survive young-generation GCs: measured at
 * 100k orders/s, ~600 KB survived each scavenge (2-5 ms pauses), most of it trade records.
 * Here a push writes numbers into preallocated arrays (no allocation); TradeRecord objects
 * are built only when someone reads the tape (REST /api/trades, the JSON feed).
 *
 * Trades are numbered 1, 2, 3 ... per tape (`count` = the newest's number); `since(n)`
 * returns the ones after number n that are still retained.
 */
export interface TradeRecord {
  trade_id: number;
  symbol: string;
  price: number;
  quantity: number;
  side: 'buy' | 'sell';
  buy_order_id: number;
  sell_order_id: number;
  /** ms since epoch */
  ts: number;
}

export class TradeTape {
  private readonly id: Float64Array;
  private readonly price: Float64Array;
  private readonly qty: Float64Array;
  private readonly buy: Float64Array;
  private readonly sell: Float64Array;
  private readonly ts: Float64Array;
  private readonly sell_: Uint8Array; // 1 = aggressor sold
  /** Trades pushed so far (the newest has number `count`). */
  count = 0;

  constructor(readonly symbol: string, readonly capacity = 1000) {
    this.id = new Float64Array(capacity);
    this.price = new Float64Array(capacity);
    this.qty = new Float64Array(capacity);
    this.buy = new Float64Array(capacity);
    this.sell = new Float64Array(capacity);
    this.ts = new Float64Array(capacity);
    this.sell_ = new Uint8Array(capacity);
  }

  /** Retained trades (<= capacity). */
  get size(): number {
    return Math.min(this.count, this.capacity);
  }

  /** Record one trade (decimal price and quantity). O(1), no allocation. */
  push(tradeId: number, price: number, qty: number, aggressorSells: boolean, buyOrderId: number, sellOrderId: number,
    tsMs: number): void {
    const i = this.count % this.capacity;
    this.id[i] = tradeId;
    this.price[i] = price;
    this.qty[i] = qty;
    this.sell_[i] = aggressorSells ? 1 : 0;
    this.buy[i] = buyOrderId;
    this.sell[i] = sellOrderId;
    this.ts[i] = tsMs;
    this.count++;
  }

  /** Trade number `n` (1-based, must be retained) as a record. */
  private at(n: number): TradeRecord {
    const i = (n - 1) % this.capacity;
    return {
      trade_id: this.id[i]!, symbol: this.symbol, price: this.price[i]!, quantity: this.qty[i]!,
      side: this.sell_[i] ? 'sell' : 'buy', buy_order_id: this.buy[i]!, sell_order_id: this.sell[i]!, ts: this.ts[i]!,
    };
  }

  /** The retained trade whose trade_id is `tradeId`, or null. O(1) when trade ids follow the
   *  tape numbers (the engine's per-book match ids do), else a binary search (ids increase). */
  find(tradeId: number): TradeRecord | null {
    const oldest = this.count - this.size + 1;
    if (this.size === 0) return null;
    if (tradeId >= oldest && tradeId <= this.count && this.id[(tradeId - 1) % this.capacity] === tradeId) return this.at(tradeId);
    let lo = oldest;
    let hi = this.count;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.id[(mid - 1) % this.capacity]!;
      if (v === tradeId) return this.at(mid);
      if (v < tradeId) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  }

  /** trade_id of the oldest and newest retained trade (null when empty). */
  range(): { oldest: number; newest: number } | null {
    if (this.size === 0) return null;
    return { oldest: this.id[(this.count - this.size) % this.capacity]!, newest: this.id[(this.count - 1) % this.capacity]! };
  }

  /** The newest `limit` trades, newest first. */
  recent(limit: number): TradeRecord[] {
    const n = Math.min(limit, this.size);
    const out: TradeRecord[] = new Array(n);
    for (let k = 0; k < n; k++) out[k] = this.at(this.count - k);
    return out;
  }

  /** Retained trades with number > `after`, oldest first, at most the newest `max` of them. */
  since(after: number, max: number): TradeRecord[] {
    const first = Math.max(after + 1, this.count - this.size + 1, this.count - max + 1);
    const out: TradeRecord[] = [];
    for (let n = first; n <= this.count; n++) out.push(this.at(n));
    return out;
  }
}
