import { describe, expect, it } from 'vitest';
import { OpenLoopScheduler } from '../../src/loadgen/scheduler.js';
import { RateProfile } from '../../src/loadgen/profile.js';
import { decodeHistogram } from '../../src/loadgen/histogram.js';
import { FakeConnection, VirtualTime } from './fixtures/virtual.js';

function run(rate: number, durationSec: number, batchMs: number, nConn = 2) {
  const vt = new VirtualTime(0.001);
  const conns = Array.from({ length: nConn }, (_, i) => new FakeConnection(i, vt));
  const sched = new OpenLoopScheduler({
    profile: new RateProfile({ rate, durationSec }),
    connections: conns, ordersPerFrame: 64, timeoutMs: 1000, drainMs: 1000, progressIntervalMs: 1000, batchMs, clock: vt, timers: vt,
  });
  for (const c of conns) c.sched = sched;
  const done = sched.run(0);
  vt.run();
  return done.then((r) => ({ r, frames: conns.flatMap((c) => c.frames).sort((a, b) => a.at - b.at) }));
}

describe('send batching (batchMs)', () => {
  it('at 100k/s with a 0.1 ms batch, send ticks are >= 0.1 ms apart and carry ~10 orders', async () => {
    const { r, frames } = await run(100_000, 0.1, 0.1);
    expect(r.counters.sent).toBe(10_000);
    expect(r.counters.acked).toBe(10_000);
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.at - frames[i - 1]!.at).toBeGreaterThanOrEqual(0.1 - 1e-9);
    expect(frames.length).toBeLessThanOrEqual(1000);
    expect(frames.length).toBeGreaterThan(500);
    // The wait is charged: schedule lag up to ~one batch, never negative, never hidden.
    const lag = decodeHistogram(r.histograms.lag);
    expect(lag.totalCount).toBe(10_000);
    expect(lag.maxValue).toBeGreaterThan(0.05e6);
    expect(lag.maxValue).toBeLessThan(0.2e6);
  });

  it('without batching the same schedule goes out in many more, smaller frames', async () => {
    const { r, frames } = await run(100_000, 0.1, 0);
    expect(r.counters.sent).toBe(10_000);
    expect(frames.length).toBeGreaterThan(5000);
  });

  it('below the batch rate every order still goes out at its planned time', async () => {
    // 1,000/s = one order per ms, 10x the 0.1 ms batch: no order waits for a batch.
    const { r, frames } = await run(1000, 0.5, 0.1, 1);
    expect(r.counters.sent).toBe(500);
    expect(frames.length).toBe(500);
    const lag = decodeHistogram(r.histograms.lag);
    expect(lag.maxValue).toBeLessThan(0.01e6);
  });
});
