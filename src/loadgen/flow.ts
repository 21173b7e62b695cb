/**
 * The order flow one connection sends: seeded, so a run is reproducible given
 * (seed, connection index). Shape, like the engine benchmark's `mix`: resting limit orders
 * 1..20 ticks away from a fixed reference price (never crossing on their own), cancels of
 * this connection's oldest live resting order, and a few market orders that take liquidity.
 * The book therefore stays bounded: cancels and market orders remove roughly what limits add.
 *
 * Cost: next() is allocation-free; it fills and returns one reused FlowOrder. The transport
 * reports ACCEPTED limit orders (rested) and finished ones (gone) back to the flow.
 */
import { DEFAULT_INSTRUMENTS } from '../engine/instruments.js';
import type { MixSpec } from './types.js';
import { mulberry32 } from '../util/prng.js';

export const OP_LIMIT = 0;
export const OP_CANCEL = 1;
export const OP_MARKET = 2;

export interface FlowOrder {
  op: number;
  /** Index into the run's symbol list. */
  symbolIndex: number;
  side: 0 | 1; // 0 buy, 1 sell
  /** Integer price in the instrument's price units (limit only). */
  price: number;
  /** Integer quantity in the instrument's quantity units. */
  qty: number;
  /** CANCEL: client order id of the order to cancel. */
  cancelId: number;
}

export interface SymbolParams {
  symbol: string;
  /** Wire instrument id (from the server's INSTRUMENT messages). */
  instrument: number;
  refPrice: number; // price units
  tick: number; // price units
  lot: number; // qty units
  minQty: number; // qty units
}

/** Reference prices in quote currency, near the runbook's levels. */
const REF_PRICE: Record<string, number> = { BTCUSD: 50_000, ETHUSD: 3_000, ADAUSD: 1.5 };

/** What the flow needs to know about an instrument (the INSTRUMENT message has it all). */
export interface InstrumentInfo {
  symbol: string;
  instrument: number;
  priceDecimals: number;
  tickSize: number;
  lotSize: number;
  minQty: number;
  minPrice: number;
  maxPrice: number;
}

/** Flow parameters for an instrument: reference price (runbook level, else mid of the
 *  allowed range's geometric mean) rounded to a tick, and its tick/lot. */
export function paramsFor(inst: InstrumentInfo, refOverride?: number): SymbolParams {
  let ref = refOverride ?? (REF_PRICE[inst.symbol] !== undefined
    ? Math.round(REF_PRICE[inst.symbol]! * 10 ** inst.priceDecimals)
    : Math.round(Math.sqrt(inst.minPrice * inst.maxPrice)));
  ref = Math.max(inst.minPrice + 40 * inst.tickSize, Math.round(ref / inst.tickSize) * inst.tickSize);
  const lot = inst.lotSize;
  return { symbol: inst.symbol, instrument: inst.instrument, refPrice: ref, tick: inst.tickSize, lot, minQty: Math.max(inst.minQty, lot) };
}

/** Flow parameters from the default instrument table (tests, offline use), ids 1..n. */
export function defaultParams(symbols: readonly string[]): SymbolParams[] {
  return symbols.map((symbol, i) => {
    const spec = DEFAULT_INSTRUMENTS.find((x) => x.symbol === symbol);
    if (!spec) throw new RangeError(`unknown symbol ${symbol}`);
    return paramsFor({ ...spec, instrument: i + 1 });
  });
}


const LIVE_CAP = 1 << 16; // resting orders tracked per connection (FIFO ring)
const LIVE_MASK = LIVE_CAP - 1;
const ALIVE_CAP = 1 << 20;
const ALIVE_MASK = ALIVE_CAP - 1;

export class OrderFlow {
  private readonly rnd: () => number;
  private readonly pLimit: number;
  private readonly pCancel: number;
  readonly order: FlowOrder = { op: OP_LIMIT, symbolIndex: 0, side: 0, price: 0, qty: 0, cancelId: 0 };
  // FIFO of client order ids of limit orders believed resting, plus their symbol.
  private readonly liveIds = new Float64Array(LIVE_CAP);
  private readonly liveSym = new Uint16Array(LIVE_CAP);
  private liveHead = 0;
  private liveTail = 0;
  /** Liveness flag per id (id & ALIVE_MASK): 1 = believed resting. Ids 2^20 apart share a
   *  flag; the worst a collision does is one cancel of a gone order (rejected, counted). */
  private readonly alive = new Uint8Array(ALIVE_CAP);

  constructor(
    private readonly symbols: readonly SymbolParams[],
    mix: MixSpec,
    seed: number,
  ) {
    const sum = mix.limit + mix.cancel + mix.market;
    if (!(sum > 0)) throw new RangeError('mix weights must sum to > 0');
    this.pLimit = mix.limit / sum;
    this.pCancel = (mix.limit + mix.cancel) / sum;
    this.rnd = mulberry32(seed);
  }

  /** Fill `order` for client order id `id` and return it. */
  next(id: number): FlowOrder {
    const o = this.order;
    const r = this.rnd();
    if (r >= this.pLimit && r < this.pCancel) {
      const victim = this.popLive();
      if (victim >= 0) {
        o.op = OP_CANCEL;
        o.cancelId = this.liveIds[victim]!;
        o.symbolIndex = this.liveSym[victim]!;
        return o;
      }
    }
    const s = this.symbols.length === 1 ? 0 : Math.floor(this.rnd() * this.symbols.length);
    const p = this.symbols[s]!;
    o.symbolIndex = s;
    o.side = this.rnd() < 0.5 ? 0 : 1;
    o.qty = Math.ceil(p.minQty / p.lot) * p.lot + p.lot * Math.floor(this.rnd() * 10);
    o.cancelId = 0;
    if (r >= this.pCancel) {
      o.op = OP_MARKET;
      o.price = 0;
      return o;
    }
    o.op = OP_LIMIT;
    const away = (1 + Math.floor(this.rnd() * 20)) * p.tick;
    o.price = o.side === 0 ? p.refPrice - away : p.refPrice + away;
    return o;
  }

  /**
   * The limit order `id` (on symbol index `sym`) was ACCEPTED and rests: from now on it may
   * be cancelled. Only accepted orders are cancelled, never ones still in flight (a server
   * may not know them yet and would answer UNKNOWN_ORDER).
   */
  rested(id: number, sym: number): void {
    this.pushLive(id, sym);
  }

  /** The order with this client id is no longer resting (filled, cancelled or rejected). */
  gone(id: number): void {
    this.alive[id & ALIVE_MASK] = 0;
  }

  get liveCount(): number {
    return this.liveTail - this.liveHead;
  }

  private pushLive(id: number, sym: number): void {
    if (this.liveTail - this.liveHead >= LIVE_CAP) {
      // Oldest falls out of tracking (it stays resting on the server).
      this.liveHead++;
    }
    this.liveIds[this.liveTail & LIVE_MASK] = id;
    this.liveSym[this.liveTail & LIVE_MASK] = sym;
    this.liveTail++;
    this.alive[id & ALIVE_MASK] = 1;
  }

  /** Index (in the ring) of the oldest live order, removed from the FIFO; -1 if none. */
  private popLive(): number {
    while (this.liveHead < this.liveTail) {
      const i = this.liveHead & LIVE_MASK;
      this.liveHead++;
      const id = this.liveIds[i]!;
      if (this.alive[id & ALIVE_MASK] !== 1) continue;
      this.alive[id & ALIVE_MASK] = 0;
      return i;
    }
    return -1;
  }
}
