/**
 * The open-loop scheduler: sends orders at PLANNED times from a RateProfile, whatever the
 * replies, and measures each reply against both its planned send time (coordinated-omission
 * corrected, as wrk2 and exchange-core's harness do) and its actual send time (uncorrected).
 * A reply that is late because the generator itself fell behind shows up in `corrected` and
 * in the schedule-lag histogram, never hides.
 *
 * Transport-agnostic: it talks to `OrderConnection`s (real WebSockets in ws-transport.ts, fakes
 * in tests) and reads time from an injected Clock and Timers, so the tests drive it in
 * virtual time, deterministically.
 *
 * Ordering: within one tick, due orders are packed into frames of at most `ordersPerFrame`
 * and dealt round-robin over the open connections; a tick sends at most MAX_PER_TICK orders
 * then yields (setImmediate) so replies get read; a generator that cannot keep up therefore
 * accumulates lag instead of starving its own receive path.
 *
 * Batching (`batchMs`): after a tick that sent, the next send tick comes no sooner than
 * batchMs later, so orders falling due in between go out together in the next tick's frames,
 * and the thread sleeps (one futex pause) in between. Cost model, measured on this 2-vCPU VM:
 * every tick costs ~60-100 µs of CPU whatever it carries — a sleep/wake-up (~30-35 µs, any
 * length), a socket write per frame (~7-27 µs, the kernel delivering to the server), the
 * reads of the replies and the loop itself — while an order costs ~0.6 µs of JS. So CPU per
 * order is dominated by ticks/s: sending as soon as each order is due (batchMs = 0) spends a
 * tick on every 1-4 orders at 100k/s; batchMs bounds ticks/s at ~1/(batchMs + the ~100-200 µs
 * a pause oversleeps here). The wait is not hidden: latency is still measured from each
 * order's planned time, and the schedule-lag histogram includes it; replies arriving during a
 * pause are read (and timed) when it ends. An idle generator (nothing sent for batchMs) still
 * sends an order at its planned time.
 */
import { RateProfile } from './profile.js';
import { LatencyRecorder } from './histogram.js';
import { zeroCounters } from './types.js';
import type { Counters, EncodedHistograms } from './types.js';

export interface Clock {
  /** Monotonic milliseconds (performance.now() in production). */
  now(): number;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  setImmediate(fn: () => void): unknown;
  clearTimeout(handle: unknown): void;
  /** Block the thread for `ms` (< 1) without spinning; optional (virtual time has none). */
  pause?(ms: number): void;
}

const pauseCell = new Int32Array(new SharedArrayBuffer(4));

export const realClock: Clock = { now: () => performance.now() };
export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  setImmediate: (fn) => setImmediate(fn),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  // futex wait with a sub-millisecond timeout: yields the core (to the server, on a shared
  // machine) instead of spinning the event loop.
  pause: (ms) => void Atomics.wait(pauseCell, 0, 0, ms),
};

/** Longest sub-millisecond pause before polling again (also the most a reply waits to be
 *  read because of it). */
export const MAX_PAUSE_MS = 0.1;

/** One session/socket as the scheduler sees it. */
export interface OrderConnection {
  readonly index: number;
  isOpen(): boolean;
  /**
   * Send `n` orders as one frame with client order ids firstId .. firstId + n - 1 (ids are
   * per connection, strictly increasing). Returns false if nothing was written.
   */
  sendFrame(firstId: number, n: number): boolean;
}

export type ReplyOutcome = 'accepted' | 'rejected';

/** Orders a connection can have outstanding: 2^17. At 300k orders/s over 8 connections and
 *  a 5 s timeout, ~190k could be outstanding per connection in the worst case before timing
 *  out, so a full window means the server is seconds behind. */
export const WINDOW = 1 << 17;
const MASK = WINDOW - 1;
const MAX_PER_TICK = 2048;

const PENDING = 1;
const DONE = 2;
const TIMED_OUT = 3;

/** Per-connection in-flight window: a ring indexed by client order id. */
class InflightRing {
  readonly planned = new Float64Array(WINDOW);
  readonly sent = new Float64Array(WINDOW);
  readonly state = new Uint8Array(WINDOW);
  /** Oldest id not yet resolved. */
  head = 1;
  /** Next id to assign. */
  tail = 1;
  /** Next id to check for a timeout (head <= checked <= tail). */
  checked = 1;

  get outstanding(): number {
    return this.tail - this.head;
  }
}

export interface SchedulerOptions {
  profile: RateProfile;
  connections: readonly OrderConnection[];
  ordersPerFrame: number;
  timeoutMs: number;
  drainMs: number;
  progressIntervalMs: number;
  /** Minimum time between two send ticks (see Batching above); default 0. */
  batchMs?: number;
  /** Orders planned in the first warmupMs are sent and answered but not timed (no
   *  latency/lag histogram records); default 0. */
  warmupMs?: number;
  clock?: Clock;
  timers?: Timers;
  /** Called every progressIntervalMs while running (and not after done). */
  onProgress?: (p: SchedulerProgress) => void;
}

export interface SchedulerProgress {
  elapsedMs: number;
  counters: Counters;
  inflight: number;
  activeConnections: number;
  /** Corrected latency of replies since the previous progress call (encoded). */
  interval: string;
}

export interface SchedulerResult {
  counters: Counters;
  histograms: EncodedHistograms;
  sendWindowMs: number;
  totalMs: number;
  rejectReasons: Record<string, number>;
  errorKinds: Record<string, number>;
}

export class OpenLoopScheduler {
  readonly counters: Counters = zeroCounters();
  readonly corrected = new LatencyRecorder();
  readonly uncorrected = new LatencyRecorder();
  readonly lag = new LatencyRecorder();
  private readonly intervalHist = new LatencyRecorder();
  readonly rejectReasons: Record<string, number> = {};
  readonly errorKinds: Record<string, number> = {};

  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly rings: InflightRing[];
  private startMs = 0;
  private next = 0; // index of the next order to plan
  private total: number;
  private nextPlannedMs = Infinity;
  private rr = 0;
  private lastSendMs = 0;
  /** When the last tick that sent ran (for batchMs). */
  private lastSendTickMs = -Infinity;
  /** The last tick stopped at its budget with orders still due: tick again at once. */
  private behind = false;
  private readonly batchMs: number;
  private readonly warmupMs: number;
  /** Planned times below this are warm-up (startMs + warmupMs). */
  private measureFromMs = 0;
  private readonly maxPauseMs: number;
  /** Planned times of the frame being assembled (ms), reused. */
  private readonly plannedBuf: Float64Array;
  private sending = false;
  /** beginReplies() timestamp, -1 = read the clock per reply. */
  private replyNowMs = -1;
  private finished = false;
  private timer: unknown = null;
  private progressTimer: unknown = null;
  private resolveDone: ((r: SchedulerResult) => void) | null = null;
  private drainDeadline = 0;
  private pending = 0;

  constructor(private readonly o: SchedulerOptions) {
    if (!(o.ordersPerFrame >= 1)) throw new RangeError('ordersPerFrame must be >= 1');
    if (o.connections.length === 0) throw new RangeError('need at least one connection');
    this.clock = o.clock ?? realClock;
    this.timers = o.timers ?? realTimers;
    this.rings = o.connections.map(() => new InflightRing());
    this.total = o.profile.total;
    this.batchMs = o.batchMs ?? 0;
    this.warmupMs = o.warmupMs ?? 0;
    if (!(this.warmupMs >= 0)) throw new RangeError('warmupMs must be >= 0');
    if (!(this.batchMs >= 0)) throw new RangeError('batchMs must be >= 0');
    this.maxPauseMs = Math.max(MAX_PAUSE_MS, this.batchMs);
    this.plannedBuf = new Float64Array(Math.min(o.ordersPerFrame, MAX_PER_TICK));
  }

  /** Start planning at `startMs` on this scheduler's clock (default: now). */
  run(startMs = this.clock.now()): Promise<SchedulerResult> {
    this.startMs = startMs;
    this.measureFromMs = startMs + this.warmupMs;
    this.nextPlannedMs = this.plannedMs(0);
    this.sending = true;
    const done = new Promise<SchedulerResult>((resolve) => (this.resolveDone = resolve));
    this.arm(this.clock.now());
    if (this.o.onProgress) this.armProgress();
    return done;
  }

  /** Stop planning new orders now; outstanding replies are still awaited (drain). */
  stop(): void {
    if (this.next < this.total) this.total = this.next;
    if (this.sending) {
      if (this.timer !== null) this.timers.clearTimeout(this.timer);
      this.timer = null;
      this.timers.setImmediate(() => this.tick());
    }
  }

  /** Elapsed ms since the planned start (negative before it). */
  elapsedMs(): number {
    return this.clock.now() - this.startMs;
  }

  /** Orders sent and neither answered nor timed out. */
  get inflight(): number {
    return this.pending;
  }

  /** Replies until the next tick are timestamped with one clock read taken now (a
   *  transport calls this once per received frame; replies of one read arrived together). */
  beginReplies(): void {
    this.replyNowMs = this.clock.now();
  }

  /**
   * A reply for (connection, client order id). Only the FIRST reply of an order counts for
   * latency; later ones (fills after the ack) are counted as fills only when `fill`.
   */
  reply(conn: number, id: number, outcome: ReplyOutcome, reason = 0, fill = false): void {
    const ring = this.rings[conn];
    if (ring === undefined || id < ring.head || id >= ring.tail) {
      if (fill) this.counters.fills++;
      return;
    }
    const i = id & MASK;
    const st = ring.state[i];
    if (fill) this.counters.fills++;
    if (st === TIMED_OUT) {
      this.counters.lateAcks++;
      ring.state[i] = DONE;
    } else if (st === PENDING) {
      const now = this.replyNowMs >= 0 ? this.replyNowMs : this.clock.now();
      const planned = ring.planned[i]!;
      if (planned >= this.measureFromMs) {
        const corrected = now - planned;
        this.corrected.recordMs(corrected);
        this.intervalHist.recordMs(corrected);
        this.uncorrected.recordMs(now - ring.sent[i]!);
      }
      ring.state[i] = DONE;
      this.pending--;
      this.counters.acked++;
      if (outcome === 'accepted') this.counters.accepted++;
      else {
        this.counters.rejected++;
        if (reason >= 100) this.counters.systemRejects++;
        const k = String(reason);
        this.rejectReasons[k] = (this.rejectReasons[k] ?? 0) + 1;
      }
    } else {
      return;
    }
    while (ring.head < ring.tail && ring.state[ring.head & MASK] !== PENDING && ring.state[ring.head & MASK] !== TIMED_OUT) {
      ring.head++;
    }
  }

  /** Note a transport-level error (connection closed, bad frame, ...). */
  noteError(kind: string): void {
    this.errorKinds[kind] = (this.errorKinds[kind] ?? 0) + 1;
  }

  private plannedMs(k: number): number {
    return this.startMs + this.o.profile.plannedAt(k) * 1000;
  }

  private arm(now: number): void {
    if (this.finished) return;
    if (this.sending) {
      if (this.behind) {
        this.timer = this.timers.setImmediate(() => this.tick());
        return;
      }
      const wakeMs = Math.max(this.nextPlannedMs, this.lastSendTickMs + this.batchMs);
      const wait = wakeMs - now;
      // setTimeout wakes ~1 ms late at best: sleep until ~1.5 ms before the planned time,
      // then poll with setImmediate (which still lets the loop read replies), pausing up to
      // MAX_PAUSE_MS (or one batch, if longer) per poll so a waiting generator does not burn
      // a core. Each pause costs ~30-35 µs of CPU here whatever its length (a futex sleep and
      // wake-up on this VM, measured), so one pause per batch, not several.
      if (wait > 2) this.timer = this.timers.setTimeout(() => this.tick(), wait - 1.5);
      else {
        if (wait > 0.01 && this.timers.pause) this.timers.pause(Math.min(wait, this.maxPauseMs));
        this.timer = this.timers.setImmediate(() => this.tick());
      }
    } else {
      this.timer = this.timers.setTimeout(() => this.tick(), 5);
    }
  }

  private armProgress(): void {
    this.progressTimer = this.timers.setTimeout(() => {
      if (this.finished) return;
      this.o.onProgress!({
        elapsedMs: this.elapsedMs(),
        counters: { ...this.counters },
        inflight: this.inflight,
        activeConnections: this.o.connections.filter((c) => c.isOpen()).length,
        interval: this.intervalHist.encode(),
      });
      this.intervalHist.reset();
      this.armProgress();
    }, this.o.progressIntervalMs);
  }

  private tick(): void {
    this.timer = null;
    this.replyNowMs = -1;
    if (this.finished) return;
    const now = this.clock.now();
    if (this.sending) this.sendDue(now);
    this.expire(now);
    if (this.sending && this.next >= this.total) {
      this.sending = false;
      this.drainDeadline = now + this.o.drainMs;
    }
    if (!this.sending && (this.inflight === 0 || now >= this.drainDeadline)) {
      this.finish(now);
      return;
    }
    this.arm(now);
  }

  private sendDue(now: number): void {
    const conns = this.o.connections;
    const perFrame = this.o.ordersPerFrame;
    const plannedBuf = this.plannedBuf;
    let budget = MAX_PER_TICK;
    // Batching: no send tick sooner than batchMs after the previous one (arm() waits for
    // it; this guards ticks that run early for other reasons, e.g. stop()).
    if (!this.behind && now < this.lastSendTickMs + this.batchMs && this.next < this.total) return;
    this.behind = false;
    const sentBefore = this.counters.planned;
    if (this.next < this.total && this.plannedMs(Math.min(this.next + MAX_PER_TICK, this.total - 1)) <= now && this.total - this.next > MAX_PER_TICK) {
      this.counters.saturatedTicks++;
    }
    while (budget > 0 && this.next < this.total && this.nextPlannedMs <= now) {
      // Count the orders due now (up to one frame).
      let n = 0;
      while (n < perFrame && n < budget && this.next < this.total && this.nextPlannedMs <= now) {
        plannedBuf[n] = this.nextPlannedMs;
        n++;
        this.next++;
        this.nextPlannedMs = this.plannedMs(this.next);
      }
      budget -= n;
      this.counters.planned += n;
      const conn = conns[this.rr]!;
      const ring = this.rings[this.rr]!;
      this.rr = (this.rr + 1) % conns.length;
      if (!conn.isOpen()) {
        this.counters.errors += n;
        this.noteError('connection closed');
        continue;
      }
      if (WINDOW - ring.outstanding < n) {
        this.counters.windowFull += n;
        continue;
      }
      const firstId = ring.tail;
      const lag = this.lag;
      const measureFrom = this.measureFromMs;
      for (let j = 0; j < n; j++) {
        const i = (firstId + j) & MASK;
        const planned = plannedBuf[j]!;
        ring.planned[i] = planned;
        ring.sent[i] = now;
        ring.state[i] = PENDING;
        if (planned >= measureFrom) lag.recordMs(now - planned);
      }
      ring.tail += n;
      let ok = false;
      try {
        ok = conn.sendFrame(firstId, n);
      } catch (err) {
        this.noteError(`send threw: ${(err as Error).message}`);
      }
      if (ok) {
        this.counters.sent += n;
        this.pending += n;
        this.lastSendMs = now;
      } else {
        // Roll the ids back: nothing is outstanding for them.
        for (let j = 0; j < n; j++) ring.state[(firstId + j) & MASK] = 0;
        ring.tail = firstId;
        this.counters.errors += n;
        this.noteError('send failed');
      }
    }
    if (this.counters.planned !== sentBefore) this.lastSendTickMs = now;
    if (budget === 0 && this.next < this.total && this.nextPlannedMs <= now) this.behind = true;
  }

  /** Count orders older than timeoutMs as timeouts (oldest first, per connection). A
   *  timed-out id keeps its slot for max(timeout, 1 s) more so a late reply is recognised. */
  private expire(now: number): void {
    const limit = now - this.o.timeoutMs;
    const release = limit - Math.max(this.o.timeoutMs, 1000);
    for (const ring of this.rings) {
      if (ring.checked < ring.head) ring.checked = ring.head;
      while (ring.checked < ring.tail && ring.sent[ring.checked & MASK]! <= limit) {
        const i = ring.checked & MASK;
        if (ring.state[i] === PENDING) {
          ring.state[i] = TIMED_OUT;
          this.counters.timeouts++;
          this.pending--;
        }
        ring.checked++;
      }
      while (ring.head < ring.tail) {
        const i = ring.head & MASK;
        const st = ring.state[i];
        if (st === TIMED_OUT && ring.sent[i]! <= release) ring.state[i] = DONE;
        else if (st !== DONE) break;
        ring.head++;
      }
    }
  }

  private finish(now: number): void {
    this.finished = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    if (this.progressTimer !== null) this.timers.clearTimeout(this.progressTimer);
    // Whatever is still pending after the drain is a timeout.
    for (const ring of this.rings) {
      for (let id = ring.head; id < ring.tail; id++) {
        const i = id & MASK;
        if (ring.state[i] === PENDING) {
          ring.state[i] = TIMED_OUT;
          this.counters.timeouts++;
        }
      }
    }
    this.pending = 0;
    const result: SchedulerResult = {
      counters: { ...this.counters },
      histograms: {
        corrected: this.corrected.encode(),
        uncorrected: this.uncorrected.encode(),
        lag: this.lag.encode(),
      },
      sendWindowMs: Math.max(0, this.lastSendMs - this.startMs),
      totalMs: now - this.startMs,
      rejectReasons: { ...this.rejectReasons },
      errorKinds: { ...this.errorKinds },
    };
    this.resolveDone?.(result);
  }
}
