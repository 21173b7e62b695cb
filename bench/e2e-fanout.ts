/**
 * Market-data fan-out: N subscribers of one symbol's binary feed (default 1,000 of BTCUSD)
 * while the open-loop generator drives that symbol at a target rate (default 10,000
 * orders/s; each resting order, cancel or trade produces >= 1 market-data message).
 *
 * Subscriber fleet (`--fleet`):
 *   c  (default) bench/fanout/subscriber.c, one process, one epoll thread (`--threads`),
 *      built into build/fanout-subscriber when missing or stale. A load tool must cost far
 *      less than the system under test; the JS fleet does not (see below).
 *   js bench/e2e-fanout-worker.ts: `ws` clients in piscina threads (default 2). On this
 *      2-core VM it saturates the machine at ~1.1-1.4k updates/s with 1,000 subscribers,
 *      so it measures itself; kept for comparison.
 *
 * Figures:
 *   measured_update_rate  mdSeq advance of the instrument on the server (GET
 *                         /api/orderbook `sequence`) over the driver's send window
 *   final_md_seq          the server's mdSeq once the driver has drained (stable for 2 reads)
 *   no_drops              every requested subscriber connected, and each one received every
 *                         mdSeq from its snapshot (js: its first message) up to
 *                         final_md_seq: 0 gaps, 0 undelivered, 0 MARKET_DATA_DROPPED
 *                         notices, 0 disconnects (c: also 0 protocol errors)
 *   delivery_latency_us   receipt time minus the message's server ts (same clock), every
 *                         counted message (it includes the pacing delay: up to
 *                         subscribers / MD_FANOUT_WRITES_PER_SEC)
 *   *_cpu_percent         CPU time / wall time over the send window (100 = one core):
 *                         server and fleet from /proc/<pid>/stat; driver = the generator's
 *                         own figure (js fleet: its threads share the bench process)
 * Subscribers get `settle` seconds (default 10) after the driver drained to reach
 * final_md_seq; what is still missing then counts as undelivered.
 *
 *   node dist/bench/e2e-fanout.js [--quick] [--subscribers N] [--rate N] [--seconds N]
 *        [--fleet c|js] [--threads N] [--settle S] [--md-fanout-writes-per-sec N] [--json]
 */
import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import os from 'node:os';
import { Piscina } from 'piscina';
import { runLoadgen } from '../src/loadgen/runner.js';
import { DEFAULT_OPTIONS } from '../src/loadgen/types.js';
import { distFile } from '../src/loadgen/paths.js';
import { mergeEncoded, summarizeUs } from '../src/loadgen/histogram.js';
import type { LatencySummaryUs } from '../src/loadgen/histogram.js';
import { startBenchServer, procCpuMs } from './e2e-server.js';
import type { BenchServer } from './e2e-server.js';
import type { FanoutTask, FanoutWorkerResult } from './e2e-fanout-worker.js';
import { buildFleet, startFleet } from './fanout/fleet.js';
import type { Fleet, FleetResult } from './fanout/fleet.js';

export interface FanoutResult {
  bench: 'e2e-fanout';
  fleet: 'c' | 'js';
  fleet_threads: number;
  symbol: string;
  subscribers_requested: number;
  subscribers_connected: number;
  target_update_rate: number;
  /** Market-data messages per second on the instrument's stream (server mdSeq advance over
   *  the driver's send window). */
  measured_update_rate: number;
  /** Replies per second the driver got (its ack_rate). */
  driver_orders_per_sec: number;
  /** Orders the driver wrote per second of its send window, and its timeouts. */
  driver_sent_per_sec: number;
  driver_timeouts: number;
  seconds: number;
  /** The instrument's mdSeq on the server after the driver drained. */
  final_md_seq: number;
  /** Messages counted by subscribers (each mdSeq once per subscriber). */
  messages_delivered: number;
  /** Sum over subscribers of (final_md_seq - start), start = snapshot mdSeq (c) or first
   *  mdSeq seen - 1 (js). */
  messages_expected: number;
  /** Messages lost in gaps (mdSeq jumped). */
  messages_missed: number;
  /** Messages of the stream a subscriber had not received `settle` s after the driver drained. */
  messages_undelivered: number;
  subscribers_with_gaps: number;
  drop_notices: number;
  disconnects: Record<string, number>;
  delivery_latency_us: LatencySummaryUs;
  server_cpu_percent: number | null;
  /** Subscriber fleet CPU over the send window (c fleet; null for js: it shares the bench
   *  process with the driver). */
  subscriber_cpu_percent: number | null;
  /** The generator's CPU (its report; includes the js fleet's threads when --fleet js). */
  driver_cpu_percent: number;
  /** CPU ns per delivered message (one mdSeq to one subscriber) from the send window's
   *  start to the end of catch-up: the server's total (order flow included) and the fleet's. */
  cpu_ns_per_delivery: { server: number | null; fleet: number | null };
  /** Time from the driver's drain to every subscriber at final_md_seq (or the settle limit). */
  catch_up_ms: number;
  /** os.loadavg() when the run started: other work on the machine. */
  load_avg_start: number[];
  md_fanout_writes_per_sec: number | null;
  server: Record<string, unknown>;
  /** The C fleet's own report (frames, reads, bytes, protocol errors, cpu_ms...). */
  fleet_report?: Omit<FleetResult, 'conns'>;
  no_drops: boolean;
}

export interface FanoutOptions {
  subscribers: number;
  rate: number;
  seconds: number;
  fleet: 'c' | 'js';
  threads: number;
  symbol: string;
  settleSec: number;
  mdFanoutWritesPerSec?: number;
  log?: (s: string) => void;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function mdSeq(server: BenchServer, symbol: string): Promise<number> {
  const r = await fetch(`${server.base}/api/orderbook/${symbol}?depth=1`);
  if (!r.ok) throw new Error(`GET /api/orderbook/${symbol}: ${r.status}`);
  return Number(((await r.json()) as { sequence: number }).sequence);
}

/** What each fleet kind must provide to the common run. */
interface FleetRun {
  pid: number | null;
  connected: number;
  firstError: string;
  /** Wait until every subscriber is at `seq` or `timeoutMs` passed; then collect. */
  finish(seq: number, timeoutMs: number): Promise<Collected>;
  close(): Promise<void>;
}

interface Collected {
  delivered: number;
  expected: number;
  missed: number;
  undelivered: number;
  withGaps: number;
  dropNotices: number;
  disconnects: Record<string, number>;
  latency: LatencySummaryUs;
  protocolErrors: number;
  report?: FleetResult;
}

async function startCFleet(url: string, o: FanoutOptions, log: (s: string) => void): Promise<FleetRun> {
  let binary: string;
  let built: boolean;
  try {
    ({ binary, built } = buildFleet());
  } catch (e) {
    throw new Error(`${(e as Error).message}\n(the JS fleet needs no compiler: --fleet js, but it saturates this machine long before the server)`);
  }
  if (built) log(`e2e-fanout: built ${binary}`);
  const fleet: Fleet = startFleet({ url, connections: o.subscribers, symbol: o.symbol, threads: o.threads, perConn: true, binary });
  const ready = await fleet.ready;
  let firstError = '';
  return {
    pid: fleet.pid,
    connected: ready.live,
    get firstError() {
      return firstError;
    },
    async finish(seq, timeoutMs) {
      const r = await fleet.until(seq, timeoutMs);
      firstError = r.first_error;
      const live = (r.conns ?? []).filter((c) => c.live);
      const { conns: _conns, ...report } = r;
      return {
        delivered: r.messages,
        expected: live.reduce((a, c) => a + (seq - c.snap), 0),
        missed: r.missed,
        undelivered: live.reduce((a, c) => a + Math.max(0, seq - c.last), 0),
        withGaps: r.connections_with_gaps,
        dropNotices: r.drop_notices,
        disconnects: r.disconnects,
        latency: r.latency_us,
        protocolErrors: r.protocol_errors,
        report: report as FleetResult,
      };
    },
    async close() {
      if (fleet.proc.exitCode === null && fleet.proc.signalCode === null) {
        fleet.proc.kill('SIGTERM');
        await new Promise((r) => fleet.proc.once('close', r));
      }
    },
  };
}

async function startJsFleet(url: string, o: FanoutOptions): Promise<FleetRun> {
  const pool = new Piscina({ filename: distFile('bench/e2e-fanout-worker.js'), minThreads: o.threads, maxThreads: o.threads, atomics: 'disabled', idleTimeout: 60_000 });
  const per = Math.ceil(o.subscribers / o.threads);
  const channels = Array.from({ length: o.threads }, () => new MessageChannel());
  const readyP = channels.map((c) => new Promise<{ connected: number; failed: number; firstError: string }>((resolve) => {
    c.port1.once('message', (m) => resolve(m as { connected: number; failed: number; firstError: string }));
  }));
  const poll = async (): Promise<{ min: number; max: number }> => {
    const rs = await Promise.all(channels.map((c) => new Promise<{ min: number; max: number }>((resolve) => {
      c.port1.once('message', (m) => resolve(m as { min: number; max: number }));
      c.port1.postMessage({ type: 'poll' });
    })));
    return { min: Math.min(...rs.map((r) => r.min)), max: Math.max(...rs.map((r) => r.max)) };
  };
  const results = channels.map((c, w) => {
    const task: FanoutTask = { url, count: Math.max(0, Math.min(per, o.subscribers - w * per)), symbol: o.symbol, workerIndex: w, port: c.port2 };
    return pool.run(task, { transferList: [c.port2 as unknown as MessagePort] }) as Promise<FanoutWorkerResult>;
  });
  const ready = await Promise.all(readyP);
  let stopped = false;
  const stopAll = async (): Promise<FanoutWorkerResult[]> => {
    stopped = true;
    for (const c of channels) c.port1.postMessage({ type: 'stop' });
    const rs = await Promise.all(results);
    for (const c of channels) c.port1.close();
    return rs;
  };
  return {
    pid: null,
    connected: ready.reduce((a, r) => a + r.connected, 0),
    firstError: ready.find((r) => r.firstError)?.firstError ?? '',
    async finish(seq, timeoutMs) {
      const end = performance.now() + timeoutMs;
      while ((await poll()).min < seq && performance.now() < end) await sleep(200);
      const rs = await stopAll();
      const subs = rs.flatMap((r) => r.subscribers);
      const disconnects: Record<string, number> = {};
      for (const r of rs) for (const [k, v] of Object.entries(r.disconnects)) disconnects[k] = (disconnects[k] ?? 0) + v;
      return {
        delivered: subs.reduce((a, s) => a + s.received, 0),
        expected: subs.reduce((a, s) => a + (s.firstSeq > 0 ? seq - s.firstSeq + 1 : 0), 0),
        missed: subs.reduce((a, s) => a + s.missed, 0),
        undelivered: subs.reduce((a, s) => a + Math.max(0, seq - s.lastSeq), 0),
        withGaps: subs.filter((s) => s.gaps > 0).length,
        dropNotices: rs.reduce((a, r) => a + r.dropNotices, 0),
        disconnects,
        latency: summarizeUs(mergeEncoded(rs.map((r) => r.latency))),
        protocolErrors: 0,
      };
    },
    async close() {
      if (!stopped) await stopAll().catch(() => undefined);
      await pool.destroy();
    },
  };
}

export async function runFanout(o: FanoutOptions): Promise<FanoutResult> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const loadAvg = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const server = await startBenchServer(o.mdFanoutWritesPerSec ? ['--md-fanout-writes-per-sec', String(o.mdFanoutWritesPerSec)] : []);
  let fleet: FleetRun | null = null;
  try {
    fleet = o.fleet === 'c' ? await startCFleet(server.wsUrl, o, log) : await startJsFleet(server.wsUrl, o);
    const connected = fleet.connected;
    log(`e2e-fanout: ${connected}/${o.subscribers} subscribers (${o.fleet} fleet, ${o.threads} thread(s)) of ${o.symbol} on ${server.wsUrl}` +
      `${connected < o.subscribers ? ` (first failure: ${fleet.firstError})` : ''}; load avg ${loadAvg.join(' ')}`);

    const seq0 = await mdSeq(server, o.symbol);
    // The send window: from the generator's start (onReady) for `seconds`.
    let win: Promise<{ seq: number; wallMs: number; serverMs: number | null; fleetMs: number | null }> | null = null;
    let windowStart: { t: number; serverCpu: number | null; fleetCpu: number | null } | null = null;
    const fleetPid = fleet.pid;
    const { report } = await runLoadgen({
      ...DEFAULT_OPTIONS, url: server.wsUrl, rate: o.rate, durationSec: o.seconds, connections: 4, threads: 1, symbols: [o.symbol],
      ordersPerFrame: 8, drainMs: 3000,
    }, {
      onReady: () => {
        const t = performance.now();
        win = (async () => {
          const [serverCpu, fleetCpu] = await Promise.all([procCpuMs(server.pid), fleetPid ? procCpuMs(fleetPid) : null]);
          windowStart = { t, serverCpu, fleetCpu };
          await sleep(Math.max(0, t + o.seconds * 1000 - performance.now()));
          const [seq, s1, f1] = await Promise.all([mdSeq(server, o.symbol), procCpuMs(server.pid), fleetPid ? procCpuMs(fleetPid) : null]);
          const wallMs = performance.now() - windowStart.t;
          return {
            seq, wallMs,
            serverMs: s1 !== null && windowStart.serverCpu !== null ? s1 - windowStart.serverCpu : null,
            fleetMs: f1 !== null && windowStart.fleetCpu !== null ? f1 - windowStart.fleetCpu : null,
          };
        })();
      },
    });
    if (!win) throw new Error('the generator never started (no onReady)');
    const w = await (win as Promise<{ seq: number; wallMs: number; serverMs: number | null; fleetMs: number | null }>);
    // The stream's end: the server's mdSeq once it stops moving (the driver has drained).
    let finalSeq = await mdSeq(server, o.symbol);
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      const s = await mdSeq(server, o.symbol);
      if (s === finalSeq) break;
      finalSeq = s;
    }
    const tSettle = performance.now();
    const c = await fleet.finish(finalSeq, o.settleSec * 1000);
    const catchUpMs = Math.round(performance.now() - tSettle);
    const serverCpuEnd = await procCpuMs(server.pid);
    const ws0 = windowStart as { t: number; serverCpu: number | null; fleetCpu: number | null } | null;
    const perDelivery = (ms: number | null): number | null => (ms !== null && c.delivered > 0 ? Math.round((ms * 1e6) / c.delivered) : null);
    const res: FanoutResult = {
      bench: 'e2e-fanout',
      fleet: o.fleet,
      fleet_threads: o.threads,
      symbol: o.symbol,
      subscribers_requested: o.subscribers,
      subscribers_connected: connected,
      target_update_rate: o.rate,
      measured_update_rate: Math.round(((w.seq - seq0) * 1000) / w.wallMs),
      driver_orders_per_sec: Math.round(report.ack_rate),
      driver_sent_per_sec: Math.round(report.achieved_rate),
      driver_timeouts: report.counters.timeouts,
      seconds: o.seconds,
      final_md_seq: finalSeq,
      messages_delivered: c.delivered,
      messages_expected: c.expected,
      messages_missed: c.missed,
      messages_undelivered: c.undelivered,
      subscribers_with_gaps: c.withGaps,
      drop_notices: c.dropNotices,
      disconnects: c.disconnects,
      delivery_latency_us: c.latency,
      server_cpu_percent: w.serverMs !== null ? round1((w.serverMs / w.wallMs) * 100) : null,
      subscriber_cpu_percent: w.fleetMs !== null ? round1((w.fleetMs / w.wallMs) * 100) : null,
      driver_cpu_percent: round1(report.generator.cpu_percent),
      cpu_ns_per_delivery: {
        server: perDelivery(serverCpuEnd !== null && ws0?.serverCpu != null ? serverCpuEnd - ws0.serverCpu : null),
        fleet: perDelivery(c.report && ws0?.fleetCpu != null ? c.report.cpu_ms.user + c.report.cpu_ms.sys - ws0.fleetCpu : null),
      },
      catch_up_ms: catchUpMs,
      load_avg_start: loadAvg,
      md_fanout_writes_per_sec: o.mdFanoutWritesPerSec ?? null,
      server: server.info,
      ...(c.report ? { fleet_report: c.report } : {}),
      no_drops: connected === o.subscribers && c.missed === 0 && c.withGaps === 0 && c.undelivered === 0 &&
        c.delivered === c.expected && c.dropNotices === 0 && Object.keys(c.disconnects).length === 0 && c.protocolErrors === 0,
    };
    log(
      `  ${res.measured_update_rate} updates/s (driver ${res.driver_orders_per_sec} orders/s) to ${connected} subscribers: ` +
        `${c.delivered}/${c.expected} delivered, ${c.missed} missed, ${c.undelivered} undelivered ` +
        `(${res.subscribers_with_gaps} subscribers saw gaps), drop notices ${c.dropNotices}, disconnects ${JSON.stringify(c.disconnects)}, ` +
        `delivery p50 ${res.delivery_latency_us.p50} µs p99 ${res.delivery_latency_us.p99} µs, catch-up ${catchUpMs} ms; ` +
        `CPU server ${res.server_cpu_percent}% fleet ${res.subscriber_cpu_percent ?? 'n/a'}% driver ${res.driver_cpu_percent}%; ` +
        `ns/delivery server ${res.cpu_ns_per_delivery.server ?? 'n/a'} fleet ${res.cpu_ns_per_delivery.fleet ?? 'n/a'}`,
    );
    const fr = c.report;
    if (fr && c.disconnects['120'] && fr.max_silence_at_disconnect_ms < 3 * fr.heartbeat_ms) {
      log(`  note: ${c.disconnects['120']} HEARTBEAT_TIMEOUT disconnects although the fleet had sent within ${fr.max_silence_at_disconnect_ms} ms of each ` +
        `(server timeout ${3 * fr.heartbeat_ms} ms; longest silence ${fr.max_send_gap_ms} ms): the server did not read those heartbeats in time (its main thread was behind)`);
    }
    return res;
  } finally {
    await fleet?.close();
    await server.stop();
  }
}

export function fanoutOptionsFromArgs(argv: string[], quick: boolean): FanoutOptions {
  const arg = (k: string, d: number): number => {
    const i = argv.indexOf(k);
    return i >= 0 ? Number(argv[i + 1]) : d;
  };
  const fi = argv.indexOf('--fleet');
  const fleet = fi >= 0 ? argv[fi + 1] : 'c';
  if (fleet !== 'c' && fleet !== 'js') throw new RangeError(`--fleet must be c or js, not ${fleet}`);
  const writes = arg('--md-fanout-writes-per-sec', 0);
  return {
    subscribers: arg('--subscribers', quick ? 100 : 1000),
    rate: arg('--rate', quick ? 2000 : 10_000),
    seconds: arg('--seconds', quick ? 2 : 10),
    fleet,
    threads: arg('--threads', fleet === 'c' ? 1 : 2),
    symbol: 'BTCUSD',
    settleSec: arg('--settle', 10),
    ...(writes > 0 ? { mdFanoutWritesPerSec: writes } : {}),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  Promise.resolve().then(() => runFanout(fanoutOptionsFromArgs(argv, argv.includes('--quick')))).then(
    (r) => process.stdout.write(argv.includes('--json') ? JSON.stringify(r, null, 2) + '\n' : `${r.no_drops ? 'no drops' : 'DROPS'}: ${r.messages_missed} missed, ${r.messages_undelivered} undelivered\n`),
    (err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
