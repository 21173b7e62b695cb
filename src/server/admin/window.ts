/**
 * Windowed deltas of cumulative counters for the admin endpoints, without a 24 h store.
 *
 * Input: every `fineMs` (5 s) the collector pushes one `Sample` = the hub's cumulative
 * counters at that instant (flat `name -> count`, monotonic since the hub started) plus
 * `Agg`, per-second figures folded since the previous sample (from the hub's feed points).
 *
 * Memory: a fine ring (every sample, last `fineSpanMs` = 1 h: 721 entries) and a coarse ring
 * (one sample per `coarseMs` = 60 s, last 24 h: 1441 entries); each entry is one counter
 * object (~50 keys with 3 symbols). O(1) per push (amortised), O(log n + keys) per query.
 *
 * Window contract: `window(spanMs)` covers [start, now] where start is
 *   - the hub's start (all counters 0 there) when the server has run for <= spanMs:
 *     "since start", exact;
 *   - else the oldest kept sample at or after now - spanMs (fine ring for spans <= 1 h,
 *     coarse ring beyond): the real span is reported, between spanMs - granularity and
 *     spanMs. Nothing is extrapolated: a window is never longer than what was observed.
 */

/** Cumulative counters, name -> count since the hub started. Missing = 0. */
export type Counters = Record<string, number>;

/** Per-second figures folded over an interval (from one feed point per second). */
export interface Agg {
  /** Seconds (feed points) seen. */
  seconds: number;
  /** Sum and number of per-second ack p95 values, µs (seconds without acks are skipped). */
  p95SumUs: number;
  p95N: number;
  /** Highest per-second ack p95 / p99, µs (null: no acks). */
  maxP95Us: number | null;
  maxP99Us: number | null;
  /** Highest count of NEW orders / trades in one second. */
  peakOrders1s: number;
  peakTrades1s: number;
}

export function emptyAgg(): Agg {
  return { seconds: 0, p95SumUs: 0, p95N: 0, maxP95Us: null, maxP99Us: null, peakOrders1s: 0, peakTrades1s: 0 };
}

const maxN = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));

/** a += b (in place). */
export function foldAgg(a: Agg, b: Agg): Agg {
  a.seconds += b.seconds;
  a.p95SumUs += b.p95SumUs;
  a.p95N += b.p95N;
  a.maxP95Us = maxN(a.maxP95Us, b.maxP95Us);
  a.maxP99Us = maxN(a.maxP99Us, b.maxP99Us);
  a.peakOrders1s = Math.max(a.peakOrders1s, b.peakOrders1s);
  a.peakTrades1s = Math.max(a.peakTrades1s, b.peakTrades1s);
  return a;
}

/** One second's feed figures as an Agg (p95/p99 in µs, null when the second had no acks). */
export function secondAgg(orders1s: number, trades1s: number, p95Us: number | null, p99Us: number | null): Agg {
  return {
    seconds: 1,
    p95SumUs: p95Us ?? 0,
    p95N: p95Us === null ? 0 : 1,
    maxP95Us: p95Us,
    maxP99Us: p99Us,
    peakOrders1s: orders1s,
    peakTrades1s: trades1s,
  };
}

export interface Sample {
  /** ms since epoch. */
  ts: number;
  counters: Counters;
  /** Per-second figures since the previous entry of the same ring. */
  agg: Agg;
}

export interface WindowResult {
  /** ms since epoch of the window's start and end. */
  startMs: number;
  endMs: number;
  spanS: number;
  /** True when the window starts at the hub's start (the server ran <= the asked span). */
  sinceStart: boolean;
  /** Counter deltas over the window (current - start). */
  deltas: Counters;
  /** Per-second figures of the seconds inside the window, incl. the not-yet-sampled ones. */
  agg: Agg;
}

export interface HistoryOptions {
  /** ms since epoch when the counters were all 0 (the hub's start). */
  startMs: number;
  fineMs?: number;
  fineSpanMs?: number;
  coarseMs?: number;
  /** Longest window kept, ms. Default 24 h. */
  maxSpanMs?: number;
}

export const DAY_MS = 86_400_000;

export class CounterHistory {
  readonly startMs: number;
  readonly fineMs: number;
  readonly fineSpanMs: number;
  readonly coarseMs: number;
  readonly maxSpanMs: number;
  private readonly fine: Sample[] = [];
  private readonly coarse: Sample[] = [];
  /** Agg folded since the last coarse entry (fine entries' aggs). */
  private coarsePending = emptyAgg();
  /** Agg of seconds not yet in any sample. */
  private pending = emptyAgg();

  constructor(o: HistoryOptions) {
    this.startMs = o.startMs;
    this.fineMs = o.fineMs ?? 5000;
    this.fineSpanMs = o.fineSpanMs ?? 3_600_000;
    this.coarseMs = o.coarseMs ?? 60_000;
    this.maxSpanMs = o.maxSpanMs ?? DAY_MS;
  }

  /** One second's figures (call once per hub feed point). */
  addSecond(a: Agg): void {
    foldAgg(this.pending, a);
  }

  /** Record the cumulative counters at `ts` (call every fineMs; ts non-decreasing). */
  push(ts: number, counters: Counters): void {
    const agg = this.pending;
    this.pending = emptyAgg();
    this.fine.push({ ts, counters, agg });
    foldAgg(this.coarsePending, agg);
    const lastCoarse = this.coarse[this.coarse.length - 1];
    if (!lastCoarse || ts - lastCoarse.ts >= this.coarseMs) {
      this.coarse.push({ ts, counters, agg: this.coarsePending });
      this.coarsePending = emptyAgg();
    }
    // Keep one entry at or before the span's start so a full span stays answerable.
    trim(this.fine, ts - this.fineSpanMs);
    trim(this.coarse, ts - this.maxSpanMs);
  }

  /** Entries kept (fine, coarse): for tests and the memory note above. */
  sizes(): { fine: number; coarse: number } {
    return { fine: this.fine.length, coarse: this.coarse.length };
  }

  /**
   * Deltas over the last `spanMs` (capped at maxSpanMs) ending at `nowMs`, with `current`
   * = the counters at nowMs. See the window contract in the header.
   */
  window(spanMs: number, nowMs: number, current: Counters): WindowResult {
    const span = Math.min(spanMs, this.maxSpanMs);
    const from = nowMs - span;
    if (from <= this.startMs) {
      const agg = emptyAgg();
      for (const s of this.coarse) foldAgg(agg, s.agg);
      foldAgg(agg, this.coarsePending);
      foldAgg(agg, this.pending);
      return { startMs: this.startMs, endMs: nowMs, spanS: (nowMs - this.startMs) / 1000, sinceStart: true, deltas: { ...current }, agg };
    }
    const ring = span <= this.fineSpanMs ? this.fine : this.coarse;
    const i = firstAtOrAfter(ring, from);
    const base = ring[i];
    if (!base) {
      // No sample inside the span yet (sampling just began): the newest sample before it.
      const last = ring[ring.length - 1];
      const agg = foldAgg(emptyAgg(), this.pending);
      if (!last) return { startMs: this.startMs, endMs: nowMs, spanS: (nowMs - this.startMs) / 1000, sinceStart: true, deltas: { ...current }, agg };
      return { startMs: last.ts, endMs: nowMs, spanS: (nowMs - last.ts) / 1000, sinceStart: false, deltas: diff(current, last.counters), agg };
    }
    const agg = emptyAgg();
    for (let k = i + 1; k < ring.length; k++) foldAgg(agg, ring[k]!.agg);
    if (ring === this.coarse) foldAgg(agg, this.coarsePending);
    foldAgg(agg, this.pending);
    return { startMs: base.ts, endMs: nowMs, spanS: (nowMs - base.ts) / 1000, sinceStart: false, deltas: diff(current, base.counters), agg };
  }
}

/** Drop leading entries while the next one is still at or before `keepFrom`. */
function trim(ring: Sample[], keepFrom: number): void {
  let n = 0;
  while (n + 1 < ring.length && ring[n + 1]!.ts <= keepFrom) n++;
  if (n > 0) ring.splice(0, n);
}

/** Index of the first entry with ts >= t (ring.length when none). */
function firstAtOrAfter(ring: Sample[], t: number): number {
  let lo = 0;
  let hi = ring.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ring[mid]!.ts < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** current - base per key (keys of either; a counter that went backwards reads 0). */
export function diff(current: Counters, base: Counters): Counters {
  const out: Counters = {};
  for (const k of Object.keys(current)) out[k] = Math.max(0, current[k]! - (base[k] ?? 0));
  return out;
}
