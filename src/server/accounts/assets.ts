/**
 * Assets of the optional accounts and their integer scales, derived from the instruments
 * (src/engine/instruments.ts): a symbol `<BASE>USD` trades base asset BASE against the quote
 * asset USD. Instruments not ending in USD are not tradable by accounts (anonymous orders are
 * unaffected).
 *
 * Scales (balance unit = 10^-scale of the asset), chosen so every settlement is exact in
 * integers:
 *   base  scale = the largest qtyDecimals among its instruments (BTC 6, ETH 5, ADA 1);
 *   USD   scale = the largest priceDecimals + qtyDecimals of any instrument (BTCUSD 2+6 = 8),
 *         so the notional price_units * qty_units of every instrument is an integer number
 *         of USD units (times 10^(usdScale - pd - qd)).
 * Balances are bigint: a notional (maxPrice 10^10 x maxQty 10^9 units) exceeds 2^53.
 */
import type { InstrumentSpec } from '../../engine/types.js';
import { DecimalError, toUnits } from '../../protocol/decimal.js';
import { HttpError } from '../http.js';

export const QUOTE = 'USD';

export interface AssetInfo {
  name: string;
  /** Index into an account's balance arrays. */
  ix: number;
  scale: number;
}

/** Per instrument (by instrument index): how an order's units map to balance units. */
export interface PairInfo {
  symbol: string;
  base: AssetInfo;
  quote: AssetInfo;
  priceDecimals: number;
  qtyDecimals: number;
  /** qty units -> base balance units. */
  baseMul: bigint;
  /** price units * qty units -> USD balance units. */
  notionalMul: bigint;
}

export class AssetTable {
  readonly assets: AssetInfo[] = [];
  readonly byName = new Map<string, AssetInfo>();
  /** By instrument index; undefined = not tradable by accounts. */
  readonly pairs: (PairInfo | undefined)[] = [];
  readonly quote: AssetInfo;

  constructor(instruments: readonly InstrumentSpec[]) {
    let usdScale = 0;
    const baseScale = new Map<string, number>();
    for (const s of instruments) {
      const base = baseOf(s.symbol);
      if (base === null) continue;
      usdScale = Math.max(usdScale, s.priceDecimals + s.qtyDecimals);
      baseScale.set(base, Math.max(baseScale.get(base) ?? 0, s.qtyDecimals));
    }
    // decimal.ts converts at most 15 decimals; a larger USD scale would need another parser.
    if (usdScale > 15) throw new RangeError(`accounts: USD scale ${usdScale} > 15 (priceDecimals + qtyDecimals too large)`);
    this.quote = this.add(QUOTE, usdScale);
    for (const [name, scale] of baseScale) this.add(name, scale);
    instruments.forEach((s, i) => {
      const base = baseOf(s.symbol);
      if (base === null) return;
      const b = this.byName.get(base)!;
      this.pairs[i] = {
        symbol: s.symbol, base: b, quote: this.quote, priceDecimals: s.priceDecimals, qtyDecimals: s.qtyDecimals,
        baseMul: 10n ** BigInt(b.scale - s.qtyDecimals),
        notionalMul: 10n ** BigInt(usdScale - s.priceDecimals - s.qtyDecimals),
      };
    });
  }

  private add(name: string, scale: number): AssetInfo {
    const a: AssetInfo = { name, ix: this.assets.length, scale };
    this.assets.push(a);
    this.byName.set(name, a);
    return a;
  }

  /** The `asset` field of a request body; 400 UNKNOWN_ASSET otherwise. */
  asset(v: unknown, field = 'asset'): AssetInfo {
    if (typeof v !== 'string' || v.length === 0) throw new HttpError(400, 'MISSING_FIELD', `${field} is required`, field);
    const a = this.byName.get(v.toUpperCase());
    if (!a) {
      throw new HttpError(400, 'UNKNOWN_ASSET', `unknown asset ${v.slice(0, 16)} (one of ${[...this.byName.keys()].join(', ')})`, field);
    }
    return a;
  }
}

function baseOf(symbol: string): string | null {
  return symbol.length > QUOTE.length && symbol.endsWith(QUOTE) ? symbol.slice(0, -QUOTE.length) : null;
}

/** A positive amount (decimal string or number, like order fields) in `a`'s units. */
export function amountUnits(v: unknown, a: AssetInfo, field = 'amount'): bigint {
  if (v === undefined || v === null) throw new HttpError(400, 'MISSING_FIELD', `${field} is required`, field);
  try {
    return BigInt(toUnits(v, a.scale, { allowZero: false }));
  } catch (err) {
    if (err instanceof DecimalError) throw new HttpError(400, err.code, `${field}: ${err.message}`, field);
    throw err;
  }
}

/** Exact decimal text of `units` at `scale` ("1000.00000000"). */
export function formatUnits(units: bigint, scale: number): string {
  const neg = units < 0n;
  let s = (neg ? -units : units).toString();
  if (scale > 0) {
    if (s.length <= scale) s = '0'.repeat(scale - s.length + 1) + s;
    s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  }
  return neg ? `-${s}` : s;
}
