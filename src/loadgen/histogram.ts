/**
 * HDR histogram helpers shared by the load generator's threads.
 *
 * Contract: every latency histogram here records integer NANOSECONDS (values below 1 ns are
 * recorded as 1), tracks up to 2^40 ns (~18 min) with 3 significant digits (0.1% value
 * resolution), 32-bit counts (4G samples per histogram). Reports convert to microseconds.
 * Histograms cross threads as compressed base64 strings (`encodeIntoCompressedBase64`,
 * ~100 B - a few KB each), never as raw samples.
 */
import { JsHistogram, build, decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { HDR_SUB_HALF_MAG, hdrIndex, hdrLowest } from '../util/hdr-index.js';

export type { Histogram };

/** Highest value we track: 2^40 ns (~18.3 minutes). Larger values are clamped. */
export const HIST_MAX_NS = 2 ** 40;

export function newLatencyHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIST_MAX_NS,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 32,
    autoResize: true,
  });
}

/** Record a latency given in milliseconds (a performance.now() difference). */
export function recordMs(h: Histogram, ms: number): void {
  let ns = Math.round(ms * 1e6);
  if (ns < 1) ns = 1;
  else if (ns > HIST_MAX_NS) ns = HIST_MAX_NS;
  h.recordValue(ns);
}

// newLatencyHistogram()'s counts layout (src/util/hdr-index.ts; highest index, for 2^40:
// 30 * 1024 + 1024 = 31744).
const REC_SLOTS = 32 * (1 << HDR_SUB_HALF_MAG);

/**
 * A latency histogram with a cheap record path: `recordMs` costs a few ns (a counts-array
 * increment at the HDR index) where hdr-histogram-js's JS recordValue costs ~150-300 ns
 * (measured here), which at 4 records per order was ~1 µs of generator CPU per order.
 * Recorded values are moved into the hdr-histogram-js Histogram on `histogram()` /
 * `encode()`: one `addToCountAtIndex` per touched index (its counts index is ours: same
 * layout, checked by test/loadgen/latency-recorder), then the total and the exact min/max —
 * what recordValue does per value, once per index (cost: the touched index range, <= 31,745
 * slots; was ~20 ms per second at 1 Hz progress when done with recordValueWithCount). The
 * result is the same histogram as recording each value with recordValue.
 */
export class LatencyRecorder {
  private h: Histogram = newLatencyHistogram();
  private readonly counts = new Float64Array(REC_SLOTS);
  private lo = REC_SLOTS;
  private hi = -1;
  private min = Infinity;
  private max = 0;

  /** Record a latency given in milliseconds (same rounding/clamping as recordMs). */
  recordMs(ms: number): void {
    let ns = Math.round(ms * 1e6);
    if (ns < 1) ns = 1;
    else if (ns > HIST_MAX_NS) ns = HIST_MAX_NS;
    const i = hdrIndex(ns);
    this.counts[i]++;
    if (i < this.lo) this.lo = i;
    if (i > this.hi) this.hi = i;
    if (ns < this.min) this.min = ns;
    if (ns > this.max) this.max = ns;
  }

  /** Everything recorded so far as an hdr-histogram-js Histogram (owned by the recorder). */
  histogram(): Histogram {
    if (this.hi < 0) return this.h;
    const c = this.counts;
    const h = this.h;
    if (h instanceof JsHistogram) {
      let total = 0;
      for (let i = this.lo; i <= this.hi; i++) {
        const n = c[i]!;
        if (n === 0) continue;
        c[i] = 0;
        total += n;
        h.addToCountAtIndex(i, n);
      }
      h.addToTotalCount(total);
      h.updateMinAndMax(this.max);
      h.updateMinAndMax(this.min);
      this.lo = REC_SLOTS;
      this.hi = -1;
      this.min = Infinity;
      this.max = 0;
      return h;
    }
    // Any other Histogram: the exact min and max as themselves, every other value as the
    // lowest value of its index (the same counts slot).
    const minSlot = hdrIndex(this.min);
    const maxSlot = hdrIndex(this.max);
    for (let i = this.lo; i <= this.hi; i++) {
      const n = c[i]!;
      if (n === 0) continue;
      c[i] = 0;
      if (i === minSlot && i === maxSlot) {
        if (n > 1) h.recordValueWithCount(this.min, n - 1);
        h.recordValueWithCount(this.max, 1);
      } else if (i === minSlot) h.recordValueWithCount(this.min, n);
      else if (i === maxSlot) h.recordValueWithCount(this.max, n);
      else h.recordValueWithCount(hdrLowest(i), n);
    }
    this.lo = REC_SLOTS;
    this.hi = -1;
    this.min = Infinity;
    this.max = 0;
    return h;
  }

  /** Encoded (compressed base64) histogram of everything recorded so far. */
  encode(): string {
    return encodeIntoCompressedBase64(this.histogram());
  }

  /** Forget everything recorded. */
  reset(): void {
    this.counts.fill(0);
    this.lo = REC_SLOTS;
    this.hi = -1;
    this.min = Infinity;
    this.max = 0;
    this.h.reset();
  }
}

export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

export function decodeHistogram(s: string): Histogram {
  return decodeFromCompressedBase64(s, 32);
}

/** Sum of encoded histograms (empty strings are skipped). */
export function mergeEncoded(list: readonly string[]): Histogram {
  const out = newLatencyHistogram();
  for (const s of list) if (s) out.add(decodeHistogram(s));
  return out;
}

/** Percentiles the reports print, in microseconds (3 decimals kept). */
export interface LatencySummaryUs {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  p9999: number;
  max: number;
}

const us = (ns: number): number => Math.round(ns) / 1000;

export function summarizeUs(h: Histogram): LatencySummaryUs {
  const n = h.totalCount;
  if (n === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, p9999: 0, max: 0 };
  return {
    count: n,
    min: us(h.minNonZeroValue),
    mean: us(h.mean),
    p50: us(h.getValueAtPercentile(50)),
    p90: us(h.getValueAtPercentile(90)),
    p95: us(h.getValueAtPercentile(95)),
    p99: us(h.getValueAtPercentile(99)),
    p999: us(h.getValueAtPercentile(99.9)),
    p9999: us(h.getValueAtPercentile(99.99)),
    max: us(h.maxValue),
  };
}

/**
 * The classic HdrHistogram percentile distribution text (the `.hgrm` format read by
 * HdrHistogram's plotter), values scaled to microseconds.
 */
export function toHgrm(h: Histogram): string {
  return h.outputPercentileDistribution(5, 1000);
}
