/**
 * MetricsHub hot-path micro-benchmark (owner: observability / metrics-perf). Run after
 * `npx tsc -p tsconfig.json`:
 *   node dist/bench/metrics-hub.js [--time MS] [--json]
 *
 * The server's I/O thread calls `recordOrder` + `recordE2E` once per NEW order answered,
 * `recordRequest` once per cancel/amend, `recordTrade` once per match. Each tinybench
 * iteration makes CALLS calls of one method, so the two clock reads per iteration (~50 ns)
 * are < 0.1% of an iteration; ns/call = mean iteration time / CALLS.
 * Inputs are built before timing from a fixed seed, with the label strings the server passes
 * (literals; symbols from the instrument list): 3 symbols, buy/sell alternating, 90% limit,
 * 95% accepted / 4% rejected / 1% error; ack latencies log-uniform 5 us .. 2 ms as fractional
 * ns (the server passes `(performance.now() delta) * 1e6`).
 *
 * Tasks:
 *   recordOrder / recordRequest / recordTrade / recordE2E   one method, CALLS calls
 *   recordOrderCode / recordRequestCode    numeric-label variants (symbolId resolved once)
 *   per order (order + e2e + 0.5 trade)                    the server's per-order mix
 *   per order, numeric labels                              the same with recordOrderCode
 *   second at 100k/s (100k x mix, then tick())             includes the 1 s tick's own cost,
 *                                                          so work moved to tick() is counted
 *   scrape /metrics (prometheusText)                       reader cost, per scrape (us)
 *   shard second: snapshot + ingestShard                   a shard's 1 s metrics message after
 *                                                          2,500 engine batches (recorded in
 *                                                          beforeEach, untimed): the shard's
 *                                                          snapshot and the hub's ingest, per call
 *   apiMetrics (/api/metrics body)                         reader cost, per call
 */
import { Bench } from 'tinybench';
import { MetricsHub } from '../src/metrics/hub.js';
import { ShardMetrics } from '../src/metrics/shard.js';
import { Prng } from './lib/prng.js';

export const CALLS = 10_000;
const SECOND_ORDERS = 100_000;

export interface MetricsHubBenchRow {
  task: string;
  /** Mean over iterations; on a shared box the median is the steadier figure. */
  nsPerCall: number;
  p50NsPerCall: number;
  /** Fastest iteration: the least disturbed by other load on a shared machine. */
  minNsPerCall: number;
  p99NsPerCall: number;
  callsPerIteration: number;
  samples: number;
}

export async function runMetricsHubBench(opts: { timeMs?: number } = {}): Promise<MetricsHubBenchRow[]> {
  const symbols = ['BTCUSD', 'ETHUSD', 'ADAUSD'];
  const prng = new Prng(7);
  const r = (): number => prng.float();
  const N = CALLS;
  const sym: string[] = [];
  const side: string[] = [];
  const type: string[] = [];
  const result: string[] = [];
  const op: string[] = [];
  const ackNs = new Float64Array(N);
  const price = new Float64Array(N);
  const qty = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    sym.push(symbols[i % 3]!);
    side.push(i & 1 ? 'sell' : 'buy');
    type.push(r() < 0.9 ? 'limit' : 'market');
    const x = r();
    result.push(x < 0.95 ? 'accepted' : x < 0.99 ? 'rejected' : 'error');
    op.push(r() < 0.7 ? 'cancel' : r() < 0.9 ? 'amend' : 'mass_cancel');
    ackNs[i] = Math.exp(Math.log(5e3) + r() * (Math.log(2e6) - Math.log(5e3))) + r();
    price[i] = Math.round((50_000 + r() * 100) * 100) / 100;
    qty[i] = Math.round((0.001 + r()) * 1e4) / 1e4;
  }
  const sideCode = Int8Array.from(side, (s) => (s === 'sell' ? 1 : 0));
  const typeCode = Int8Array.from(type, (t) => (t === 'market' ? 1 : 0));
  const resultCode = Int8Array.from(result, (r) => (r === 'accepted' ? 0 : r === 'rejected' ? 1 : 2));
  const opCode = Int8Array.from(op, (o) => (o === 'cancel' ? 0 : o === 'amend' ? 1 : 2));
  const tsMs = Date.now();
  // coarseClock: the server's default (timer on, real clock); timer off so tick() runs only in the tick task.
  const hub = new MetricsHub({ symbols, shards: [0, 1], timer: false, defaultMetrics: false, coarseClock: true });
  let sink = 0;

  const bench = new Bench({ time: opts.timeMs ?? 700, warmupTime: 150 });
  bench
    .add('recordOrder', () => {
      for (let i = 0; i < N; i++) hub.recordOrder(sym[i]!, side[i]!, type[i]!, result[i]!);
    })
    .add('recordRequest', () => {
      for (let i = 0; i < N; i++) hub.recordRequest(op[i]!, sym[i]!, result[i]!);
    })
    .add('recordTrade', () => {
      for (let i = 0; i < N; i++) hub.recordTrade(sym[i]!, price[i]!, qty[i]!, side[i] as 'buy' | 'sell', tsMs);
    })
    .add('recordE2E', () => {
      for (let i = 0; i < N; i++) hub.recordE2E(ackNs[i]!);
    })
    .add('per order (order + e2e + 0.5 trade)', () => {
      for (let i = 0; i < N; i++) {
        hub.recordOrder(sym[i]!, side[i]!, type[i]!, result[i]!);
        hub.recordE2E(ackNs[i]!);
        if (i & 1) hub.recordTrade(sym[i]!, price[i]!, qty[i]!, side[i] as 'buy' | 'sell', tsMs);
      }
    });
  // Numeric-label variants (absent in builds before they existed: this file also measures the
  // older hub for before/after figures).
  if (typeof (hub as Partial<MetricsHub>).recordOrderCode === 'function') {
    const symId = Int32Array.from(sym, (s) => hub.symbolId(s));
    bench
      .add('recordOrderCode', () => {
        for (let i = 0; i < N; i++) hub.recordOrderCode(symId[i]!, sideCode[i]!, typeCode[i]!, resultCode[i]!);
      })
      .add('recordRequestCode', () => {
        for (let i = 0; i < N; i++) hub.recordRequestCode(opCode[i]!, symId[i]!, resultCode[i]!);
      })
      .add('per order, numeric labels (orderCode + e2e + 0.5 trade)', () => {
        for (let i = 0; i < N; i++) {
          hub.recordOrderCode(symId[i]!, sideCode[i]!, typeCode[i]!, resultCode[i]!);
          hub.recordE2E(ackNs[i]!);
          if (i & 1) hub.recordTrade(sym[i]!, price[i]!, qty[i]!, side[i] as 'buy' | 'sell', tsMs);
        }
      });
  }
  // Engine time per batch (ns), 3-43 µs: a shard's recordBatch input.
  const engNs = Float64Array.from({ length: N }, () => 3000 + Math.floor(r() * 40_000));
  const shard = new ShardMetrics(0, symbols);
  // Longer iterations (100k orders + one tick each): a separate Bench with fewer samples.
  const second = new Bench({ time: opts.timeMs ?? 700, warmupTime: 150, iterations: 5 });
  second
    .add('second at 100k/s (100k x mix + tick)', () => {
      for (let k = 0; k < SECOND_ORDERS; k++) {
        const i = k % N;
        hub.recordOrder(sym[i]!, side[i]!, type[i]!, result[i]!);
        hub.recordE2E(ackNs[i]!);
        if (i & 1) hub.recordTrade(sym[i]!, price[i]!, qty[i]!, side[i] as 'buy' | 'sell', tsMs);
      }
      sink += hub.tick().order_count;
    })
    .add('scrape /metrics (prometheusText)', async () => {
      sink += (await hub.prometheusText()).length;
    })
    .add('shard second: snapshot + ingestShard', () => {
      sink += hub.ingestShard(0, shard.snapshot()) ? 1 : 0;
    }, {
      beforeEach: () => {
        for (let b = 0; b < 2500; b++) shard.recordBatch(engNs[b % N]!, 40);
      },
    })
    .add('apiMetrics (/api/metrics body)', () => {
      sink += (hub.apiMetrics() as { order_count: number }).order_count;
    });
  await bench.run();
  await second.run();
  hub.close();
  if (sink === -1) console.log(sink); // keep results observable
  const perCall: Record<string, number> = {
    'second at 100k/s (100k x mix + tick)': SECOND_ORDERS, 'scrape /metrics (prometheusText)': 1,
    'shard second: snapshot + ingestShard': 1, 'apiMetrics (/api/metrics body)': 1,
  };
  return [...bench.tasks, ...second.tasks].map((t) => {
    const lat = t.result?.latency;
    const calls = perCall[t.name] ?? N;
    return {
      task: t.name,
      nsPerCall: Number((((lat?.mean ?? NaN) * 1e6) / calls).toFixed(1)),
      p50NsPerCall: Number((((lat?.p50 ?? NaN) * 1e6) / calls).toFixed(1)),
      minNsPerCall: Number((((lat?.min ?? NaN) * 1e6) / calls).toFixed(1)),
      p99NsPerCall: Number((((lat?.p99 ?? NaN) * 1e6) / calls).toFixed(1)),
      callsPerIteration: calls,
      samples: lat?.samples?.length ?? 0,
    };
  });
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const args = process.argv.slice(2);
  const ti = args.indexOf('--time');
  const timeMs = ti >= 0 ? Number(args[ti + 1]) : undefined;
  const rows = await runMetricsHubBench(timeMs === undefined ? {} : { timeMs });
  if (args.includes('--json')) console.log(JSON.stringify({ node: process.version, calls: CALLS, rows }, null, 2));
  else {
    console.log(`metrics-hub bench: node ${process.version}, ${CALLS} calls per iteration (ns per call; scrape row: ns per scrape)`);
    console.table(rows);
  }
}
