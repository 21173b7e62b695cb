/**
 * In-process alerts for GET /admin/alerts/active: the server's own measurements against
 * thresholds that already exist elsewhere, never new ones:
 *   - SLO targets: src/metrics/latency.ts `SLO` (ack 99% <= 1 ms, engine 99% <= 50 µs,
 *     availability 99.9%), as the Prometheus rules in ops/prometheus/simex-rules.yml use them;
 *   - the rules file's burn-rate pairs and health rules (names kept identical, so an alert
 *     here and in Prometheus are the same alert): BURN_PAIRS / HEALTH_THRESHOLDS below mirror
 *     the file, and test/server/admin-alerts-rules.test.ts fails when they drift apart;
 *   - the seeds' latency/error SLOs: src/server/demo/scenarios.ts `SLO` (p95 < 20 ms, SLA
 *     p99 < 100 ms, success >= 99%);
 *   - host steal: src/loadgen/bottleneck.ts `STEAL_WARN`.
 *
 * Differences from Prometheus, stated in each response: windows longer than what the server
 * has observed are "since start" (window_s says the real span); the 3 d burn pair cannot be
 * evaluated (nothing older than 24 h is kept); `for:` durations are applied between
 * evaluations, so `since` has the evaluation interval's resolution (evaluated every collector sample, 5 s, and on each
 * request); an alert whose rule has a `for:` is `pending` until it has held that long. A ratio with no traffic in its window is NaN and never fires (as in Prometheus).
 */
import { SLO as METRIC_SLO } from '../../metrics/index.js';
import { SLO as DEMO_SLO } from '../demo/scenarios.js';
import { STEAL_WARN } from '../../loadgen/bottleneck.js';
import { sumPrefix } from './counters.js';
import type { WindowResult } from './window.js';

const M = 60_000;
const H = 60 * M;

/** ops/prometheus/simex-rules.yml, group simex-slo-alerts: (long AND short) > factor x budget. */
export const BURN_PAIRS = {
  Fast: { severity: 'page', forMs: 2 * M, pairs: [{ longMs: H, shortMs: 5 * M, factor: 14.4 }, { longMs: 6 * H, shortMs: 30 * M, factor: 6 }] },
  Slow: { severity: 'ticket', forMs: 15 * M, pairs: [{ longMs: 24 * H, shortMs: 2 * H, factor: 3 }] },
} as const;
/** The Slow rules' second pair (3 d AND 6 h > 1x): needs 3 days of history, not kept here. */
export const UNEVALUATED_PAIRS = ['Slow: 3d AND 6h > 1x budget (the server keeps <= 24 h)'];

/** ops/prometheus/simex-rules.yml, group simex-health. */
export const HEALTH_THRESHOLDS = {
  /** SimexBackpressureDrops: sum by (kind) (rate(simex_backpressure_drops_total[5m])) > 1 */
  dropsPerSec: 1,
  dropsWindowMs: 5 * M,
  /** SimexNoOrderFlow: orders rate == 0 for 5m */
  noFlowMs: 5 * M,
  /** `for:` of SimexShardNotReporting, SimexNoOrderFlow, SimexBackpressureDrops. */
  shardNotReportingForMs: 1 * M,
  noFlowForMs: 5 * M,
  dropsForMs: 10 * M,
  /** SimexMigrationMismatch: delta(simex_migration_mismatches[15m]) > 0 (no `for:`). */
  migrationMismatchWindowMs: 15 * M,
} as const;

interface Slo {
  name: 'AckLatency' | 'EngineLatency' | 'Availability';
  objective: string;
  budget: number;
  /** Keys of the bad and total counters (counters.ts). */
  bad: (d: Record<string, number>) => number;
  total: (d: Record<string, number>) => number;
}

const SLOS: Slo[] = [
  {
    name: 'AckLatency', objective: `${METRIC_SLO.ackLatencyTarget * 100}% of order acks within ${METRIC_SLO.ackLatencySeconds * 1000} ms`,
    budget: 1 - METRIC_SLO.ackLatencyTarget,
    bad: (d) => (d.ack_count ?? 0) - (d.ack_within_slo ?? 0), total: (d) => d.ack_count ?? 0,
  },
  {
    name: 'EngineLatency', objective: `${METRIC_SLO.engineLatencyTarget * 100}% of engine commands within ${METRIC_SLO.engineLatencySeconds * 1e6} µs`,
    budget: 1 - METRIC_SLO.engineLatencyTarget,
    bad: (d) => (d.engine_count ?? 0) - (d.engine_within_slo ?? 0), total: (d) => d.engine_count ?? 0,
  },
  {
    name: 'Availability', objective: `${METRIC_SLO.availabilityTarget * 100}% of NEW order requests without result="error"`,
    budget: 1 - METRIC_SLO.availabilityTarget,
    bad: (d) => d.orders_error ?? 0, total: (d) => d.orders ?? 0,
  },
];

export interface AlertInputs {
  nowMs: number;
  uptimeS: number;
  /** Counter deltas over the last spanMs (window.ts contract). */
  window(spanMs: number): WindowResult;
  /** Hub ack latency percentiles over its 60-70 s window, ms (null: no acks). */
  ackP95Ms: number | null;
  ackP99Ms: number | null;
  latencyWindowS: number;
  /** Rejected-or-failed share of NEW orders over the hub's rate window, 0..1. */
  errorRatio: number;
  ordersInRateWindow: number;
  rateWindowS: number;
  /** Pool shard states and the hub's per-shard metrics freshness. */
  shards: { id: number; state: string; symbols: string[] }[];
  shardMetrics: { id: number; up: boolean; age_s: number | null }[];
  steal: { share: number | null; windowS: number };
  /** Live engine migration per pair: when its last mismatch was recorded (epoch ms, null:
   *  never), from the shards' last reported rows (pool.ts `migration`; ~1 s old at most). */
  migrations?: { pair: string; lastMismatchMs: number | null; injected: boolean }[];
}

export interface Alert {
  name: string;
  severity: 'page' | 'ticket' | 'warning';
  summary: string;
  value: number;
  threshold: number;
  unit: string;
  window_s: number | null;
  source: string;
  /** The condition must hold this long before the alert fires (Prometheus `for:`); 0 = at once. */
  for_s: number;
  labels?: Record<string, string>;
  details?: Record<string, unknown>;
}

const r4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** Every alert whose condition holds now (without `since`: AlertTracker adds it). */
export function evaluateAlerts(i: AlertInputs): Alert[] {
  const out: Alert[] = [];
  const windows = new Map<number, WindowResult>();
  const win = (ms: number) => {
    let w = windows.get(ms);
    if (!w) windows.set(ms, (w = i.window(ms)));
    return w;
  };

  for (const slo of SLOS) {
    for (const [speed, rule] of Object.entries(BURN_PAIRS)) {
      for (const p of rule.pairs) {
        const burn = (ms: number) => {
          const w = win(ms);
          const total = slo.total(w.deltas);
          return { burn: total > 0 ? slo.bad(w.deltas) / total / slo.budget : NaN, total, window_s: r4(w.spanS) };
        };
        const long = burn(p.longMs);
        const short = burn(p.shortMs);
        if (long.burn > p.factor && short.burn > p.factor) {
          out.push({
            name: `Simex${slo.name}BudgetBurn${speed}`, severity: rule.severity,
            summary: `${slo.objective}: error budget burning at ${r4(long.burn)}x over ${long.window_s} s and ${r4(short.burn)}x over ${short.window_s} s`,
            value: r4(long.burn), threshold: p.factor, for_s: rule.forMs / 1000, unit: 'x error budget', window_s: long.window_s,
            source: 'ops/prometheus/simex-rules.yml (simex-slo-alerts), SLO targets from src/metrics/latency.ts',
            details: { long_window_s: long.window_s, short_window_s: short.window_s, short_burn: r4(short.burn), budget: r4(slo.budget), asked_windows_s: [p.longMs / 1000, p.shortMs / 1000] },
          });
          break; // one alert per rule (the first pair that fires), as the rule's `or`
        }
      }
    }
  }

  for (const s of i.shards) {
    if (s.state !== 'up' && s.state !== 'starting') {
      out.push({
        name: 'SimexShardDown', severity: 'page', summary: `shard ${s.id} is ${s.state}: orders for ${s.symbols.join(', ')} are rejected (SHARD_UNAVAILABLE)`,
        value: 0, threshold: 1, for_s: 0, unit: 'up (1) / not up (0)', window_s: null, source: 'shard pool state (src/shard/pool.ts)', labels: { shard: String(s.id) },
      });
    }
  }
  for (const s of i.shardMetrics) {
    if (!s.up) {
      out.push({
        name: 'SimexShardNotReporting', severity: 'page', summary: `shard ${s.id} has not reported metrics for ${s.age_s ?? 'ever'} s`,
        value: s.age_s ?? -1, threshold: 5, for_s: HEALTH_THRESHOLDS.shardNotReportingForMs / 1000, unit: 's since the last metrics snapshot (-1: never)', window_s: null,
        source: 'ops/prometheus/simex-rules.yml (simex_shard_up == 0)', labels: { shard: String(s.id) },
      });
    }
  }

  const drops = win(HEALTH_THRESHOLDS.dropsWindowMs);
  const kinds = new Set(Object.keys(drops.deltas).filter((k) => k.startsWith('drops|')));
  for (const k of kinds) {
    const rate = drops.spanS > 0 ? sumPrefix(drops.deltas, k) / drops.spanS : 0;
    if (rate > HEALTH_THRESHOLDS.dropsPerSec) {
      out.push({
        name: 'SimexBackpressureDrops', severity: 'ticket', summary: `slow consumers are losing ${k.slice(6)} messages`,
        value: r4(rate), threshold: HEALTH_THRESHOLDS.dropsPerSec, for_s: HEALTH_THRESHOLDS.dropsForMs / 1000, unit: 'drops/s', window_s: r4(drops.spanS),
        source: 'ops/prometheus/simex-rules.yml (simex-health)', labels: { kind: k.slice(6) },
      });
    }
  }

  if (i.uptimeS * 1000 >= HEALTH_THRESHOLDS.noFlowMs) {
    const w = win(HEALTH_THRESHOLDS.noFlowMs);
    if ((w.deltas.orders ?? 0) === 0) {
      out.push({
        name: 'SimexNoOrderFlow', severity: 'ticket', summary: 'no orders answered in the window (is the simulator running? GET /api/simulation)',
        value: 0, threshold: 0, for_s: HEALTH_THRESHOLDS.noFlowForMs / 1000, unit: 'orders', window_s: r4(w.spanS), source: 'ops/prometheus/simex-rules.yml (simex-health)',
      });
    }
  }

  if (i.ackP95Ms !== null && i.ackP95Ms > DEMO_SLO.p95Ms) {
    out.push({
      name: 'SimexAckLatencyP95AboveTarget', severity: 'warning', summary: `order ack p95 ${i.ackP95Ms} ms > ${DEMO_SLO.p95Ms} ms`,
      value: i.ackP95Ms, threshold: DEMO_SLO.p95Ms, for_s: 0, unit: 'ms', window_s: i.latencyWindowS, source: 'src/server/demo/scenarios.ts SLO.p95Ms',
    });
  }
  if (i.ackP99Ms !== null && i.ackP99Ms > DEMO_SLO.slaP99Ms) {
    out.push({
      name: 'SimexAckLatencyP99AboveSla', severity: 'page', summary: `order ack p99 ${i.ackP99Ms} ms > the ${DEMO_SLO.slaP99Ms} ms SLA`,
      value: i.ackP99Ms, threshold: DEMO_SLO.slaP99Ms, for_s: 0, unit: 'ms', window_s: i.latencyWindowS, source: 'src/server/demo/scenarios.ts SLO.slaP99Ms',
    });
  }
  const maxErr = 1 - DEMO_SLO.successRatePercent / 100;
  if (i.ordersInRateWindow > 0 && i.errorRatio > maxErr) {
    out.push({
      name: 'SimexOrderErrorRateHigh', severity: 'warning',
      summary: `${r4(i.errorRatio * 100)}% of NEW orders rejected or failed (success SLO ${DEMO_SLO.successRatePercent}%)`,
      value: r4(i.errorRatio), threshold: r4(maxErr), for_s: 0, unit: 'ratio of NEW orders rejected or failed', window_s: i.rateWindowS,
      source: 'src/server/demo/scenarios.ts SLO.successRatePercent',
    });
  }
  for (const m of i.migrations ?? []) {
    const age = m.lastMismatchMs === null ? Infinity : i.nowMs - m.lastMismatchMs;
    if (age >= 0 && age <= HEALTH_THRESHOLDS.migrationMismatchWindowMs) {
      out.push({
        name: 'SimexMigrationMismatch', severity: 'ticket',
        summary: `engine migration of ${m.pair} diverged${m.injected ? ' (injected by the test route)' : ''}; its circuit breaker rolled it back to 0% (GET /admin/migration/status: last_mismatch)`,
        value: r4(age / 1000), threshold: HEALTH_THRESHOLDS.migrationMismatchWindowMs / 1000, for_s: 0,
        unit: 's since the last mismatch', window_s: HEALTH_THRESHOLDS.migrationMismatchWindowMs / 1000,
        source: 'ops/prometheus/simex-rules.yml (simex-migration)', labels: { pair: m.pair },
      });
    }
  }
  if (i.steal.share !== null && i.steal.share >= STEAL_WARN) {
    out.push({
      name: 'SimexHostCpuSteal', severity: 'warning', summary: `hypervisor steal ${r4(i.steal.share * 100)}% of the machine's CPU time: latency tails measure the host too`,
      value: r4(i.steal.share), threshold: STEAL_WARN, for_s: 0, unit: 'share of all CPU time', window_s: r4(i.steal.windowS),
      source: 'src/loadgen/bottleneck.ts STEAL_WARN',
    });
  }
  return out;
}

export type TrackedAlert = Alert & { state: 'firing' | 'pending'; since: string; active_for_s: number };

/**
 * Remembers since when each alert (name + labels) has held without interruption, and
 * splits them as Prometheus does: `pending` until it has held for `for_s`, then `firing`.
 */
export class AlertTracker {
  private readonly since = new Map<string, number>();

  update(alerts: Alert[], nowMs: number): { firing: TrackedAlert[]; pending: TrackedAlert[] } {
    const seen = new Set<string>();
    const firing: TrackedAlert[] = [];
    const pending: TrackedAlert[] = [];
    for (const a of alerts) {
      const key = `${a.name}${JSON.stringify(a.labels ?? {})}`;
      seen.add(key);
      let t = this.since.get(key);
      if (t === undefined) this.since.set(key, (t = nowMs));
      const heldMs = nowMs - t;
      const ok = heldMs >= a.for_s * 1000;
      (ok ? firing : pending).push({ ...a, state: ok ? 'firing' : 'pending', since: new Date(t).toISOString(), active_for_s: Math.round(heldMs / 100) / 10 });
    }
    for (const k of [...this.since.keys()]) if (!seen.has(k)) this.since.delete(k);
    return { firing, pending };
  }
}
