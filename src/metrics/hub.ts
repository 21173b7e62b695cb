/**
 * `MetricsHub`: the main thread's single owner of every figure simex reports.
 *
 * Writers: the server's main thread only (uWS handlers, shard message handlers). All methods
 * are synchronous and O(1) except `ingestShard` (decodes <= 2 HDR histograms per shard per
 * second) and the readers (`apiMetrics`, `feedPoint`, Prometheus collection), which merge at
 * most 8 histograms per latency kind.
 *
 * Hot path (recordOrder / recordRequest / recordTrade / recordE2E, once per order on the I/O
 * thread): no string building, no Map keyed by label strings, no allocation, no clock read
 * (coarseClock). Labels resolve to dense number cells (label-cells.ts) that the Prometheus
 * collectors read at scrape time; acks go to a FastLatencyRecorder whose HDR/bucket work is
 * done per distinct value index at flush (tick, readers, scrape). Measured with
 * `node dist/bench/metrics-hub.js`: ~15-30 ns per call (was 150-1100 ns with string keys).
 *
 * Time: a 1 s timer (unref'd; `timer: false` in tests, then call `tick()`) closes each
 * second: it rotates the rate ring and latency windows, samples the event-loop delay, builds
 * one `FeedPoint`, appends it to the history ring and hands it to `onFeed` listeners (the
 * server publishes it on the `metrics` feed topic).
 *
 * Windows (stated in every response): rates over the last `rateWindowSeconds` (10) complete
 * seconds; /api/metrics latency percentiles over the last 60-70 s (six closed 10 s slots +
 * the open one); feed latency percentiles over the last second.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Histogram } from 'hdr-histogram-js';
import client from 'prom-client';
import {
  ACK_BUCKETS_S,
  CumulativeBuckets,
  ENGINE_BUCKETS_S,
  newHdr,
  summarize,
  type LatencySummaryNs,
} from './latency.js';
import type { RecentTrade, SideLabel } from './counters.js';
import { FastLatencyRecorder } from './fast-latency.js';
import { addCounts, addHdr, isHdrCounts, subtractHdr, type HdrCounts } from './hdr-fast.js';
import {
  HubCounters,
  R_ACCEPTED,
  R_ERROR,
  R_REJECTED,
  cellResult,
  opIndex,
  orderCell,
  orderLabels,
  requestCell,
  requestLabels,
  resultIndex,
  sideIndex,
  typeIndex,
  type SymbolCells,
} from './label-cells.js';
import { SHARD_SNAPSHOT_VERSION, type BookSample, type ShardSnapshot } from './shard.js';

export interface MetricsHubOptions {
  /** Configured instrument symbols (label values; anything else is "other"). */
  symbols: readonly string[];
  /** Shard ids the server runs; a listed shard that never reports shows as down. */
  shards?: readonly number[];
  /** Sliding window for orders_per_sec / trades_per_sec / error_rate, seconds. Default 10. */
  rateWindowSeconds?: number;
  /** Feed points kept for `history()` (one per second). Default 300. */
  historyPoints?: number;
  /** Run the 1 s timer. Default true; tests pass false and call tick(). */
  timer?: boolean;
  /** Clock, ms since epoch. Default Date.now. */
  now?: () => number;
  /** Register prom-client default process/nodejs metrics. Default true. */
  defaultMetrics?: boolean;
  /** A shard is "down" when its last snapshot is older than this. Default 5000 ms. */
  shardStaleMs?: number;
  /**
   * Second of the per-second rate ring for record* calls from a cached clock, advanced by a
   * timer at each second boundary (and by tick() and the readers), instead of one clock read
   * per call (~50-65 ns on this VM). Cost: calls made between a boundary and the timer's run
   * (the event-loop delay, ms) count in the previous second; totals are unaffected.
   * Default: true when `timer` is on and `now` is not injected; tests keep exact seconds.
   */
  coarseClock?: boolean;
}

/** Latency percentiles in microseconds (null when there were no samples). */
export interface LatencySummaryUs {
  count: number;
  avg_us: number | null;
  p50_us: number | null;
  p90_us: number | null;
  p95_us: number | null;
  p99_us: number | null;
  p999_us: number | null;
  max_us: number | null;
}

export interface ShardStatus {
  id: number;
  up: boolean;
  /** Seconds since the last snapshot (null: never reported). */
  age_s: number | null;
  snapshots: number;
  lost_snapshots: number;
  commands_per_sec: number;
  batches_per_sec: number;
  commands_total: number;
  gauges: Record<string, number>;
}

export interface BookView {
  symbol: string;
  shard: number;
  bids: [number, number, number][];
  asks: [number, number, number][];
  best_bid: number | null;
  best_ask: number | null;
  spread: number | null;
  mid: number | null;
  bid_depth: number;
  ask_depth: number;
  bid_levels: number;
  ask_levels: number;
  orders: number;
  last_trade_price: number | null;
  /** Seconds since the sample was taken in the shard. */
  age_s: number;
}

/**
 * One point of the live metrics feed: what the `metrics` topic carries once per second and
 * what `GET /api/metrics/history` returns (without `books`/`trades`). Units are in the names.
 */
export interface FeedPoint {
  v: 1;
  /** ms since epoch at the end of the second this point describes. */
  ts: number;
  uptime_s: number;
  order_count: number;
  trade_count: number;
  error_count: number;
  total_volume: number;
  /** Counts in the last completed second. */
  orders_1s: number;
  trades_1s: number;
  errors_1s: number;
  /** Sliding-window rates (rate_window_s). */
  orders_per_sec: number;
  trades_per_sec: number;
  /** Percent of order requests in the window that were rejected or errored. */
  error_rate: number;
  rate_window_s: number;
  /** Order ack latency (received -> ack sent) over the last second. */
  ack: LatencySummaryUs;
  /** Engine time per command, all shards merged, over the last second. */
  engine: LatencySummaryUs;
  event_loop: { p50_ms: number; p99_ms: number; max_ms: number };
  connections: Record<string, number>;
  drops_total: Record<string, number>;
  shards: ShardStatus[];
  symbols: Record<string, { order_count: number; trade_count: number; volume: number; avg_price: number | null; last_price: number | null }>;
  books?: Record<string, BookView>;
  trades?: Record<string, RecentTrade[]>;
}

const RING_SECONDS = 128;
const LAT_SLOT_MS = 10_000;
const LAT_SLOTS = 7; // 6 closed + 1 open: a 60-70 s window
const RECENT_TRADES = 30;
const ELD_RESOLUTION_MS = 10;
/** Counts per histogram of the project's layout (latency.ts newHdr). */
const COUNTS_LENGTH = (newHdr() as unknown as { countsArrayLength: number }).countsArrayLength;

interface SecondSlot {
  sec: number;
  orders: number;
  errors: number; // rejected + error
  serverErrors: number;
  trades: number;
}

/**
 * Sliding latency window of `n` slots of `slotMs`: n-1 closed slots (kept summed in `sum`,
 * updated once per rotation: one add + one subtract) plus the open slot. A query costs two
 * histogram adds, whatever n is.
 */
class WindowedHdr {
  private readonly closed: { start: number; h: Histogram; sumNs: number }[] = [];
  private open: { start: number; h: Histogram; sumNs: number } | null = null;
  private readonly sum = newHdr();
  private closedSumNs = 0;
  constructor(private readonly slotMs: number, private readonly n: number) {}
  private current(now: number): { start: number; h: Histogram; sumNs: number } {
    const start = now - (now % this.slotMs);
    if (this.open && this.open.start === start) return this.open;
    if (this.open) {
      addHdr(this.sum, this.open.h);
      this.closedSumNs += this.open.sumNs;
      this.closed.push(this.open);
      this.open = null;
    }
    let spare: Histogram | undefined;
    const min = start - this.slotMs * (this.n - 1);
    while (this.closed.length > 0 && this.closed[0]!.start < min) {
      const old = this.closed.shift()!;
      subtractHdr(this.sum, old.h);
      this.closedSumNs -= old.sumNs;
      if (spare) spare.destroy();
      spare = old.h;
    }
    if (this.closed.length === 0) {
      this.sum.reset(); // drop any float drift of subtracts
      this.closedSumNs = 0;
    }
    const h = spare ?? newHdr();
    h.reset();
    this.open = { start, h, sumNs: 0 };
    return this.open;
  }
  record(now: number, v: number, count: number): void {
    const o = this.current(now);
    o.h.recordValueWithCount(v, count);
    o.sumNs += v * count;
  }
  add(now: number, h: Histogram, sumNs: number): void {
    const o = this.current(now);
    addHdr(o.h, h);
    o.sumNs += sumNs;
  }
  addCounts(now: number, c: HdrCounts, sumNs: number): void {
    const o = this.current(now);
    addCounts(o.h, c);
    o.sumNs += sumNs;
  }
  /** One scratch histogram for `merged` (a 94 KB counts array per call was an ArrayBuffer
   *  allocation per /api/metrics read, twice). */
  private readonly scratch = newHdr();
  /** Merge of the slots inside the window, its sum and span. `h` is this window's scratch
   *  histogram: valid until the next `merged` call (callers read it at once). */
  merged(now: number): { h: Histogram; sumNs: number; spanS: number } {
    const open = this.current(now);
    const out = this.scratch;
    out.reset();
    addHdr(out, this.sum);
    addHdr(out, open.h);
    const first = this.closed[0]?.start ?? open.start;
    return { h: out, sumNs: this.closedSumNs + open.sumNs, spanS: Math.max(0, (now - first) / 1000) };
  }
}

interface ShardState {
  id: number;
  lastSeq: number;
  lastIngestMs: number | null;
  snapshots: number;
  lost: number;
  batches: number;
  commands: number;
  events: number;
  lastIntervalMs: number;
  lastCommands: number;
  lastBatches: number;
  engineCommand: CumulativeBuckets;
  engineBatch: CumulativeBuckets;
  gauges: Record<string, number>;
}

function toUs(s: LatencySummaryNs): LatencySummaryUs {
  const us = (v: number | null) => (v === null ? null : Math.round(v / 10) / 100);
  return {
    count: s.count,
    avg_us: us(s.mean),
    p50_us: us(s.p50),
    p90_us: us(s.p90),
    p95_us: us(s.p95),
    p99_us: us(s.p99),
    p999_us: us(s.p999),
    max_us: us(s.max),
  };
}

/** "0.042ms": the runbook's latency string format (milliseconds, 3 decimals). */
export function formatMs(ns: number | null): string | null {
  return ns === null ? null : `${(ns / 1e6).toFixed(3)}ms`;
}

function roundTo(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}

/** Prometheus `le` label without exponent notation ("0.00005", "5e-7" -> "0.0000005"). */
export function formatLe(v: number): string {
  if (v >= 1e-4 || v === 0) return String(v);
  return v.toFixed(12).replace(/0+$/, '');
}

type PromValue = { labels?: Record<string, string | number>; value: number; metricName?: string };

/**
 * Numeric labels of `recordOrderCode` / `recordRequestCode`. side and type equal the engine's
 * `Side` / `OrdType` values (src/engine/layout.ts); op = CmdType - CmdType.CANCEL. Any other
 * number counts under the label "other", like an unknown string does in recordOrder.
 */
export const METRIC_CODES = {
  side: { buy: 0, sell: 1 },
  type: { limit: 0, market: 1 },
  result: { accepted: 0, rejected: 1, error: 2 },
  op: { cancel: 0, amend: 1, mass_cancel: 2 },
} as const;

/** 0 or 1 as is, anything else -> 2 ("other"). */
function code2(v: number): number {
  return v === 0 || v === 1 ? v : 2;
}
/** 0, 1 or 2 as is, anything else -> 3 ("other"). */
function code3(v: number): number {
  return v === 0 || v === 1 || v === 2 ? v : 3;
}

export class MetricsHub {
  readonly registry: client.Registry;
  readonly startedMs: number;
  readonly rateWindowSeconds: number;

  private readonly now: () => number;
  private readonly symbols: readonly string[];
  private readonly counters: HubCounters;
  private readonly ring: SecondSlot[] = Array.from({ length: RING_SECONDS }, () => ({ sec: -1, orders: 0, errors: 0, serverErrors: 0, trades: 0 }));
  /** Slot of the last record* call (one compare on the hot path). */
  private lastSlot: SecondSlot = this.ring[0]!;
  /** Cached second for record* calls when `coarseClock` (else -1: read the clock per call). */
  private coarseSec = -1;
  private clockTimer: NodeJS.Timeout | null = null;
  /** Cumulative Prometheus buckets + the open second's HDR input (flushed into ackSecond). */
  private readonly ack = new FastLatencyRecorder(ACK_BUCKETS_S);
  private readonly ackWindow = new WindowedHdr(LAT_SLOT_MS, LAT_SLOTS);
  private readonly ackSecond = newHdr();
  private readonly engineWindow = new WindowedHdr(LAT_SLOT_MS, LAT_SLOTS);
  private readonly engineSecond = newHdr();
  private engineSecondSumNs = 0;
  private readonly shards = new Map<number, ShardState>();
  private readonly books = new Map<string, BookSample & { shard: number }>();
  private readonly connections = new Map<string, number>();
  private readonly drops = new Map<string, number>();
  private readonly history: FeedPoint[] = [];
  private readonly historyCap: number;
  private readonly listeners = new Set<(p: FeedPoint) => void>();
  private readonly eld: IntervalHistogram;
  private eldLast = { p50_ms: 0, p99_ms: 0, max_ms: 0 };
  private readonly shardStaleMs: number;
  private timer: NodeJS.Timeout | null = null;
  private lastPoint: FeedPoint | null = null;
  private tradeSources = { hub: false, shard: false };
  private orderSources = { hub: false, shard: false };
  private rejectedSnapshots = 0;
  readonly warnings: string[] = [];

  constructor(opts: MetricsHubOptions) {
    this.now = opts.now ?? Date.now;
    this.startedMs = this.now();
    this.symbols = [...opts.symbols];
    this.counters = new HubCounters(opts.symbols, RECENT_TRADES);
    FastLatencyRecorder.check(this.ackSecond);
    this.rateWindowSeconds = opts.rateWindowSeconds ?? 10;
    this.historyCap = opts.historyPoints ?? 300;
    this.shardStaleMs = opts.shardStaleMs ?? 5000;
    for (const id of opts.shards ?? []) this.shardState(id);
    this.eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
    this.eld.enable();
    this.registry = new client.Registry();
    if (opts.defaultMetrics ?? true) {
      client.collectDefaultMetrics({ register: this.registry });
      // Gauges whose names end in _total break Prometheus naming (`promtool check metrics`).
      for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
        this.registry.removeSingleMetric(n);
      }
    }
    this.registerPrometheus();
    if (opts.timer ?? true) {
      this.timer = setInterval(() => this.tick(), 1000);
      this.timer.unref();
    }
    if (opts.coarseClock ?? ((opts.timer ?? true) && opts.now === undefined)) this.armClock();
  }

  // ------------------------------------------------------------------ writers

  /**
   * One NEW order request was answered. side 'buy'|'sell', type 'limit'|'market',
   * result 'accepted'|'rejected'|'error' (see OrderResultLabel). Count each order once:
   * here (main thread) OR in the shard's ShardMetrics.recordOrder, not both.
   */
  recordOrder(symbol: string, side: string, type: string, result: string): void {
    // Hot path (once per order): symbol by a short === scan, enum compares, plain-number adds.
    if (!this.orderSources.hub) {
      this.orderSources.hub = true;
      this.checkSources();
    }
    const r = resultIndex(result);
    this.counters.addOrder(this.counters.of(symbol), orderCell(sideIndex(side), typeIndex(type), r), 1);
    const s = this.slot();
    s.orders++;
    if (r !== R_ACCEPTED) {
      s.errors++;
      if (r === R_ERROR) s.serverErrors++;
    }
  }

  /**
   * Handle of a symbol's label ("other" when not configured) for the numeric record*Code
   * variants; stable for the hub's lifetime. Resolve once per book, not per call.
   */
  symbolId(symbol: string): number {
    return this.counters.of(symbol).index;
  }

  /**
   * `recordOrder` with numeric labels (METRIC_CODES; side/type as the engine's Side/OrdType):
   * no string compares. ~7 ns instead of ~25 ns with mixed labels (bench/metrics-hub.ts).
   * Exactly the same counting as recordOrder with the corresponding strings.
   */
  recordOrderCode(symbolId: number, side: number, type: number, result: number): void {
    if (!this.orderSources.hub) {
      this.orderSources.hub = true;
      this.checkSources();
    }
    const r = code3(result);
    this.counters.addOrder(this.counters.cells[symbolId] ?? this.counters.other, orderCell(code2(side), code2(type), r), 1);
    const s = this.slot();
    s.orders++;
    if (r !== R_ACCEPTED) {
      s.errors++;
      if (r === R_ERROR) s.serverErrors++;
    }
  }

  /** `recordRequest` with numeric labels: op 0 cancel | 1 amend | 2 mass_cancel (METRIC_CODES). */
  recordRequestCode(op: number, symbolId: number, result: number): void {
    const r = code3(result);
    this.counters.addRequest(this.counters.cells[symbolId] ?? this.counters.other, requestCell(code3(op), r), 1);
    if (r === R_ERROR) this.slot().serverErrors++;
  }

  /** A cancel / amend / mass_cancel request was answered (same result meanings). */
  recordRequest(op: string, symbol: string, result: string): void {
    const r = resultIndex(result);
    this.counters.addRequest(this.counters.of(symbol), requestCell(opIndex(op), r), 1);
    if (r === R_ERROR) this.slot().serverErrors++;
  }

  /** One trade, decimal price (quote) and quantity (base). Count once: here OR in the shard. */
  recordTrade(symbol: string, price: number, qty: number, side?: SideLabel, tsMs?: number): void {
    // Hot path (once per match): no allocation; the recent-trades ring is columnar.
    if (!(qty > 0) || !(price > 0)) return;
    if (!this.tradeSources.hub) {
      this.tradeSources.hub = true;
      this.checkSources();
    }
    const c = this.counters.of(symbol);
    const t = this.counters.totalsOf(c);
    t.trades += 1;
    t.volume += qty;
    t.notional += price * qty;
    t.lastPrice = price;
    this.slot().trades++;
    this.counters.recentOf(c).push(num(price), num(qty), side, num(tsMs ?? this.now()));
  }

  /** Order received at the edge -> acknowledgement sent, nanoseconds. */
  recordE2E(ns: number): void {
    // Hot path (once per order): an index computation and a few adds; the HDR histogram and
    // Prometheus buckets are filled per touched index at flush (tick, readers, scrape).
    this.ack.record(ns, this.ackSecond);
  }

  /** Current number of open connections of a kind: 'trading' (binary WS), 'feed' (JSON WS). */
  setConnections(kind: string, n: number): void {
    this.connections.set(label(kind), n);
  }

  /** One message dropped (or a socket closed) because of backpressure; kind e.g. 'feed', 'trading'. */
  recordDrop(kind: string, n = 1): void {
    const k = label(kind);
    this.drops.set(k, (this.drops.get(k) ?? 0) + n);
  }

  /**
   * A snapshot posted by shard `shardId`'s ShardMetrics. Malformed input is counted and
   * ignored (never throws). Returns false when rejected.
   */
  ingestShard(shardId: number, snap: ShardSnapshot): boolean {
    if (!snap || typeof snap !== 'object' || snap.version !== SHARD_SNAPSHOT_VERSION || !Number.isInteger(shardId)) {
      this.rejectedSnapshots++;
      return false;
    }
    const now = this.now();
    const st = this.shardState(shardId);
    if (st.lastSeq > 0 && snap.seq > st.lastSeq + 1) st.lost += snap.seq - st.lastSeq - 1;
    st.lastSeq = snap.seq;
    st.lastIngestMs = now;
    st.snapshots++;
    st.batches += num(snap.batches);
    st.commands += num(snap.commands);
    st.events += num(snap.events);
    st.lastIntervalMs = Math.max(1, num(snap.endMs) - num(snap.startMs));
    st.lastCommands = num(snap.commands);
    st.lastBatches = num(snap.batches);
    if (snap.engineCommand) {
      st.engineCommand.addSnapshot(snap.engineCommand);
      // Applied straight into the windows (hdr-fast.ts): O(recorded index range), no decode.
      const c = snap.engineCommand.hdr;
      if (isHdrCounts(c, COUNTS_LENGTH) && c.counts.length > 0) {
        this.engineWindow.addCounts(now, c, num(snap.engineCommand.sumNs));
        addCounts(this.engineSecond, c);
        this.engineSecondSumNs += num(snap.engineCommand.sumNs);
      }
    }
    if (snap.engineBatch) st.engineBatch.addSnapshot(snap.engineBatch);
    if (snap.gauges && typeof snap.gauges === 'object') st.gauges = { ...snap.gauges };
    const c = snap.counters;
    if (c) {
      for (const [sym, side, type, result, n] of c.orders ?? []) {
        this.orderSources.shard = true;
        this.countOrder(sym, side, type, result, num(n));
      }
      for (const [op, sym, result, n] of c.requests ?? []) {
        this.counters.addRequest(this.counters.of(sym), requestCell(opIndex(op), resultIndex(result)), num(n));
      }
      for (const [sym, n, qty, notional] of c.trades ?? []) {
        this.tradeSources.shard = true;
        this.countTrades(sym, num(n), num(qty), num(notional), null);
      }
    }
    for (const t of snap.trades ?? []) {
      this.pushTrade(t);
      const s = this.counters.of(t.symbol).totals;
      if (s) s.lastPrice = t.price;
    }
    for (const b of snap.books ?? []) if (b && typeof b.symbol === 'string') this.books.set(b.symbol, { ...b, shard: shardId });
    this.checkSources();
    return true;
  }

  /** Listener for each closed second's FeedPoint (the server publishes it to `metrics`). */
  onFeed(listener: (p: FeedPoint) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ------------------------------------------------------------------ time

  /** Close the current second (the timer calls this every 1 s). Returns the new point. */
  tick(): FeedPoint {
    this.syncClock();
    const p = this.eld;
    // perf_hooks reports the interval between its timer's runs: delay = value - resolution.
    const delayMs = (ns: number) => roundTo(Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS), 3);
    this.eldLast = {
      p50_ms: p.count > 0 ? delayMs(p.percentile(50)) : 0,
      p99_ms: p.count > 0 ? delayMs(p.percentile(99)) : 0,
      max_ms: p.count > 0 ? delayMs(p.max) : 0,
    };
    p.reset();
    const point = this.feedPoint(true); // flushes the ack recorder into ackSecond
    if (this.ackSecond.totalCount > 0) this.ackWindow.add(this.now(), this.ackSecond, this.ack.secondSumNs);
    this.ackSecond.reset();
    this.engineSecond.reset();
    this.ack.secondSumNs = 0;
    this.engineSecondSumNs = 0;
    this.lastPoint = point;
    const light: FeedPoint = { ...point };
    delete light.books;
    delete light.trades;
    this.history.push(light);
    if (this.history.length > this.historyCap) this.history.splice(0, this.history.length - this.historyCap);
    for (const l of this.listeners) {
      try {
        l(point);
      } catch {
        // a listener's failure must not stop the clock
      }
    }
    return point;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.clockTimer) clearTimeout(this.clockTimer);
    this.clockTimer = null;
    this.eld.disable();
    this.listeners.clear();
  }

  // ------------------------------------------------------------------ readers

  /** Rates over the last `rateWindowSeconds` complete seconds (fewer right after start). */
  rates(): { orders_per_sec: number; trades_per_sec: number; error_rate: number; server_error_rate: number; window_s: number } {
    this.syncClock();
    const now = this.now();
    const cur = Math.floor(now / 1000);
    const startSec = Math.floor(this.startedMs / 1000);
    const w = Math.max(0, Math.min(this.rateWindowSeconds, cur - startSec));
    let orders = 0;
    let errors = 0;
    let serverErrors = 0;
    let trades = 0;
    for (let s = cur - w; s < cur; s++) {
      const slot = this.ring[s % RING_SECONDS]!;
      if (slot.sec !== s) continue;
      orders += slot.orders;
      errors += slot.errors;
      serverErrors += slot.serverErrors;
      trades += slot.trades;
    }
    return {
      orders_per_sec: w > 0 ? roundTo(orders / w, 2) : 0,
      trades_per_sec: w > 0 ? roundTo(trades / w, 2) : 0,
      error_rate: orders > 0 ? roundTo((errors / orders) * 100, 3) : 0,
      server_error_rate: orders > 0 ? roundTo((serverErrors / orders) * 100, 3) : 0,
      window_s: w,
    };
  }

  /** The runbook's /api/metrics body (see docs in routes.ts for every field's unit). */
  apiMetrics(): Record<string, unknown> {
    const now = this.now();
    const totals = this.totals();
    const r = this.rates();
    this.ack.flush(this.ackSecond);
    const ack = this.ackWindow.merged(now);
    addHdr(ack.h, this.ackSecond); // the open second, not yet in the window
    const a = summarize(ack.h, ack.sumNs + this.ack.secondSumNs);
    const eng = this.engineWindow.merged(now);
    const e = summarize(eng.h, eng.sumNs);
    const au = toUs(a);
    return {
      timestamp: new Date(now).toISOString(),
      uptime_s: roundTo((now - this.startedMs) / 1000, 1),
      order_count: totals.orders,
      trade_count: totals.trades,
      total_volume: roundTo(totals.volume, 8),
      avg_latency: formatMs(a.mean),
      p50_latency: formatMs(a.p50),
      p95_latency: formatMs(a.p95),
      p99_latency: formatMs(a.p99),
      avg_latency_us: au.avg_us,
      p50_latency_us: au.p50_us,
      p95_latency_us: au.p95_us,
      p99_latency_us: au.p99_us,
      p999_latency_us: au.p999_us,
      max_latency_us: au.max_us,
      latency_samples: a.count,
      latency_window_s: roundTo(ack.spanS, 1),
      latency_measure: 'order received at the edge -> acknowledgement sent',
      engine_latency: { ...toUs(e), window_s: roundTo(eng.spanS, 1), measure: 'engine time per command inside the shard' },
      orders_per_sec: r.orders_per_sec,
      trades_per_sec: r.trades_per_sec,
      rate_window_s: r.window_s,
      error_rate: r.error_rate,
      error_rate_unit: 'percent of order requests in the rate window rejected or failed',
      server_error_rate: r.server_error_rate,
      error_count: totals.errors,
      rejected_count: totals.rejected,
      symbol_metrics: this.symbolMetrics(),
    };
  }

  /** A live point (without closing the second). `full` adds books and recent trades. */
  feedPoint(full = true): FeedPoint {
    const now = this.now();
    const totals = this.totals();
    const r = this.rates();
    const lastSec = this.ring[(Math.floor(now / 1000) - 1) % RING_SECONDS]!;
    const lastOk = lastSec.sec === Math.floor(now / 1000) - 1;
    const connections = Object.fromEntries(this.connections);
    this.ack.flush(this.ackSecond);
    const point: FeedPoint = {
      v: 1,
      ts: now,
      uptime_s: roundTo((now - this.startedMs) / 1000, 1),
      order_count: totals.orders,
      trade_count: totals.trades,
      error_count: totals.errors + totals.rejected,
      total_volume: roundTo(totals.volume, 8),
      orders_1s: lastOk ? lastSec.orders : 0,
      trades_1s: lastOk ? lastSec.trades : 0,
      errors_1s: lastOk ? lastSec.errors : 0,
      orders_per_sec: r.orders_per_sec,
      trades_per_sec: r.trades_per_sec,
      error_rate: r.error_rate,
      rate_window_s: r.window_s,
      ack: toUs(summarize(this.ackSecond, this.ack.secondSumNs)),
      engine: toUs(summarize(this.engineSecond, this.engineSecondSumNs)),
      event_loop: { ...this.eldLast },
      connections,
      drops_total: Object.fromEntries(this.drops),
      shards: this.shardStatus(),
      symbols: this.symbolMetrics(),
    };
    if (full) {
      point.books = this.bookViews();
      point.trades = Object.fromEntries([...this.counters.recent].map(([k, v]) => [k, v.toArray(k, 15)]));
    }
    return point;
  }

  /** The last closed second's point (what the feed last published), else a live one. */
  livePoint(): FeedPoint {
    return this.lastPoint ?? this.feedPoint(true);
  }

  /** Up to `historyPoints` closed-second points, oldest first (no books/trades). */
  historyPoints(): FeedPoint[] {
    return this.history.slice();
  }

  shardStatus(): ShardStatus[] {
    const now = this.now();
    return [...this.shards.values()]
      .sort((a, b) => a.id - b.id)
      .map((s) => ({
        id: s.id,
        up: s.lastIngestMs !== null && now - s.lastIngestMs <= this.shardStaleMs,
        age_s: s.lastIngestMs === null ? null : roundTo((now - s.lastIngestMs) / 1000, 1),
        snapshots: s.snapshots,
        lost_snapshots: s.lost,
        commands_per_sec: roundTo((s.lastCommands * 1000) / s.lastIntervalMs, 1),
        batches_per_sec: roundTo((s.lastBatches * 1000) / s.lastIntervalMs, 1),
        commands_total: s.commands,
        gauges: s.gauges,
      }));
  }

  bookViews(): Record<string, BookView> {
    const now = this.now();
    const out: Record<string, BookView> = {};
    for (const [sym, b] of this.books) {
      const bb = b.bids[0]?.[0] ?? null;
      const ba = b.asks[0]?.[0] ?? null;
      out[sym] = {
        symbol: sym,
        shard: b.shard,
        bids: b.bids,
        asks: b.asks,
        best_bid: bb,
        best_ask: ba,
        spread: bb !== null && ba !== null ? roundTo(ba - bb, 10) : null,
        mid: bb !== null && ba !== null ? roundTo((ba + bb) / 2, 10) : null,
        bid_depth: roundTo(b.bids.reduce((a, l) => a + l[1], 0), 8),
        ask_depth: roundTo(b.asks.reduce((a, l) => a + l[1], 0), 8),
        bid_levels: b.bidLevels,
        ask_levels: b.askLevels,
        orders: b.orders,
        last_trade_price: b.lastTradePrice,
        age_s: roundTo((now - b.ts) / 1000, 1),
      };
    }
    return out;
  }

  recentTrades(symbol: string): RecentTrade[] {
    return this.counters.recent.get(symbol)?.toArray(symbol) ?? [];
  }

  /**
   * 'healthy' when every known shard reported within shardStaleMs and no counting conflict
   * was detected; otherwise 'degraded' with reasons. For /health `services.metrics`.
   */
  health(): { status: 'healthy' | 'degraded'; reasons: string[] } {
    const reasons = [...this.warnings];
    for (const s of this.shardStatus()) if (!s.up) reasons.push(`shard ${s.id} has not reported metrics for ${s.age_s ?? 'ever'} s`);
    return { status: reasons.length === 0 ? 'healthy' : 'degraded', reasons };
  }

  /** Prometheus text exposition (content type: `registry.contentType`). */
  async prometheusText(): Promise<string> {
    return this.registry.metrics();
  }

  // ------------------------------------------------------------------ internals

  /** The rate-ring slot of the current second (cached second when coarseClock). */
  private slot(): SecondSlot {
    const sec = this.coarseSec >= 0 ? this.coarseSec : Math.floor(this.now() / 1000);
    const last = this.lastSlot;
    if (last.sec === sec) return last;
    const s = this.ring[sec % RING_SECONDS]!;
    if (s.sec !== sec) {
      s.sec = sec;
      s.orders = 0;
      s.errors = 0;
      s.serverErrors = 0;
      s.trades = 0;
    }
    this.lastSlot = s;
    return s;
  }

  /** Re-read the clock for the coarse second (no-op unless coarseClock). */
  private syncClock(): void {
    if (this.coarseSec >= 0) this.coarseSec = Math.floor(this.now() / 1000);
  }

  /** Timer at each second boundary (unref'd); re-arms itself, also when it fires early. */
  private armClock(): void {
    this.coarseSec = Math.floor(this.now() / 1000);
    const wait = (this.coarseSec + 1) * 1000 - this.now();
    this.clockTimer = setTimeout(() => this.armClock(), Math.max(1, wait));
    this.clockTimer.unref();
  }

  private countOrder(symbol: string, side: string, type: string, result: string, n: number): void {
    if (!(n > 0)) return;
    const r = resultIndex(result);
    this.counters.addOrder(this.counters.of(symbol), orderCell(sideIndex(side), typeIndex(type), r), n);
    const s = this.slot();
    s.orders += n;
    if (r !== R_ACCEPTED) s.errors += n;
    if (r === R_ERROR) s.serverErrors += n;
  }

  private countTrades(symbol: string, n: number, qty: number, notional: number, price: number | null): void {
    if (!(n > 0)) return;
    const t = this.counters.totalsOf(this.counters.of(symbol));
    t.trades += n;
    t.volume += qty;
    t.notional += notional;
    if (price !== null) t.lastPrice = price;
    this.slot().trades += n;
  }

  private pushTrade(t: RecentTrade): void {
    this.counters.recentOf(this.counters.of(t.symbol)).push(num(t.price), num(t.qty), t.side, num(t.ts));
  }

  private checkSources(): void {
    if (this.tradeSources.hub && this.tradeSources.shard && !this.warnings.some((w) => w.startsWith('trades'))) {
      this.warnings.push('trades are counted both in shards and in the main thread (double counting)');
    }
    if (this.orderSources.hub && this.orderSources.shard && !this.warnings.some((w) => w.startsWith('orders'))) {
      this.warnings.push('orders are counted both in shards and in the main thread (double counting)');
    }
  }

  private shardState(id: number): ShardState {
    let s = this.shards.get(id);
    if (!s) {
      s = {
        id,
        lastSeq: 0,
        lastIngestMs: null,
        snapshots: 0,
        lost: 0,
        batches: 0,
        commands: 0,
        events: 0,
        lastIntervalMs: 1000,
        lastCommands: 0,
        lastBatches: 0,
        engineCommand: new CumulativeBuckets(ENGINE_BUCKETS_S),
        engineBatch: new CumulativeBuckets(ENGINE_BUCKETS_S),
        gauges: {},
      };
      this.shards.set(id, s);
    }
    return s;
  }

  private totals(): { orders: number; rejected: number; errors: number; trades: number; volume: number } {
    let orders = 0;
    let rejected = 0;
    let errors = 0;
    this.counters.forEachOrder((_c, cell, n) => {
      orders += n;
      const r = cellResult(cell);
      if (r === R_REJECTED) rejected += n;
      else if (r === R_ERROR) errors += n;
    });
    let trades = 0;
    let volume = 0;
    for (const t of this.counters.symbols.values()) {
      trades += t.trades;
      volume += t.volume;
    }
    return { orders, rejected, errors, trades, volume };
  }

  private symbolMetrics(): FeedPoint['symbols'] {
    const perSymbolOrders = new Map<string, number>();
    this.counters.forEachOrder((c: SymbolCells, _cell, n) => {
      perSymbolOrders.set(c.label, (perSymbolOrders.get(c.label) ?? 0) + n);
    });
    const out: FeedPoint['symbols'] = {};
    const names = new Set<string>([...this.symbols, ...this.counters.symbols.keys(), ...perSymbolOrders.keys()]);
    for (const s of names) {
      const t = this.counters.symbols.get(s);
      out[s] = {
        order_count: perSymbolOrders.get(s) ?? 0,
        trade_count: t?.trades ?? 0,
        volume: roundTo(t?.volume ?? 0, 8),
        avg_price: t && t.volume > 0 ? roundTo(t.notional / t.volume, 6) : null,
        last_price: t?.lastPrice ?? null,
      };
    }
    return out;
  }

  // ------------------------------------------------------------------ Prometheus

  private metric(name: string, help: string, type: 'counter' | 'gauge' | 'histogram', collect: () => PromValue[]): void {
    // prom-client formats any object with {name, help, type, get()}; values are computed at
    // scrape time from the hub's own state, so recording never touches prom-client.
    const m = {
      name,
      help,
      type,
      aggregator: 'sum',
      get: async () => ({ name, help, type, aggregator: 'sum', values: collect() }),
      reset: () => undefined,
    };
    this.registry.registerMetric(m as unknown as client.Metric);
  }

  private histogramValues(name: string, bounds: readonly number[], buckets: ArrayLike<number>, count: number, sumNs: number, labels: Record<string, string> = {}): PromValue[] {
    const out: PromValue[] = [];
    let cum = 0;
    for (let i = 0; i < bounds.length; i++) {
      cum += buckets[i]!;
      out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: formatLe(bounds[i]!) }, value: cum });
    }
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count });
    out.push({ metricName: `${name}_sum`, labels, value: sumNs / 1e9 });
    out.push({ metricName: `${name}_count`, labels, value: count });
    return out;
  }

  private registerPrometheus(): void {
    this.metric('simex_orders_total', 'NEW order requests answered, by outcome (result: accepted|rejected|error).', 'counter', () => {
      const out: PromValue[] = [];
      this.counters.forEachOrder((c, cell, value) => out.push({ labels: orderLabels(c.label, cell), value }));
      return out;
    });
    this.metric('simex_order_requests_total', 'Cancel, amend and mass-cancel requests answered, by outcome.', 'counter', () => {
      const out: PromValue[] = [];
      this.counters.forEachRequest((c, cell, value) => out.push({ labels: requestLabels(c.label, cell), value }));
      return out;
    });
    this.metric('simex_trades_total', 'Trades (matches) executed.', 'counter', () =>
      [...this.counters.symbols].map(([symbol, t]) => ({ labels: { symbol }, value: t.trades })),
    );
    this.metric('simex_traded_quantity_total', 'Traded quantity in units of the base asset (BTC, ETH, ADA).', 'counter', () =>
      [...this.counters.symbols].map(([symbol, t]) => ({ labels: { symbol }, value: t.volume })),
    );
    this.metric('simex_traded_notional_total', 'Traded notional (price x quantity) in units of the quote currency (USD).', 'counter', () =>
      [...this.counters.symbols].map(([symbol, t]) => ({ labels: { symbol }, value: t.notional })),
    );
    this.metric('simex_last_trade_price', 'Price of the last trade, quote currency.', 'gauge', () =>
      [...this.counters.symbols].filter(([, t]) => t.lastPrice !== null).map(([symbol, t]) => ({ labels: { symbol }, value: t.lastPrice! })),
    );
    this.metric(
      'simex_order_ack_duration_seconds',
      `Order received at the edge -> acknowledgement sent. SLO: ${SLO_TEXT.ack}.`,
      'histogram',
      () => {
        this.ack.flush(this.ackSecond);
        return this.histogramValues('simex_order_ack_duration_seconds', ACK_BUCKETS_S, this.ack.buckets, this.ack.count, this.ack.sumNs);
      },
    );
    this.metric(
      'simex_engine_command_duration_seconds',
      `Engine time per command inside a shard (batch time / commands). SLO: ${SLO_TEXT.engine}.`,
      'histogram',
      () => [...this.shards.values()].flatMap((s) => this.histogramValues('simex_engine_command_duration_seconds', ENGINE_BUCKETS_S, s.engineCommand.buckets, s.engineCommand.count, s.engineCommand.sumNs, { shard: String(s.id) })),
    );
    this.metric('simex_engine_batch_duration_seconds', 'Engine time per process() batch inside a shard.', 'histogram', () =>
      [...this.shards.values()].flatMap((s) => this.histogramValues('simex_engine_batch_duration_seconds', ENGINE_BUCKETS_S, s.engineBatch.buckets, s.engineBatch.count, s.engineBatch.sumNs, { shard: String(s.id) })),
    );
    this.metric('simex_engine_commands_total', 'Commands processed by the engine, per shard.', 'counter', () =>
      [...this.shards.values()].map((s) => ({ labels: { shard: String(s.id) }, value: s.commands })),
    );
    this.metric('simex_engine_batches_total', 'engine.process() calls, per shard.', 'counter', () =>
      [...this.shards.values()].map((s) => ({ labels: { shard: String(s.id) }, value: s.batches })),
    );
    this.metric('simex_engine_events_total', 'Events produced by the engine, per shard.', 'counter', () =>
      [...this.shards.values()].map((s) => ({ labels: { shard: String(s.id) }, value: s.events })),
    );
    this.metric('simex_shard_up', '1 if the shard reported metrics within the staleness limit (5 s).', 'gauge', () =>
      this.shardStatus().map((s) => ({ labels: { shard: String(s.id) }, value: s.up ? 1 : 0 })),
    );
    this.metric('simex_shard_metrics_age_seconds', 'Age of the last metrics snapshot received from the shard.', 'gauge', () =>
      [...this.shards.values()].filter((s) => s.lastIngestMs !== null).map((s) => ({ labels: { shard: String(s.id) }, value: (this.now() - s.lastIngestMs!) / 1000 })),
    );
    this.metric('simex_shard_metrics_snapshots_lost_total', 'Shard metrics snapshots that never arrived (sequence gaps).', 'counter', () =>
      [...this.shards.values()].map((s) => ({ labels: { shard: String(s.id) }, value: s.lost })),
    );
    this.metric('simex_shard_runtime', 'Shard runtime gauges reported by the worker (name: e.g. ring_depth).', 'gauge', () =>
      [...this.shards.values()].flatMap((s) => Object.entries(s.gauges).map(([name, value]) => ({ labels: { shard: String(s.id), name }, value }))),
    );
    this.metric('simex_book_depth', 'Resting quantity (base asset) in the top 10 price levels of a side.', 'gauge', () =>
      Object.values(this.bookViews()).flatMap((b) => [
        { labels: { symbol: b.symbol, side: 'bid' }, value: b.bid_depth },
        { labels: { symbol: b.symbol, side: 'ask' }, value: b.ask_depth },
      ]),
    );
    this.metric('simex_book_levels', 'Price levels on a side of the book.', 'gauge', () =>
      Object.values(this.bookViews()).flatMap((b) => [
        { labels: { symbol: b.symbol, side: 'bid' }, value: b.bid_levels },
        { labels: { symbol: b.symbol, side: 'ask' }, value: b.ask_levels },
      ]),
    );
    this.metric('simex_book_orders', 'Resting orders in the book.', 'gauge', () =>
      Object.values(this.bookViews()).map((b) => ({ labels: { symbol: b.symbol }, value: b.orders })),
    );
    this.metric('simex_book_spread', 'Best ask minus best bid, quote currency (absent when a side is empty).', 'gauge', () =>
      Object.values(this.bookViews()).filter((b) => b.spread !== null).map((b) => ({ labels: { symbol: b.symbol }, value: b.spread! })),
    );
    this.metric('simex_book_spread_ratio', 'Spread divided by mid price.', 'gauge', () =>
      Object.values(this.bookViews()).filter((b) => b.spread !== null && b.mid! > 0).map((b) => ({ labels: { symbol: b.symbol }, value: b.spread! / b.mid! })),
    );
    this.metric('simex_ws_connections', 'Open WebSocket connections (kind: trading = binary protocol, feed = JSON feed).', 'gauge', () =>
      [...this.connections].map(([kind, value]) => ({ labels: { kind }, value })),
    );
    this.metric('simex_backpressure_drops_total', 'Messages dropped or sockets closed because of backpressure.', 'counter', () =>
      [...this.drops].map(([kind, value]) => ({ labels: { kind }, value })),
    );
    this.metric('simex_event_loop_delay_p99_seconds', 'Main thread event-loop delay, p99 over the last second (perf_hooks).', 'gauge', () => [
      { value: this.eldLast.p99_ms / 1000 },
    ]);
    this.metric('simex_event_loop_delay_max_seconds', 'Main thread event-loop delay, max over the last second (perf_hooks).', 'gauge', () => [
      { value: this.eldLast.max_ms / 1000 },
    ]);
    this.metric('simex_metrics_snapshots_rejected_total', 'Malformed shard metrics snapshots ignored by the hub.', 'counter', () => [
      { value: this.rejectedSnapshots },
    ]);
  }
}

export const SLO_TEXT = {
  ack: '99% of order acks within 1 ms (bucket le="0.001")',
  engine: '99% of commands within 50 us (bucket le="0.00005")',
  availability: '99.9% of order requests without result="error"',
} as const;

function num(v: unknown): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

/** Label check results of the first 64 distinct inputs (recordDrop can run per message). */
const LABELS = new Map<unknown, string>();

function label(v: string): string {
  let l = LABELS.get(v);
  if (l === undefined) {
    l = /^[a-z_]{1,32}$/.test(v) ? v : 'other';
    if (LABELS.size < 64) LABELS.set(v, l);
  }
  return l;
}
