/**
 * Market model of the simulator: a seeded RNG, each symbol's fair price and the helpers
 * that turn model prices into valid order prices and sizes. Pure and deterministic for a
 * given seed (unit-tested without a server).
 */

/** mulberry32: tiny seeded PRNG, period 2^32, good enough for order flow (not crypto). */
export class Rng {
  private s: number;
  private spare: number | null = null;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Standard normal (Box-Muller, caches the second value). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  /** Exponential with the given rate (mean 1/rate). */
  exp(rate: number): number {
    let u = 0;
    while (u === 0) u = this.next();
    return -Math.log(u) / rate;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Log-uniform in [lo, hi]. */
  logUniform(lo: number, hi: number): number {
    return lo * Math.exp(this.next() * Math.log(hi / lo));
  }
}

/** What the simulator needs to know about one instrument, in decimal units. */
export interface SimInstrument {
  symbol: string;
  /** Price tick (quote currency), e.g. 0.01. */
  tick: number;
  /** Quantity lot (base asset), e.g. 0.0001. */
  lot: number;
  minQty: number;
  maxQty: number;
  priceDecimals: number;
  qtyDecimals: number;
}

/** Anchors near the seed runbook's prices; the fair price mean-reverts to these. */
export const DEFAULT_ANCHORS: Readonly<Record<string, number>> = { BTCUSD: 50_000, ETHUSD: 3_000, ADAUSD: 1.5 };

/**
 * Fair price as an Ornstein-Uhlenbeck process in log space around `anchor`:
 *   x = ln(fair / anchor);  dx = -kappa x dt + sigma dW
 * `volatility_factor` v sets the stationary standard deviation of x to v * 0.2 %
 * (v = 0.05 -> 0.01 %: BTC wanders about +-$5 around 50,000; v = 1 -> +-0.2 %, +-$100),
 * with a mean-reversion half-life of 60 s, so prices in the runbook's demos
 * (buy/sell BTC at 50,000) keep meeting the book.
 */
export class FairPrice {
  private x = 0;
  static readonly HALF_LIFE_S = 60;
  constructor(
    readonly anchor: number,
    private readonly rng: Rng,
  ) {}

  get value(): number {
    return this.anchor * Math.exp(this.x);
  }

  /** Stationary relative stdev for a volatility factor. */
  static stdev(volatility: number): number {
    return volatility * 0.002;
  }

  step(dtS: number, volatility: number): number {
    const kappa = Math.LN2 / FairPrice.HALF_LIFE_S;
    const decay = Math.exp(-kappa * dtS);
    const sd = FairPrice.stdev(volatility) * Math.sqrt(1 - decay * decay);
    this.x = this.x * decay + sd * this.rng.normal();
    return this.value;
  }
}

export function roundToStep(v: number, step: number, decimals: number, mode: 'down' | 'up' | 'nearest' = 'nearest'): number {
  const n = v / step;
  const k = mode === 'down' ? Math.floor(n + 1e-9) : mode === 'up' ? Math.ceil(n - 1e-9) : Math.round(n);
  return Number((k * step).toFixed(decimals));
}

/** Order size for a target notional, on the lot grid, within [minQty, maxQty]. */
export function sizeFor(inst: SimInstrument, notional: number, price: number): number {
  const raw = notional / price;
  const q = roundToStep(raw, inst.lot, inst.qtyDecimals, 'down');
  return Math.min(inst.maxQty, Math.max(inst.minQty, q));
}

/**
 * Quote geometry for one symbol at a moment: half-spread and level step in quote currency.
 * The half-spread "breathes": it scales with volatility and with a slow oscillation
 * (period ~45 s) plus noise, between ~0.5x and ~2x of its base of 1.5 bp of price.
 */
export function quoteGeometry(inst: SimInstrument, fair: number, volatility: number, tS: number, rng: Rng): { half: number; step: number } {
  const breathe = 1 + 0.5 * Math.sin((2 * Math.PI * tS) / 45) + 0.25 * (rng.next() - 0.5);
  const volScale = 0.75 + Math.min(4, volatility / 0.05) * 0.25;
  const half = Math.max(inst.tick, fair * 0.00015 * breathe * volScale);
  const step = Math.max(inst.tick, fair * 0.0001);
  return { half, step };
}
