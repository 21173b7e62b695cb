/**
 * The native engine of the load generator: bench/ordergen/ordergen.c (one C thread, epoll +
 * timerfd, no blind sleeps; see its header) built on demand and driven through its stdout
 * JSON lines / stdin control, its result turned into the SAME report as the TS engine
 * (runner.ts buildOutput: percentiles, warnings, human table, --json, .hgrm).
 *
 * Why: the TS engine costs ~4 µs CPU per order and sleeps blind between send batches, so at
 * 100k orders/s it takes ~40% of a core from the server it measures and adds up to a batch of
 * read delay to every round trip. The C engine sends the same order flow (same seeds, mix,
 * prices, cancels: test/loadgen/ordergen-flow) with the same measurement rules.
 *
 * Build: `cc -O2 -std=c11 -o build/ordergen bench/ordergen/ordergen.c -lm` when the binary is
 * missing or older than the source; the compiler writes a per-process temporary that is
 * renamed into place, so concurrent builds never run a half-written binary.
 *
 * Histograms: the C side records integer ns in hdr-histogram-js's counts layout (3
 * significant digits) and ships [slot lowest value, count] pairs plus exact min/max; they are
 * rebuilt here with recordValueWithCount into newLatencyHistogram()s (same slot per value), so
 * the summaries equal what the TS engine's LatencyRecorder would have produced.
 *
 * Cost in this process: one JSON line per progress interval and one at the end.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './paths.js';
import { buildIfStale, WS_CLIENT_HEADER } from './build-c.js';
import { newLatencyHistogram } from './histogram.js';
import type { Histogram, LatencySummaryUs } from './histogram.js';
import { hdrIndex } from '../util/hdr-index.js';
import { buildOutput, validateOptions } from './runner.js';
import type { LiveStatus, RunHandle, RunHooks, RunOutput } from './runner.js';
import { idleShare, machineTimes, stealShare } from './bottleneck.js';
import type { Counters, LoadgenOptions, WorkerResult } from './types.js';
import { loginMac, nextAuthTs } from '../protocol/auth.js';

export const ORDERGEN_SOURCE = path.join(REPO_ROOT, 'bench', 'ordergen', 'ordergen.c');
export const ORDERGEN_BINARY = path.join(REPO_ROOT, 'build', 'ordergen');

/** Send-tick spacing of the native engine when the caller gives none (µs). 400 because the
 *  server then gets the frames it gets from the TS engine at its 200 µs default (which
 *  oversleeps): measured at 100k orders/s, SHARD_MODE=inline, 8 connections, this 2-vCPU VM:
 *  server frames in ~2.4k/s (TS 200: ~2.3-2.4k/s), server 5.3-5.4 µs CPU/order (TS 4.3-6.8),
 *  generator 1.9-2.1 µs/order (TS 3.8-4.6), corrected p50 0.50-0.55 ms (TS 0.69-1.27).
 *  200 µs lowers p50 a little more (0.34-0.64 ms) but doubles the frames (~4.5k/s) and costs
 *  the server ~1-2 µs more per order: another workload, not the TS one. */
export const NATIVE_DEFAULT_BATCH_US = 400;

export const NATIVE_TRANSPORT = 'native C ordergen (epoll + timerfd, bench/ordergen/ordergen.c), binary protocol v1';

/** Compile build/ordergen if missing or older than its source. Throws with the compiler's
 *  output on failure, or when no compiler is found. */
export function buildOrdergen(): { binary: string; built: boolean } {
  return buildIfStale({ source: ORDERGEN_SOURCE, deps: [WS_CLIENT_HEADER], binary: ORDERGEN_BINARY, flags: ['-O2', '-std=c11'], libs: ['-lm'], what: 'ordergen' });
}

/** Native-only knobs (the TS engine has no equivalent). */
export interface NativeExtras {
  /** Busy-poll epoll instead of sleeping when the next tick is this close (µs; 0 = never). */
  spinUs?: number;
  /** Run the C send loop SCHED_FIFO at this priority (1..99; 0 = normal scheduling). */
  rtPriority?: number;
  /** Binary to run (default: build/ordergen, built on demand). */
  binary?: string;
}

/** ordergen's command line for a run with these options. */
export function ordergenArgs(o: LoadgenOptions, x: NativeExtras = {}): string[] {
  const args = [
    '--url', o.url, '--rate', String(o.rate), '--duration', String(o.durationSec),
    '--ramp-up', String(o.rampUpSec), '--ramp-down', String(o.rampDownSec),
    '--connections', String(o.connections), '--symbols', o.symbols.join(','),
    '--orders-per-frame', String(o.ordersPerFrame), '--batch-us', String(o.batchUs ?? NATIVE_DEFAULT_BATCH_US),
    '--mix', `limit=${o.mix.limit},cancel=${o.mix.cancel},market=${o.mix.market}`,
    '--timeout-ms', String(o.timeoutMs), '--drain-ms', String(o.drainMs), '--seed', String(o.seed),
    '--owner-base', String(o.ownerBase), '--progress-ms', String(o.progressIntervalMs),
  ];
  if (o.warmupSec) args.push('--warmup', String(o.warmupSec));
  if (x.spinUs) args.push('--spin-us', String(x.spinUs));
  if (x.rtPriority) args.push('--rt-priority', String(x.rtPriority));
  return args;
}

/**
 * --secret for ordergen: one LOGIN credential per connection (account ownerBase + i, a new
 * session), "authTs:mac-hex" comma separated, for the ORDERGEN_LOGIN_AUTH environment
 * variable. The secret stays in this process; each credential is good for one LOGIN within
 * 30 s (server replay rule and window), and ordergen logs in once per connection, right away.
 * Passed in the environment, not argv (not in `ps`).
 */
export function loginCredentials(o: LoadgenOptions, secret: string): string {
  const out: string[] = [];
  for (let i = 0; i < o.connections; i++) {
    const account = o.ownerBase + i;
    const ts = nextAuthTs(account);
    out.push(`${ts}:${Buffer.from(loginMac(secret, 0, account, ts)).toString('hex')}`);
  }
  return out.join(',');
}

/** One histogram of the result line. */
export interface NativeHist {
  count: number;
  min: number;
  max: number;
  /** [lowest ns value of the counts slot, count], ascending. */
  slots: [number, number][];
}

/** The C engine's final line (bench/ordergen/ordergen.c "output"). */
export interface NativeResult {
  event: 'result';
  engine: 'native';
  connections: number;
  connect_failures: number;
  first_error: string;
  open_at_end: number;
  counters: Counters;
  send_window_ms: number;
  total_ms: number;
  cpu_ms: { user: number; sys: number; total: number };
  wakeups: number;
  reads: number;
  frames_sent: number;
  bytes_in: number;
  partial_writes: number;
  heartbeats_sent: number;
  batch_us: number;
  spin_us: number;
  orders_per_frame: number;
  reject_reasons: Record<string, number>;
  error_kinds: Record<string, number>;
  histograms: { corrected: NativeHist; uncorrected: NativeHist; lag: NativeHist };
}

interface NativeProgress {
  event: 'progress';
  elapsed_ms: number;
  counters: Counters;
  inflight: number;
  active_connections: number;
  cpu_ms: number;
  interval_us: LatencySummaryUs;
  cumulative_us: LatencySummaryUs;
}

/** The hdr-histogram-js histogram the TS engine would have recorded for these slots: every
 *  value as its slot's lowest value, the exact min and max as themselves (LatencyRecorder's
 *  generic path). */
export function histogramFromNative(n: NativeHist): Histogram {
  const h = newLatencyHistogram();
  if (!n || n.count === 0) return h;
  const minSlot = hdrIndex(n.min);
  const maxSlot = hdrIndex(n.max);
  for (const [v, c] of n.slots) {
    const i = hdrIndex(v);
    if (i === minSlot && i === maxSlot) {
      if (c > 1) h.recordValueWithCount(n.min, c - 1);
      h.recordValueWithCount(n.max, 1);
    } else if (i === minSlot) h.recordValueWithCount(n.min, c);
    else if (i === maxSlot) h.recordValueWithCount(n.max, c);
    else h.recordValueWithCount(v, c);
  }
  return h;
}

/** Start a native run. Same hooks and handle as runner.ts startLoadgen (threads is ignored:
 *  the C engine is one thread; custom transports are not supported). */
export function startNativeLoadgen(opts: LoadgenOptions, hooks: RunHooks = {}, x: NativeExtras = {}): RunHandle {
  validateOptions(opts);
  if (hooks.factory) throw new Error('the native engine has no pluggable transport');
  const binary = x.binary ?? buildOrdergen().binary;
  const proc = spawn(binary, ordergenArgs(opts, x), {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(opts.secret !== undefined ? { env: { ...process.env, ORDERGEN_LOGIN_AUTH: loginCredentials(opts, opts.secret) } } : {}),
  });
  let stderr = '';
  proc.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString('utf8');
  });
  proc.stdin!.on('error', () => {}); // the child may exit first (EPIPE)
  let buf = '';
  let result: NativeResult | null = null;
  let startedAt = new Date().toISOString();
  let mach0 = machineTimes();
  let prev = { acked: 0, sent: 0, t: 0, cpu: 0 };
  const onLine = (line: string): void => {
    let j: { event?: string };
    try {
      j = JSON.parse(line) as { event?: string };
    } catch {
      return;
    }
    if (j.event === 'ready') {
      const r = j as { connected: number; failed: number; first_error: string };
      startedAt = new Date(Date.now() + 20).toISOString(); // ordergen starts 20 ms after "ready"
      mach0 = machineTimes();
      hooks.onReady?.(r.connected, r.failed, r.first_error || undefined);
    } else if (j.event === 'progress' && hooks.onProgress) {
      const p = j as NativeProgress;
      const dt = (p.elapsed_ms - prev.t) / 1000;
      const status: LiveStatus = {
        elapsedMs: p.elapsed_ms,
        counters: p.counters,
        inflight: p.inflight,
        activeConnections: p.active_connections,
        ackRate: dt > 0 ? (p.counters.acked - prev.acked) / dt : 0,
        sendRate: dt > 0 ? (p.counters.sent - prev.sent) / dt : 0,
        interval: p.interval_us,
        cumulative: p.cumulative_us,
        threadElu: [dt > 0 ? Math.min(1, (p.cpu_ms - prev.cpu) / (dt * 1000)) : 0],
      };
      prev = { acked: p.counters.acked, sent: p.counters.sent, t: p.elapsed_ms, cpu: p.cpu_ms };
      hooks.onProgress(status);
    } else if (j.event === 'result') {
      result = j as NativeResult;
    }
  };
  proc.stdout!.on('data', (b: Buffer) => {
    buf += b.toString('utf8');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  const done = new Promise<RunOutput>((resolve, reject) => {
    proc.once('error', (e) => reject(new Error(`ordergen (${binary}) could not run: ${e.message}`)));
    // 'close', not 'exit': stdout is fully read by then.
    proc.once('close', (code, sig) => {
      if (buf) onLine(buf);
      const r = result as NativeResult | null;
      if (code !== 0 || r === null) {
        reject(new Error(stderr.trim() || `ordergen exited (${code ?? sig}) without a result`));
        return;
      }
      const mach1 = machineTimes();
      resolve(nativeOutput(opts, r, { startedAt, idle: idleShare(mach0, mach1), steal: stealShare(mach0, mach1) }));
    });
  });
  return {
    done,
    stop: () => {
      if (proc.exitCode === null && proc.stdin!.writable) proc.stdin!.write('stop\n');
    },
  };
}

/** Report (runner.ts buildOutput) from a native result line. */
export function nativeOutput(opts: LoadgenOptions, r: NativeResult, env: { startedAt: string; idle: number; steal?: number | null }): RunOutput {
  const cpu = r.total_ms > 0 ? (r.cpu_ms.total / r.total_ms) * 100 : 0;
  const wr: WorkerResult = {
    workerIndex: 0,
    connections: r.connections,
    connectFailures: r.connect_failures,
    counters: r.counters,
    histograms: { corrected: '', uncorrected: '', lag: '' },
    sendWindowMs: r.send_window_ms,
    totalMs: r.total_ms,
    elu: cpu / 100,
    rejectReasons: r.reject_reasons,
    errorKinds: r.error_kinds,
  };
  const out = buildOutput({ ...opts, threads: 1, batchUs: r.batch_us }, [wr], { cpu, idle: env.idle, steal: env.steal ?? null, transport: NATIVE_TRANSPORT, startedAt: env.startedAt }, {
    corrected: histogramFromNative(r.histograms.corrected),
    uncorrected: histogramFromNative(r.histograms.uncorrected),
    lag: histogramFromNative(r.histograms.lag),
  });
  // One C thread: "add --threads" does not apply; a late send loop here is CPU scheduling
  // (the machine's other runnable threads), which SCHED_FIFO addresses.
  out.report.warnings = out.report.warnings.map((w) => w.replace('add --threads or lower --rate', 'the native engine is one thread: --rt-priority, or lower --rate')
    .replace(': add --threads', ': lower --rate'));
  return out;
}

export function runNativeLoadgen(opts: LoadgenOptions, hooks: RunHooks = {}, x: NativeExtras = {}): Promise<RunOutput> {
  return startNativeLoadgen(opts, hooks, x).done;
}

/** `ordergen --dump-orders k` against a live server: its parameter lines and first k orders
 *  of connection 0 (tests: the C flow against FlowGenerator). */
export function dumpNativeOrders(url: string, k: number, o: { seed?: number; symbols?: string[]; mix?: string; binary?: string } = {}): string {
  const binary = o.binary ?? buildOrdergen().binary;
  const args = ['--url', url, '--dump-orders', String(k), '--seed', String(o.seed ?? 42)];
  if (o.symbols) args.push('--symbols', o.symbols.join(','));
  if (o.mix) args.push('--mix', o.mix);
  const r = spawnSync(binary, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`ordergen --dump-orders failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
