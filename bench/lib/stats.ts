/**
 * Latency recording for the engine benchmark: per-op nanoseconds into an HDR histogram
 * (hdr-histogram-js, 3 significant digits, 1 ns .. 60 s, pure-JS build so no WASM memory is
 * counted in the memory figures).
 */
import hdr from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  p50_ns: number;
  p99_ns: number;
  p999_ns: number;
  max_ns: number;
  mean_ns: number;
}

export class OpLatency {
  private readonly h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });

  /**
   * Records one timed sample that covered `ops` operations: `ops` values of
   * max(0, sampleNs - overheadNs) / ops each (a batch's cost spread evenly over its ops).
   */
  record(sampleNs: number, ops: number, overheadNs: number): void {
    const per = Math.max(1, Math.round(Math.max(0, sampleNs - overheadNs) / ops));
    this.h.recordValueWithCount(per, ops);
  }

  summary(): LatencySummary {
    const h = this.h;
    return {
      count: h.totalCount,
      p50_ns: h.getValueAtPercentile(50),
      p99_ns: h.getValueAtPercentile(99),
      p999_ns: h.getValueAtPercentile(99.9),
      max_ns: h.maxValue,
      mean_ns: Math.round(h.mean),
    };
  }
}

/** Median of a numeric array (copied, sorted). */
export function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

export function fmtInt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

export function fmtRate(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}

export function fmtNs(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} ms`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)} µs`;
  return `${Math.round(x)} ns`;
}
