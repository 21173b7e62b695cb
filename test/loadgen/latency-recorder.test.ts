import { describe, expect, it } from 'vitest';
import { LatencyRecorder, encodeHistogram, newLatencyHistogram, recordMs, summarizeUs, HIST_MAX_NS } from '../../src/loadgen/histogram.js';
import { mulberry32 } from '../../src/util/prng.js';

/** Values in ms spanning every HDR bucket: sub-ns, bucket 0, powers of two and their
 *  neighbours, > 2^32 ns, beyond the 2^40 ns clamp. */
function values(): number[] {
  const rnd = mulberry32(7);
  const out: number[] = [0, 1e-7, 1e-6, 2047e-6, 2048e-6, 2049e-6, 0.5, 1, 60_000, 1e9];
  for (let k = 0; k <= 41; k++) for (const d of [-1, 0, 1]) out.push((2 ** k + d) / 1e6);
  for (let i = 0; i < 20_000; i++) out.push(rnd() ** 6 * 2000); // skewed toward small
  for (let i = 0; i < 2_000; i++) out.push(rnd() * (HIST_MAX_NS / 1e6) * 1.1);
  return out;
}

describe('LatencyRecorder', () => {
  it('produces the same histogram as recording every value with hdr-histogram-js', () => {
    const rec = new LatencyRecorder();
    const ref = newLatencyHistogram();
    for (const v of values()) {
      rec.recordMs(v);
      recordMs(ref, v);
    }
    const h = rec.histogram();
    expect(h.totalCount).toBe(ref.totalCount);
    expect(h.maxValue).toBe(ref.maxValue);
    expect(h.minNonZeroValue).toBe(ref.minNonZeroValue);
    expect(summarizeUs(h)).toEqual(summarizeUs(ref));
    expect(rec.encode()).toBe(encodeHistogram(ref));
  });

  it('accumulates across several reads, and reset() empties it', () => {
    const rec = new LatencyRecorder();
    const ref = newLatencyHistogram();
    const vs = values();
    for (let i = 0; i < vs.length; i++) {
      rec.recordMs(vs[i]!);
      recordMs(ref, vs[i]!);
      if (i % 997 === 0) rec.histogram();
    }
    expect(rec.encode()).toBe(encodeHistogram(ref));
    expect(summarizeUs(rec.histogram())).toEqual(summarizeUs(ref));
    rec.reset();
    expect(rec.histogram().totalCount).toBe(0);
    rec.recordMs(1.5);
    const one = newLatencyHistogram();
    recordMs(one, 1.5);
    expect(rec.encode()).toBe(encodeHistogram(one));
  });
});
