// bench/e2e.ts records the conditions beside each figure: every step carries the hypervisor
// steal it ran under, and the run measures the loopback floor (bench/floor/run.ts) at the
// rate nearest 100k with the same batching, so p99 / floor compares across noisy runs.
// Needs a C compiler (native generator and the floor): skipped locally without one.
import { describe, expect, it } from 'vitest';
import { runE2e } from '../../bench/e2e.js';
import { compilerOrSkip } from './fixtures/c-tools.js';

const cc = compilerOrSkip('the e2e bench floor');

describe.skipIf(!cc)('e2e bench conditions', () => {
  it('records steal per step, the floor at the rate nearest 100k, and p99 over the floor', async () => {
    const r = await runE2e({
      rates: [1000, 3000], stepSeconds: 1, warmupSeconds: 0.2, floorSeconds: 1, budgetUs: 1_000_000,
      connections: 2, threads: 1, ordersPerFrame: 16, generator: 'native', shardMode: 'inline', log: () => {},
    });
    expect(r.steps.map((s) => s.target_rate)).toEqual([1000, 3000]);
    for (const s of r.steps) {
      expect(s.sustained).toBe(true);
      if (process.platform === 'linux') expect(s.machine_steal_percent).toBeGreaterThanOrEqual(0);
    }
    expect(r.floor && 'p99_us' in r.floor).toBe(true);
    const f = r.floor as { rate: number; p99_us: number; batch_us: number; messages: number };
    expect(f.rate).toBe(3000);
    expect(f.messages).toBe(3000);
    expect(f.batch_us).toBe(r.batch_us);
    expect(r.at_100k!.target_rate).toBe(3000);
    expect(r.p99_over_floor_at_100k).toBeCloseTo(r.at_100k!.p99_us / f.p99_us, 1);
    // budget 1 s here: a loopback echo at 3k msg/s holds it
    expect(r.floor_within_budget).toBe(true);
  }, 60_000);
});
