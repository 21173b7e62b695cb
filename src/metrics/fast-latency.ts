/**
 * `FastLatencyRecorder`: the hub's order-ack recorder (once per order on the server's I/O
 * thread). It produces exactly what `LatencyRecorder(bounds, false)` (cumulative Prometheus
 * buckets, count, sum) plus a per-second HDR histogram fed with `recordValueWithCount(v, 1)`
 * produced, at a fraction of the per-call cost:
 *
 * - per call: round/clamp, the HDR counts index of the value by `Math.clz32` (the library
 *   uses `Math.log2`/`pow`/division and several method calls), one Float64Array add, one
 *   Int8Array load to see whether the index straddles a bucket bound, min/max, two sums;
 * - at `flush(h)` (tick, readers, scrape): each index touched since the last flush is added
 *   to `h` once with its count (`JsHistogram.addToCountAtIndex`, then one total-count and
 *   min/max update: what `recordValueWithCount` does per value, without recomputing the
 *   index), and to its Prometheus bucket. Cost ~0.1 ms per 10k distinct indexes.
 *
 * Exactness: HDR counts, totalCount, maxValue and minNonZeroValue of `h` are the same as
 * with per-value recording. (A non-JsHistogram `h` gets `recordValueWithCount` per index:
 * the exact max and min as themselves, every other value as the lowest value of its index,
 * which is the same counts slot.) Bucket counts are
 * exact: an index whose value range contains a bound `B` with `B` below its top value counts
 * its values `<= B` separately on the hot path. Values >= 2^32 ns (4.3 s) take the slow path
 * (direct record + bucket scan).
 *
 * Layout assumption (checked in the constructor against the histogram given): HDR with
 * lowestDiscernibleValue 1 and 3 significant digits => subBucketCount 2048, unit magnitude 0:
 * index = (k << 10) + (v >>> k), k = max(0, floor(log2 v) - 10).
 * Memory: 23,552 x (8 + 4 + 1) bytes = ~300 KB per recorder.
 */
import { JsHistogram, type Histogram } from 'hdr-histogram-js';
import { HIGHEST_TRACKABLE_NS } from './latency.js';
import { HDR_SUB_HALF_MAG, hdrHighest, hdrIndex, hdrLowest } from '../util/hdr-index.js';

const SUB_HALF_MAG = HDR_SUB_HALF_MAG;
const SUB_HALF = 1 << SUB_HALF_MAG;
/** Counts indexes of values 1 .. 2^32 - 1. */
const FAST_LIMIT = 4294967296;
const INDEX_LIMIT = ((32 - 1 - SUB_HALF_MAG) << SUB_HALF_MAG) + SUB_HALF * 2;

export { hdrIndex, hdrLowest };

export class FastLatencyRecorder {
  readonly boundsNs: Float64Array;
  /** Cumulative per-bucket (non-cumulative across buckets) counts, last = +Inf. Up to date after flush(). */
  readonly buckets: Float64Array;
  /** Cumulative count, up to date after flush(). */
  count = 0;
  /** Cumulative sum of recorded (rounded, clamped) values, ns; always up to date. */
  sumNs = 0;
  /** Sum since the last `takeSecondSum()`, ns. */
  secondSumNs = 0;

  private readonly counts = new Float64Array(INDEX_LIMIT);
  private readonly touched = new Int32Array(INDEX_LIMIT);
  private nTouched = 0;
  /** Bucket of each index's values (of its top value when it straddles a bound). */
  private readonly bucketOf = new Uint8Array(INDEX_LIMIT);
  /** Bound j straddled by the index (values <= bound j go to bucket j), else -1. */
  private readonly straddle = new Int8Array(INDEX_LIMIT);
  /** Per bound: values <= bound in its straddling index since the last flush. */
  private readonly low: Float64Array;
  private pendingMax = 0;
  private pendingMin = Infinity;

  /** `bounds`: ascending upper bounds in seconds (< 64 of them); +Inf is implicit. */
  constructor(boundsSeconds: readonly number[]) {
    if (boundsSeconds.length >= 127) throw new Error('FastLatencyRecorder: too many bounds');
    this.boundsNs = Float64Array.from(boundsSeconds, (s) => Math.round(s * 1e9));
    this.buckets = new Float64Array(boundsSeconds.length + 1);
    this.low = new Float64Array(boundsSeconds.length);
    this.straddle.fill(-1);
    for (let i = 0; i < INDEX_LIMIT; i++) {
      const lo = this.scan(hdrLowest(i));
      const hi = this.scan(hdrHighest(i));
      this.bucketOf[i] = hi;
      if (lo !== hi) this.straddle[i] = lo; // bounds are > 1/1000 apart: at most one per index
    }
  }

  /** Throws unless `h` has the counts layout this recorder assumes (see header). */
  static check(h: Histogram): void {
    const x = h as unknown as { subBucketCount?: number; unitMagnitude?: number; countsArrayIndex?: (v: number) => number };
    if (x.subBucketCount !== SUB_HALF * 2 || x.unitMagnitude !== 0) throw new Error('FastLatencyRecorder: unexpected HDR layout');
    for (const v of [1, 2047, 2048, 4095, 10_001, 1e6 + 7, 4294967295]) {
      if (x.countsArrayIndex && x.countsArrayIndex(v) !== hdrIndex(v)) throw new Error(`FastLatencyRecorder: index mismatch at ${v}`);
    }
  }

  private scan(v: number): number {
    const b = this.boundsNs;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    return i;
  }

  /**
   * Record one value, ns (rounded; NaN and < 1 -> 1; > 60 s -> 60 s). `slow` receives values
   * >= 2^32 ns directly (rare).
   */
  record(ns: number, slow: Histogram): void {
    let v = Math.round(ns);
    if (!(v >= 1)) v = 1; // also NaN
    if (v < FAST_LIMIT) {
      const i = hdrIndex(v);
      const c = this.counts[i]!;
      if (c === 0) this.touched[this.nTouched++] = i;
      this.counts[i] = c + 1;
      const j = this.straddle[i]!;
      if (j >= 0 && v <= this.boundsNs[j]!) this.low[j]!++;
      if (v > this.pendingMax) this.pendingMax = v;
      if (v < this.pendingMin) this.pendingMin = v;
    } else {
      if (v > HIGHEST_TRACKABLE_NS) v = HIGHEST_TRACKABLE_NS;
      slow.recordValueWithCount(v, 1);
      this.buckets[this.scan(v)]!++;
      this.count++;
    }
    this.sumNs += v;
    this.secondSumNs += v;
  }

  /** Move everything recorded since the last flush into `h` and the Prometheus buckets. O(indexes touched). */
  flush(h: Histogram): void {
    const n = this.nTouched;
    if (n === 0) return;
    const max = this.pendingMax;
    const min = this.pendingMin;
    let total = 0;
    if (h instanceof JsHistogram && h.countsArrayLength >= INDEX_LIMIT) {
      for (let t = 0; t < n; t++) {
        const i = this.touched[t]!;
        const c = this.counts[i]!;
        this.counts[i] = 0;
        total += c;
        this.buckets[this.bucketOf[i]!]! += c;
        h.addToCountAtIndex(i, c);
      }
      h.addToTotalCount(total);
      h.updateMinAndMax(max);
      h.updateMinAndMax(min);
    } else {
      const iMax = hdrIndex(max);
      const iMin = hdrIndex(min);
      for (let t = 0; t < n; t++) {
        const i = this.touched[t]!;
        let c = this.counts[i]!;
        this.counts[i] = 0;
        total += c;
        this.buckets[this.bucketOf[i]!]! += c;
        if (i === iMax) {
          h.recordValueWithCount(max, 1);
          c--;
        }
        if (i === iMin && c > 0) {
          h.recordValueWithCount(min, 1);
          c--;
        }
        if (c > 0) h.recordValueWithCount(hdrLowest(i), c);
      }
    }
    const low = this.low;
    for (let j = 0; j < low.length; j++) {
      const m = low[j]!;
      if (m > 0) {
        this.buckets[j]! += m;
        this.buckets[j + 1]! -= m;
        low[j] = 0;
      }
    }
    this.count += total;
    this.nTouched = 0;
    this.pendingMax = 0;
    this.pendingMin = Infinity;
  }
}
