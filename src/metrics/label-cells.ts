/**
 * The main thread's trading counters as dense tables of plain numbers (hot path of
 * `MetricsHub`: once per order / request / trade on the server's I/O thread).
 *
 * Contract: same label normalisation and values as `TradingCounters` (counters.ts), without a
 * key string per call. A label tuple resolves to one `SymbolCells` (one Map lookup of the
 * symbol, whose hash V8 caches in the string) plus a small integer cell index computed from
 * `===` compares of the enum labels; recording is one Float64Array add. Prometheus values are
 * read from the tables at scrape time.
 *
 * Series order: a cell is listed by `orderSeries` / `requestSeries` from its first touch on,
 * in first-touch order (what the Map-keyed counters showed), even when its value stays 0
 * (a shard delta may carry n = 0).
 *
 * Sizes: per symbol label 36 order cells (3 sides x 3 types x 4 results, each with "other")
 * and 16 request cells (4 ops x 4 results); symbol labels = configured instruments + "other".
 */
import type { RecentTrade, SymbolTotals } from './counters.js';

export const SIDE_LABELS = ['buy', 'sell', 'other'] as const;
export const TYPE_LABELS = ['limit', 'market', 'other'] as const;
export const RESULT_LABELS = ['accepted', 'rejected', 'error', 'other'] as const;
export const OP_LABELS = ['cancel', 'amend', 'mass_cancel', 'other'] as const;
export const R_ACCEPTED = 0;
export const R_REJECTED = 1;
export const R_ERROR = 2;
const N_TYPE = 3;
const N_RESULT = 4;
export const ORDER_CELLS = 36;
export const REQUEST_CELLS = 16;

export function sideIndex(v: string): number {
  return v === 'buy' ? 0 : v === 'sell' ? 1 : 2;
}
export function typeIndex(v: string): number {
  return v === 'limit' ? 0 : v === 'market' ? 1 : 2;
}
export function resultIndex(v: string): number {
  return v === 'accepted' ? 0 : v === 'rejected' ? 1 : v === 'error' ? 2 : 3;
}
export function opIndex(v: string): number {
  return v === 'cancel' ? 0 : v === 'amend' ? 1 : v === 'mass_cancel' ? 2 : 3;
}
/** Order cell of (side, type, result) indices. */
export function orderCell(side: number, type: number, result: number): number {
  return (side * N_TYPE + type) * N_RESULT + result;
}
export function requestCell(op: number, result: number): number {
  return op * N_RESULT + result;
}

/** Last `capacity` trades of one symbol label, columnar (no object per trade). */
export class TradeRing {
  private readonly price: Float64Array;
  private readonly qty: Float64Array;
  private readonly ts: Float64Array;
  private readonly side: (string | undefined)[];
  private head = 0;
  size = 0;
  constructor(readonly capacity: number) {
    this.price = new Float64Array(capacity);
    this.qty = new Float64Array(capacity);
    this.ts = new Float64Array(capacity);
    this.side = new Array<string | undefined>(capacity).fill(undefined);
  }
  /** Values must already be finite numbers (the hub applies `num()`). */
  push(price: number, qty: number, side: string | undefined, ts: number): void {
    const i = this.head;
    this.price[i] = price;
    this.qty[i] = qty;
    this.side[i] = side;
    this.ts[i] = ts;
    this.head = i + 1 === this.capacity ? 0 : i + 1;
    if (this.size < this.capacity) this.size++;
  }
  /** The newest `last` trades (all by default), oldest first, as new objects. */
  toArray(symbol: string, last = this.capacity): RecentTrade[] {
    const n = Math.min(this.size, Math.max(0, last));
    const out: RecentTrade[] = new Array(n);
    let i = (this.head - n + this.capacity) % this.capacity;
    for (let k = 0; k < n; k++) {
      out[k] = { symbol, price: this.price[i]!, qty: this.qty[i]!, side: this.side[i] as RecentTrade['side'], ts: this.ts[i]! };
      i = i + 1 === this.capacity ? 0 : i + 1;
    }
    return out;
  }
}

export class SymbolCells {
  readonly orders = new Float64Array(ORDER_CELLS);
  readonly orderSeen = new Uint8Array(ORDER_CELLS);
  readonly requests = new Float64Array(REQUEST_CELLS);
  readonly requestSeen = new Uint8Array(REQUEST_CELLS);
  /** Trade totals; null until the first trade for an unconfigured label ("other"). */
  totals: SymbolTotals | null = null;
  /** Recent trades; null until the first trade for an unconfigured label. */
  recent: TradeRing | null = null;
  constructor(readonly label: string, readonly index: number) {}
}

export class HubCounters {
  /** Configured symbols in order, then "other" (unless configured). Index = SymbolCells.index. */
  readonly cells: SymbolCells[] = [];
  readonly other: SymbolCells;
  /** First-touch order of order cells: symbolIndex * ORDER_CELLS + cell. */
  readonly orderSeries: number[] = [];
  /** First-touch order of request cells: symbolIndex * REQUEST_CELLS + cell. */
  readonly requestSeries: number[] = [];
  /** Trade totals per label: configured symbols first, "other" once it traded. */
  readonly symbols = new Map<string, SymbolTotals>();
  /** Recent trades per label, same order as `symbols`. */
  readonly recent = new Map<string, TradeRing>();
  private readonly byName = new Map<string, SymbolCells>();
  /** Configured labels for a linear `===` scan (faster than Map.get up to ~8 entries, measured). */
  private readonly scan: SymbolCells[] | null;

  constructor(symbols: readonly string[], private readonly recentCapacity: number) {
    for (const s of symbols) {
      if (this.byName.has(s)) continue;
      const c = new SymbolCells(s, this.cells.length);
      this.cells.push(c);
      this.byName.set(s, c);
      c.totals = { trades: 0, volume: 0, notional: 0, lastPrice: null };
      this.symbols.set(s, c.totals);
      c.recent = new TradeRing(recentCapacity);
      this.recent.set(s, c.recent);
    }
    let other = this.byName.get('other');
    if (!other) {
      other = new SymbolCells('other', this.cells.length);
      this.cells.push(other);
    }
    this.other = other;
    const configured = [...this.byName.values()];
    this.scan = configured.length <= 8 ? configured : null;
  }

  /** Cells of a symbol's label: configured symbol, else "other". Any input type. */
  of(symbol: string): SymbolCells {
    const scan = this.scan;
    if (scan === null) return this.byName.get(symbol) ?? this.other;
    for (let i = 0; i < scan.length; i++) if (scan[i]!.label === symbol) return scan[i]!;
    return this.other;
  }

  addOrder(c: SymbolCells, cell: number, n: number): void {
    if (c.orderSeen[cell] === 0) {
      c.orderSeen[cell] = 1;
      this.orderSeries.push(c.index * ORDER_CELLS + cell);
    }
    c.orders[cell] += n;
  }

  addRequest(c: SymbolCells, cell: number, n: number): void {
    if (c.requestSeen[cell] === 0) {
      c.requestSeen[cell] = 1;
      this.requestSeries.push(c.index * REQUEST_CELLS + cell);
    }
    c.requests[cell] += n;
  }

  totalsOf(c: SymbolCells): SymbolTotals {
    let t = c.totals;
    if (t === null) {
      t = { trades: 0, volume: 0, notional: 0, lastPrice: null };
      c.totals = t;
      this.symbols.set(c.label, t);
    }
    return t;
  }

  recentOf(c: SymbolCells): TradeRing {
    let r = c.recent;
    if (r === null) {
      r = new TradeRing(this.recentCapacity);
      c.recent = r;
      this.recent.set(c.label, r);
    }
    return r;
  }

  /** Calls fn(symbolCells, cell, value) for every order series in first-touch order. */
  forEachOrder(fn: (c: SymbolCells, cell: number, value: number) => void): void {
    for (const code of this.orderSeries) {
      const c = this.cells[(code / ORDER_CELLS) | 0]!;
      const cell = code % ORDER_CELLS;
      fn(c, cell, c.orders[cell]!);
    }
  }

  forEachRequest(fn: (c: SymbolCells, cell: number, value: number) => void): void {
    for (const code of this.requestSeries) {
      const c = this.cells[(code / REQUEST_CELLS) | 0]!;
      const cell = code % REQUEST_CELLS;
      fn(c, cell, c.requests[cell]!);
    }
  }
}

/** Labels of an order cell. */
export function orderLabels(symbol: string, cell: number): { symbol: string; side: string; type: string; result: string } {
  const r = cell % N_RESULT;
  const st = (cell - r) / N_RESULT;
  const t = st % N_TYPE;
  const s = (st - t) / N_TYPE;
  return { symbol, side: SIDE_LABELS[s]!, type: TYPE_LABELS[t]!, result: RESULT_LABELS[r]! };
}

export function requestLabels(symbol: string, cell: number): { op: string; symbol: string; result: string } {
  const r = cell % N_RESULT;
  return { op: OP_LABELS[(cell - r) / N_RESULT]!, symbol, result: RESULT_LABELS[r]! };
}

export function cellResult(cell: number): number {
  return cell % N_RESULT;
}
