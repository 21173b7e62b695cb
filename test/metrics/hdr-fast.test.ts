// src/metrics/hdr-fast.ts replaces hdr-histogram-js's add / subtract / encode+decode+add /
// getValueAtPercentile on the I/O thread: on random histograms of the project's layout each
// must leave exactly the state (counts, total, max, min) and give exactly the values of the
// library call it replaces.
import { describe, expect, it } from 'vitest';
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { addCounts, addHdr, countsOf, isHdrCounts, percentiles, subtractHdr } from '../../src/metrics/hdr-fast.js';
import { decodeHdr, newHdr, summarize } from '../../src/metrics/latency.js';
import { mulberry32 as prng } from '../../src/util/prng.js';

/** Values over several decades (1 ns .. ~60 s), some repeated, some at index edges. */
function fill(h: Histogram, r: () => number, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = r();
    const v = x < 0.1 ? 1 + Math.floor(r() * 2048) : x < 0.98 ? Math.floor(10 ** (2 + r() * 5)) : Math.floor(10 ** (7 + r() * 3.7));
    h.recordValueWithCount(Math.max(1, v), 1 + Math.floor(r() * 3));
  }
}

/** Full observable state of a histogram (counts array via the library's own encoding). */
function state(h: Histogram) {
  return { enc: hdr.encodeIntoCompressedBase64(h), total: h.totalCount, max: h.maxValue, min: h.minNonZeroValue };
}

const PS = [50, 90, 95, 99, 99.9, 99.99];

describe('hdr-fast equals hdr-histogram-js', () => {
  it('addHdr / subtractHdr / addCounts leave the state of add / subtract / decode+add', () => {
    const r = prng(7);
    for (let round = 0; round < 25; round++) {
      const a = newHdr();
      const b = newHdr();
      fill(a, r, 1 + Math.floor(r() * 400));
      if (round % 5 !== 0) fill(b, r, 1 + Math.floor(r() * 400)); // every 5th: b empty

      const ref = newHdr();
      ref.add(a);
      ref.add(b);
      const fast = newHdr();
      addHdr(fast, a);
      addHdr(fast, b);
      expect(state(fast)).toEqual(state(ref));

      // The shard path: counts of b (structured clone) applied into a copy of a, against
      // the old path (encode b, decode it, add).
      const viaOld = newHdr();
      viaOld.add(a);
      if (b.totalCount > 0) viaOld.add(hdr.decodeFromCompressedBase64(hdr.encodeIntoCompressedBase64(b), 32, false));
      const viaCounts = newHdr();
      addHdr(viaCounts, a);
      const c = countsOf(b);
      if (c) addCounts(viaCounts, structuredClone(c));
      expect(state(viaCounts)).toEqual(state(viaOld));

      // Window rotation: subtract what was added (max/min rescan when they emptied).
      ref.subtract(b);
      subtractHdr(fast, b);
      expect(state(fast)).toEqual(state(ref));
      ref.subtract(a);
      subtractHdr(fast, a);
      expect(state(fast)).toEqual(state(ref));
    }
  });

  it('percentiles equal getValueAtPercentile; summarize uses them', () => {
    const r = prng(11);
    for (let round = 0; round < 25; round++) {
      const h = newHdr();
      fill(h, r, 1 + Math.floor(r() * 2000));
      expect(percentiles(h, PS)).toEqual(PS.map((p) => h.getValueAtPercentile(p)));
      const s = summarize(h, 123);
      expect([s.p50, s.p90, s.p95, s.p99, s.p999, s.p9999]).toEqual(PS.map((p) => h.getValueAtPercentile(p)));
    }
    expect(percentiles(newHdr(), PS)).toEqual(PS.map(() => 0));
  });

  it('countsOf covers exactly the recorded range; decodeHdr rebuilds it; malformed input is refused', () => {
    const h = newHdr();
    expect(countsOf(h)).toBeNull();
    h.recordValue(1500);
    h.recordValueWithCount(2_000_000, 4);
    const c = countsOf(h)!;
    const index = (v: number) => (h as unknown as { countsArrayIndex(v: number): number }).countsArrayIndex(v);
    expect(c.first).toBe(index(1500));
    expect(c.first + c.counts.length - 1).toBe(index(2_000_000));
    expect(Array.from(c.counts).reduce((a, v) => a + v, 0)).toBe(5);
    const back = decodeHdr(structuredClone(c))!;
    expect(back.totalCount).toBe(5);
    expect(back.getValueAtPercentile(99)).toBe(h.getValueAtPercentile(99));

    const len = (h as unknown as { countsArrayLength: number }).countsArrayLength;
    for (const bad of [null, 'x', {}, { first: -1, counts: [1] }, { first: 1.5, counts: [1] }, { first: len, counts: [1] },
      { first: 0, counts: [1, -1] }, { first: 0, counts: [NaN] }, { first: 0, counts: 'abc' }]) {
      expect(isHdrCounts(bad, len)).toBe(false);
      expect(decodeHdr(bad)).toBeNull();
    }
  });
});
