/**
 * HDR histogram operations bounded by the recorded range, for the metrics that run on the
 * server's I/O thread once a second (shard snapshots, window rotation, percentiles).
 *
 * Why: the project's histograms span 1 ns .. 60 s at 3 significant digits, 23,552 counts
 * (latency.ts). hdr-histogram-js's `add`, `subtract` and `getValueAtPercentile` walk the whole
 * counts array through a method call per index, and the old shard snapshot was
 * `encodeIntoCompressedBase64` (zlib) decoded again on the I/O thread. Measured at 100k
 * orders/s in SHARD_MODE=inline (a --cpu-prof of the server, 10 s): the shard metrics timer
 * took 3.6 ms per run (max 17.7 ms) and the hub's tick 2.7 ms (max 11.5 ms), on the thread
 * that answers orders: one stall of several ms every second, ~1% of the orders waiting behind
 * it (that is the p99). The functions here touch only the counts between the lowest and
 * highest recorded index (engine times: a few hundred indexes), read the library's counts
 * array directly, and compute every percentile of a summary in one pass.
 *
 * Exactness: each produces the same counts, totalCount, maxValue and minNonZeroValue as the
 * library call it replaces (`add`, `subtract`, encode+decode+add) and the same values as
 * `getValueAtPercentile` (test/metrics/hdr-fast.test.ts compares them on random histograms).
 */
import { JsHistogram, type Histogram } from 'hdr-histogram-js';

/**
 * The non-zero part of a histogram's counts array: counts index `first` holds `counts[0]`.
 * Structured-clone-able (a shard posts it to the main thread). Only histograms of the same
 * layout (latency.ts `newHdr`) can exchange it.
 */
export interface HdrCounts {
  first: number;
  counts: ArrayLike<number>;
}

type Counts = { [i: number]: number; readonly length: number };

/** The JsHistogram members used here (some are private in the library's typings). */
interface Internals {
  countsArrayLength: number;
  totalCount: number;
  maxValue: number;
  minNonZeroValue: number;
  startTimeStampMsec: number;
  endTimeStampMsec: number;
  countsArrayIndex(v: number): number;
  getCountAtIndex(i: number): number;
  addToCountAtIndex(i: number, v: number): void;
  setTotalCount(v: number): void;
  valueFromIndex(i: number): number;
  highestEquivalentValue(v: number): number;
  updatedMaxValue(v: number): void;
  updateMinNonZeroValue(v: number): void;
  getCountAtValue(v: number): number;
  establishInternalTackingValues(): void;
}

/** The library's counts array (TypedArrayHistogram `_counts`), or null for another kind. */
function rawCounts(h: Histogram): Counts | null {
  const c = (h as unknown as { _counts?: unknown })._counts;
  return h instanceof JsHistogram && (c instanceof Int32Array || c instanceof Float64Array || c instanceof Uint32Array) ? c : null;
}

/** Counts index range [lo, hi] that holds every count of `h` (null when empty). */
function range(h: Histogram): [number, number] | null {
  if (h.totalCount === 0) return null;
  const j = h as unknown as Internals;
  const hi = Math.min(j.countsArrayLength - 1, j.countsArrayIndex(h.maxValue));
  // minNonZeroValue ignores value 0 (index 0): include it when it holds counts.
  const lo = j.getCountAtIndex(0) > 0 ? 0 : Math.max(0, j.countsArrayIndex(h.minNonZeroValue));
  return lo <= hi ? [lo, hi] : null;
}

/** `h`'s recorded counts as an HdrCounts (a copy), or null when it is empty. O(range). */
export function countsOf(h: Histogram): HdrCounts | null {
  const r = range(h);
  if (!r) return null;
  const raw = rawCounts(h);
  if (raw && ArrayBuffer.isView(raw)) return { first: r[0], counts: (raw as unknown as Int32Array).slice(r[0], r[1] + 1) };
  const j = h as unknown as Internals;
  const out = new Float64Array(r[1] - r[0] + 1);
  for (let i = r[0]; i <= r[1]; i++) out[i - r[0]] = j.getCountAtIndex(i);
  return { first: r[0], counts: out };
}

/** True when `c` is a well-formed HdrCounts for histograms of `length` counts. O(range). */
export function isHdrCounts(c: unknown, length: number): c is HdrCounts {
  if (!c || typeof c !== 'object') return false;
  const x = c as { first?: unknown; counts?: unknown };
  if (!Number.isInteger(x.first) || (x.first as number) < 0) return false;
  const counts = x.counts as ArrayLike<number> | undefined;
  if (!counts || typeof counts !== 'object' || typeof counts.length !== 'number') return false;
  if ((x.first as number) + counts.length > length) return false;
  for (let i = 0; i < counts.length; i++) {
    const v = counts[i]!;
    if (!(v >= 0) || !Number.isSafeInteger(v)) return false;
  }
  return true;
}

/**
 * dst += counts: what `dst.add(decode(encode(src)))` did (decode sets max to the highest
 * equivalent value of the top index and min to the lowest value of the first non-zero index
 * above 0). O(counts.length).
 */
export function addCounts(dst: Histogram, c: HdrCounts): void {
  const j = dst as unknown as Internals;
  const raw = rawCounts(dst);
  const counts = c.counts;
  const first = c.first;
  let total = 0;
  let top = -1;
  let low = -1;
  for (let k = 0; k < counts.length; k++) {
    const v = counts[k]!;
    if (v > 0) {
      const i = first + k;
      if (raw) raw[i] = raw[i]! + v;
      else j.addToCountAtIndex(i, v);
      total += v;
      top = i;
      if (low < 0 && i !== 0) low = i;
    }
  }
  if (total === 0) return;
  j.setTotalCount(j.totalCount + total);
  const max = j.highestEquivalentValue(j.valueFromIndex(top));
  j.updatedMaxValue(Math.max(j.maxValue, max));
  if (low >= 0) j.updateMinNonZeroValue(Math.min(j.minNonZeroValue, j.valueFromIndex(low)));
}

/** dst += sign * src over src's recorded range; returns the count moved (0 when src is empty). */
function addRange(dst: Histogram, src: Histogram, sign: 1 | -1): number {
  const r = range(src);
  if (!r) return 0;
  const d = dst as unknown as Internals;
  const s = src as unknown as Internals;
  const dr = rawCounts(dst);
  const sr = rawCounts(src);
  let total = 0;
  for (let i = r[0]; i <= r[1]; i++) {
    const v = sr ? sr[i]! : s.getCountAtIndex(i);
    if (v > 0) {
      if (dr) dr[i] = dr[i]! + sign * v;
      else d.addToCountAtIndex(i, sign * v);
      total += v;
    }
  }
  d.setTotalCount(d.totalCount + sign * total);
  return total;
}

/** dst.add(src) for two histograms of the same layout, over src's recorded range only. */
export function addHdr(dst: Histogram, src: Histogram): void {
  if (addRange(dst, src, 1) === 0) return;
  const d = dst as unknown as Internals;
  const s = src as unknown as Internals;
  d.updatedMaxValue(Math.max(d.maxValue, s.maxValue));
  d.updateMinNonZeroValue(Math.min(d.minNonZeroValue, s.minNonZeroValue));
  d.startTimeStampMsec = Math.min(d.startTimeStampMsec, s.startTimeStampMsec);
  d.endTimeStampMsec = Math.max(d.endTimeStampMsec, s.endTimeStampMsec);
}

/** dst.subtract(src) for two histograms of the same layout, over src's recorded range only
 *  (plus the library's full rescan when dst's max or min value lost all its counts). */
export function subtractHdr(dst: Histogram, src: Histogram): void {
  if (addRange(dst, src, -1) === 0) return;
  const d = dst as unknown as Internals;
  if (d.getCountAtValue(d.maxValue) <= 0 || d.getCountAtValue(d.minNonZeroValue) <= 0) {
    d.establishInternalTackingValues();
  }
}

/** Library `ulp` (hdr-histogram-js/dist/ulp). */
const ulp = (x: number): number => 2 ** (Math.floor(Math.log2(x)) - 52);

/**
 * `ps.map((p) => h.getValueAtPercentile(p))` in one pass over the recorded range; `ps` must
 * be ascending and > 0. Empty histogram: zeros (as the library).
 */
export function percentiles(h: Histogram, ps: readonly number[]): number[] {
  const out = new Array<number>(ps.length).fill(0);
  const r = range(h);
  if (!r) return out;
  const j = h as unknown as Internals;
  const raw = rawCounts(h);
  const total = h.totalCount;
  const targets = ps.map((p) => {
    const fp = (Math.min(p, 100) / 100) * total;
    return Math.max(Math.ceil(fp - ulp(fp)), 1);
  });
  let k = 0;
  let acc = 0;
  for (let i = r[0]; i <= r[1] && k < targets.length; i++) {
    acc += raw ? raw[i]! : j.getCountAtIndex(i);
    while (k < targets.length && acc >= targets[k]!) {
      out[k] = j.highestEquivalentValue(j.valueFromIndex(i));
      k++;
    }
  }
  return out;
}
