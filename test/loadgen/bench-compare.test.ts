import { describe, expect, it } from 'vitest';
import { compareRuns, sameGenerator } from '../../bench/compare.js';
import type { RecordedRun } from '../../bench/compare.js';
import { renderLatencyChart } from '../../bench/e2e-chart.js';
import type { E2eResult, StepResult } from '../../bench/e2e.js';

const run = (commit: string, figs: Record<string, [number, 'higher' | 'lower']>): RecordedRun => ({
  meta: { commit, date: '2026-01-01T00:00:00Z', quick: false },
  figures: Object.fromEntries(Object.entries(figs).map(([k, [v, b]]) => [k, { value: v, unit: 'u', better: b }])),
});

describe('bench/compare', () => {
  it('prints new/old ratios and flags direction-aware changes', () => {
    const out = compareRuns(
      run('aaa', { 'rest.rps': [50_000, 'higher'], 'e2e.p99': [800, 'lower'], same: [10, 'higher'], gone: [1, 'higher'] }),
      run('bbb', { 'rest.rps': [25_000, 'higher'], 'e2e.p99': [400, 'lower'], same: [10.1, 'higher'], fresh: [3, 'higher'] }),
    );
    expect(out).toMatch(/rest\.rps\s+50,000 u\s+25,000 u\s+0\.500x WORSE/);
    expect(out).toMatch(/e2e\.p99\s+800 u\s+400 u\s+0\.500x better/);
    expect(out).toMatch(/same\s+10\.00 u\s+10\.10 u\s+1\.010x\n/);
    expect(out).toMatch(/fresh .* new/);
    expect(out).toMatch(/gone .* gone/);
    expect(out).not.toMatch(/different e2e load generators/);
  });

  it('flags runs of different e2e load generators (an old run without the field used ts)', () => {
    const ts = run('aaa', { x: [1, 'higher'] });
    const native: RecordedRun = { ...run('bbb', { x: [2, 'higher'] }), meta: { ...ts.meta, commit: 'bbb', generator: 'native' } };
    expect(compareRuns(ts, native)).toMatch(/different e2e load generators/);
    expect(sameGenerator(ts.meta, { ...ts.meta, generator: 'ts' })).toBe(true);
    expect(sameGenerator(ts.meta, native.meta)).toBe(false);
  });

  it('notes when the loopback floor moved between runs (host conditions), not when it held', () => {
    const a = run('aaa', { 'floor.p99_us_at_100000': [600, 'lower'], 'e2e.p99_us_at_100000': [8000, 'lower'] });
    const moved = run('bbb', { 'floor.p99_us_at_100000': [3000, 'lower'], 'e2e.p99_us_at_100000': [20000, 'lower'] });
    const held = run('ccc', { 'floor.p99_us_at_100000': [700, 'lower'], 'e2e.p99_us_at_100000': [9000, 'lower'] });
    expect(compareRuns(a, moved)).toMatch(/loopback floor's p99 moved 5\.00x \(600 -> 3000 µs\)/);
    expect(compareRuns(a, held)).not.toMatch(/loopback floor/);
  });
});

describe('latency-vs-throughput chart', () => {
  it('renders one polyline per series and a point per step, scaled to the data', () => {
    const step = (rate: number, p99: number): StepResult => ({
      target_rate: rate, achieved_rate: rate, ack_rate: rate, p50_us: p99 / 4, p90_us: p99 / 2, p99_us: p99, p999_us: p99 * 2, p9999_us: p99 * 3,
      max_us: p99 * 4, p50_uncorrected_us: p99 / 5, p99_uncorrected_us: p99 / 2, p999_uncorrected_us: p99, schedule_lag_p99_us: 10, sent: rate,
      acked: rate, rejected: 0, system_rejects: 0, timeouts: 0, errors: 0, server_cpu_percent: 50, generator_cpu_percent: 20, server_cpu_us_per_order: 5, generator_cpu_us_per_order: 2, within_budget: p99 <= 1000,
      sustained: true, warnings: [],
    });
    const r: E2eResult = {
      bench: 'e2e-binary', budget_p99_us: 1000, step_seconds: 2, warmup_seconds: 1, shard_mode: 'worker', connections: 8, threads: 1, orders_per_frame: 16, batch_us: 100, server: {},
      steps: [step(10_000, 200), step(50_000, 600), step(100_000, 5000)], highest_rate_within_budget: 50_000,
      highest_sustained_rate: 100_000, max_sustained_ack_rate: 100_000, at_100k: null,
      server_cpu_us_per_order: 5, generator_cpu_us_per_order: 2, projected_cpu_bound_rate: 285_714,
    };
    const svg = renderLatencyChart(r, 'test <run>');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    expect(svg.match(/<circle/g)).toHaveLength(12);
    expect(svg).toContain('test &lt;run&gt;');
    expect(svg).toContain('held budget: 50k/s');
    expect(svg).not.toMatch(/floor/);
    // With the same run's loopback floor: a diamond at its p50 and p99, and the steal seen.
    const withFloor: E2eResult = {
      ...r, steps: r.steps.map((x, i) => ({ ...x, machine_steal_percent: 2 + i })),
      floor: { tool: 'bench/floor/pingpong.c', rate: 100_000, seconds: 5, batch_us: 400, messages: 500_000, p50_us: 300, p90_us: 500, p99_us: 2000,
        p999_us: 4000, max_us: 5000, p50_uncorrected_us: 50, p99_uncorrected_us: 600, machine_steal_percent: 6 },
    };
    const f = renderLatencyChart(withFloor, 'floor');
    expect(f.match(/<path [^>]*><title>floor p(50|99)/g)).toHaveLength(2);
    expect(f).toContain('floor p99 (C echo, no server): 2000 µs at 100000/s, steal 6%');
    expect(f).toContain('p99 2 ms, steal 6%');
    expect(f).toContain('steal in steps 2-4%');
  });
});
