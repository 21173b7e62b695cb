/**
 * FaultInjector: in-process faults on the order path, between the edge (REST handlers and
 * binary sessions) and the shard rings.
 *
 * Hook: `Exchange.submit(...)` is the single door every command (NEW, CANCEL, AMEND,
 * MASS_CANCEL, from REST and binary sessions) goes through to reach a shard. `install()`
 * shadows it with an own-property wrapper on the exchange INSTANCE while at least one fault
 * is armed; `clear()` removes every fault, releases every held command and deletes the
 * wrapper, so the prototype method is called directly again. Idle cost: zero (no wrapper);
 * armed cost: one boolean check plus one PRNG draw per armed rule per command.
 *
 * Faults (each a rule with a probability 0..1 and an optional instrument filter):
 * - latency: the command is held `delayMs ± jitterMs` (real timers) before it is written to
 *   the ring. Per-origin FIFO: once a command of a session is held, later commands of that
 *   session queue behind it (a slow link delays, it does not reorder), so a CANCEL never
 *   overtakes its NEW. REST requests are independent (one queue per request).
 * - reject: the command is refused at the edge with `reason` (CHAOS_INJECTED by default, or
 *   SHARD_UNAVAILABLE for a simulated shard outage) exactly as a real edge reject: REST gets
 *   an HTTP error, sessions a REJECTED report. NEW orders only unless `allCommands`.
 *
 * Ordering guarantee on release: held commands are submitted with the ORIGINAL submit in
 * FIFO order per origin, then `flush()` once per release batch. If the shard refuses a
 * released command (down, ring full) the origin is answered with that reason, like a
 * synchronous refusal would have been (REST: ctx.done with reject; session: REJECTED).
 */
import { Origin } from '../shard/types.js';
import { EdgeReason } from '../protocol/reasons.js';
import { CmdType } from '../engine/layout.js';
import { cmdToMsg } from '../server/exchange.js';
import { mulberry32 } from '../util/prng.js';

/** Edge reason for a chaos-injected reject (src/protocol/reasons.ts; REST answers 503). */
export const CHAOS_INJECTED = EdgeReason.CHAOS_INJECTED;

/** Exchange.submit's signature (src/server/exchange.ts). Returns 0 or an edge reason. */
export type SubmitFn = (inst: number, type: number, side: number, ordType: number, tif: number, flags: number,
  stp: number, owner: number, orderId: number, price: number, qty: number, origin: number, ctx: unknown,
  clOrd: number, t0: number) => number;

/** What the injector needs from the Exchange (structural: the real Exchange satisfies it). */
export interface ExchangeLike {
  submit: SubmitFn;
  flush(): void;
  readonly books: readonly { inst: number; symbol: string; shard: number }[];
  rRejected(s: never, b: never, requestType: number, ts: number, clOrd: number, orderId: number, reason: number): void;
  flushOutput(): void;
}

export interface LatencyRule {
  kind: 'latency';
  delayMs: number;
  jitterMs: number;
  probability: number;
  /** Instrument indexes affected; null = all. */
  instruments: ReadonlySet<number> | null;
}

export interface RejectRule {
  kind: 'reject';
  reason: number;
  probability: number;
  instruments: ReadonlySet<number> | null;
  /** Also reject CANCEL/AMEND/MASS_CANCEL (default: NEW only). */
  allCommands?: boolean;
}

export type FaultRule = LatencyRule | RejectRule;

export interface InjectorCounters {
  /** Commands that went through the wrapper while armed. */
  seen: number;
  /** Commands held by a latency rule (the injection itself). */
  delayed: number;
  /** Commands queued behind a held command of the same origin (not themselves selected). */
  queuedBehind: number;
  /** Sum of the measured hold times of delayed commands, ms (real timers: >= requested). */
  delayedMsSum: number;
  /** Commands rejected by a reject rule. */
  rejected: number;
  /** Held commands the shard refused on release (down/overloaded): the origin got that reason. */
  releaseFailed: number;
}

/** Called for every NEW order the injector rejects (so metrics count it like a real reject). */
export type RejectListener = (symbol: string, side: number, ordType: number, reason: number) => void;

interface Held {
  args: Parameters<SubmitFn>;
  due: number; // performance.now() ms
  enq: number;
  selected: boolean;
}


function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export class FaultInjector {
  /** The one check on the armed path. */
  armed = false;
  private readonly rules = new Map<string, FaultRule>();
  private orig: SubmitFn | null = null;
  private readonly queues = new Map<unknown, Held[]>();
  private readonly timers = new Map<unknown, NodeJS.Timeout>();
  private rand: () => number;
  readonly counters: InjectorCounters = { seen: 0, delayed: 0, queuedBehind: 0, delayedMsSum: 0, rejected: 0, releaseFailed: 0 };
  onReject: RejectListener | null = null;

  constructor(private readonly ex: ExchangeLike, opts: { seed?: number } = {}) {
    this.rand = opts.seed === undefined ? Math.random : mulberry32(opts.seed);
  }

  /** Add or replace a named rule; installs the wrapper on the first one. */
  set(name: string, rule: FaultRule): void {
    if (!(rule.probability >= 0 && rule.probability <= 1)) throw new RangeError('probability must be within 0..1');
    if (rule.kind === 'latency' && !(rule.delayMs >= 0 && rule.jitterMs >= 0)) throw new RangeError('delay must be >= 0');
    this.rules.set(name, rule);
    this.install();
  }

  /** Change a rule's probability in place (graceful ramps). */
  setProbability(name: string, p: number): void {
    const r = this.rules.get(name);
    if (r) r.probability = Math.max(0, Math.min(1, p));
  }

  remove(name: string): void {
    this.rules.delete(name);
    if (this.rules.size === 0) this.clear();
  }

  get ruleNames(): string[] {
    return [...this.rules.keys()];
  }

  /** Commands currently held by latency rules (all origins). */
  get heldCount(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** True while the wrapper shadows Exchange.submit. */
  get installed(): boolean {
    return this.orig !== null;
  }

  resetCounters(): void {
    for (const k of Object.keys(this.counters) as (keyof InjectorCounters)[]) this.counters[k] = 0;
  }

  /**
   * Rollback: remove every rule, submit every held command now (FIFO per origin), and delete
   * the wrapper. Leaves no timer, no queue and no own property on the exchange behind.
   */
  clear(): void {
    this.rules.clear();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    const keys = [...this.queues.keys()];
    for (const k of keys) this.release(k, true);
    this.queues.clear();
    if (this.orig) {
      delete (this.ex as { submit?: SubmitFn }).submit;
      // If submit was an own property before install, put it back.
      if (this.ex.submit !== this.orig) (this.ex as { submit: SubmitFn }).submit = this.orig;
      this.orig = null;
    }
    this.armed = false;
  }

  private install(): void {
    this.armed = true;
    if (this.orig) return;
    const orig = this.ex.submit;
    this.orig = orig;
    const self = this;
    (this.ex as { submit: SubmitFn }).submit = function chaosSubmit(...args: Parameters<SubmitFn>): number {
      if (!self.armed) return orig.apply(self.ex, args);
      return self.intercept(args);
    };
  }

  private intercept(args: Parameters<SubmitFn>): number {
    const c = this.counters;
    c.seen++;
    const [inst, type, side, ordType, , , , , , , , origin, ctx] = args;
    let delay = -1;
    for (const r of this.rules.values()) {
      if (r.instruments !== null && !r.instruments.has(inst)) continue;
      if (r.kind === 'reject') {
        if (!r.allCommands && type !== CmdType.NEW) continue;
        if (r.probability > 0 && this.rand() < r.probability) {
          c.rejected++;
          if (type === CmdType.NEW && this.onReject) {
            const b = this.ex.books[inst];
            if (b) this.onReject(b.symbol, side, ordType, r.reason);
          }
          return r.reason;
        }
      } else if (delay < 0 && r.probability > 0 && this.rand() < r.probability) {
        delay = r.delayMs + (r.jitterMs > 0 ? (this.rand() * 2 - 1) * r.jitterMs : 0);
        if (delay < 0) delay = 0;
      }
    }
    // Key: the session object for binary sessions (FIFO per session), the request ctx for REST.
    const key = origin === Origin.SESSION || origin === Origin.REST ? ctx : args;
    const q = this.queues.get(key);
    if (delay < 0 && q === undefined) return this.orig!.apply(this.ex, args);
    const now = performance.now();
    const held: Held = { args, due: now + Math.max(0, delay), enq: now, selected: delay >= 0 };
    if (held.selected) c.delayed++;
    else c.queuedBehind++;
    if (q) {
      q.push(held);
    } else {
      this.queues.set(key, [held]);
      this.arm(key, held.due - now);
    }
    return 0;
  }

  private arm(key: unknown, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.release(key, false);
    }, Math.max(0, ms));
    this.timers.set(key, t);
  }

  /** Submit the due head(s) of one origin's queue; `all` = everything (rollback). */
  private release(key: unknown, all: boolean): void {
    const q = this.queues.get(key);
    if (!q) return;
    const orig = this.orig!;
    const now = performance.now();
    let n = 0;
    while (q.length > 0 && (all || q[0]!.due <= now + 0.5)) {
      const h = q.shift()!;
      if (h.selected) this.counters.delayedMsSum += now - h.enq;
      const r = orig.apply(this.ex, h.args);
      if (r !== 0) this.failHeld(h.args, r);
      n++;
    }
    if (q.length === 0) this.queues.delete(key);
    else if (!all) {
      // The next head: a later-selected command keeps its own due time; a queued-behind one
      // is due now (it only waited for the head).
      this.arm(key, q[0]!.due - now);
    }
    if (n > 0) this.ex.flush();
  }

  /** The shard refused a command we had already acknowledged as submitted: answer its origin. */
  private failHeld(args: Parameters<SubmitFn>, reason: number): void {
    this.counters.releaseFailed++;
    const [inst, type, , , , , , , orderId, , , origin, ctx, clOrd] = args;
    if (origin === Origin.REST) {
      const rc = ctx as { reject: number; done: (c: unknown) => void };
      rc.reject = reason;
      rc.done(rc);
    } else if (origin === Origin.SESSION) {
      const b = this.ex.books[inst];
      this.ex.rRejected(ctx as never, (b ?? null) as never, cmdToMsg(type), nowUs(), clOrd,
        type === CmdType.NEW ? 0 : orderId, reason);
      this.ex.flushOutput();
    }
  }
}

export { EdgeReason };
