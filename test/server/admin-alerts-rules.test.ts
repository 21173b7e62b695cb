// The in-process alerts (src/server/admin/alerts.ts) use the same burn-rate pairs, `for:`
// durations, budgets and health thresholds as ops/prometheus/simex-rules.yml: this test
// reads the rules file and fails when the two drift apart.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BURN_PAIRS, HEALTH_THRESHOLDS, UNEVALUATED_PAIRS, evaluateAlerts, type AlertInputs } from '../../src/server/admin/alerts.js';
import { SLO } from '../../src/metrics/latency.js';
import type { WindowResult } from '../../src/server/admin/window.js';

const rules = readFileSync('ops/prometheus/simex-rules.yml', 'utf8');
const DUR: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
const ms = (d: string) => Number(d.slice(0, -1)) * DUR[d.slice(-1)]!;

/** alert name -> { pairs: [longMs, shortMs, factor, budget][], forMs } */
function parseAlert(name: string): { pairs: [number, number, number, number][]; forMs: number; expr: string } {
  const m = new RegExp(`- alert: ${name}\\n\\s+expr: \\|?([\\s\\S]*?)\\n\\s+for: (\\w+)`).exec(rules);
  if (!m) throw new Error(`alert ${name} not in simex-rules.yml`);
  const pairs: [number, number, number, number][] = [];
  for (const line of m[1]!.split('\n').filter((l) => l.includes(' and '))) {
    const sides = [...line.matchAll(/_rate(\d+[mhd]) > \(?(?:([\d.]+) \* )?([\d.]+)\)?/g)];
    expect(sides.length).toBe(2);
    pairs.push([ms(sides[0]![1]!), ms(sides[1]![1]!), Number(sides[0]![2] ?? 1), Number(sides[0]![3])]);
  }
  return { pairs, forMs: ms(m[2]!), expr: m[1]! };
}

describe('alert rules match ops/prometheus/simex-rules.yml', () => {
  const budgets = { AckLatency: 1 - SLO.ackLatencyTarget, EngineLatency: 1 - SLO.engineLatencyTarget, Availability: 1 - SLO.availabilityTarget };
  for (const [slo, budget] of Object.entries(budgets)) {
    it(`Simex${slo}BudgetBurnFast / Slow`, () => {
      for (const speed of ['Fast', 'Slow'] as const) {
        const file = parseAlert(`Simex${slo}BudgetBurn${speed}`);
        const ours = BURN_PAIRS[speed];
        expect(ours.forMs).toBe(file.forMs);
        for (const p of file.pairs) expect(p[3]).toBeCloseTo(budget, 10);
        const evaluated = file.pairs.filter(([long]) => long <= 86_400_000);
        expect(ours.pairs.map((p) => [p.longMs, p.shortMs, p.factor])).toEqual(evaluated.map(([l, s, f]) => [l, s, f]));
        // what cannot be evaluated is listed as such
        expect(file.pairs.length - evaluated.length).toBe(speed === 'Slow' ? UNEVALUATED_PAIRS.length : 0);
      }
    });
  }

  it('health rules: shard not reporting, no order flow, backpressure drops', () => {
    expect(parseAlert('SimexShardNotReporting').forMs).toBe(HEALTH_THRESHOLDS.shardNotReportingForMs);
    expect(parseAlert('SimexNoOrderFlow').forMs).toBe(HEALTH_THRESHOLDS.noFlowForMs);
    const drops = parseAlert('SimexBackpressureDrops');
    expect(drops.forMs).toBe(HEALTH_THRESHOLDS.dropsForMs);
    expect(drops.expr).toContain(`[${HEALTH_THRESHOLDS.dropsWindowMs / 60_000}m])) > ${HEALTH_THRESHOLDS.dropsPerSec}`);
  });

  it('SimexMigrationMismatch: the 15 min window of the rule; fires per pair within it, injected or not', () => {
    const m = /- alert: SimexMigrationMismatch\n\s+expr: delta\(simex_migration_mismatches\[(\w+)\]\) > 0\n/.exec(rules);
    expect(m).not.toBeNull();
    expect(ms(m![1]!)).toBe(HEALTH_THRESHOLDS.migrationMismatchWindowMs);
    const win = (): WindowResult => ({ startMs: 0, endMs: 1, spanS: 60, sinceStart: true, deltas: {}, agg: { seconds: 0, p95SumUs: 0, p95N: 0, maxP95Us: null, maxP99Us: null, peakOrders1s: 0, peakTrades1s: 0 } });
    const now = 10_000_000;
    const base: AlertInputs = {
      nowMs: now, uptimeS: 60, window: win, ackP95Ms: null, ackP99Ms: null, latencyWindowS: 60, errorRatio: 0,
      ordersInRateWindow: 0, rateWindowS: 10, shards: [], shardMetrics: [], steal: { share: 0, windowS: 5 },
    };
    const W = HEALTH_THRESHOLDS.migrationMismatchWindowMs;
    const alerts = evaluateAlerts({
      ...base,
      migrations: [
        { pair: 'BTCUSD', lastMismatchMs: null, injected: false },
        { pair: 'ETHUSD', lastMismatchMs: now - 1000, injected: true },
        { pair: 'ADAUSD', lastMismatchMs: now - W - 1, injected: false },
      ],
    }).filter((a) => a.name === 'SimexMigrationMismatch');
    expect(alerts.map((a) => [a.labels?.pair, a.severity, a.value])).toEqual([['ETHUSD', 'ticket', 1]]);
    expect(alerts[0]!.summary).toContain('injected');
    expect(evaluateAlerts(base).some((a) => a.name === 'SimexMigrationMismatch')).toBe(false);
  });

  it('evaluates a burn only when both windows exceed the factor; idle windows never fire', () => {
    const win = (deltas: Record<string, number>): WindowResult => ({ startMs: 0, endMs: 1, spanS: 60, sinceStart: true, deltas, agg: { seconds: 0, p95SumUs: 0, p95N: 0, maxP95Us: null, maxP99Us: null, peakOrders1s: 0, peakTrades1s: 0 } });
    const base: AlertInputs = {
      nowMs: 1, uptimeS: 60, window: () => win({}), ackP95Ms: null, ackP99Ms: null, latencyWindowS: 60, errorRatio: 0,
      ordersInRateWindow: 0, rateWindowS: 10, shards: [{ id: 0, state: 'up', symbols: ['BTCUSD'] }], shardMetrics: [{ id: 0, up: true, age_s: 0.5 }],
      steal: { share: 0, windowS: 5 },
    };
    expect(evaluateAlerts(base)).toEqual([]);
    // 2% of orders failed server-side = 20x the 0.1% budget: fast burn (> 14.4x) in every window
    const failing = evaluateAlerts({ ...base, window: () => win({ orders: 1000, orders_error: 20 }) });
    expect(failing.map((a) => a.name)).toEqual(['SimexAvailabilityBudgetBurnFast', 'SimexAvailabilityBudgetBurnSlow']);
    expect(failing[0]!.value).toBeCloseTo(20, 6);
    expect(failing[0]!.threshold).toBe(14.4);
    // 1% failed = 10x the budget: below the 1h/5m pair's 14.4x, above the 6h/30m pair's 6x
    const ten = evaluateAlerts({ ...base, window: () => win({ orders: 1000, orders_error: 10 }) });
    expect(ten.find((a) => a.name === 'SimexAvailabilityBudgetBurnFast')?.threshold).toBe(6);
  });
});
