import { describe, expect, it } from 'vitest';
import { buildOutput } from '../../src/loadgen/runner.js';
import { formatHgrm, formatHuman, formatJson } from '../../src/loadgen/report.js';
import { encodeHistogram, newLatencyHistogram } from '../../src/loadgen/histogram.js';
import { DEFAULT_OPTIONS, zeroCounters } from '../../src/loadgen/types.js';
import type { WorkerResult } from '../../src/loadgen/types.js';

/** Two threads' results with known latencies: thread 0 all 100 µs, thread 1 all 1,000 µs. */
function results(): WorkerResult[] {
  return [100_000, 1_000_000].map((ns, w) => {
    const c = newLatencyHistogram();
    const u = newLatencyHistogram();
    const lag = newLatencyHistogram();
    for (let i = 0; i < 500; i++) {
      c.recordValue(ns);
      u.recordValue(ns / 2);
      lag.recordValue(1000);
    }
    const counters = { ...zeroCounters(), planned: 500, sent: 500, acked: 500, accepted: 490, rejected: 10 };
    return {
      workerIndex: w, connections: 2, connectFailures: 0, counters,
      histograms: { corrected: encodeHistogram(c), uncorrected: encodeHistogram(u), lag: encodeHistogram(lag) },
      sendWindowMs: 999, totalMs: 1001, elu: 0.25, rejectReasons: { '14': 10 }, errorKinds: {},
    };
  });
}

const opts = { ...DEFAULT_OPTIONS, rate: 1000, durationSec: 1, connections: 4, threads: 2 };

describe('report formatting', () => {
  const { report, histograms } = buildOutput(opts, results(), { cpu: 50, idle: 0.5, transport: 'test', startedAt: '2026-01-01T00:00:00.000Z' });

  it('merges threads: counts add up, percentiles come from the merged histogram', () => {
    expect(report.counters.sent).toBe(1000);
    expect(report.counters.rejected).toBe(20);
    expect(report.reject_reasons).toEqual({ '14': 20 });
    expect(report.latency_us.corrected.count).toBe(1000);
    expect(report.latency_us.corrected.p50).toBeCloseTo(100, 0);
    expect(report.latency_us.corrected.p90).toBeCloseTo(1000, -1);
    expect(report.latency_us.uncorrected.max).toBeCloseTo(500, -1);
    expect(report.achieved_rate).toBe(1000);
    expect(report.generator.thread_elu).toEqual([0.25, 0.25]);
    expect(report.warnings).toEqual([]);
  });

  it('JSON carries every report field', () => {
    const j = JSON.parse(formatJson(report));
    for (const k of ['target_rate', 'achieved_rate', 'duration_s', 'connections', 'latency_us', 'schedule_lag_us', 'counters', 'warnings', 'generator']) {
      expect(j).toHaveProperty(k);
    }
    for (const k of ['p50', 'p90', 'p99', 'p999', 'p9999', 'max']) {
      expect(typeof j.latency_us.corrected[k]).toBe('number');
      expect(typeof j.latency_us.uncorrected[k]).toBe('number');
    }
    expect(j.counters).toMatchObject({ timeouts: 0, errors: 0, rejected: 20 });
  });

  it('human table names target vs achieved and the percentile columns', () => {
    const t = formatHuman(report);
    expect(t).toMatch(/target 1,000\/s/);
    expect(t).toMatch(/achieved 1,000\/s/);
    expect(t).toMatch(/p50\s+p90\s+p99\s+p99\.9\s+p99\.99\s+max/);
    expect(t).toMatch(/ack corrected/);
    expect(t).toMatch(/ack uncorrected/);
    expect(t).toMatch(/timeouts 0/);
    expect(t).not.toMatch(/WARNING/);
  });

  it('.hgrm is the HdrHistogram percentile distribution in µs', () => {
    const h = formatHgrm(histograms);
    const lines = h.split('\n');
    expect(lines[0]).toMatch(/Value\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)/);
    const rows = lines.filter((l) => /^\s+\d+\.\d+\s+\d\.\d+\s+\d+/.test(l));
    expect(rows.length).toBeGreaterThan(5);
    // Values are µs: the first row is ~100 (100 µs), the last ~1000.
    expect(Number(rows[0]!.trim().split(/\s+/)[0])).toBeCloseTo(100, -1);
    expect(Number(rows.at(-1)!.trim().split(/\s+/)[0])).toBeCloseTo(1000, -2);
    expect(h).toMatch(/#\[Max\s+=\s+1000\.\d+, Total count\s+=\s+1000\]/);
  });

  it('warns in the report when the generator was the bottleneck', () => {
    const rs = results();
    rs[0]!.counters.saturatedTicks = 2;
    const out = buildOutput(opts, rs, { cpu: 190, idle: 0.01, transport: 'test', startedAt: '' });
    expect(out.report.warnings.some((w) => /send loop saturated 2 times/.test(w))).toBe(true);
    expect(out.report.warnings.some((w) => /machine CPU saturated/.test(w))).toBe(true);
    expect(formatHuman(out.report)).toMatch(/WARNING: /);
  });
});
