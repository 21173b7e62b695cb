/**
 * simex metrics: the contract between shard workers, the server's main thread and the
 * HTTP routes (/api/metrics, /metrics, /dashboard, /api/simulation). Cross-team contract 4.
 *
 * Threads and ownership
 * - `ShardMetrics` (src/metrics/shard.ts): one per shard worker, written only by it.
 *   The worker calls `recordBatch(ns, commands, events)` around every `engine.process()`,
 *   `sampleEngineBook(spec, engine.depth(book, BOOK_SAMPLE_LEVELS), engine.stats(book))` for
 *   each of its books right before `snapshot()`, and posts `snapshot()` (a plain,
 *   structured-clone-able `ShardSnapshot`, ~1-4 KB) to the main thread every ~1 s on its
 *   control channel.
 * - `MetricsHub` (src/metrics/hub.ts): one per process, main thread only. The server calls
 *   `hub.ingestShard(shardId, snapshot)` for each snapshot, and from its handlers:
 *     recordOrder(symbol, side, type, result)   NEW order answered ('buy'|'sell',
 *                                               'limit'|'market', 'accepted'|'rejected'|'error')
 *     recordRequest(op, symbol, result)         cancel | amend | mass_cancel answered
 *     recordTrade(symbol, price, qty, side?, tsMs?)   decimal price/qty, aggressor side
 *     recordE2E(ns)                             order received -> ack sent
 *     recordOrderCode(symbolId(symbol), side, type, result) / recordRequestCode(op, id, result)
 *                                               same counting, numeric labels (METRIC_CODES),
 *                                               for the per-order path (no string compares)
 *     setConnections(kind, n)                   kind 'trading' | 'feed'
 *     recordDrop(kind)                          backpressure drop, kind 'trading' | 'feed'
 *   and `hub.onFeed(point => publish('metrics', point))` for the dashboard feed.
 *
 * Count once: orders and trades may be counted in the worker (ShardMetrics.recordOrder /
 * recordTrade) or in the main thread (MetricsHub.recordOrder / recordTrade) — pick ONE place
 * per kind. The hub flags both sources in `health().reasons` (double counting).
 *
 * Units: latency recorded in ns, exported in seconds (Prometheus) or µs / "x.xxxms"
 * (/api/metrics); prices in quote currency, quantities in base asset, both decimal.
 */
export { MetricsHub, METRIC_CODES, formatMs, formatLe, SLO_TEXT } from './hub.js';
export type { MetricsHubOptions, FeedPoint, ShardStatus, BookView, LatencySummaryUs } from './hub.js';
export { ShardMetrics, SHARD_SNAPSHOT_VERSION, BOOK_SAMPLE_LEVELS, SNAPSHOT_TRADES } from './shard.js';
export type { ShardSnapshot, BookSample, LevelTuple } from './shard.js';
export { SLO, ACK_BUCKETS_S, ENGINE_BUCKETS_S, LatencyRecorder } from './latency.js';
export type { LatencySnapshot } from './latency.js';
export type { SideLabel, OrderTypeLabel, OrderResultLabel, RequestOpLabel, RecentTrade, CounterDelta } from './counters.js';
