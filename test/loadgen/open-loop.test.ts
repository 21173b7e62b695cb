import { describe, expect, it } from 'vitest';
import { OpenLoopScheduler } from '../../src/loadgen/scheduler.js';
import { RateProfile } from '../../src/loadgen/profile.js';
import { decodeHistogram } from '../../src/loadgen/histogram.js';
import { FakeConnection, VirtualTime } from './fixtures/virtual.js';
import type { FakeOptions } from './fixtures/virtual.js';

function setup(rate: number, durationSec: number, nConn: number, perFrame: number, fake: FakeOptions = {}) {
  const vt = new VirtualTime();
  const conns = Array.from({ length: nConn }, (_, i) => new FakeConnection(i, vt, fake));
  const sched = new OpenLoopScheduler({
    profile: new RateProfile({ rate, durationSec }),
    connections: conns,
    ordersPerFrame: perFrame,
    timeoutMs: 1000,
    drainMs: 2000,
    progressIntervalMs: 100,
    clock: vt,
    timers: vt,
  });
  for (const c of conns) c.sched = sched;
  return { vt, conns, sched };
}

describe('open-loop scheduling', () => {
  it('sends every planned order on schedule even when nothing ever replies', async () => {
    const { vt, conns, sched } = setup(1000, 1, 4, 8, { latencyMs: () => undefined });
    const done = sched.run(0);
    vt.run();
    const r = await done;
    expect(r.counters.planned).toBe(1000);
    expect(r.counters.sent).toBe(1000);
    expect(r.counters.acked).toBe(0);
    expect(r.counters.timeouts).toBe(1000);
    expect(conns.reduce((a, c) => a + c.sent, 0)).toBe(1000);
    // Sending is not paced by replies: the last send happens at ~1 s, not after timeouts.
    const lastSend = Math.max(...conns.flatMap((c) => c.frames.map((f) => f.at)));
    expect(lastSend).toBeLessThan(1000);
    expect(lastSend).toBeGreaterThan(990);
  });

  it('sends each order no earlier than planned, and deals frames round-robin', async () => {
    const { vt, conns, sched } = setup(2000, 0.5, 3, 4);
    const done = sched.run(0);
    vt.run();
    const r = await done;
    expect(r.counters.sent).toBe(1000);
    // Ids per connection are consecutive from 1.
    for (const c of conns) {
      let next = 1;
      for (const f of c.frames) {
        expect(f.firstId).toBe(next);
        expect(f.n).toBeGreaterThanOrEqual(1);
        expect(f.n).toBeLessThanOrEqual(4);
        next += f.n;
      }
    }
    const counts = conns.map((c) => c.frames.length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    // Schedule lag never negative and, with an idle virtual loop, tiny (< 2.5 ms).
    const lag = decodeHistogram(r.histograms.lag);
    expect(lag.totalCount).toBe(1000);
    expect(lag.maxValue).toBeLessThan(2.5e6);
  });

  it('packs due orders into frames of at most ordersPerFrame when the loop is late', async () => {
    const vt = new VirtualTime(0.5); // every loop iteration costs 0.5 ms
    const conns = [new FakeConnection(0, vt)];
    const sched = new OpenLoopScheduler({
      profile: new RateProfile({ rate: 100_000, durationSec: 0.01 }),
      connections: conns, ordersPerFrame: 16, timeoutMs: 1000, drainMs: 100, progressIntervalMs: 1000, clock: vt, timers: vt,
    });
    conns[0]!.sched = sched;
    const done = sched.run(0);
    vt.run();
    const r = await done;
    expect(r.counters.sent).toBe(1000);
    expect(conns[0]!.frames.some((f) => f.n === 16)).toBe(true);
    expect(conns[0]!.frames.every((f) => f.n <= 16)).toBe(true);
  });

  it('counts accepted and rejected replies, by reason', async () => {
    const { vt, sched } = setup(100, 1, 1, 1, { reject: (_c, id) => (id % 10 === 0 ? 9 : 0) });
    const done = sched.run(0);
    vt.run();
    const r = await done;
    expect(r.counters.acked).toBe(100);
    expect(r.counters.rejected).toBe(10);
    expect(r.counters.accepted).toBe(90);
    expect(r.rejectReasons).toEqual({ '9': 10 });
  });

  it('closed connections turn their orders into errors, not sends', async () => {
    const { vt, conns, sched } = setup(100, 1, 2, 1);
    conns[1]!.open = false;
    const done = sched.run(0);
    vt.run();
    const r = await done;
    expect(r.counters.sent).toBe(50);
    expect(r.counters.errors).toBe(50);
    expect(r.errorKinds['connection closed']).toBe(50);
  });

  it('stop() ends planning early and still drains replies', async () => {
    const { vt, sched } = setup(1000, 10, 1, 1);
    vt.setTimeout(() => sched.stop(), 100.5);
    const done = sched.run(0);
    vt.run();
    const r = await done;
    expect(r.counters.planned).toBeGreaterThan(95);
    expect(r.counters.planned).toBeLessThan(110);
    expect(r.counters.acked).toBe(r.counters.sent);
  });
});
