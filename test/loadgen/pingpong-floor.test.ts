// bench/floor/pingpong.c, the loopback latency floor PERFORMANCE.md compares the e2e
// benchmark with: builds, echoes every planned message back (open loop, batched sends), and
// prints monotone percentiles for exactly RATE x SECS messages; bad usage exits 2. Needs a C
// compiler: skipped locally without one, fails in CI.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { buildIfStale } from '../../src/loadgen/build-c.js';
import { REPO_ROOT } from '../../src/loadgen/paths.js';
import { compilerOrSkip, closedPort } from './fixtures/c-tools.js';

const cc = compilerOrSkip('the pingpong floor');

describe.skipIf(!cc)('loopback ping-pong floor tool', () => {
  const build = () => buildIfStale({
    source: path.join(REPO_ROOT, 'bench', 'floor', 'pingpong.c'), binary: path.join(REPO_ROOT, 'build', 'pingpong'),
    flags: ['-O2'], what: 'pingpong',
  }).binary;

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
