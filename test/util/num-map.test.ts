// NumMap (src/util/num-map.ts) behaves like Map<number, number> for positive safe-integer
// keys under random churn: set / overwrite / get / delete / grow / shrink, including keys
// above 2^32 (the server's orderIds) and keys that collide in the low 32 bits.
import { describe, expect, it } from 'vitest';
import { NumMap } from '../../src/util/num-map.js';
import { mulberry32 } from '../../src/util/prng.js';

const TWO32 = 4294967296;

function check(m: NumMap, ref: Map<number, number>): void {
  expect(m.size).toBe(ref.size);
  for (const [k, v] of ref) expect(m.get(k, -1)).toBe(v);
  let n = 0;
  m.forEach((k, v) => {
    n++;
    expect(ref.get(k)).toBe(v);
  });
  expect(n).toBe(ref.size);
}

describe('NumMap', () => {
  it('matches Map under 200k random operations with growth and shrinking', () => {
    const r = mulberry32(7);
    const m = new NumMap(16);
    const ref = new Map<number, number>();
    const pool: number[] = [];
    for (let i = 0; i < 4000; i++) {
      // three key families: small, slot*2^32+n, and same low 32 bits with different high bits
      const f = i % 3;
      const k = f === 0 ? 1 + i : f === 1 ? 5 * TWO32 + i : (1 + (i % 50)) * TWO32 + 12345;
      pool.push(k);
    }
    let maxCap = 0;
    for (let step = 0; step < 200_000; step++) {
      const k = pool[Math.floor(r() * pool.length)]!;
      const x = r();
      // phases: fill up, then drain (to exercise shrinking), then mixed
      const phase = Math.floor(step / 50_000);
      const pSet = phase === 0 ? 0.8 : phase === 1 ? 0.1 : 0.5;
      if (x < pSet) {
        const v = Math.floor(r() * 2 ** 52);
        m.set(k, v);
        ref.set(k, v);
      } else if (x < pSet + (1 - pSet) * 0.7) {
        expect(m.delete(k)).toBe(ref.delete(k));
      } else {
        expect(m.get(k, -1)).toBe(ref.get(k) ?? -1);
        expect(m.has(k)).toBe(ref.has(k));
      }
      maxCap = Math.max(maxCap, m.capacity);
      if (step % 10_000 === 0) check(m, ref);
    }
    check(m, ref);
    expect(maxCap).toBeGreaterThanOrEqual(4096); // it grew
  });

  it('shrinks after draining and clear() empties', () => {
    const m = new NumMap(16);
    for (let i = 1; i <= 10_000; i++) m.set(7 * TWO32 + i, i);
    const big = m.capacity;
    for (let i = 1; i <= 9_990; i++) expect(m.delete(7 * TWO32 + i)).toBe(true);
    expect(m.capacity).toBeLessThan(big / 8);
    for (let i = 9_991; i <= 10_000; i++) expect(m.get(7 * TWO32 + i)).toBe(i);
    expect(m.get(7 * TWO32 + 1, -1)).toBe(-1);
    m.clear();
    expect(m.size).toBe(0);
    expect(m.get(7 * TWO32 + 10_000, -1)).toBe(-1);
    m.set(3, 4);
    expect(m.get(3)).toBe(4);
  });

  it('0 is never a key: get/has/delete of 0 see nothing, set(0) throws', () => {
    const m = new NumMap(16);
    m.set(1, 5);
    expect(m.has(0)).toBe(false);
    expect(m.get(0, -1)).toBe(-1);
    expect(m.delete(0)).toBe(false);
    expect(m.size).toBe(1);
    expect(() => m.set(0, 1)).toThrow(RangeError);
    expect(m.get(1)).toBe(5);
  });
});
