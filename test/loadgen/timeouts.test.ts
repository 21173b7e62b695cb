import { describe, expect, it } from 'vitest';
import { OpenLoopScheduler } from '../../src/loadgen/scheduler.js';
import { RateProfile } from '../../src/loadgen/profile.js';
import { FakeConnection, VirtualTime } from './fixtures/virtual.js';

function run(latency: (id: number) => number | undefined, timeoutMs: number, drainMs: number) {
  const vt = new VirtualTime();
  const conn = new FakeConnection(0, vt, { latencyMs: (_c, id) => latency(id) });
  const sched = new OpenLoopScheduler({
    profile: new RateProfile({ rate: 100, durationSec: 1 }),
    connections: [conn], ordersPerFrame: 1, timeoutMs, drainMs, progressIntervalMs: 1000, clock: vt, timers: vt,
  });
  conn.sched = sched;
  const done = sched.run(0);
  vt.run();
  return done;
}

describe('timeouts', () => {
  it('an order with no reply within timeoutMs is a timeout; a later reply is a late ack', async () => {
    // Orders 10, 20, .., 50 are answered after 300 ms (before the run ends), the rest in
    // 1 ms; timeout 100 ms.
    const r = await run((id) => (id % 10 === 0 && id <= 50 ? 300 : 1), 100, 1000);
    expect(r.counters.sent).toBe(100);
    expect(r.counters.timeouts).toBe(5);
    expect(r.counters.lateAcks).toBe(5);
    expect(r.counters.acked).toBe(95);
  });

  it('orders still pending when the drain ends are timeouts', async () => {
    const r = await run((id) => (id > 95 ? undefined : 1), 10_000, 50);
    expect(r.counters.acked).toBe(95);
    expect(r.counters.timeouts).toBe(5);
    // The drain waited 50 ms after the last send, not 10 s.
    expect(r.totalMs).toBeLessThan(1100);
  });
});
