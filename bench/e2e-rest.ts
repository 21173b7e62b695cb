/**
 * REST order entry throughput: autocannon (closed loop, N connections, no pipelining)
 * against POST /api/orders of a freshly started server. Bodies cycle through a seeded set
 * of valid orders: 45% buy limits below and 45% sell limits above $50,000 (never crossing)
 * and 10% market orders that take liquidity, so the book stays bounded-ish.
 * autocannon reports latency in whole milliseconds (too coarse for the binary path; that is
 * what e2e.ts is for): here the figure is requests per second.
 *
 *   node dist/bench/e2e-rest.js [--quick] [--seconds N] [--connections N] [--json]
 */
import autocannon from 'autocannon';
import { pathToFileURL } from 'node:url';
import { mulberry32 } from '../src/util/prng.js';
import { startBenchServer, procCpuMs } from './e2e-server.js';

export interface RestResult {
  bench: 'e2e-rest';
  seconds: number;
  connections: number;
  requests_per_sec: number;
  requests_total: number;
  ok_2xx: number;
  non_2xx: number;
  errors: number;
  timeouts: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number; mean: number };
  server_cpu_percent: number | null;
  /** Server CPU time per completed request (µs), robust to other load on the machine. */
  server_cpu_us_per_request: number | null;
  server: Record<string, unknown>;
}

function bodies(n: number): { method: 'POST'; path: string; headers: Record<string, string>; body: string }[] {
  const r = mulberry32(11);
  const out = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    const qty = (0.0001 * (1 + Math.floor(r() * 10))).toFixed(4);
    let o: Record<string, unknown>;
    if (x < 0.45) o = { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: qty, price: (50_000 - 0.01 * (1 + Math.floor(r() * 2000))).toFixed(2) };
    else if (x < 0.9) o = { symbol: 'BTCUSD', side: 'sell', type: 'limit', quantity: qty, price: (50_000 + 0.01 * (1 + Math.floor(r() * 2000))).toFixed(2) };
    else o = { symbol: 'BTCUSD', side: r() < 0.5 ? 'buy' : 'sell', type: 'market', quantity: qty };
    out.push({ method: 'POST' as const, path: '/api/orders', headers: { 'content-type': 'application/json' }, body: JSON.stringify(o) });
  }
  return out;
}

export async function runRest(o: { seconds: number; connections: number; log?: (s: string) => void }): Promise<RestResult> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const server = await startBenchServer();
  try {
    const reqs = bodies(1000);
    // Warm-up (not recorded).
    await autocannon({ url: server.base, connections: 8, duration: 1, requests: reqs });
    const cpu0 = await procCpuMs(server.pid);
    const t0 = performance.now();
    const r = await autocannon({ url: server.base, connections: o.connections, duration: o.seconds, requests: reqs, timeout: 10 });
    const cpu1 = await procCpuMs(server.pid);
    const wall = performance.now() - t0;
    const res: RestResult = {
      bench: 'e2e-rest',
      seconds: o.seconds,
      connections: o.connections,
      requests_per_sec: Math.round(r.requests.average),
      requests_total: r.requests.total,
      ok_2xx: r['2xx'],
      non_2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      latency_ms: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.mean },
      server_cpu_percent: cpu0 !== null && cpu1 !== null ? Math.round(((cpu1 - cpu0) / wall) * 1000) / 10 : null,
      server_cpu_us_per_request: cpu0 !== null && cpu1 !== null && r.requests.total > 0 ? Math.round(((cpu1 - cpu0) * 1000 * 100) / r.requests.total) / 100 : null,
      server: server.info,
    };
    log(`e2e-rest: ${res.requests_per_sec} req/s (${res.ok_2xx} 2xx, ${res.non_2xx} non-2xx, ${res.errors} errors) p50 ${res.latency_ms.p50} ms p99 ${res.latency_ms.p99} ms, server CPU ${res.server_cpu_percent}% (${res.server_cpu_us_per_request} µs/request)`);
    return res;
  } finally {
    await server.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const arg = (k: string, d: number): number => {
    const i = argv.indexOf(k);
    return i >= 0 ? Number(argv[i + 1]) : d;
  };
  runRest({ seconds: arg('--seconds', quick ? 3 : 10), connections: arg('--connections', 64) }).then(
    (r) => process.stdout.write(argv.includes('--json') ? JSON.stringify(r, null, 2) + '\n' : `${r.requests_per_sec} req/s\n`),
    (err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
