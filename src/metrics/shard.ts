/**
 * `ShardMetrics`: lives inside one shard worker thread; the only writer is that thread.
 *
 * The worker records engine time per batch, optionally trading counters (see the "count
 * once" rule in index.ts), samples its books, and every ~1 s posts `snapshot()` to the main
 * thread, which passes it to `MetricsHub.ingestShard(shardId, snapshot)`.
 *
 * A snapshot is a plain object (strings, numbers, arrays): safe for `postMessage`
 * structured clone, ~1-4 KB with three books of 10 levels. `snapshot()` resets interval
 * state (histograms, counter deltas, recent trades); book samples are gauges and persist.
 */
import type { DepthSnapshot, InstrumentSpec, BookStats } from '../engine/types.js';
import { ENGINE_BUCKETS_S, LatencyRecorder, type LatencySnapshot } from './latency.js';
import { TradingCounters, type CounterDelta, type RecentTrade, type SideLabel } from './counters.js';

/** 2: LatencySnapshot.hdr is HdrCounts (was compressed base64). */
export const SHARD_SNAPSHOT_VERSION = 2;
/** Levels per side kept in a book sample (the dashboard ladder shows up to 10). */
export const BOOK_SAMPLE_LEVELS = 10;
/** Recent trades carried per snapshot (newest last). */
export const SNAPSHOT_TRADES = 50;

/** [price, qty, orders] in decimal units (price: quote currency, qty: base asset). */
export type LevelTuple = [number, number, number];

export interface BookSample {
  symbol: string;
  /** Book sequence of the sampled view (0 if unknown). */
  seq: number;
  bids: LevelTuple[]; // best first
  asks: LevelTuple[]; // best first
  /** Total levels / resting orders in the whole book when known (else from the sample). */
  bidLevels: number;
  askLevels: number;
  orders: number;
  lastTradePrice: number | null;
  /** Date.now() when sampled. */
  ts: number;
}

export interface ShardSnapshot {
  version: typeof SHARD_SNAPSHOT_VERSION;
  shardId: number;
  /** 1, 2, 3 ... per ShardMetrics instance; a gap means a lost snapshot. */
  seq: number;
  /** Interval covered, Date.now() ms. */
  startMs: number;
  endMs: number;
  /** Engine time per command (batch time / commands, weighted by commands), ns. */
  engineCommand: LatencySnapshot;
  /** Engine time per `process()` call, ns. */
  engineBatch: LatencySnapshot;
  /** Interval deltas. */
  batches: number;
  commands: number;
  events: number;
  counters: CounterDelta;
  trades: RecentTrade[];
  /** Latest sample of each book of this shard (gauges). */
  books: BookSample[];
  /** Free-form numeric gauges of the shard runtime, e.g. {ring_depth: 3}. Names: [a-z_]+. */
  gauges: Record<string, number>;
}

export class ShardMetrics {
  private readonly engineCommand = new LatencyRecorder(ENGINE_BUCKETS_S);
  // Batch durations feed only Prometheus buckets in the hub: no HDR histogram to ship.
  private readonly engineBatch = new LatencyRecorder(ENGINE_BUCKETS_S, false);
  private readonly counters: TradingCounters;
  private readonly books = new Map<string, BookSample>();
  private trades: RecentTrade[] = [];
  private gauges: Record<string, number> = {};
  private batches = 0;
  private commands = 0;
  private events = 0;
  private seq = 0;
  private startMs = Date.now();

  /** `symbols`: the instruments this shard owns (others are labelled "other"). */
  constructor(
    readonly shardId: number,
    symbols: readonly string[],
  ) {
    this.counters = new TradingCounters(symbols);
  }

  /**
   * One `engine.process()` call took `ns` nanoseconds for `commands` commands and produced
   * `events` events. Measure with `process.hrtime.bigint()` (or performance.now() * 1e6)
   * around the call only. Per-command time is recorded as ns / commands, `commands` times.
   */
  recordBatch(ns: number, commands: number, events = 0): void {
    if (!(commands > 0)) return;
    this.engineBatch.record(ns);
    this.engineCommand.record(ns / commands, commands);
    this.batches++;
    this.commands += commands;
    this.events += events;
  }

  /** Count a NEW order outcome (only if the main thread does not count it; see index.ts). */
  recordOrder(symbol: string, side: string, type: string, result: string): void {
    this.counters.addOrder(symbol, side, type, result);
  }

  recordRequest(op: string, symbol: string, result: string): void {
    this.counters.addRequest(op, symbol, result);
  }

  /** One trade, decimal price/qty (only if the main thread does not count trades). */
  recordTrade(symbol: string, price: number, qty: number, side?: SideLabel, tsMs = Date.now()): void {
    if (!(qty > 0) || !(price > 0)) return;
    this.counters.addTrades(symbol, 1, qty, price * qty, price);
    this.trades.push({ symbol, price, qty, side, ts: tsMs });
    if (this.trades.length > SNAPSHOT_TRADES * 2) this.trades = this.trades.slice(-SNAPSHOT_TRADES);
  }

  /** Replace the sample of one book (decimal units). */
  sampleBook(sample: BookSample): void {
    this.books.set(sample.symbol, sample);
  }

  /**
   * Convenience: sample from the engine's integer view.
   * `shard.sampleEngineBook(spec, engine.depth(book, BOOK_SAMPLE_LEVELS), engine.stats(book))`
   * Cost: one depth() call (allocates 2 x levels objects) per book per snapshot.
   */
  sampleEngineBook(spec: InstrumentSpec, depth: DepthSnapshot, stats?: BookStats): void {
    const ps = 10 ** -spec.priceDecimals;
    const qs = 10 ** -spec.qtyDecimals;
    const conv = (l: { price: number; qty: number; orders: number }): LevelTuple => [
      round(l.price * ps, spec.priceDecimals),
      round(l.qty * qs, spec.qtyDecimals),
      l.orders,
    ];
    const bids = depth.bids.slice(0, BOOK_SAMPLE_LEVELS).map(conv);
    const asks = depth.asks.slice(0, BOOK_SAMPLE_LEVELS).map(conv);
    this.sampleBook({
      symbol: spec.symbol,
      seq: depth.seq,
      bids,
      asks,
      bidLevels: stats?.bidLevels ?? bids.length,
      askLevels: stats?.askLevels ?? asks.length,
      orders: stats?.orders ?? [...bids, ...asks].reduce((a, l) => a + l[2], 0),
      lastTradePrice: stats && stats.lastTradePrice > 0 ? round(stats.lastTradePrice * ps, spec.priceDecimals) : null,
      ts: Date.now(),
    });
  }

  /** Runtime gauges (ring depth, pending commands ...), kept until overwritten. */
  setGauge(name: string, value: number): void {
    if (/^[a-z_][a-z0-9_]*$/.test(name) && Number.isFinite(value)) this.gauges[name] = value;
  }

  /** Interval snapshot for the main thread; resets interval state. */
  snapshot(): ShardSnapshot {
    const endMs = Date.now();
    const snap: ShardSnapshot = {
      version: SHARD_SNAPSHOT_VERSION,
      shardId: this.shardId,
      seq: ++this.seq,
      startMs: this.startMs,
      endMs,
      engineCommand: this.engineCommand.snapshot(true),
      engineBatch: this.engineBatch.snapshot(true),
      batches: this.batches,
      commands: this.commands,
      events: this.events,
      counters: this.counters.toDelta(true),
      trades: this.trades.slice(-SNAPSHOT_TRADES),
      books: [...this.books.values()],
      gauges: { ...this.gauges },
    };
    this.trades = [];
    this.batches = 0;
    this.commands = 0;
    this.events = 0;
    this.startMs = endMs;
    return snap;
  }
}

function round(v: number, decimals: number): number {
  return Number(v.toFixed(decimals));
}
