/**
 * Every value the load generator passes between threads or processes is declared here
 * (piscina task in, progress messages over a MessagePort, result out; the demo's child
 * process speaks the same messages over IPC). All are plain structured-clone-able objects:
 * histograms travel as compressed base64 strings (see histogram.ts), never as samples.
 */

/** Relative weights of the order flow; normalised by the generator. */
export interface MixSpec {
  /** Resting limit orders near the touch (never crossing on their own). */
  limit: number;
  /** Cancels of this connection's oldest resting order (falls back to limit when none). */
  cancel: number;
  /** Marketable orders (market, IOC semantics) that take liquidity. */
  market: number;
}

export const DEFAULT_MIX: MixSpec = { limit: 55, cancel: 40, market: 5 };

export interface LoadgenOptions {
  /** Binary order-entry WebSocket URL, e.g. ws://127.0.0.1:8080/ws/v1. Loopback only. */
  url: string;
  /** Target orders/s at the top of the profile (all threads together). */
  rate: number;
  /** Total seconds, ramps included. */
  durationSec: number;
  rampUpSec: number;
  rampDownSec: number;
  /** WebSocket connections (sessions), spread over the threads. */
  connections: number;
  /** Worker threads; 0 = run in the calling thread (demo child process, tests). */
  threads: number;
  symbols: string[];
  /** Upper bound of orders packed into one WebSocket frame (1 = one order per frame). */
  ordersPerFrame: number;
  /** Minimum µs between two send ticks of a thread: orders falling due in between share the
   *  next tick's frames (0 = send each order as soon as it is due). Fewer frames is less
   *  CPU on both sides; the wait is counted in the corrected latency and the schedule lag.
   *  Optional for callers that predate it (DEFAULT_BATCH_US then). */
  batchUs?: number;
  /** Seconds at the start of the run whose orders are sent (at the profile's rate) and
   *  answered but not timed: replies to orders planned before start + warmupSec go into no
   *  latency or lag histogram (counters still count them). Excludes the new sessions' and a
   *  sudden rate step's transient from a benchmark step, as wrk2's calibration period does.
   *  Optional; default 0. */
  warmupSec?: number;
  mix: MixSpec;
  /** An order with no reply after this long counts as a timeout. */
  timeoutMs: number;
  /** After the last planned send, wait at most this long for outstanding replies. */
  drainMs: number;
  /** PRNG seed of the order flow (per-connection streams derive from it). */
  seed: number;
  /** Period of progress messages. */
  progressIntervalMs: number;
  /** Account id base: connection i logs in as owner ownerBase + i. */
  ownerBase: number;
  /** Session secret (server SESSION_KEYS_FILE): every connection signs its LOGIN with it, so
   *  the keys file must give each account ownerBase .. ownerBase + connections - 1 this
   *  secret. Both engines (native: one-time credentials computed here, native.ts loginCredentials). Optional; default unsigned. */
  secret?: string;
}

/** batchUs when a caller leaves it out. 200 µs: at 100k orders/s on this 2-vCPU VM the
 *  generator's CPU per order went 3.6-3.8 (100 µs) -> 3.0-3.2 (200) -> 2.2-2.8 µs (300)
 *  (bench A/B, machine loaded by other runs), for up to ~one batch of extra send wait and as
 *  much reply-read wait (both measured, in the corrected latency). 0 restores send-when-due. */
export const DEFAULT_BATCH_US = 200;

export const DEFAULT_OPTIONS: LoadgenOptions = {
  url: 'ws://127.0.0.1:8080/ws/v1',
  rate: 10_000,
  durationSec: 10,
  rampUpSec: 0,
  rampDownSec: 0,
  connections: 8,
  threads: 1,
  symbols: ['BTCUSD', 'ETHUSD', 'ADAUSD'],
  ordersPerFrame: 16,
  batchUs: DEFAULT_BATCH_US,
  mix: DEFAULT_MIX,
  timeoutMs: 5_000,
  drainMs: 5_000,
  seed: 42,
  progressIntervalMs: 1_000,
  ownerBase: 100_000,
};

/** Counters one scheduler keeps; merged across threads by summing. */
export interface Counters {
  /** Orders the profile planned so far (sent or not). */
  planned: number;
  /** Orders written to a socket. */
  sent: number;
  /** Orders that got their first execution report (accepted or rejected). */
  acked: number;
  accepted: number;
  rejected: number;
  /** Rejects with an edge/system reason (>= 100: overloaded, rate limited, shard down...),
   *  as opposed to business rejects (1..99, e.g. cancel of an already filled order). */
  systemRejects: number;
  /** No reply within timeoutMs (or still pending when the drain ended). */
  timeouts: number;
  /** Replies that came after their order had been counted as a timeout. */
  lateAcks: number;
  /** Planned orders not sent: connection closed or failed, or encoding/transport error. */
  errors: number;
  /** Planned orders not sent because the connection's in-flight window (ring) was full. */
  windowFull: number;
  /** Scheduler ticks that hit their send budget with more orders already due: the thread
   *  could not keep up with its schedule (a direct generator-saturation signal). */
  saturatedTicks: number;
  /** Orders fully or partly filled (execution reports with a fill), for information. */
  fills: number;
}

export function zeroCounters(): Counters {
  return { planned: 0, sent: 0, acked: 0, accepted: 0, rejected: 0, systemRejects: 0, timeouts: 0, lateAcks: 0, errors: 0, windowFull: 0, saturatedTicks: 0, fills: 0 };
}

export function addCounters(a: Counters, b: Counters): Counters {
  const out = zeroCounters();
  for (const k of Object.keys(out) as (keyof Counters)[]) out[k] = a[k] + b[k];
  return out;
}

/** Encoded histograms of one thread (compressed base64; "" = empty). Values in ns. */
export interface EncodedHistograms {
  /** Reply time minus PLANNED send time (coordinated-omission corrected). */
  corrected: string;
  /** Reply time minus ACTUAL send time. */
  uncorrected: string;
  /** Actual minus planned send time: how late the generator itself was. */
  lag: string;
}

/** Piscina task: one thread's share of the run. */
export interface WorkerTask {
  opts: LoadgenOptions;
  workerIndex: number;
  /** Global indexes of the connections this thread owns. */
  connectionIds: number[];
  /** Share of the total rate this thread plans (its connections / all connections). */
  share: number;
  /** Progress, ready and start messages (transferred). */
  port: MessagePortLike;
}

/** The subset of MessagePort we use (so tests can pass a fake). */
export interface MessagePortLike {
  postMessage(msg: unknown): void;
  on(event: 'message', fn: (msg: unknown) => void): unknown;
  close?(): void;
  unref?(): void;
}

/** Thread -> main: all connections open (or failed); waiting for `start`. */
export interface ReadyMsg {
  type: 'ready';
  workerIndex: number;
  connected: number;
  failed: number;
  firstError?: string;
}

/** Main -> thread: start the schedule at this wall-clock instant (ms since epoch). */
export interface StartMsg {
  type: 'start';
  epochMs: number;
}

/** Main -> thread: stop planning now, drain, return the result. */
export interface StopMsg {
  type: 'stop';
}

/** Thread -> main, every progressIntervalMs. Counters are cumulative; `interval` covers
 *  only the replies since the previous progress message. */
export interface ProgressMsg {
  type: 'progress';
  workerIndex: number;
  elapsedMs: number;
  counters: Counters;
  inflight: number;
  activeConnections: number;
  interval: string; // encoded corrected-latency histogram of this interval
  /** Event-loop utilisation of this thread over the interval, 0..1. */
  elu: number;
}

export interface WorkerResult {
  workerIndex: number;
  connections: number;
  connectFailures: number;
  counters: Counters;
  histograms: EncodedHistograms;
  /** Wall time from the planned start to the last send (ms). */
  sendWindowMs: number;
  /** Wall time from the planned start to the end of the drain (ms). */
  totalMs: number;
  /** Event-loop utilisation over the run, 0..1. */
  elu: number;
  rejectReasons: Record<string, number>;
  errorKinds: Record<string, number>;
}

// ---------------------------------------------------------------------------------------
// Child-process mode (the demo API runs the generator off the server's event loop, in a
// child process started with fork(); these travel over its IPC channel).
// ---------------------------------------------------------------------------------------

/** Parent -> child. */
export type ChildCommand = { type: 'run'; opts: LoadgenOptions } | { type: 'stop' };

/** Child -> parent. `status` is runner.ts's LiveStatus, `report` its LoadgenReport. */
export type ChildEvent =
  | { type: 'ready'; connected: number; failed: number; firstError?: string }
  | { type: 'progress'; status: unknown }
  | { type: 'done'; report: unknown }
  | { type: 'error'; message: string };
