/**
 * The machine's loopback latency floor, measured in the same run as the e2e benchmark:
 * bench/floor/pingpong.c (a C echo, no server work) at the rate and send batching of the
 * step it is compared with. On a shared VM the floor moves with the host's other tenants
 * (PERFORMANCE.md: p99 0.61 ms on a quiet host, 2.9 ms under 8% steal), so an e2e p99 means
 * little without the floor beside it; their ratio is what compares across runs.
 *
 *   node dist/bench/floor/run.js [--rate 100000] [--seconds 5] [--batch-us 400] [--json]
 *
 * Cost: the client plans rate x seconds messages (32 bytes each) and takes ~15% of a core at
 * 100k msg/s here; built on demand with cc (throws without a compiler).
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { buildIfStale } from '../../src/loadgen/build-c.js';
import { REPO_ROOT } from '../../src/loadgen/paths.js';
import { machineTimes, stealShare } from '../../src/loadgen/bottleneck.js';

export interface FloorResult {
  tool: 'bench/floor/pingpong.c';
  rate: number;
  seconds: number;
  batch_us: number;
  messages: number;
  /** From each message's planned send time (as the order generator's corrected latency). */
  p50_us: number;
  p90_us: number;
  p99_us: number;
  p999_us: number;
  max_us: number;
  /** From the actual send. */
  p50_uncorrected_us: number;
  p99_uncorrected_us: number;
  /** Hypervisor steal while it ran, % of the machine's CPU time; null: not reported. */
  machine_steal_percent: number | null;
}

export function buildPingpong(): string {
  return buildIfStale({
    source: path.join(REPO_ROOT, 'bench', 'floor', 'pingpong.c'), binary: path.join(REPO_ROOT, 'build', 'pingpong'),
    flags: ['-O2'], what: 'pingpong',
  }).binary;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Parse the client's one result line; null when it is not there. */
export function parseFloorLine(line: string): Omit<FloorResult, 'tool' | 'rate' | 'seconds' | 'batch_us' | 'machine_steal_percent'> | null {
  const m = /n (\d+)\s+corrected p50 (\d+) p90 (\d+) p99 (\d+) p99\.9 (\d+) max (\d+) us \| uncorrected p50 (\d+) p99 (\d+)/.exec(line);
  if (!m) return null;
  const [n, p50, p90, p99, p999, max, u50, u99] = m.slice(1).map(Number) as number[];
  return { messages: n!, p50_us: p50!, p90_us: p90!, p99_us: p99!, p999_us: p999!, max_us: max!, p50_uncorrected_us: u50!, p99_uncorrected_us: u99! };
}

export async function runFloor(o: { rate: number; seconds: number; batchUs: number }): Promise<FloorResult> {
  const bin = buildPingpong();
  // The echo server accepts exactly one client; a client that raced its listen() is retried.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const server = spawn(bin, ['server', String(port)], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 150 + attempt * 300));
      const m0 = machineTimes();
      const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const c = spawn(bin, ['client', String(port), String(o.rate), String(o.seconds), String(o.batchUs)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        c.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
        c.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
        c.once('close', (code) => resolve({ code, out, err }));
      });
      const m1 = machineTimes();
      const parsed = r.code === 0 ? parseFloorLine(r.out) : null;
      if (parsed) {
        const steal = stealShare(m0, m1);
        return {
          tool: 'bench/floor/pingpong.c', rate: o.rate, seconds: o.seconds, batch_us: o.batchUs, ...parsed,
          machine_steal_percent: steal === null ? null : Math.round(steal * 1000) / 10,
        };
      }
      if (attempt >= 2) throw new Error(`pingpong client failed (exit ${r.code}): ${(r.err || r.out).trim()}`);
    } finally {
      server.kill('SIGKILL');
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { rate: { type: 'string' }, seconds: { type: 'string' }, 'batch-us': { type: 'string' }, json: { type: 'boolean' } } });
  runFloor({ rate: Number(values.rate ?? 100_000), seconds: Number(values.seconds ?? 5), batchUs: Number(values['batch-us'] ?? 400) }).then(
    (f) => {
      if (values.json) process.stdout.write(JSON.stringify(f, null, 2) + '\n');
      else process.stdout.write(`floor at ${f.rate} msg/s (batch ${f.batch_us} µs): p50 ${f.p50_us} p99 ${f.p99_us} p99.9 ${f.p999_us} max ${f.max_us} µs; steal ${f.machine_steal_percent ?? '?'}%\n`);
    },
    (err) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
