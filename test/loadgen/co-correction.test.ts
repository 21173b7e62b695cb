import { describe, expect, it } from 'vitest';
import { OpenLoopScheduler } from '../../src/loadgen/scheduler.js';
import { RateProfile } from '../../src/loadgen/profile.js';
import { decodeHistogram } from '../../src/loadgen/histogram.js';
import { FakeConnection, VirtualTime } from './fixtures/virtual.js';

/** 1,000 orders/s for 1 s over one connection; the fake server answers in 1 ms. */
function run(vt: VirtualTime, latencyMs: (id: number, sentAt: number) => number) {
  const conn = new FakeConnection(0, vt, { latencyMs: (_c, id, at) => latencyMs(id, at) });
  const sched = new OpenLoopScheduler({
    profile: new RateProfile({ rate: 1000, durationSec: 1 }),
    connections: [conn], ordersPerFrame: 1000, timeoutMs: 5000, drainMs: 5000, progressIntervalMs: 1000, clock: vt, timers: vt,
  });
  conn.sched = sched;
  const done = sched.run(0);
  vt.run();
  return done;
}

describe('coordinated-omission correction', () => {
  it('with a healthy generator, corrected and uncorrected agree (~1 ms)', async () => {
    const r = await run(new VirtualTime(), () => 1);
    const c = decodeHistogram(r.histograms.corrected);
    const u = decodeHistogram(r.histograms.uncorrected);
    expect(c.totalCount).toBe(1000);
    expect(u.getValueAtPercentile(99)).toBeGreaterThanOrEqual(1e6 * 0.999);
    expect(u.getValueAtPercentile(99)).toBeLessThan(1.01e6);
    expect(c.getValueAtPercentile(99)).toBeLessThan(1.05e6 + 2.5e6);
  });

  it('a generator stall is charged to the orders planned during it (corrected), not hidden (uncorrected)', async () => {
    const vt = new VirtualTime();
    vt.stall(500, 100); // event loop blocked 100 ms at t = 500 ms
    const r = await run(vt, () => 1);
    const c = decodeHistogram(r.histograms.corrected);
    const u = decodeHistogram(r.histograms.uncorrected);
    const lag = decodeHistogram(r.histograms.lag);
    // ~100 orders were planned inside the stall; they went out late, in one burst.
    expect(lag.maxValue).toBeGreaterThan(95e6);
    expect(c.maxValue).toBeGreaterThan(95e6);
    // About 10% of orders are >= 50 ms late from their planned time: p95 of corrected
    // reflects the stall, while the uncorrected p95 stays ~1 ms (replies only ever take 1 ms
    // after the actual send... except those in flight during the stall).
    expect(c.getValueAtPercentile(95)).toBeGreaterThan(40e6);
    expect(u.getValueAtPercentile(95)).toBeLessThan(2e6);
    // Orders are never lost by the correction.
    expect(c.totalCount).toBe(1000);
    expect(u.totalCount).toBe(1000);
  });

  it('a server stall shows in both (the generator sent on time)', async () => {
    // Replies to orders sent in [500, 600) ms wait until t = 600 ms.
    const r = await run(new VirtualTime(), (_id, at) => (at >= 500 && at < 600 ? 600 - at + 1 : 1));
    const c = decodeHistogram(r.histograms.corrected);
    const u = decodeHistogram(r.histograms.uncorrected);
    expect(c.getValueAtPercentile(95)).toBeGreaterThan(40e6);
    expect(u.getValueAtPercentile(95)).toBeGreaterThan(40e6);
    const lag = decodeHistogram(r.histograms.lag);
    expect(lag.maxValue).toBeLessThan(2.5e6);
  });
});
