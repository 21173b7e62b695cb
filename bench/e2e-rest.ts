/**
 * REST order entry throughput: closed loop, N connections, no pipelining (uWS 20.x aborts
 * pipelined HTTP requests), against POST /api/orders of a freshly started server. Bodies cycle
 * through a seeded set of valid orders: 45% buy limits below and 45% sell limits above
 * $50,000 (never crossing) and 10% market orders that take liquidity, so the book stays
 * bounded-ish.
 *
 * Load tool: `wrk` (C, ~1-3 µs of its own CPU per request) when it is on PATH, with
 * bench/wrk/orders.lua cycling the same bodies (written to a temp file, one per line);
 * otherwise autocannon (Node, tens of µs per request: on this 2-core VM it takes most of a
 * core and caps the measurable rate near 15k req/s). `tool` in the result says which ran;
 * `--tool wrk|autocannon` forces one. wrk reports latency in µs, autocannon in whole ms.
 * The robust figure on a shared machine is `server_cpu_us_per_request` (server process
 * user+system CPU from /proc over the measured window / completed requests);
 * `loadgen_cpu_us_per_request` is the tool's own (measured here: wrk ~14-17 µs, autocannon
 * ~60-70 µs per request, most of it the kernel's TCP send/recv for wrk).
 *
 *   node dist/bench/e2e-rest.js [--quick] [--seconds N] [--connections N] [--threads N]
 *                               [--tool wrk|autocannon] [--port N] [--json]
 *
 * --port: the server's port (default 0 = an ephemeral one). A fixed port must be free: uWS
 * listens with SO_REUSEPORT, so a second listener on the same port silently takes a share of
 * the connections (and the figures are wrong) instead of failing to bind.
 *   node dist/bench/e2e-rest.js --write-bodies FILE   (the body file for a hand-run wrk)
 */
import autocannon from 'autocannon';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { mulberry32 } from '../src/util/prng.js';
import { REPO_ROOT } from '../src/loadgen/paths.js';
import { startBenchServer, procCpuMs } from './e2e-server.js';

export type RestTool = 'wrk' | 'autocannon';

export interface RestResult {
  bench: 'e2e-rest';
  tool: RestTool;
  seconds: number;
  connections: number;
  /** Load-generator threads (wrk -t); 1 for autocannon (one Node thread). */
  threads: number;
  requests_per_sec: number;
  requests_total: number;
  ok_2xx: number;
  non_2xx: number;
  errors: number;
  timeouts: number;
  /** wrk: from its µs histogram (fractional ms); autocannon: whole ms. */
  latency_ms: { p50: number; p90: number; p99: number; max: number; mean: number };
  server_cpu_percent: number | null;
  /** Server CPU time per completed request (µs), robust to other load on the machine. */
  server_cpu_us_per_request: number | null;
  /** The load tool's own CPU per completed request (µs): wrk's user+sys from bash `times`
   *  (its child), autocannon's from process.cpuUsage() (it runs in this process). */
  loadgen_cpu_us_per_request: number | null;
  /** TCP port the server listened on (0 asked = an ephemeral one, the default). */
  server_port: number;
  server: Record<string, unknown>;
}

/** The seeded body cycle (JSON strings): the same for both tools and every run. */
export function orderBodies(n: number): string[] {
  const r = mulberry32(11);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    const qty = (0.0001 * (1 + Math.floor(r() * 10))).toFixed(4);
    let o: Record<string, unknown>;
    if (x < 0.45) o = { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: qty, price: (50_000 - 0.01 * (1 + Math.floor(r() * 2000))).toFixed(2) };
    else if (x < 0.9) o = { symbol: 'BTCUSD', side: 'sell', type: 'limit', quantity: qty, price: (50_000 + 0.01 * (1 + Math.floor(r() * 2000))).toFixed(2) };
    else o = { symbol: 'BTCUSD', side: r() < 0.5 ? 'buy' : 'sell', type: 'market', quantity: qty };
    out.push(JSON.stringify(o));
  }
  return out;
}

const BODY_COUNT = 1000;
export const WRK_SCRIPT = path.join(REPO_ROOT, 'bench', 'wrk', 'orders.lua');

/** True when `wrk` runs (`wrk -v` prints "wrk <version> [epoll] ..." and exits 1). */
export function wrkAvailable(): boolean {
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  return !r.error && /^wrk\s/m.test(`${r.stdout}${r.stderr}`);
}

interface LoadOutcome {
  /** CPU ms the load tool used, or null if unknown. */
  toolCpuMs: number | null;
  requests: number;
  /** Completed requests per second as the tool reports it. */
  perSec: number;
  ok2xx: number;
  errors: number;
  timeouts: number;
  latencyMs: RestResult['latency_ms'];
}

interface WrkJson {
  duration_us: number;
  requests: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  statuses: Record<string, number>;
  latency_us: { min: number; mean: number; max: number; p50: number; p90: number; p99: number };
}

/** bash `times` second line ("0m0.130s 0m0.350s": children's user, sys) -> ms. */
function childTimesMs(stderr: string): number | null {
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/m.exec(stderr.trim().split('\n').slice(-1)[0] ?? '');
  if (!m) return null;
  return (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
}

/**
 * One wrk run; resolves with the WRK_JSON line bench/wrk/orders.lua prints in done(). wrk runs
 * as the child of `bash -c 'wrk ...; times'` so its CPU time is known when it exits.
 */
function runWrk(base: string, bodiesFile: string, connections: number, threads: number, seconds: number): Promise<LoadOutcome> {
  return new Promise((resolve, reject) => {
    const args = [`-t${Math.min(threads, connections)}`, `-c${connections}`, `-d${seconds}s`, '--timeout', '10s',
      '-s', WRK_SCRIPT, base, '--', bodiesFile];
    const p = spawn('bash', ['-c', 'wrk "$@"; rc=$?; times >&2; exit $rc', 'wrk', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => { out += b.toString('utf8'); });
    p.stderr.on('data', (b: Buffer) => { err += b.toString('utf8'); });
    p.once('error', reject);
    p.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '));
      if (code !== 0 || !line) {
        reject(new Error(`wrk ${args.join(' ')} exited ${code}:\n${out}\n${err}`));
        return;
      }
      const j = JSON.parse(line.slice('WRK_JSON '.length)) as WrkJson;
      let ok2xx = 0;
      for (const [s, n] of Object.entries(j.statuses)) if (s.startsWith('2')) ok2xx += n;
      const ms = (us: number): number => Math.round(us) / 1000;
      resolve({
        toolCpuMs: childTimesMs(err),
        requests: j.requests,
        perSec: j.duration_us > 0 ? Math.round(j.requests / (j.duration_us / 1e6)) : 0,
        ok2xx,
        errors: j.errors.connect + j.errors.read + j.errors.write,
        timeouts: j.errors.timeout,
        latencyMs: { p50: ms(j.latency_us.p50), p90: ms(j.latency_us.p90), p99: ms(j.latency_us.p99),
          max: ms(j.latency_us.max), mean: ms(j.latency_us.mean) },
      });
    });
  });
}

async function runAutocannon(base: string, bodies: string[], connections: number, seconds: number): Promise<LoadOutcome> {
  const requests = bodies.map((body) => ({ method: 'POST' as const, path: '/api/orders', headers: { 'content-type': 'application/json' }, body }));
  const c0 = process.cpuUsage();
  const r = await autocannon({ url: base, connections, duration: seconds, requests, timeout: 10 });
  const c = process.cpuUsage(c0);
  return {
    toolCpuMs: (c.user + c.system) / 1000,
    requests: r.requests.total,
    perSec: Math.round(r.requests.average), // mean of its per-second samples
    ok2xx: r['2xx'],
    errors: r.errors,
    timeouts: r.timeouts,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.mean },
  };
}

export async function runRest(o: { seconds: number; connections: number; threads?: number; tool?: RestTool;
  /** Server port; default 0 (ephemeral). A fixed one must be free (see the header). */
  port?: number; log?: (s: string) => void }): Promise<RestResult> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const tool: RestTool = o.tool ?? (wrkAvailable() ? 'wrk' : 'autocannon');
  const threads = tool === 'wrk' ? Math.max(1, o.threads ?? 1) : 1;
  const bodies = orderBodies(BODY_COUNT);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'simex-rest-'));
  const bodiesFile = path.join(tmp, 'bodies.txt');
  writeFileSync(bodiesFile, bodies.join('\n') + '\n');
  let server: Awaited<ReturnType<typeof startBenchServer>>;
  try {
    server = await startBenchServer(o.port ? ['--port', String(o.port)] : []);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  // The server logs one audit line per order (~9 MB/s at 30k orders/s). startBenchServer's
  // line reader (needed only until "HTTP server listening") would JSON.parse each of them in
  // this process: measured 12 % of a core taken from the server and wrk on this 2-core VM.
  // Discard the output unread instead (still drained, so the server never blocks on the pipe).
  for (const st of [server.proc.stdout, server.proc.stderr]) {
    st?.removeAllListeners('data');
    st?.resume();
  }
  try {
    const load = (connections: number, seconds: number): Promise<LoadOutcome> => (tool === 'wrk'
      ? runWrk(server.base, bodiesFile, connections, threads, seconds)
      : runAutocannon(server.base, bodies, connections, seconds));
    await load(8, 1); // warm-up (not recorded)
    const cpu0 = await procCpuMs(server.pid);
    const t0 = performance.now();
    const r = await load(o.connections, o.seconds);
    const cpu1 = await procCpuMs(server.pid);
    const wall = performance.now() - t0;
    const res: RestResult = {
      bench: 'e2e-rest',
      tool,
      seconds: o.seconds,
      connections: o.connections,
      threads,
      requests_per_sec: r.perSec,
      requests_total: r.requests,
      ok_2xx: r.ok2xx,
      non_2xx: r.requests - r.ok2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      latency_ms: r.latencyMs,
      server_cpu_percent: cpu0 !== null && cpu1 !== null ? Math.round(((cpu1 - cpu0) / wall) * 1000) / 10 : null,
      server_cpu_us_per_request: cpu0 !== null && cpu1 !== null && r.requests > 0 ? Math.round(((cpu1 - cpu0) * 1000 * 100) / r.requests) / 100 : null,
      loadgen_cpu_us_per_request: r.toolCpuMs !== null && r.requests > 0 ? Math.round((r.toolCpuMs * 1000 * 100) / r.requests) / 100 : null,
      server_port: server.port,
      server: server.info,
    };
    log(`e2e-rest (${tool}, ${o.connections} connections): ${res.requests_per_sec} req/s (${res.ok_2xx} 2xx, ${res.non_2xx} non-2xx, ${res.errors} errors) p50 ${res.latency_ms.p50} ms p99 ${res.latency_ms.p99} ms, server CPU ${res.server_cpu_percent}% (${res.server_cpu_us_per_request} µs/request), ${tool} ${res.loadgen_cpu_us_per_request} µs/request`);
    return res;
  } finally {
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const arg = (k: string, d: number): number => {
    const i = argv.indexOf(k);
    return i >= 0 ? Number(argv[i + 1]) : d;
  };
  const str = (k: string): string | undefined => {
    const i = argv.indexOf(k);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const bodiesOut = str('--write-bodies');
  const tool = str('--tool');
  if (bodiesOut) {
    writeFileSync(bodiesOut, orderBodies(BODY_COUNT).join('\n') + '\n');
  } else if (tool !== undefined && tool !== 'wrk' && tool !== 'autocannon') {
    process.stderr.write('--tool must be wrk or autocannon\n');
    process.exit(2);
  } else {
    runRest({ seconds: arg('--seconds', quick ? 3 : 10), connections: arg('--connections', 64),
      threads: arg('--threads', 1), tool: tool as RestTool | undefined, port: arg('--port', 0) }).then(
      (r) => process.stdout.write(argv.includes('--json') ? JSON.stringify(r, null, 2) + '\n' : `${r.requests_per_sec} req/s (${r.tool})\n`),
      (err) => {
        process.stderr.write(`${(err as Error).stack}\n`);
        process.exit(1);
      },
    );
  }
}
