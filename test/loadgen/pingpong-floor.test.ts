// bench/floor/pingpong.c, the loopback latency floor PERFORMANCE.md compares the e2e
// benchmark with: builds, echoes every planned message back (open loop, batched sends), and
// prints monotone percentiles for exactly RATE x SECS messages; bad usage exits 2. Needs a C
// compiler: skipped locally without one, fails in CI.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { compilerOrSkip, closedPort } from './fixtures/c-tools.js';
import { buildPingpong, parseFloorLine, runFloor } from '../../bench/floor/run.js';

const cc = compilerOrSkip('the pingpong floor');

describe.skipIf(!cc)('loopback ping-pong floor tool', () => {
  const build = buildPingpong;

  it('times every planned message and prints monotone percentiles', async () => {
    const bin = build();
    const port = await closedPort();
    const server = spawn(bin, ['server', String(port)], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const r = spawnSync(bin, ['client', String(port), '2000', '1', '400'], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(0);
      const m = /n (\d+)\s+corrected p50 (\d+) p90 (\d+) p99 (\d+) p99\.9 (\d+) max (\d+) us \| uncorrected p50 (\d+) p99 (\d+)/.exec(r.stdout);
      expect(m, r.stdout + r.stderr).not.toBeNull();
      const [n, p50, p90, p99, p999, max, u50, u99] = m!.slice(1).map(Number) as number[];
      expect(n).toBe(2000);
      expect(p50).toBeLessThanOrEqual(p90!);
      expect(p90).toBeLessThanOrEqual(p99!);
      expect(p99).toBeLessThanOrEqual(p999!);
      expect(p999).toBeLessThanOrEqual(max!);
      expect(u50).toBeLessThanOrEqual(u99!);
      // Corrected latency counts the batching wait: never below the uncorrected median.
      expect(p50).toBeGreaterThanOrEqual(u50!);
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('bad usage exits 2 with a usage line; a refused port exits 1', async () => {
    const bin = build();
    const u = spawnSync(bin, ['client', '1'], { encoding: 'utf8' });
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/usage: pingpong/);
    const port = await closedPort();
    const c = spawnSync(bin, ['client', String(port), '100', '1'], { encoding: 'utf8' });
    expect(c.status).toBe(1);
    expect(c.stderr).toMatch(/connect/);
  });
});

describe.skipIf(!cc)('same-run floor (bench/floor/run.ts)', () => {
  it('runs the echo at a rate and reports percentiles and the steal it ran under', async () => {
    const f = await runFloor({ rate: 2000, seconds: 1, batchUs: 400 });
    expect(f.messages).toBe(2000);
    expect(f.p50_us).toBeLessThanOrEqual(f.p99_us);
    expect(f.p99_us).toBeLessThanOrEqual(f.p999_us);
    expect(f.p999_us).toBeLessThanOrEqual(f.max_us);
    expect(f).toMatchObject({ tool: 'bench/floor/pingpong.c', rate: 2000, seconds: 1, batch_us: 400 });
    if (process.platform === 'linux') expect(f.machine_steal_percent).toBeGreaterThanOrEqual(0);
  });
  it('parses only a complete result line', () => {
    expect(parseFloorLine('rate 100 n 100  corrected p50 1 p90 2 p99 3 p99.9 4 max 5 us | uncorrected p50 1 p99 2')).toMatchObject({ messages: 100, p99_us: 3, p99_uncorrected_us: 2 });
    expect(parseFloorLine('rate 100 n 100  corrected p50 1 p90 2')).toBeNull();
  });
});
