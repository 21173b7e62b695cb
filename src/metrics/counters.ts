/**
 * Trading counters with bounded label sets, shared by `ShardMetrics` (worker) and
 * `MetricsHub` (main thread). Keys are small strings; values are plain numbers so a delta
 * can be shipped between threads as arrays of tuples.
 *
 * Cardinality: symbols are limited to the configured instruments (anything else counts as
 * "other"), side/type/result/op to their enums. At most 3 symbols x 2 x 2 x 3 = 36 order
 * series per process with the default instruments.
 */

export type SideLabel = 'buy' | 'sell';
export type OrderTypeLabel = 'limit' | 'market';
/**
 * Outcome of one order request as answered to the client:
 * - `accepted`: the engine accepted it (it may have traded, rested, or been IOC-cancelled);
 * - `rejected`: refused for a client-side reason (validation, engine reject reason, limits);
 * - `error`: failed for a server-side reason (shard unavailable, timeout, overload, internal).
 * The availability SLO counts only `error`; `error_rate` in /api/metrics counts both.
 */
export type OrderResultLabel = 'accepted' | 'rejected' | 'error';
/** Non-NEW order requests. */
export type RequestOpLabel = 'cancel' | 'amend' | 'mass_cancel';

export const SIDES: readonly SideLabel[] = ['buy', 'sell'];
export const ORDER_TYPES: readonly OrderTypeLabel[] = ['limit', 'market'];
export const RESULTS: readonly OrderResultLabel[] = ['accepted', 'rejected', 'error'];
export const OPS: readonly RequestOpLabel[] = ['cancel', 'amend', 'mass_cancel'];

/** Delta shipped in a shard snapshot: tuples keep the structured clone small. */
export interface CounterDelta {
  /** [symbol, side, type, result, n] */
  orders: [string, string, string, string, number][];
  /** [op, symbol, result, n] */
  requests: [string, string, string, number][];
  /** [symbol, trades, base quantity, quote notional] */
  trades: [string, number, number, number][];
}

export interface RecentTrade {
  symbol: string;
  /** Decimal price (quote currency). */
  price: number;
  /** Decimal quantity (base asset). */
  qty: number;
  /** Aggressor side, when known. */
  side?: SideLabel;
  /** Milliseconds since the Unix epoch. */
  ts: number;
}

export interface SymbolTotals {
  trades: number;
  /** Sum of traded base quantity. */
  volume: number;
  /** Sum of price * qty (quote currency). */
  notional: number;
  lastPrice: number | null;
}

function pick<T extends string>(v: string, allowed: readonly T[]): T | 'other' {
  return (allowed as readonly string[]).includes(v) ? (v as T) : 'other';
}

export class TradingCounters {
  readonly orders = new Map<string, number>();
  readonly requests = new Map<string, number>();
  readonly symbols = new Map<string, SymbolTotals>();
  private readonly known: Set<string>;

  /** `symbols`: the configured instruments; null = accept any symbol string (tests only). */
  constructor(symbols: readonly string[] | null) {
    this.known = new Set(symbols ?? []);
    this.open = symbols === null;
    for (const s of symbols ?? []) this.symbols.set(s, { trades: 0, volume: 0, notional: 0, lastPrice: null });
  }
  private readonly open: boolean;

  symbolLabel(symbol: string): string {
    if (this.open && typeof symbol === 'string' && /^[A-Z0-9]{1,16}$/.test(symbol)) return symbol;
    return this.known.has(symbol) ? symbol : 'other';
  }

  /** Returns the normalised key, so callers can keep side tables (rates) in step. */
  addOrder(symbol: string, side: string, type: string, result: string, n = 1): string {
    const key = `${this.symbolLabel(symbol)}|${pick(side, SIDES)}|${pick(type, ORDER_TYPES)}|${pick(result, RESULTS)}`;
    this.orders.set(key, (this.orders.get(key) ?? 0) + n);
    return key;
  }

  addRequest(op: string, symbol: string, result: string, n = 1): string {
    const key = `${pick(op, OPS)}|${this.symbolLabel(symbol)}|${pick(result, RESULTS)}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + n);
    return key;
  }

  addTrades(symbol: string, trades: number, qty: number, notional: number, lastPrice: number | null): string {
    const s = this.symbolLabel(symbol);
    let t = this.symbols.get(s);
    if (!t) {
      t = { trades: 0, volume: 0, notional: 0, lastPrice: null };
      this.symbols.set(s, t);
    }
    t.trades += trades;
    t.volume += qty;
    t.notional += notional;
    if (lastPrice !== null) t.lastPrice = lastPrice;
    return s;
  }

  /** Current values as a delta (relative to zero), optionally clearing them. */
  toDelta(reset: boolean): CounterDelta {
    const d: CounterDelta = { orders: [], requests: [], trades: [] };
    for (const [k, n] of this.orders) {
      const [a, b, c, e] = k.split('|') as [string, string, string, string];
      d.orders.push([a, b, c, e, n]);
    }
    for (const [k, n] of this.requests) {
      const [a, b, c] = k.split('|') as [string, string, string];
      d.requests.push([a, b, c, n]);
    }
    for (const [s, t] of this.symbols) if (t.trades > 0) d.trades.push([s, t.trades, t.volume, t.notional]);
    if (reset) {
      this.orders.clear();
      this.requests.clear();
      for (const t of this.symbols.values()) {
        t.trades = 0;
        t.volume = 0;
        t.notional = 0;
      }
    }
    return d;
  }
}
