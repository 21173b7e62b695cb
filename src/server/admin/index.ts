/**
 * Read-only admin endpoints of the operators' runbook (seed 004), every figure measured by
 * this process (the metrics hub, Node APIs, /proc):
 *
 *   GET /admin/metrics/current      rates (10 s window), ack latency p50/p95/p99 (ms, hub
 *                                   window 60-70 s), error rate (ratio), connections
 *   GET /admin/metrics/throughput   .last_minute / .last_10s: orders, trades, per-second rates
 *                                   and peaks from the hub's 1 s history (300 s kept)
 *   GET /admin/metrics/summary      the runbook's "24 h" fields over since-start capped at
 *                                   24 h (window_s, window_note say which)
 *   GET /admin/errors/summary       rejected / failed requests by op+result code and symbol
 *   GET /admin/alerts/active        alerts.ts rules that hold now, with since
 *   GET /admin/system/resources     CPU, memory, event loop, threads, host load and steal
 *   GET /admin/reports/daily        all of the above + per-symbol figures in one report
 *
 * Access: like GET /admin/trading/status and /metrics, open (read-only, no secrets); the
 * mutating /admin routes live in routes.ts behind loopback/ADMIN_TOKEN.
 *
 * Time: a 5 s unref'd timer samples the hub's cumulative counters (window.ts) and the
 * resource readings (resources.ts) and re-evaluates alerts; each hub feed point (1 s) adds
 * its per-second figures. Cost per sample < 1 ms on the main thread; memory < 2 MB at 24 h.
 * With metrics disabled (METRICS_ENABLED=false) the metrics endpoints answer 503
 * METRICS_DISABLED; /admin/system/resources still works.
 */
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { MetricsHub, FeedPoint } from '../../metrics/index.js';
import { HttpError, sendHttpError, sendJson, trackAbort, type ResponseState } from '../http.js';
import { AlertTracker, BURN_PAIRS, HEALTH_THRESHOLDS, UNEVALUATED_PAIRS, evaluateAlerts, type TrackedAlert } from './alerts.js';
import { readCounters, resultEntries, sumPrefix } from './counters.js';
import { ResourceSampler, round, type WorkerLike } from './resources.js';
import { CounterHistory, DAY_MS, secondAgg, type Counters, type WindowResult } from './window.js';

export interface AdminDeps {
  hub: MetricsHub | null;
  /** The shard pool's handles (ShardPool.shards) and mode. */
  pool: {
    shards: readonly (WorkerLike & {
      symbols: string[]; implementation: string; inflight: number; commandsSubmitted: number;
      /** Last migration rows the shard reported (pool.ts), for SimexMigrationMismatch. */
      migration?: { rows: readonly { pair: string; last_mismatch: { at: string; injected: boolean } | null }[] } | null;
    })[];
    mode: string;
  };
  /** Open WebSocket connections and sessions now. */
  connections: () => Record<string, number>;
  /** Edge error counters that the hub does not hold (binary decode errors, slow consumers...). */
  edgeErrors: () => Record<string, number>;
  /** Sample period, ms (tests may shorten it). Default 5000. */
  sampleMs?: number;
  logger?: { error(obj: object, msg?: string): void };
}

export const SUMMARY_WINDOW_NOTE =
  'since server start, capped at 24 h: the server keeps no longer history and nothing older than its start; ' +
  'the *_24h fields cover window_s seconds, not necessarily 24 h (24 h figures across restarts need Prometheus)';

const iso = (ms: number) => new Date(ms).toISOString();
const usToMs = (us: number | null): number | null => (us === null ? null : round(us / 1000, 3));

/** Window of the hub's 1 s feed history: cumulative order_count/trade_count/error_count
 *  differenced between the point at (or just after) now - spanS and the live point. */
function feedWindow(hub: MetricsHub, spanS: number): Record<string, unknown> {
  const now = Date.now();
  const live = hub.feedPoint(false);
  const points = hub.historyPoints();
  const from = now - spanS * 1000;
  let base: Pick<FeedPoint, 'ts' | 'order_count' | 'trade_count' | 'error_count'>;
  let sinceStart = false;
  if (hub.startedMs >= from) {
    base = { ts: hub.startedMs, order_count: 0, trade_count: 0, error_count: 0 };
    sinceStart = true;
  } else base = points.find((p) => p.ts >= from) ?? points[points.length - 1] ?? { ts: hub.startedMs, order_count: 0, trade_count: 0, error_count: 0 };
  const secs = points.filter((p) => p.ts > base.ts);
  const span = Math.max(0, (now - base.ts) / 1000);
  const orders = live.order_count - base.order_count;
  const trades = live.trade_count - base.trade_count;
  const errors = live.error_count - base.error_count;
  return {
    window_s: round(span, 3),
    since_start: sinceStart,
    orders,
    trades,
    errors,
    orders_per_sec: span > 0 ? round(orders / span, 2) : 0,
    trades_per_sec: span > 0 ? round(trades / span, 2) : 0,
    error_rate: orders > 0 ? round(errors / orders, 5) : 0,
    peak_orders_1s: secs.reduce((m, p) => Math.max(m, p.orders_1s), 0),
    peak_trades_1s: secs.reduce((m, p) => Math.max(m, p.trades_1s), 0),
    complete_seconds: secs.length,
  };
}

export class AdminMetrics {
  readonly history: CounterHistory | null;
  readonly resources: ResourceSampler;
  private readonly tracker = new AlertTracker();
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: (() => void) | null = null;

  constructor(private readonly deps: AdminDeps) {
    const hub = deps.hub;
    this.resources = new ResourceSampler(() => deps.pool.shards);
    if (hub) {
      this.history = new CounterHistory({ startMs: hub.startedMs, fineMs: deps.sampleMs ?? 5000 });
      // Seconds the hub closed before we subscribed (it starts earlier than the routes).
      for (const p of hub.historyPoints()) this.history.addSecond(secondAgg(p.orders_1s, p.trades_1s, p.ack.p95_us, p.ack.p99_us));
      this.unsubscribe = hub.onFeed((p) => this.history!.addSecond(secondAgg(p.orders_1s, p.trades_1s, p.ack.p95_us, p.ack.p99_us)));
    } else this.history = null;
    this.timer = setInterval(() => void this.sample().catch(() => undefined), deps.sampleMs ?? 5000);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }

  private async sample(): Promise<void> {
    this.resources.sample();
    if (!this.deps.hub || !this.history) return;
    const c = await readCounters(this.deps.hub);
    this.history.push(Date.now(), c);
    await this.alerts(c);
  }

  private hubOr503(): MetricsHub {
    if (!this.deps.hub) throw new HttpError(503, 'METRICS_DISABLED', 'metrics are disabled (METRICS_ENABLED=false)');
    return this.deps.hub;
  }

  private window(spanMs: number, c: Counters): WindowResult {
    return this.history!.window(spanMs, Date.now(), c);
  }

  current(): Record<string, unknown> {
    const hub = this.hubOr503();
    const m = hub.apiMetrics() as Record<string, number | null>;
    return {
      timestamp: m.timestamp,
      uptime_s: m.uptime_s,
      orders_per_sec: m.orders_per_sec,
      trades_per_sec: m.trades_per_sec,
      rate_window_s: m.rate_window_s,
      latency_p50_ms: usToMs(m.p50_latency_us ?? null),
      latency_p95_ms: usToMs(m.p95_latency_us ?? null),
      latency_p99_ms: usToMs(m.p99_latency_us ?? null),
      latency_max_ms: usToMs(m.max_latency_us ?? null),
      latency_samples: m.latency_samples,
      latency_window_s: m.latency_window_s,
      latency_measure: 'order received at the edge -> acknowledgement sent; null when no order was acked in the window',
      error_rate: round((m.error_rate ?? 0) / 100, 5),
      error_rate_unit: 'ratio 0..1 of NEW order requests in the rate window rejected or failed (0.01 = 1%)',
      server_error_rate: round((m.server_error_rate ?? 0) / 100, 5),
      order_count: m.order_count,
      trade_count: m.trade_count,
      connections: this.deps.connections(),
      event_loop_delay_ms: hub.livePoint().event_loop,
    };
  }

  throughput(): Record<string, unknown> {
    const hub = this.hubOr503();
    return {
      timestamp: iso(Date.now()),
      last_minute: feedWindow(hub, 60),
      last_10s: feedWindow(hub, 10),
      last_5m: feedWindow(hub, 300),
      source: "the hub's 1 s history: cumulative counts differenced over window_s; peaks over the complete seconds in it",
      per_second_last_minute: hub.historyPoints().filter((p) => p.ts > Date.now() - 60_000).map((p) => ({ ts: iso(p.ts), orders: p.orders_1s, trades: p.trades_1s, errors: p.errors_1s })),
    };
  }

  async summary(): Promise<Record<string, unknown>> {
    const hub = this.hubOr503();
    const c = await readCounters(hub);
    const w = this.window(DAY_MS, c);
    const d = w.deltas;
    const orders = d.orders ?? 0;
    const errors = (d.orders_rejected ?? 0) + (d.orders_error ?? 0);
    const avgP95 = w.agg.p95N > 0 ? round(w.agg.p95SumUs / w.agg.p95N / 1000, 3) : null;
    const last24h = {
      orders,
      trades: d.trades ?? 0,
      orders_rejected: d.orders_rejected ?? 0,
      orders_failed: d.orders_error ?? 0,
      error_rate: orders > 0 ? round(errors / orders, 5) : 0,
      server_error_rate: orders > 0 ? round((d.orders_error ?? 0) / orders, 5) : 0,
      avg_orders_per_sec: w.spanS > 0 ? round(orders / w.spanS, 2) : 0,
      avg_latency_p95_ms: avgP95,
      max_latency_p95_ms: usToMs(w.agg.maxP95Us),
      max_latency_p99_ms: usToMs(w.agg.maxP99Us),
      ack_within_slo_ratio: (d.ack_count ?? 0) > 0 ? round((d.ack_within_slo ?? 0) / d.ack_count!, 5) : null,
      peak_orders_1s: w.agg.peakOrders1s,
      peak_trades_1s: w.agg.peakTrades1s,
      seconds_observed: w.agg.seconds,
      seconds_with_acks: w.agg.p95N,
    };
    return {
      timestamp: iso(w.endMs),
      window_start: iso(w.startMs),
      window_s: round(w.spanS, 1),
      window_note: SUMMARY_WINDOW_NOTE,
      since_start: w.sinceStart,
      last_24h: last24h,
      avg_latency_p95: avgP95,
      avg_latency_p95_unit: 'ms; mean of the per-second order-ack p95 over the seconds in the window that had acks',
      total_orders_24h: last24h.orders,
      total_trades_24h: last24h.trades,
      error_rate_24h: last24h.error_rate,
      error_rate_unit: 'ratio 0..1 of NEW order requests rejected or failed',
      peak_throughput_24h: last24h.peak_orders_1s,
      peak_throughput_unit: 'NEW orders answered in the busiest complete second',
    };
  }

  async errors(): Promise<Record<string, unknown>> {
    const hub = this.hubOr503();
    const c = await readCounters(hub);
    const shape = (w: WindowResult) => {
      const byCode: Record<string, number> = {};
      const bySymbol: Record<string, Record<string, number>> = {};
      let requests = 0;
      let rejected = 0;
      let failed = 0;
      for (const [op, symbol, result, n] of resultEntries(w.deltas)) {
        requests += n;
        if (result === 'accepted' || n === 0) continue;
        if (result === 'rejected') rejected += n;
        else failed += n;
        const code = `${op}.${result}`;
        byCode[code] = (byCode[code] ?? 0) + n;
        const s = (bySymbol[symbol] ??= {});
        s[code] = (s[code] ?? 0) + n;
      }
      return {
        window_s: round(w.spanS, 1),
        window_start: iso(w.startMs),
        since_start: w.sinceStart,
        requests,
        rejected,
        failed,
        total_errors: rejected + failed,
        error_rate: requests > 0 ? round((rejected + failed) / requests, 5) : 0,
        by_code: byCode,
        by_symbol: bySymbol,
        backpressure_drops: Object.fromEntries(Object.entries(w.deltas).filter(([k]) => k.startsWith('drops|')).map(([k, n]) => [k.slice(6), n])),
      };
    };
    const day = shape(this.window(DAY_MS, c));
    return {
      timestamp: iso(Date.now()),
      ...day,
      window_note: SUMMARY_WINDOW_NOTE,
      last_5m: shape(this.window(300_000, c)),
      codes: {
        rejected: 'answered with a reject by the matching engine or the edge (business reject, e.g. post-only would cross, unknown order)',
        error: 'failed server-side (shard unavailable, overloaded): counts against the availability SLO',
        ops: 'new = NEW order, cancel, amend, mass_cancel',
      },
      edge: this.deps.edgeErrors(),
      shards: hub.shardStatus().map((s) => ({ id: s.id, up: s.up, lost_metrics_snapshots: s.lost_snapshots })),
      not_counted: 'engine reject reasons per code (e.g. PRICE_OUT_OF_BAND) and HTTP 400 validation errors are not counted by the server; see the binary REJECTED reason or the REST body code',
    };
  }

  private async alerts(c?: Counters): Promise<{ firing: TrackedAlert[]; pending: TrackedAlert[] }> {
    const hub = this.hubOr503();
    const counters = c ?? (await readCounters(hub));
    const m = hub.apiMetrics() as Record<string, number | null>;
    const r = hub.rates();
    const now = Date.now();
    const ordersInWindow = r.orders_per_sec * r.window_s;
    const active = evaluateAlerts({
      nowMs: now,
      uptimeS: (now - hub.startedMs) / 1000,
      window: (ms) => this.history!.window(ms, now, counters),
      ackP95Ms: usToMs(m.p95_latency_us ?? null),
      ackP99Ms: usToMs(m.p99_latency_us ?? null),
      latencyWindowS: m.latency_window_s ?? 0,
      errorRatio: r.error_rate / 100,
      ordersInRateWindow: ordersInWindow,
      rateWindowS: r.window_s,
      shards: this.deps.pool.shards.map((s) => ({ id: s.id, state: s.state, symbols: s.symbols })),
      shardMetrics: hub.shardStatus(),
      migrations: this.deps.pool.shards.flatMap((s) => (s.migration?.rows ?? []).map((r) => ({
        pair: r.pair, lastMismatchMs: r.last_mismatch ? Date.parse(r.last_mismatch.at) : null, injected: r.last_mismatch?.injected ?? false,
      }))),
      steal: this.resources.steal(),
    });
    return this.tracker.update(active, now);
  }

  async activeAlerts(): Promise<Record<string, unknown>> {
    const { firing, pending } = await this.alerts();
    return {
      timestamp: iso(Date.now()),
      count: firing.length,
      alerts: firing,
      pending,
      evaluation: {
        interval_s: (this.deps.sampleMs ?? 5000) / 1000,
        note: 'evaluated in-process from measured values every interval_s and on each request; an alert is pending until its condition has held for_s (the Prometheus rule\'s `for:`), then firing; since = first evaluation that held; windows longer than the uptime are since start (window_s)',
        burn_rate_pairs: BURN_PAIRS,
        health_thresholds: HEALTH_THRESHOLDS,
        not_evaluated: UNEVALUATED_PAIRS,
      },
    };
  }

  systemResources(): Record<string, unknown> {
    const hub = this.deps.hub;
    const m = this.resources.measure();
    const shardMetrics = new Map((hub?.shardStatus() ?? []).map((s) => [s.id, s]));
    const workers = (m.workers as Record<string, unknown>[]).map((w, i) => {
      const h = this.deps.pool.shards[i]!;
      const sm = shardMetrics.get(h.id);
      return {
        ...w, runs_on: this.deps.pool.mode === 'inline' ? 'main' : 'worker', symbols: h.symbols, engine: h.implementation, inflight: h.inflight, commands_submitted: h.commandsSubmitted,
        metrics_up: sm?.up ?? null, metrics_age_s: sm?.age_s ?? null, commands_per_sec: sm?.commands_per_sec ?? null,
        runtime: sm?.gauges ?? null,
      };
    });
    const el = m.event_loop as Record<string, unknown>;
    return {
      timestamp: iso(Date.now()),
      pid: process.pid,
      node_version: process.version,
      uptime_s: round(process.uptime(), 1),
      cpu: m.cpu,
      memory: m.memory,
      event_loop: { ...el, delay_last_second_ms: hub ? hub.livePoint().event_loop : null },
      threads: {
        shard_mode: this.deps.pool.mode,
        main: { name: 'main', role: 'uWS I/O, REST, metrics hub', event_loop_utilization: el.utilization },
        shards: workers,
        inline_note: this.deps.pool.mode === 'inline' ? 'SHARD_MODE=inline: the shards run on the main thread (no worker, no thread id or utilisation of their own)' : undefined,
      },
      os_threads: m.os_threads,
      load_average: (m.host as { load_average: number[] }).load_average,
      host: m.host,
      active_resources: m.active_resources,
    };
  }

  async daily(): Promise<Record<string, unknown>> {
    const hub = this.hubOr503();
    const summary = await this.summary();
    const errors = await this.errors();
    const alerts = await this.activeAlerts();
    const c = await readCounters(hub);
    const w = this.window(DAY_MS, c);
    const api = hub.apiMetrics() as { symbol_metrics: FeedPoint['symbols'] };
    const books = hub.bookViews();
    const symbols: Record<string, unknown> = {};
    for (const [sym, s] of Object.entries(api.symbol_metrics)) {
      const b = books[sym];
      symbols[sym] = {
        orders: sumPrefix(w.deltas, `res|new|${sym}|`),
        trades: w.deltas[`trades|${sym}`] ?? 0,
        rejected: sumPrefix(w.deltas, `res|new|${sym}|rejected`),
        failed: sumPrefix(w.deltas, `res|new|${sym}|error`),
        volume_since_start: s.volume,
        avg_price_since_start: s.avg_price,
        last_price: s.last_price,
        best_bid: b?.best_bid ?? null,
        best_ask: b?.best_ask ?? null,
        resting_orders: b?.orders ?? null,
      };
    }
    return {
      generated_at: iso(Date.now()),
      window: { start: summary.window_start, end: summary.timestamp, window_s: summary.window_s, since_start: summary.since_start, note: SUMMARY_WINDOW_NOTE },
      summary,
      errors,
      alerts,
      resources: this.systemResources(),
      symbols,
    };
  }
}

/** Registers the GET routes above; returns the collector (call close() on shutdown). */
export function registerAdminRoutes(app: TemplatedApp, deps: AdminDeps): AdminMetrics {
  const admin = new AdminMetrics(deps);
  const route = (path: string, fn: () => unknown) => {
    app.get(path, (res: HttpResponse) => {
      const st: ResponseState = trackAbort(res);
      Promise.resolve()
        .then(fn)
        .then((body) => sendJson(res, st, 200, body), (err: unknown) => {
          if (!(err instanceof HttpError)) deps.logger?.error({ err: String((err as Error)?.stack ?? err), path }, 'admin request failed');
          sendHttpError(res, st, err);
        });
    });
  };
  route('/admin/metrics/current', () => admin.current());
  route('/admin/metrics/throughput', () => admin.throughput());
  route('/admin/metrics/summary', () => admin.summary());
  route('/admin/errors/summary', () => admin.errors());
  route('/admin/alerts/active', () => admin.activeAlerts());
  route('/admin/system/resources', () => admin.systemResources());
  route('/admin/reports/daily', () => admin.daily());
  return admin;
}

/** For GET / (the server's endpoint list) and README. */
export const ADMIN_ENDPOINTS = [
  '/admin/metrics/current', '/admin/metrics/throughput', '/admin/metrics/summary', '/admin/errors/summary',
  '/admin/alerts/active', '/admin/system/resources', '/admin/reports/daily',
] as const;
