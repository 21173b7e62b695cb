// Shard engine-time histograms travel encoded and merge in the hub: percentiles of the
// merged view equal those of one histogram holding every sample.
import { describe, expect, it } from 'vitest';
import * as hdr from 'hdr-histogram-js';
import { MetricsHub, ShardMetrics } from '../../src/metrics/index.js';

describe('MetricsHub merges shard histograms', () => {
  it('merged percentiles equal a single histogram of all samples', () => {
    const hub = new MetricsHub({ symbols: ['BTCUSD', 'ETHUSD'], timer: false, defaultMetrics: false });
    const ref = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60e9, numberOfSignificantValueDigits: 3 });
    const shards = [new ShardMetrics(0, ['BTCUSD']), new ShardMetrics(1, ['ETHUSD'])];
    // Shard 0 is fast (1-2 µs per command), shard 1 slow (40-80 µs): the tail comes from 1.
    for (let i = 0; i < 2000; i++) {
      const ns0 = 1000 + (i % 1000);
      shards[0]!.recordBatch(ns0, 1);
      ref.recordValue(ns0);
      if (i % 4 === 0) {
        const ns1 = 40_000 + (i % 40_000);
        shards[1]!.recordBatch(ns1, 1);
        ref.recordValue(ns1);
      }
    }
    for (const s of shards) expect(hub.ingestShard(s.shardId, structuredClone(s.snapshot()))).toBe(true);
    const m = hub.apiMetrics() as { engine_latency: { count: number; p50_us: number; p99_us: number; max_us: number } };
    expect(m.engine_latency.count).toBe(2500);
    expect(m.engine_latency.p50_us).toBeCloseTo(ref.getValueAtPercentile(50) / 1000, 1);
    expect(m.engine_latency.p99_us).toBeCloseTo(ref.getValueAtPercentile(99) / 1000, 1);
    expect(m.engine_latency.p99_us).toBeGreaterThan(40);
    hub.close();
  });

  it('exports cumulative per-shard Prometheus buckets with an le at the 50 µs SLO', async () => {
    const hub = new MetricsHub({ symbols: ['BTCUSD'], timer: false, defaultMetrics: false });
    const s = new ShardMetrics(3, ['BTCUSD']);
    s.recordBatch(10_000, 2); // 5 µs per command, twice
    hub.ingestShard(3, s.snapshot());
    s.recordBatch(120_000, 1); // 120 µs: beyond the SLO
    hub.ingestShard(3, s.snapshot());
    const text = await hub.prometheusText();
    expect(text).toContain('simex_engine_command_duration_seconds_bucket{shard="3",le="0.00005"} 2');
    expect(text).toContain('simex_engine_command_duration_seconds_bucket{shard="3",le="+Inf"} 3');
    expect(text).toContain('simex_engine_command_duration_seconds_count{shard="3"} 3');
    expect(text).toContain('simex_engine_commands_total{shard="3"} 3');
    expect(text).toContain('simex_engine_batches_total{shard="3"} 2');
    hub.close();
  });

  it('ignores malformed snapshots without throwing and counts lost ones', async () => {
    const hub = new MetricsHub({ symbols: ['BTCUSD'], timer: false, defaultMetrics: false });
    expect(hub.ingestShard(0, null as never)).toBe(false);
    expect(hub.ingestShard(0, { version: 99 } as never)).toBe(false);
    const s = new ShardMetrics(0, ['BTCUSD']);
    hub.ingestShard(0, s.snapshot());
    s.snapshot(); // lost in transit
    hub.ingestShard(0, s.snapshot());
    const text = await hub.prometheusText();
    expect(text).toContain('simex_metrics_snapshots_rejected_total 2');
    expect(text).toContain('simex_shard_metrics_snapshots_lost_total{shard="0"} 1');
    hub.close();
  });
});
