import type { InstrumentSpec } from './types.js';

/**
 * Default instruments, priced near the seed runbook's levels (BTC ~50,000, ETH ~3,000,
 * ADA ~1.5). Engine units: BTCUSD price unit = $0.01, quantity unit = 0.000001 BTC, so
 * 50,000.00 USD = 5_000_000 and 1 BTC = 1_000_000; a lot is 0.0001 BTC (100 units).
 */
export const DEFAULT_INSTRUMENTS: readonly InstrumentSpec[] = [
  {
    symbol: 'BTCUSD',
    priceDecimals: 2,
    qtyDecimals: 6,
    tickSize: 1, // $0.01
    lotSize: 100, // 0.0001 BTC
    minQty: 100,
    maxQty: 1_000_000_000, // 1,000 BTC
    minPrice: 1,
    maxPrice: 10_000_000_000, // $100,000,000.00
    bandBps: 1000, // ±10% around the last trade
    maxOrders: 4_194_304,
  },
  {
    symbol: 'ETHUSD',
    priceDecimals: 2,
    qtyDecimals: 5,
    tickSize: 1, // $0.01
    lotSize: 100, // 0.001 ETH
    minQty: 100,
    maxQty: 1_000_000_000, // 10,000 ETH
    minPrice: 1,
    maxPrice: 1_000_000_000, // $10,000,000.00
    bandBps: 1000,
    maxOrders: 4_194_304,
  },
  {
    symbol: 'ADAUSD',
    priceDecimals: 4,
    qtyDecimals: 1,
    tickSize: 1, // $0.0001
    lotSize: 10, // 1 ADA
    minQty: 10,
    maxQty: 1_000_000_000, // 100,000,000 ADA
    minPrice: 1,
    maxPrice: 1_000_000_000, // $100,000.0000
    bandBps: 1000,
    maxOrders: 4_194_304,
  },
];

const TWO_53 = 2 ** 53;

/**
 * Throws (programmer error) unless the spec keeps every engine computation exact in a
 * double: level totals (maxQty * maxOrders) and band products (maxPrice * 10000) < 2^53.
 */
export function validateInstrument(spec: InstrumentSpec): void {
  const ints: (keyof InstrumentSpec)[] = [
    'priceDecimals', 'qtyDecimals', 'tickSize', 'lotSize', 'minQty', 'maxQty',
    'minPrice', 'maxPrice', 'bandBps', 'maxOrders',
  ];
  for (const k of ints) {
    const v = spec[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new TypeError(`instrument ${spec.symbol}: ${k} must be a non-negative safe integer`);
    }
  }
  if (typeof spec.symbol !== 'string' || !/^[A-Z0-9]{2,16}$/.test(spec.symbol)) {
    throw new TypeError(`instrument symbol must be 2-16 of A-Z0-9, got ${String(spec.symbol)}`);
  }
  if (spec.priceDecimals > 12 || spec.qtyDecimals > 12) throw new RangeError(`${spec.symbol}: decimals > 12`);
  if (spec.tickSize < 1 || spec.lotSize < 1) throw new RangeError(`${spec.symbol}: tickSize and lotSize must be >= 1`);
  if (spec.minQty < 1 || spec.minQty > spec.maxQty) throw new RangeError(`${spec.symbol}: need 1 <= minQty <= maxQty`);
  if (spec.minPrice < 1 || spec.minPrice > spec.maxPrice) throw new RangeError(`${spec.symbol}: need 1 <= minPrice <= maxPrice`);
  if (spec.bandBps > 10_000) throw new RangeError(`${spec.symbol}: bandBps must be <= 10000`);
  if (spec.maxOrders < 1 || spec.maxOrders > 2 ** 26) throw new RangeError(`${spec.symbol}: maxOrders must be 1..2^26`);
  if (spec.maxQty * spec.maxOrders >= TWO_53) throw new RangeError(`${spec.symbol}: maxQty * maxOrders must be < 2^53`);
  if (spec.maxPrice * 10_000 >= TWO_53) throw new RangeError(`${spec.symbol}: maxPrice * 10000 must be < 2^53`);
}
