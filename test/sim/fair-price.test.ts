// The fair price is a mean-reverting random walk whose spread scales with volatility_factor.
import { describe, expect, it } from 'vitest';
import { FairPrice, Rng } from '../../src/sim/index.js';

function stdevOf(vol: number, seed: number): number {
  const f = new FairPrice(50_000, new Rng(seed));
  const xs: number[] = [];
  for (let i = 0; i < 20_000; i++) xs.push(Math.log(f.step(1, vol) / 50_000));
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
}

describe('FairPrice', () => {
  it('stays near its anchor with a stationary stdev of volatility_factor x 0.2 %', () => {
    const sd = stdevOf(0.05, 1);
    expect(sd).toBeGreaterThan(0.00005);
    expect(sd).toBeLessThan(0.0002);
    expect(stdevOf(1, 2)).toBeGreaterThan(sd * 10);
  });
  it('is reproducible for a seed and frozen at volatility 0', () => {
    const a = new FairPrice(3000, new Rng(5));
    const b = new FairPrice(3000, new Rng(5));
    for (let i = 0; i < 100; i++) expect(a.step(0.05, 0.05)).toBe(b.step(0.05, 0.05));
    const c = new FairPrice(3000, new Rng(5));
    for (let i = 0; i < 100; i++) expect(c.step(0.05, 0)).toBe(3000);
  });
});
