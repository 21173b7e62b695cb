/**
 * Counts-array layout of the project's HDR latency histograms (hdr-histogram-js with
 * lowestDiscernibleValue 1 and 3 significant digits: 2048 sub-buckets, unit magnitude 0),
 * computed with Math.clz32 instead of the library's log2/pow/division path. Used by the
 * cheap recorders that fill such histograms by index (metrics/fast-latency.ts on the
 * server's I/O thread, loadgen/histogram.ts in the generator); each checks the layout
 * against the library (countsArrayIndex) in its tests.
 *
 * Value v < 2048 sits at index v; above, bucket k = floor(log2 v) - 10 holds v at
 * (k << 10) + floor(v / 2^k).
 */
export const HDR_SUB_HALF_MAG = 10;
const SUB_HALF = 1 << HDR_SUB_HALF_MAG;
const TWO32 = 4294967296;
/** 2^k for the bucket indexes used (no Math.pow per call). */
const POW2 = Float64Array.from({ length: 64 }, (_, k) => 2 ** k);

/** Counts index of an integer 1 <= v <= 2^53 (the fast branch: v < 2^32). */
export function hdrIndex(v: number): number {
  if (v < TWO32) {
    const e = 21 - Math.clz32(v); // floor(log2 v) - 10
    const k = e > 0 ? e : 0;
    return (k << HDR_SUB_HALF_MAG) + (v >>> k);
  }
  const k = 63 - Math.clz32(Math.floor(v / TWO32)) - HDR_SUB_HALF_MAG;
  return k * SUB_HALF + Math.floor(v / POW2[k]!);
}

/** Lowest value whose counts index is i (hdrIndex(hdrLowest(i)) === i). */
export function hdrLowest(i: number): number {
  const k = (i >> HDR_SUB_HALF_MAG) - 1;
  return k <= 0 ? i : ((i & (SUB_HALF - 1)) + SUB_HALF) * POW2[k]!;
}

/** Highest value whose counts index is i. */
export function hdrHighest(i: number): number {
  const k = (i >> HDR_SUB_HALF_MAG) - 1;
  return hdrLowest(i) + POW2[k > 0 ? k : 0]! - 1;
}
