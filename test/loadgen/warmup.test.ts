// Warm-up (LoadgenOptions.warmupSec / --warmup): orders planned in the first seconds of a run
// are sent and answered like all others (counters count them) but timed by no histogram, in
// the TS scheduler (virtual time) and in the native generator (real server). A warm-up longer
// than the run is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenLoopScheduler } from '../../src/loadgen/scheduler.js';
import { RateProfile } from '../../src/loadgen/profile.js';
import { decodeHistogram } from '../../src/loadgen/histogram.js';
import { validateOptions } from '../../src/loadgen/runner.js';
import { DEFAULT_OPTIONS } from '../../src/loadgen/types.js';
import { buildOrdergen, runNativeLoadgen } from '../../src/loadgen/native.js';
import { startTestServer, type TestServer } from '../server/helpers/server.js';
import { FakeConnection, VirtualTime } from './fixtures/virtual.js';
import { compilerOrSkip } from './fixtures/c-tools.js';

describe('warm-up in the TS scheduler', () => {
  async function run(warmupMs: number) {
    const vt = new VirtualTime(0.001);
    const conns = Array.from({ length: 2 }, (_, i) => new FakeConnection(i, vt));
    const sched = new OpenLoopScheduler({
      profile: new RateProfile({ rate: 10_000, durationSec: 0.1 }),
      connections: conns, ordersPerFrame: 64, timeoutMs: 1000, drainMs: 1000, progressIntervalMs: 1000, batchMs: 0.1,
      warmupMs, clock: vt, timers: vt,
    });
    for (const c of conns) c.sched = sched;
    const done = sched.run(0);
    vt.run();
    return done;
  }

  it('times only the orders planned after the warm-up; counters still count every order', async () => {
    const r = await run(50);
    expect(r.counters.sent).toBe(1000);
    expect(r.counters.acked).toBe(1000);
    // Planned at k / 10,000 s: k >= 500 are at or after 50 ms.
    expect(decodeHistogram(r.histograms.corrected).totalCount).toBe(500);
    expect(decodeHistogram(r.histograms.uncorrected).totalCount).toBe(500);
    expect(decodeHistogram(r.histograms.lag).totalCount).toBe(500);
  });

  it('without a warm-up every order is timed', async () => {
    const r = await run(0);
    expect(decodeHistogram(r.histograms.corrected).totalCount).toBe(1000);
    expect(decodeHistogram(r.histograms.lag).totalCount).toBe(1000);
  });

  it('a warm-up that is not shorter than the run is refused', () => {
    expect(() => validateOptions({ ...DEFAULT_OPTIONS, durationSec: 2, warmupSec: 2 })).toThrow(/warmup/);
    expect(() => validateOptions({ ...DEFAULT_OPTIONS, durationSec: 2, warmupSec: -1 })).toThrow(/warmup/);
    expect(() => validateOptions({ ...DEFAULT_OPTIONS, durationSec: 2, warmupSec: 1 })).not.toThrow();
  });
});

const cc = compilerOrSkip('the native warm-up');

describe.skipIf(!cc)('warm-up in the native generator', () => {
  let srv: TestServer;
  let binary: string;
  beforeAll(async () => {
    binary = buildOrdergen().binary;
    srv = await startTestServer({ SHARD_MODE: 'inline' });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('sends and counts the warm-up orders but times only the rest', async () => {
    const { report, histograms } = await runNativeLoadgen({
      ...DEFAULT_OPTIONS, url: srv.wsUrl, rate: 2000, durationSec: 1.5, warmupSec: 0.5, connections: 2, ordersPerFrame: 64, drainMs: 5000, seed: 5,
    }, {}, { binary });
    expect(report.counters.planned).toBe(3000);
    expect(report.counters.acked).toBe(3000);
    expect(report.counters.timeouts).toBe(0);
    expect(report.warmup_s).toBe(0.5);
    // Planned at k / 2,000 s: k >= 1,000 are at or after 0.5 s.
    expect(histograms.corrected.totalCount).toBe(2000);
    expect(histograms.uncorrected.totalCount).toBe(2000);
    expect(histograms.lag.totalCount).toBe(2000);
  });
});
