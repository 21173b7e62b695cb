/**
 * Market-data fan-out: N subscribers of one symbol's binary feed (default 1,000 of BTCUSD)
 * while the open-loop generator drives that symbol at a target update rate (default
 * 10,000 orders/s; each resting order, cancel or trade produces >= 1 market-data message).
 * Drops are counted from gaps in the per-instrument mdSeq at every subscriber; delivery
 * latency is receipt time minus the message's server timestamp.
 *
 *   node dist/bench/e2e-fanout.js [--quick] [--subscribers N] [--rate N] [--seconds N]
 *        [--threads N] [--json]
 */
import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { runLoadgen } from '../src/loadgen/runner.js';
import { DEFAULT_OPTIONS } from '../src/loadgen/types.js';
import { distFile } from '../src/loadgen/paths.js';
import { mergeEncoded, summarizeUs } from '../src/loadgen/histogram.js';
import type { LatencySummaryUs } from '../src/loadgen/histogram.js';
import { startBenchServer, procCpuMs } from './e2e-server.js';
import type { FanoutTask, FanoutWorkerResult } from './e2e-fanout-worker.js';

export interface FanoutResult {
  bench: 'e2e-fanout';
  symbol: string;
  subscribers_requested: number;
  subscribers_connected: number;
  target_update_rate: number;
  /** Market-data messages per second on the instrument's stream (mdSeq advance / time). */
  measured_update_rate: number;
  driver_orders_per_sec: number;
  seconds: number;
  messages_delivered: number;
  messages_missed: number;
  /** Messages of the stream a subscriber had not received 10 s after the driver stopped. */
  messages_undelivered: number;
  subscribers_with_gaps: number;
  drop_notices: number;
  disconnects: Record<string, number>;
  delivery_latency_us: LatencySummaryUs;
  server_cpu_percent: number | null;
  server: Record<string, unknown>;
  no_drops: boolean;
}

export interface FanoutOptions {
  subscribers: number;
  rate: number;
  seconds: number;
  threads: number;
  symbol: string;
  log?: (s: string) => void;
}

export async function runFanout(o: FanoutOptions): Promise<FanoutResult> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const server = await startBenchServer();
  const pool = new Piscina({ filename: distFile('bench/e2e-fanout-worker.js'), minThreads: o.threads, maxThreads: o.threads, atomics: 'disabled', idleTimeout: 60_000 });
  try {
    const per = Math.ceil(o.subscribers / o.threads);
    const channels = Array.from({ length: o.threads }, () => new MessageChannel());
    const readyP = channels.map((c) => new Promise<{ connected: number; failed: number; firstError: string }>((resolve) => {
      c.port1.once('message', (m) => resolve(m as { connected: number; failed: number; firstError: string }));
    }));
    /** Lowest and highest last mdSeq over all subscribers. */
    const poll = async (): Promise<{ min: number; max: number }> => {
      const rs = await Promise.all(channels.map((c) => new Promise<{ min: number; max: number }>((resolve) => {
        c.port1.once('message', (m) => resolve(m as { min: number; max: number }));
        c.port1.postMessage({ type: 'poll' });
      })));
      return { min: Math.min(...rs.map((r) => r.min)), max: Math.max(...rs.map((r) => r.max)) };
    };
    const results = channels.map((c, w) => {
      const task: FanoutTask = { url: server.wsUrl, count: Math.max(0, Math.min(per, o.subscribers - w * per)), symbol: o.symbol, workerIndex: w, port: c.port2 };
      return pool.run(task, { transferList: [c.port2 as unknown as MessagePort] }) as Promise<FanoutWorkerResult>;
    });
    const ready = await Promise.all(readyP);
    const connected = ready.reduce((a, r) => a + r.connected, 0);
    log(`e2e-fanout: ${connected}/${o.subscribers} subscribers of ${o.symbol} on ${server.wsUrl}${ready.some((r) => r.failed) ? ` (first failure: ${ready.find((r) => r.firstError)?.firstError})` : ''}`);
    const cpu0 = await procCpuMs(server.pid);
    const t0 = performance.now();
    const { report } = await runLoadgen({
      ...DEFAULT_OPTIONS, url: server.wsUrl, rate: o.rate, durationSec: o.seconds, connections: 4, threads: 1, symbols: [o.symbol],
      ordersPerFrame: 8, drainMs: 3000,
    });
    // Let every subscriber catch up with the stream's last message (bounded: 10 s); what is
    // still missing after that counts as not delivered.
    const settleEnd = performance.now() + 10_000;
    let seqs = await poll();
    while (seqs.min < seqs.max && performance.now() < settleEnd) {
      await new Promise((r) => setTimeout(r, 200));
      seqs = await poll();
    }
    const cpu1 = await procCpuMs(server.pid);
    const wall = performance.now() - t0;
    for (const c of channels) c.port1.postMessage({ type: 'stop' });
    const rs = await Promise.all(results);
    for (const c of channels) c.port1.close();
    const subs = rs.flatMap((r) => r.subscribers);
    const delivered = subs.reduce((a, s) => a + s.received, 0);
    const missed = subs.reduce((a, s) => a + s.missed, 0);
    const disconnects: Record<string, number> = {};
    for (const r of rs) for (const [k, v] of Object.entries(r.disconnects)) disconnects[k] = (disconnects[k] ?? 0) + v;
    const span = subs.length ? Math.max(...subs.map((s) => s.lastSeq)) - Math.min(...subs.filter((s) => s.firstSeq > 0).map((s) => s.firstSeq)) : 0;
    const dropNotices = rs.reduce((a, r) => a + r.dropNotices, 0);
    const finalSeq = subs.length ? Math.max(...subs.map((s) => s.lastSeq)) : 0;
    const undelivered = subs.reduce((a, s) => a + (finalSeq - s.lastSeq), 0);
    const res: FanoutResult = {
      bench: 'e2e-fanout',
      symbol: o.symbol,
      subscribers_requested: o.subscribers,
      subscribers_connected: connected,
      target_update_rate: o.rate,
      measured_update_rate: Math.round(span / o.seconds),
      driver_orders_per_sec: Math.round(report.ack_rate),
      seconds: o.seconds,
      messages_delivered: delivered,
      messages_missed: missed,
      messages_undelivered: undelivered,
      subscribers_with_gaps: subs.filter((s) => s.gaps > 0).length,
      drop_notices: dropNotices,
      disconnects,
      delivery_latency_us: summarizeUs(mergeEncoded(rs.map((r) => r.latency))),
      server_cpu_percent: cpu0 !== null && cpu1 !== null ? Math.round(((cpu1 - cpu0) / wall) * 1000) / 10 : null,
      server: server.info,
      no_drops: connected === o.subscribers && missed === 0 && undelivered === 0 && dropNotices === 0 && Object.keys(disconnects).length === 0,
    };
    log(
      `  ${res.measured_update_rate} updates/s to ${connected} subscribers: ${delivered} delivered, ${missed} missed, ${undelivered} undelivered ` +
        `(${res.subscribers_with_gaps} subscribers saw gaps), drop notices ${dropNotices}, delivery p50 ${res.delivery_latency_us.p50} µs ` +
        `p99 ${res.delivery_latency_us.p99} µs, server CPU ${res.server_cpu_percent}%`,
    );
    return res;
  } finally {
    await pool.destroy();
    await server.stop();
  }
}

export function fanoutOptionsFromArgs(argv: string[], quick: boolean): FanoutOptions {
  const arg = (k: string, d: number): number => {
    const i = argv.indexOf(k);
    return i >= 0 ? Number(argv[i + 1]) : d;
  };
  return {
    subscribers: arg('--subscribers', quick ? 100 : 1000),
    rate: arg('--rate', quick ? 2000 : 10_000),
    seconds: arg('--seconds', quick ? 2 : 10),
    threads: arg('--threads', 2),
    symbol: 'BTCUSD',
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  runFanout(fanoutOptionsFromArgs(argv, argv.includes('--quick'))).then(
    (r) => process.stdout.write(argv.includes('--json') ? JSON.stringify(r, null, 2) + '\n' : `${r.no_drops ? 'no drops' : 'DROPS'}: ${r.messages_missed} missed\n`),
    (err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
