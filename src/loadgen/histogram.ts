/**
 * HDR histogram helpers shared by the load generator's threads.
 *
 * Contract: every latency histogram here records integer NANOSECONDS (values below 1 ns are
 * recorded as 1), tracks up to 2^40 ns (~18 min) with 3 significant digits (0.1% value
 * resolution), 32-bit counts (4G samples per histogram). Reports convert to microseconds.
 * Histograms cross threads as compressed base64 strings (`encodeIntoCompressedBase64`,
 * ~100 B - a few KB each), never as raw samples.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

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
