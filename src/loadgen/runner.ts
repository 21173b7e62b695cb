/**
 * Runs a load-generator job: splits connections and rate over worker threads (piscina, the
 * project's pool) or runs in the calling thread (threads = 0), starts every thread at the
 * same instant, aggregates live progress, merges the threads' encoded HDR histograms and
 * builds the report (with the self-bottleneck check).
 *
 * Cost: the main thread does no per-order work; it handles one progress message per thread
 * per progressIntervalMs and one result per thread.
 *
 * Worker threads are kept between runs of the same process (one idle pool per thread count,
 * unref'd by piscina when idle, so it never keeps a process alive): a benchmark that warms
 * up with a short run and then measures (bench/e2e.ts) measures JIT-compiled generator code,
 * not a fresh thread re-parsing and re-compiling ws and the generator (measured ~0.5 s of
 * CPU per new thread here). A run that finds its pool busy (concurrent runs) gets a
 * private pool, destroyed after it.
 */
import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import os from 'node:os';
import { Piscina } from 'piscina';
import { runShare } from './share.js';
import type { ConnectionFactory } from './share.js';
import { wsFactory } from './worker.js';
import { distFile } from './paths.js';
import { mergeEncoded, newLatencyHistogram, summarizeUs } from './histogram.js';
import type { Histogram, LatencySummaryUs } from './histogram.js';
import { DEFAULT_BATCH_US, addCounters, zeroCounters } from './types.js';
import type { Counters, LoadgenOptions, ProgressMsg, ReadyMsg, WorkerResult, WorkerTask } from './types.js';
import { RateProfile } from './profile.js';
import { cpuPercent, detectBottleneck, idleShare, machineTimes, stealShare } from './bottleneck.js';
import { latencyBlock } from './report.js';
import type { LoadgenReport, MergedHistograms } from './report.js';

/** Live view of a run, every progressIntervalMs. */
export interface LiveStatus {
  elapsedMs: number;
  counters: Counters;
  inflight: number;
  activeConnections: number;
  /** Replies per second over the last interval. */
  ackRate: number;
  /** Orders sent per second over the last interval. */
  sendRate: number;
  /** Corrected ack latency of the last interval (µs). */
  interval: LatencySummaryUs;
  /** Corrected ack latency since the start (µs). */
  cumulative: LatencySummaryUs;
  threadElu: number[];
}

export interface RunHooks {
  onProgress?: (s: LiveStatus) => void;
  /** Called once every thread has opened its connections, before the schedule starts. */
  onReady?: (connected: number, failed: number, firstError?: string) => void;
  /** Transport override (tests); default: WebSocket + binary protocol. */
  factory?: ConnectionFactory;
  transportName?: string;
}

export interface RunOutput {
  report: LoadgenReport;
  histograms: MergedHistograms;
}

export interface RunHandle {
  done: Promise<RunOutput>;
  /** Stop planning now; the run drains outstanding replies and resolves `done`. */
  stop(): void;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1)$/;

/** Throws RangeError naming the first bad option. Load only ever targets loopback. */
export function validateOptions(o: LoadgenOptions): void {
  let u: URL;
  try {
    u = new URL(o.url);
  } catch {
    throw new RangeError(`url: not a URL: ${o.url}`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new RangeError('url: must be ws:// or wss://');
  if (!LOOPBACK.test(u.hostname)) throw new RangeError(`url: load is only generated against loopback (127.0.0.0/8, localhost), not ${u.hostname}`);
  const num = (name: string, v: number, min: number, max: number, int = false): void => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v))) {
      throw new RangeError(`${name}: must be ${int ? 'an integer ' : ''}between ${min} and ${max}, got ${v}`);
    }
  };
  num('rate', o.rate, 0.001, 10_000_000);
  num('duration', o.durationSec, 0.001, 3600);
  num('ramp_up', o.rampUpSec, 0, 3600);
  num('ramp_down', o.rampDownSec, 0, 3600);
  if (o.rampUpSec + o.rampDownSec > o.durationSec) throw new RangeError('ramp_up + ramp_down must not exceed duration');
  num('connections', o.connections, 1, 10_000, true);
  num('threads', o.threads, 0, 64, true);
  num('orders_per_frame', o.ordersPerFrame, 1, 1024, true);
  if (o.batchUs !== undefined) num('batch_us', o.batchUs, 0, 100_000);
  if (o.warmupSec !== undefined) num('warmup', o.warmupSec, 0, 3600);
  if ((o.warmupSec ?? 0) >= o.durationSec) throw new RangeError('warmup must be shorter than duration');
  num('timeout_ms', o.timeoutMs, 1, 600_000);
  num('drain_ms', o.drainMs, 0, 600_000);
  if (!Array.isArray(o.symbols) || o.symbols.length === 0) throw new RangeError('symbols: need at least one');
  const m = o.mix;
  if (!m || [m.limit, m.cancel, m.market].some((x) => !(x >= 0)) || m.limit + m.cancel + m.market <= 0) {
    throw new RangeError('mix: weights must be >= 0 and sum to > 0');
  }
}

export function startLoadgen(opts: LoadgenOptions, hooks: RunHooks = {}): RunHandle {
  validateOptions(opts);
  const inline = opts.threads === 0;
  const nThreads = inline ? 1 : Math.min(opts.threads, opts.connections);
  const ids: number[][] = Array.from({ length: nThreads }, () => []);
  for (let g = 0; g < opts.connections; g++) ids[g % nThreads]!.push(g);

  const channels = ids.map(() => new MessageChannel());
  const tasks: WorkerTask[] = ids.map((connectionIds, w) => ({
    opts,
    workerIndex: w,
    connectionIds,
    share: connectionIds.length / opts.connections,
    port: channels[w]!.port2,
  }));

  let pool: Piscina | null = null;
  let privatePool = false;
  const factory = hooks.factory ?? wsFactory;
  let results: Promise<WorkerResult[]>;
  if (inline) {
    results = Promise.all(tasks.map((t) => runShare(t, factory)));
  } else {
    if (hooks.factory) throw new Error('a custom transport factory needs threads = 0');
    const idle = idlePools.get(nThreads);
    if (idle) idlePools.delete(nThreads);
    else privatePool = busyThreadCounts.has(nThreads);
    pool = idle ?? newPool(nThreads);
    if (!privatePool) busyThreadCounts.add(nThreads);
    const p = pool;
    results = Promise.all(tasks.map((t) => p.run(t, { transferList: [t.port as unknown as MessagePort] })));
  }

  const ports = channels.map((c) => c.port1);
  const ready: ReadyMsg[] = [];
  const latest = new Map<number, ProgressMsg>();
  let pendingIntervals: string[] = [];
  const cumulative: Histogram = newLatencyHistogram();
  let started = false;
  let stopped = false;
  let startWall = 0;
  let startedAt = new Date().toISOString();
  let cpu0 = process.cpuUsage();
  let mach0 = machineTimes();
  let progressTimer: NodeJS.Timeout | null = null;
  let prev = { acked: 0, sent: 0, t: 0 };

  const broadcast = (msg: unknown): void => {
    for (const p of ports) p.postMessage(msg);
  };

  const emitProgress = (): void => {
    if (!hooks.onProgress || latest.size === 0) return;
    let counters = zeroCounters();
    let inflight = 0;
    let active = 0;
    let elapsed = 0;
    const elu: number[] = [];
    for (const m of latest.values()) {
      counters = addCounters(counters, m.counters);
      inflight += m.inflight;
      active += m.activeConnections;
      elapsed = Math.max(elapsed, m.elapsedMs);
      elu[m.workerIndex] = m.elu;
    }
    const interval = mergeEncoded(pendingIntervals);
    pendingIntervals = [];
    cumulative.add(interval);
    const now = performance.now();
    const dt = (now - prev.t) / 1000;
    const status: LiveStatus = {
      elapsedMs: elapsed,
      counters,
      inflight,
      activeConnections: active,
      ackRate: dt > 0 ? (counters.acked - prev.acked) / dt : 0,
      sendRate: dt > 0 ? (counters.sent - prev.sent) / dt : 0,
      interval: summarizeUs(interval),
      cumulative: summarizeUs(cumulative),
      threadElu: elu,
    };
    prev = { acked: counters.acked, sent: counters.sent, t: now };
    hooks.onProgress(status);
  };

  for (const port of ports) {
    port.on('message', (m: unknown) => {
      const msg = m as { type: string };
      if (msg.type === 'ready') {
        ready.push(m as ReadyMsg);
        if (ready.length === ports.length) {
          const connected = ready.reduce((a, r) => a + r.connected, 0);
          const failed = ready.reduce((a, r) => a + r.failed, 0);
          hooks.onReady?.(connected, failed, ready.find((r) => r.firstError)?.firstError);
          if (stopped || connected === 0) {
            broadcast({ type: 'stop' });
            return;
          }
          // Every thread converts this epoch instant with its own timeOrigin.
          const epochMs = performance.timeOrigin + performance.now() + 50;
          started = true;
          startWall = performance.now() + 50;
          startedAt = new Date(Date.now() + 50).toISOString();
          cpu0 = process.cpuUsage();
          mach0 = machineTimes();
          prev = { acked: 0, sent: 0, t: startWall };
          broadcast({ type: 'start', epochMs });
          if (hooks.onProgress) {
            progressTimer = setInterval(emitProgress, opts.progressIntervalMs);
            progressTimer.unref();
          }
        }
      } else if (msg.type === 'progress') {
        const pm = m as ProgressMsg;
        latest.set(pm.workerIndex, pm);
        if (pm.interval) pendingIntervals.push(pm.interval);
      }
    });
  }

  const done = results
    .then((rs) => {
      const wallMs = started ? performance.now() - startWall : 0;
      const cpu = cpuPercent(cpu0, process.cpuUsage(), wallMs);
      const mach1 = machineTimes();
      return buildOutput(opts, rs, { cpu, idle: idleShare(mach0, mach1), steal: stealShare(mach0, mach1), transport: hooks.transportName ?? 'ws + binary protocol v1 (orders framed in place, src/protocol layouts)', startedAt });
    })
    .finally(async () => {
      if (progressTimer) clearInterval(progressTimer);
      for (const p of ports) p.close();
      if (pool && privatePool) await pool.destroy();
      else if (pool) {
        busyThreadCounts.delete(nThreads);
        idlePools.set(nThreads, pool);
      }
    });

  return {
    done,
    stop: () => {
      stopped = true;
      broadcast({ type: 'stop' });
    },
  };
}

const idlePools = new Map<number, Piscina>();
const busyThreadCounts = new Set<number>();

function newPool(nThreads: number): Piscina {
  return new Piscina({
    filename: distFile('src/loadgen/worker.js'),
    minThreads: nThreads,
    maxThreads: nThreads,
    idleTimeout: 60_000,
    atomics: 'disabled',
    name: 'default',
  });
}

/** Destroy the kept worker pools (tests, or a process that wants its threads gone now). */
export async function closeLoadgenPools(): Promise<void> {
  const pools = [...idlePools.values()];
  idlePools.clear();
  await Promise.all(pools.map((p) => p.destroy()));
}

/** Convenience: run to completion. */
export function runLoadgen(opts: LoadgenOptions, hooks: RunHooks = {}): Promise<RunOutput> {
  return startLoadgen(opts, hooks).done;
}

export interface RunEnv {
  cpu: number;
  idle: number;
  /** Hypervisor steal share over the run (bottleneck.ts stealShare); null: not reported. */
  steal?: number | null;
  transport: string;
  startedAt: string;
}

/** `merged`: histograms already built (the native engine's); else the threads' encoded
 *  ones are merged. */
export function buildOutput(opts: LoadgenOptions, rs: WorkerResult[], env: RunEnv, merged?: MergedHistograms): RunOutput {
  let counters = zeroCounters();
  const rejectReasons: Record<string, number> = {};
  const errorKinds: Record<string, number> = {};
  let sendWindowMs = 0;
  let totalMs = 0;
  let connections = 0;
  let connectFailures = 0;
  for (const r of rs) {
    counters = addCounters(counters, r.counters);
    for (const [k, v] of Object.entries(r.rejectReasons)) rejectReasons[k] = (rejectReasons[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.errorKinds)) errorKinds[k] = (errorKinds[k] ?? 0) + v;
    sendWindowMs = Math.max(sendWindowMs, r.sendWindowMs);
    totalMs = Math.max(totalMs, r.totalMs);
    connections += r.connections;
    connectFailures += r.connectFailures;
  }
  const histograms: MergedHistograms = merged ?? {
    corrected: mergeEncoded(rs.map((r) => r.histograms.corrected)),
    uncorrected: mergeEncoded(rs.map((r) => r.histograms.uncorrected)),
    lag: mergeEncoded(rs.map((r) => r.histograms.lag)),
  };
  const profile = new RateProfile({ rate: opts.rate, durationSec: opts.durationSec, rampUpSec: opts.rampUpSec, rampDownSec: opts.rampDownSec });
  const plannedRate = profile.total / opts.durationSec;
  // Achieved: sends over the send window, never shorter than the planned duration (a run
  // that ends early because it was stopped uses its real window).
  const windowS = Math.max(sendWindowMs / 1000, counters.planned >= profile.total ? opts.durationSec : sendWindowMs / 1000);
  const achieved = windowS > 0 ? counters.sent / windowS : 0;
  const ackRate = windowS > 0 ? counters.acked / windowS : 0;
  const lat = latencyBlock(histograms);
  const load = {
    cpuPercent: env.cpu,
    threadElu: rs.map((r) => r.elu),
    machineIdle: env.idle,
    machineSteal: env.steal ?? null,
    cores: os.cpus().length,
  };
  const stoppedEarly = counters.planned < profile.total;
  const warnings = detectBottleneck({
    load,
    lagP99Us: lat.schedule_lag_us.p99,
    plannedRate: stoppedEarly ? 0 : plannedRate,
    achievedRate: achieved,
    windowFull: counters.windowFull,
    saturatedTicks: counters.saturatedTicks,
  });
  if (connectFailures > 0) warnings.push(`${connectFailures} of ${opts.connections} connections failed to log in`);
  if (stoppedEarly) warnings.push(`stopped early: ${counters.planned} of ${profile.total} planned orders were scheduled`);
  const report: LoadgenReport = {
    tool: 'simex-loadgen',
    started_at: env.startedAt,
    url: opts.url,
    transport: env.transport,
    target_rate: opts.rate,
    planned_rate: plannedRate,
    achieved_rate: achieved,
    ack_rate: ackRate,
    duration_s: opts.durationSec,
    ramp_up_s: opts.rampUpSec,
    ramp_down_s: opts.rampDownSec,
    send_window_s: sendWindowMs / 1000,
    total_s: totalMs / 1000,
    connections,
    connect_failures: connectFailures,
    threads: opts.threads,
    orders_per_frame: opts.ordersPerFrame,
    batch_us: opts.batchUs ?? DEFAULT_BATCH_US,
    warmup_s: opts.warmupSec ?? 0,
    symbols: opts.symbols,
    mix: opts.mix,
    counters,
    ...lat,
    generator: {
      cpu_percent: env.cpu,
      thread_elu: load.threadElu,
      machine_idle_percent: env.idle * 100,
      machine_steal_percent: env.steal === undefined || env.steal === null ? null : env.steal * 100,
      cores: load.cores,
    },
    reject_reasons: rejectReasons,
    error_kinds: errorKinds,
    warnings,
  };
  return { report, histograms };
}
