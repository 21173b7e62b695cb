// The native load generator (bench/ordergen/ordergen.c via src/loadgen/native.ts) against
// the real server at a low rate: every planned order sent and answered, the counters
// consistent, the report's histograms non-empty with monotone percentiles, the server's shard
// command count moved by exactly the orders sent; a refused port and a bad URL fail clearly
// with a nonzero exit. Needs a C compiler: skipped locally without one, fails in CI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { DEFAULT_OPTIONS } from '../../src/loadgen/types.js';
import type { LoadgenOptions } from '../../src/loadgen/types.js';
import { buildOrdergen, runNativeLoadgen } from '../../src/loadgen/native.js';
import type { LiveStatus } from '../../src/loadgen/runner.js';
import { formatHgrm, formatHuman } from '../../src/loadgen/report.js';
import { REPO_ROOT } from '../../src/loadgen/paths.js';
import { startTestServer, type TestServer } from '../server/helpers/server.js';
import { compilerOrSkip, closedPort } from './fixtures/c-tools.js';

const cc = compilerOrSkip('the ordergen run');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function shardCommands(base: string): Promise<number> {
  const h = (await (await fetch(`${base}/health`)).json()) as { shards: { commands: number }[] };
  return h.shards.reduce((a, s) => a + s.commands, 0);
}

describe.skipIf(!cc)('native ordergen against the real server', () => {
  let srv: TestServer;
  let binary: string;
  beforeAll(async () => {
    binary = buildOrdergen().binary;
    srv = await startTestServer({ SHARD_MODE: 'inline' });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('answers every planned order, counts consistently, and the server saw exactly the orders sent', async () => {
    const before = await shardCommands(srv.base);
    const opts: LoadgenOptions = {
      ...DEFAULT_OPTIONS, url: srv.wsUrl, rate: 3000, durationSec: 1.5, connections: 4, ordersPerFrame: 64,
      drainMs: 5000, progressIntervalMs: 500, seed: 11,
    };
    const progress: LiveStatus[] = [];
    let ready: number[] = [];
    const { report, histograms } = await runNativeLoadgen(opts, {
      onReady: (ok, failed) => (ready = [ok, failed]),
      onProgress: (s) => progress.push(s),
    }, { binary });
    const c = report.counters;
    expect(ready).toEqual([4, 0]);
    expect(report.connections).toBe(4);
    expect(report.connect_failures).toBe(0);
    expect(c.planned).toBe(4500);
    expect(c.sent).toBe(c.planned);
    expect(c.acked).toBe(c.planned);
    expect(c.timeouts).toBe(0);
    expect(c.errors).toBe(0);
    expect(c.windowFull).toBe(0);
    expect(c.accepted + c.rejected).toBe(c.acked);
    expect(c.fills).toBeGreaterThan(0); // market orders took liquidity
    expect(report.error_kinds).toEqual({});
    // Rejects by reason add up (business rejects only: the server was not overloaded).
    expect(Object.values(report.reject_reasons).reduce((a, b) => a + b, 0)).toBe(c.rejected);
    expect(c.systemRejects).toBe(0);
    // Histograms: one sample per answered order (latency) and per sent order (lag).
    expect(histograms.corrected.totalCount).toBe(c.acked);
    expect(histograms.uncorrected.totalCount).toBe(c.acked);
    expect(histograms.lag.totalCount).toBe(c.sent);
    for (const s of [report.latency_us.corrected, report.latency_us.uncorrected, report.schedule_lag_us]) {
      expect(s.count).toBeGreaterThan(0);
      const seq = [s.min, s.p50, s.p90, s.p99, s.p999, s.p9999];
      for (let i = 1; i < seq.length; i++) expect(seq[i]!).toBeGreaterThanOrEqual(seq[i - 1]!);
      expect(s.max).toBeGreaterThanOrEqual(s.min);
      expect(s.min).toBeGreaterThan(0);
    }
    // Corrected latency starts at the planned time, never later than the actual send.
    expect(report.latency_us.corrected.max).toBeGreaterThanOrEqual(report.latency_us.uncorrected.max);
    expect(report.transport).toMatch(/native C ordergen/);
    expect(report.threads).toBe(1);
    expect(report.generator.cpu_percent).toBeGreaterThan(0);
    // Linux reports hypervisor steal (/proc/stat); a share of the machine's time, like idle.
    if (process.platform === 'linux') {
      expect(report.generator.machine_steal_percent).not.toBeNull();
      expect(report.generator.machine_steal_percent!).toBeGreaterThanOrEqual(0);
      expect(report.generator.machine_steal_percent! + report.generator.machine_idle_percent).toBeLessThanOrEqual(100);
      expect(formatHuman(report)).toMatch(/hypervisor steal \d/);
    }
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]!.counters.sent).toBeGreaterThan(0);
    expect(formatHuman(report)).toMatch(/ack corrected/);
    expect(formatHgrm(histograms)).toMatch(/#\[Mean/);
    // Every order sent reached the server; all but those the edge rejected itself (e.g. a
    // cancel of an order it already knows is gone: UNKNOWN_ORDER) reached the engine
    // (inline shards count live).
    const lo = c.sent - c.rejected;
    let after = await shardCommands(srv.base);
    for (let i = 0; i < 30 && after - before < lo; i++) {
      await sleep(100);
      after = await shardCommands(srv.base);
    }
    expect(after - before).toBeGreaterThanOrEqual(lo);
    expect(after - before).toBeLessThanOrEqual(c.sent);
  });

  it('`simex loadgen --native --json` prints the same report shape and exits 0', async () => {
    const url = new URL(srv.wsUrl);
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'simex.js'), 'loadgen', '--native', '--port', url.port,
        '--rate', '2000', '--duration', '1', '--connections', '2', '--json'], { cwd: REPO_ROOT });
      let out = '';
      let err = '';
      p.stdout.on('data', (b: Buffer) => (out += b.toString()));
      p.stderr.on('data', (b: Buffer) => (err += b.toString()));
      p.on('close', (code) => resolve({ code, out, err }));
    });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { tool: string; counters: { planned: number; acked: number; timeouts: number }; transport: string };
    expect(j.tool).toBe('simex-loadgen');
    expect(j.transport).toMatch(/native/);
    expect(j.counters.planned).toBe(2000);
    expect(j.counters.acked).toBe(2000);
    expect(j.counters.timeouts).toBe(0);
  });

  it('a refused port fails with a clear error and a nonzero exit', async () => {
    const port = await closedPort();
    await expect(runNativeLoadgen({ ...DEFAULT_OPTIONS, url: `ws://127.0.0.1:${port}/ws/v1`, rate: 100, durationSec: 1 }, {}, { binary }))
      .rejects.toThrow(/no connection logged in.*Connection refused/);
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'simex.js'), 'loadgen', '--native', '--port', String(port), '--rate', '100', '--duration', '1'],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no connection logged in \(8 of 8 failed\): conn 0: connect 127\.0\.0\.1:\d+: Connection refused/);
  });

  it('a bad URL is a usage error (exit 2) naming the problem', () => {
    for (const [url, why] of [['http://127.0.0.1:1/ws/v1', /must start with ws:\/\//], ['ws://127.0.0.1/ws/v1', /host:port/], ['ws://127.0.0.1:99999/ws/v1', /bad port/]] as const) {
      const r = spawnSync(binary, ['--url', url], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(why);
    }
  });
});
