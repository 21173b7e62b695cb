/**
 * Latency recording shared by shard workers and the main thread.
 *
 * One `LatencyRecorder` = an HDR histogram (for percentiles: p50 .. p99.99, max, exact to 3
 * significant digits) plus fixed Prometheus bucket counts (for `/metrics`, where Prometheus
 * needs cumulative `le` buckets that never reset). Values are integer nanoseconds.
 *
 * Cost: `record` is one HDR `recordValueWithCount` (~50-100 ns in JS) plus a linear scan of
 * <= 16 bucket bounds. Memory: 94 KB per HDR histogram (1 ns .. 60 s, 3 digits, 23,552 32-bit
 * counts). Snapshots carry only the recorded index range and merge with hdr-fast.ts, whose
 * cost follows that range, not the 23,552 counts (test/metrics/hdr-fast.test.ts proves the
 * results equal the library's). Measured on a MetricsHub fed 100k acks and 2,500 engine
 * batches per second (30 s, CPU time): shard snapshot + ingest 0.11-0.20 ms (was 0.7-1.0
 * with encodeIntoCompressedBase64 + decode + add), hub tick 0.21-0.28 ms (was 0.43-0.58).
 */
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { addCounts, countsOf, isHdrCounts, percentiles, type HdrCounts } from './hdr-fast.js';

/** Values above this are clamped (and counted in the top bucket): 60 s in ns. */
export const HIGHEST_TRACKABLE_NS = 60e9;

export function newHdr(): Histogram {
  return hdr.build({
    // 32-bit counters: the 'packed' variant is ~50x slower to add/query/decode (measured).
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_NS,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });
}

/**
 * SLO thresholds. Every latency histogram has a bucket boundary exactly at its SLO
 * threshold so that `rate(..._bucket{le="<slo>"}[w]) / rate(..._count[w])` is exact.
 */
export const SLO = {
  /** Order acknowledgement (order message received at the edge -> ack sent): 99% < 1 ms. */
  ackLatencySeconds: 0.001,
  ackLatencyTarget: 0.99,
  /** Engine time per command inside a shard: 99% < 50 µs. */
  engineLatencySeconds: 0.00005,
  engineLatencyTarget: 0.99,
  /** Order requests that fail for a server-side reason (result="error"): < 0.1%. */
  availabilityTarget: 0.999,
} as const;

/** Bucket upper bounds in seconds (Prometheus `le`), ascending; +Inf is implicit. */
export const ACK_BUCKETS_S: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
  0.1, 0.25, 0.5, 1,
];
export const ENGINE_BUCKETS_S: readonly number[] = [
  0.0000005, 0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025,
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25,
];

/** Plain, structured-clone-able interval state of one recorder. */
export interface LatencySnapshot {
  /** The interval's HDR counts (hdr-fast.ts: the recorded index range only; null when count
   *  is 0 or the recorder keeps no HDR). Was a zlib-compressed base64 encoding: ~1-5 ms to
   *  encode and decode per second on the threads that run orders. */
  hdr: HdrCounts | null;
  /** Number of recorded values in the interval. */
  count: number;
  /** Sum of recorded values, ns. */
  sumNs: number;
  /** Per-bucket (non-cumulative) counts, length = bounds.length + 1 (last = +Inf). */
  buckets: number[];
}

export class LatencyRecorder {
  readonly hdr: Histogram;
  readonly boundsNs: Float64Array;
  buckets: Float64Array;
  count = 0;
  sumNs = 0;

  /** `withHdr = false`: Prometheus buckets only (record() skips the HDR histogram). */
  constructor(readonly boundsSeconds: readonly number[], private readonly withHdr = true) {
    this.boundsNs = Float64Array.from(boundsSeconds, (s) => Math.round(s * 1e9));
    this.buckets = new Float64Array(boundsSeconds.length + 1);
    this.hdr = newHdr();
  }

  /** Record `count` occurrences of `ns` (rounded, clamped to [1, 60 s]). */
  record(ns: number, count = 1): void {
    if (!(count > 0)) return;
    let v = Math.round(ns);
    if (!(v >= 1)) v = 1; // also catches NaN
    if (v > HIGHEST_TRACKABLE_NS) v = HIGHEST_TRACKABLE_NS;
    if (this.withHdr) this.hdr.recordValueWithCount(v, count);
    const b = this.boundsNs;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.buckets[i]! += count;
    this.count += count;
    this.sumNs += v * count;
  }

  /** Interval state; with `reset`, clears it afterwards (the caller ships it elsewhere). */
  snapshot(reset: boolean): LatencySnapshot {
    const snap: LatencySnapshot = {
      hdr: this.withHdr && this.count > 0 ? countsOf(this.hdr) : null,
      count: this.count,
      sumNs: this.sumNs,
      buckets: Array.from(this.buckets),
    };
    if (reset) this.reset();
    return snap;
  }

  reset(): void {
    this.hdr.reset();
    this.buckets.fill(0);
    this.count = 0;
    this.sumNs = 0;
  }
}

/** A snapshot's HDR counts as a new histogram (null when empty or malformed). */
export function decodeHdr(c: unknown): Histogram | null {
  if (c === null || c === undefined) return null;
  const h = newHdr();
  if (!isHdrCounts(c, (h as unknown as { countsArrayLength: number }).countsArrayLength)) return null;
  addCounts(h, c);
  return h.totalCount > 0 ? h : null;
}

/** Cumulative Prometheus-style histogram state built from interval snapshots. */
export class CumulativeBuckets {
  readonly buckets: Float64Array;
  count = 0;
  sumNs = 0;
  constructor(readonly boundsSeconds: readonly number[]) {
    this.buckets = new Float64Array(boundsSeconds.length + 1);
  }
  /** Add an interval snapshot recorded with the same bounds (mismatched lengths ignored). */
  addSnapshot(s: LatencySnapshot): boolean {
    if (!Array.isArray(s.buckets) || s.buckets.length !== this.buckets.length) return false;
    for (let i = 0; i < this.buckets.length; i++) this.buckets[i]! += Number(s.buckets[i]) || 0;
    this.count += Number(s.count) || 0;
    this.sumNs += Number(s.sumNs) || 0;
    return true;
  }
  addRecorder(r: LatencyRecorder): void {
    for (let i = 0; i < this.buckets.length; i++) this.buckets[i]! += r.buckets[i]!;
    this.count += r.count;
    this.sumNs += r.sumNs;
  }
}

/** Percentile summary of a histogram, in ns (null fields when empty). */
export interface LatencySummaryNs {
  count: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  p999: number | null;
  p9999: number | null;
  max: number | null;
}

const SUMMARY_PERCENTILES = [50, 90, 95, 99, 99.9, 99.99] as const;

/**
 * Percentiles of `h` (one pass over its recorded range: hdr-fast.ts); the mean is `sumNs / count` from exact sums kept beside the histogram
 * (hdr-histogram-js's own `mean` walks every bucket: ~25-50 ms for 1 ns .. 60 s).
 */
export function summarize(h: Histogram | null, sumNs: number): LatencySummaryNs {
  if (!h || h.totalCount === 0) {
    return { count: 0, mean: null, p50: null, p90: null, p95: null, p99: null, p999: null, p9999: null, max: null };
  }
  const [p50, p90, p95, p99, p999, p9999] = percentiles(h, SUMMARY_PERCENTILES);
  return { count: h.totalCount, mean: sumNs / h.totalCount, p50, p90, p95, p99, p999, p9999, max: h.maxValue };
}
