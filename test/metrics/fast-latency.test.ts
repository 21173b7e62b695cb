// FastLatencyRecorder (the hub's per-order ack recorder) gives the same Prometheus buckets,
// count, sum and HDR histogram as per-value recording with LatencyRecorder + HDR.
import { describe, expect, it } from 'vitest';
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { ACK_BUCKETS_S, LatencyRecorder, newHdr } from '../../src/metrics/latency.js';
import { FastLatencyRecorder, hdrIndex, hdrLowest } from '../../src/metrics/fast-latency.js';

/** Fixed-seed uniform [0, 1) (xorshift32), so failures reproduce. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

describe('FastLatencyRecorder', () => {
  it('computes the HDR counts index the library computes', () => {
    const h = newHdr() as unknown as { countsArrayIndex(v: number): number };
    const vs: number[] = [];
    for (let e = 0; e < 32; e++) for (const d of [-1, 0, 1]) if (2 ** e + d >= 1 && 2 ** e + d < 2 ** 32) vs.push(2 ** e + d);
    const r = seeded(11);
    for (let i = 0; i < 5000; i++) vs.push(1 + Math.floor(r() * (2 ** 32 - 1)));
    for (const v of vs) {
      expect(hdrIndex(v)).toBe(h.countsArrayIndex(v));
      expect(h.countsArrayIndex(hdrLowest(hdrIndex(v)))).toBe(hdrIndex(v));
      expect(hdrLowest(hdrIndex(v))).toBeLessThanOrEqual(v);
    }
  });

  it.each([
    ['a JsHistogram (index-level adds)', false],
    ['any other Histogram (recordValueWithCount per index)', true],
  ])('matches per-value recording at bucket bounds, tiny, huge and random values, across flushes: %s', (_name, wrapped) => {
    const ref = new LatencyRecorder(ACK_BUCKETS_S, false);
    const refH = newHdr();
    const fast = new FastLatencyRecorder(ACK_BUCKETS_S);
    const inner = newHdr();
    FastLatencyRecorder.check(inner);
    // The wrapper is not a JsHistogram: flush takes its public-API path.
    const target = wrapped ? ({ recordValueWithCount: (v: number, c: number) => inner.recordValueWithCount(v, c) } as unknown as Histogram) : inner;
    const h = inner;
    let refSecond = 0;
    const bounds = ACK_BUCKETS_S.map((s) => Math.round(s * 1e9));
    const values: number[] = [];
    for (const b of bounds) for (const d of [-8, -1, -0.5, 0, 0.49, 1, 7, 8, 9]) values.push(b + d);
    values.push(0, -3, 0.2, 1, 2047, 2048, 2 ** 32 - 1, 2 ** 32, 9e9, 6e10, 6e10 + 1, 1e13);
    const r = seeded(5);
    for (let i = 0; i < 20000; i++) values.push(Math.exp(Math.log(100) + r() * Math.log(1e7)));
    values.forEach((ns, i) => {
      ref.record(ns);
      const v = Math.min(Math.max(1, Math.round(ns)), 60e9);
      refH.recordValueWithCount(v, 1);
      refSecond += v;
      fast.record(ns, target);
      if (i % 7919 === 0) fast.flush(target); // readers flush at any time
    });
    fast.flush(target);
    expect(Array.from(fast.buckets)).toEqual(Array.from(ref.buckets));
    expect(fast.count).toBe(ref.count);
    expect(fast.sumNs).toBe(ref.sumNs);
    expect(fast.secondSumNs).toBe(refSecond);
    expect(h.totalCount).toBe(refH.totalCount);
    expect(h.maxValue).toBe(refH.maxValue);
    expect(h.minNonZeroValue).toBe(refH.minNonZeroValue);
    expect(hdr.encodeIntoCompressedBase64(h)).toBe(hdr.encodeIntoCompressedBase64(refH));
    for (const p of [50, 90, 99, 99.9, 99.99]) expect(h.getValueAtPercentile(p)).toBe(refH.getValueAtPercentile(p));
    // A second flush with nothing new changes nothing.
    fast.flush(target);
    expect(fast.count).toBe(ref.count);
    expect(h.totalCount).toBe(refH.totalCount);
  });

  it('records NaN as 1 ns in both the buckets and the sums', () => {
    const fast = new FastLatencyRecorder(ACK_BUCKETS_S);
    const h = newHdr();
    fast.record(NaN, h);
    fast.flush(h);
    expect(fast.count).toBe(1);
    expect(fast.buckets[0]).toBe(1);
    expect(fast.sumNs).toBe(1);
    expect(fast.secondSumNs).toBe(1);
    expect(h.totalCount).toBe(1);
    expect(h.maxValue).toBe(1);
  });
});
