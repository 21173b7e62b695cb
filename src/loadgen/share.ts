/**
 * One thread's share of a run: open its connections, report `ready`, wait for `start`
 * (a wall-clock instant shared by all threads), run the open-loop scheduler, post progress,
 * close, return the result. The piscina worker (worker.ts) and the in-thread mode
 * (threads = 0) both call runShare, so both behave the same.
 *
 * Time: each thread has its own performance.timeOrigin, so the start instant travels as
 * epoch milliseconds and is converted with this thread's timeOrigin.
 */
import { OpenLoopScheduler } from './scheduler.js';
import type { OrderConnection, ReplyOutcome } from './scheduler.js';
import { RateProfile } from './profile.js';
import type { ReplySink } from './ws-transport.js';
import { DEFAULT_BATCH_US, zeroCounters } from './types.js';
import type { LoadgenOptions, ProgressMsg, ReadyMsg, StartMsg, WorkerResult, WorkerTask } from './types.js';

/** A connection the share can open and close (the ws transport, or a test fake). */
export interface ManagedConnection extends OrderConnection {
  sink: ReplySink | null;
  connect(): Promise<void>;
  close(): Promise<void>;
}

export type ConnectionFactory = (opts: LoadgenOptions, localIndex: number, globalId: number) => ManagedConnection;

/** Forwards replies to the scheduler once it exists. */
class SinkRef implements ReplySink {
  target: OpenLoopScheduler | null = null;
  reply(conn: number, id: number, outcome: ReplyOutcome, reason?: number, fill?: boolean): void {
    this.target?.reply(conn, id, outcome, reason, fill);
  }
  noteError(kind: string): void {
    this.target?.noteError(kind);
  }
  beginReplies(): void {
    this.target?.beginReplies();
  }
}

function waitForStart(task: WorkerTask): Promise<StartMsg | null> {
  return new Promise((resolve) => {
    task.port.on('message', (m: unknown) => {
      const msg = m as { type?: string };
      if (msg.type === 'start') resolve(m as StartMsg);
      else if (msg.type === 'stop') resolve(null);
    });
  });
}

export async function runShare(task: WorkerTask, factory: ConnectionFactory): Promise<WorkerResult> {
  const { opts } = task;
  const sink = new SinkRef();
  const all = task.connectionIds.map((gid, i) => {
    const c = factory(opts, i, gid);
    c.sink = sink;
    return c;
  });
  const startMsg = waitForStart(task);
  const outcomes = await Promise.allSettled(all.map((c) => c.connect()));
  const failed = outcomes.filter((o) => o.status === 'rejected') as PromiseRejectedResult[];
  // The scheduler indexes connections 0..n-1: keep the ones that logged in, re-indexed.
  const live = all.filter((_, i) => outcomes[i]!.status === 'fulfilled');
  const ready: ReadyMsg = { type: 'ready', workerIndex: task.workerIndex, connected: live.length, failed: failed.length };
  if (failed.length) ready.firstError = String((failed[0]!.reason as Error)?.message ?? failed[0]!.reason);
  task.port.postMessage(ready);
  const start = await startMsg;
  const errorKinds: Record<string, number> = {};
  if (failed.length) errorKinds[`connect: ${ready.firstError}`] = failed.length;

  if (start === null || live.length === 0) {
    await Promise.all(live.map((c) => c.close()));
    return {
      workerIndex: task.workerIndex, connections: live.length, connectFailures: failed.length,
      counters: zeroCounters(), histograms: { corrected: '', uncorrected: '', lag: '' },
      sendWindowMs: 0, totalMs: 0, elu: 0, rejectReasons: {}, errorKinds,
    };
  }

  const indexed: OrderConnection[] = live.map((c, i) => reindex(c, i));
  const profile = new RateProfile({ rate: opts.rate, durationSec: opts.durationSec, rampUpSec: opts.rampUpSec, rampDownSec: opts.rampDownSec }).scaled(task.share);
  const elu0 = performance.eventLoopUtilization();
  let eluPrev = elu0;
  const sched = new OpenLoopScheduler({
    profile,
    connections: indexed,
    ordersPerFrame: opts.ordersPerFrame,
    timeoutMs: opts.timeoutMs,
    drainMs: opts.drainMs,
    progressIntervalMs: opts.progressIntervalMs,
    batchMs: (opts.batchUs ?? DEFAULT_BATCH_US) / 1000,
    warmupMs: (opts.warmupSec ?? 0) * 1000,
    onProgress: (p) => {
      const now = performance.eventLoopUtilization();
      const delta = performance.eventLoopUtilization(now, eluPrev);
      eluPrev = now;
      const msg: ProgressMsg = {
        type: 'progress', workerIndex: task.workerIndex, elapsedMs: p.elapsedMs, counters: p.counters,
        inflight: p.inflight, activeConnections: p.activeConnections, interval: p.interval, elu: delta.utilization,
      };
      task.port.postMessage(msg);
    },
  });
  sink.target = sched;
  task.port.on('message', (m: unknown) => {
    if ((m as { type?: string }).type === 'stop') sched.stop();
  });
  const localStart = start.epochMs - performance.timeOrigin;
  const res = await sched.run(localStart);
  const elu = performance.eventLoopUtilization(elu0).utilization;
  await Promise.all(live.map((c) => c.close()));
  for (const [k, v] of Object.entries(res.errorKinds)) errorKinds[k] = (errorKinds[k] ?? 0) + v;
  return {
    workerIndex: task.workerIndex,
    connections: live.length,
    connectFailures: failed.length,
    counters: res.counters,
    histograms: res.histograms,
    sendWindowMs: res.sendWindowMs,
    totalMs: res.totalMs,
    elu,
    rejectReasons: res.rejectReasons,
    errorKinds,
  };
}

/** The scheduler's view of connection `c` under index `i`; replies are re-indexed too. */
function reindex(c: ManagedConnection, i: number): OrderConnection {
  if (c.index === i) return c;
  const inner = c.sink;
  c.sink = {
    reply: (_conn, id, outcome, reason, fill) => inner?.reply(i, id, outcome, reason, fill),
    noteError: (k) => inner?.noteError(k),
    beginReplies: () => inner?.beginReplies?.(),
  };
  return { index: i, isOpen: () => c.isOpen(), sendFrame: (f, n) => c.sendFrame(f, n) };
}
