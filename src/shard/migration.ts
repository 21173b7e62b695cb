/**
 * Live migration of one book between the two engine kinds (native <-> ts) inside its shard,
 * by shadow execution. Owned by the shard thread (ShardCore), like the books: one writer.
 *
 * Engines: index 0 is the shard's primary engine (ShardCore.engine), index 1 the other kind,
 * created on the first migration with every shard book added in the same order (so book
 * indexes match). A book is OWNED by one of them (`ShardCore.bookEngine[book]`).
 *
 * Shadowing book P (source = owner, target = the other engine): at start the target's copy
 * of P is replaced by `restore(P, source.snapshot(P))` (the L3 image is byte-identical across
 * implementations). Then every command of P runs in BOTH engines — one sub-batch per engine
 * per drained batch, commands in batch order — and the target's events for each command are
 * compared byte for byte with the source's (a batch's events are split per command at the
 * outcome events, ACCEPTED/REJECTED, as the core does). Commands of other books never reach
 * the engine that does not own them.
 *
 * Percentage p: the share of P's commands whose emitted events are copied from the target's
 * buffer (deterministic: an accumulator adds p per compared command and serves from the
 * target each time it passes 100). Every command is compared whatever p is: a book's
 * commands cannot be split between engines (each engine's book must see the whole history to
 * stay identical), so p chooses whose bytes go out, not who executes.
 *
 * Circuit breaker: on the first mismatch the SOURCE's events go out for that command (clients
 * never see divergent output), P goes to 0%, state `rolled_back`, the mismatch is recorded
 * (command index, token, first differing event, both events in hex) and reported through
 * `onEvent` (the pool logs it as a warn line). The target's copy of P is dropped (no more
 * commands). Cut-over: at 100% after `verifyCommands` compared commands at 100% without a
 * mismatch (or on an explicit complete) the target becomes P's owner; the old owner stops
 * receiving P's commands. A copy no engine serves any more (the target's after a rollback,
 * the old owner's after a cut-over) is dropped: restored to an empty-book image (after the
 * batch's merge: a restore invalidates the engine's event buffer). Percentage 0 while
 * shadowing rolls back; percentage 0 on a cut-over book moves it back (old owner's copy
 * restored from the new owner's snapshot).
 *
 * Cost: nothing while no book is shadowing or cut over (ShardCore keeps its fast path; one
 * `if` per drained batch). Otherwise per batch: a classification pass over the commands
 * (book field), the sub-batch copies, the shadow engine call, a per-command split, a word
 * compare of the shadowed commands' events and one copy of all events into the merged
 * output. Measured per book: target engine time, source engine time and the whole extra
 * time (everything the routed path spends beyond the owner engines' calls), attributed to
 * books by their command counts when one engine call carries commands of several books.
 */
import type { Engine, InstrumentSpec } from '../engine/types.js';
import { TsEngine } from '../engine/ts/index.js';
import { loadNativeEngine } from '../engine/native.js';
import { CMD_SIZE, CmdOff, EVT_SIZE, EventType } from '../engine/layout.js';

export type MigrationState = 'not_migrating' | 'shadowing' | 'cut_over' | 'rolled_back';

/** A control request the migration cannot honour: stable code + HTTP status for the edge. */
export class MigrationError extends Error {
  constructor(readonly code: string, message: string, readonly status: number) {
    super(message);
  }
}

/** The first divergence of a shadowed command (hex: one 80-byte event, '' when absent). */
export interface MismatchRecord {
  at: string;
  /** 0-based index of the command among the book's compared commands of this migration. */
  command_index: number;
  /** The command's token (per-shard correlation id). */
  token: number;
  /** Index of the first differing event within the command's events. */
  event_offset: number;
  /** Byte offset of the first differing byte within that event (-1: one side has no event). */
  byte_offset: number;
  source_events: number;
  target_events: number;
  source_event_hex: string;
  target_event_hex: string;
  /** True when the divergence was the test-only fault (injectFault), not the engines. */
  injected: boolean;
  /** Set when the target broke the engine contract for a whole batch (its process() threw,
   *  or its events carried the wrong number of command outcomes, so they cannot be split per
   *  command): the error; the offsets and both event counts are then -1. Null otherwise. */
  engine_error: string | null;
}

/** One book's migration view, as the shard reports it (all figures measured here). */
export interface PairMigrationStatus {
  pair: string;
  book: number;
  state: MigrationState;
  /** Engine serving the book now. */
  engine: string;
  source_engine: string | null;
  target_engine: string | null;
  current_percentage: number;
  target_percentage: number;
  commands_compared: number;
  mismatches: number;
  /** Over every migration of this book since start. */
  mismatches_total: number;
  commands_served_by_target: number;
  verify_commands: number;
  verified_commands: number;
  /** Target engine time per compared command (ns). */
  shadow_engine_ns_per_command: number | null;
  /** Source engine time per compared command (ns). */
  source_engine_ns_per_command: number | null;
  /** Everything the routed path added per compared command (ns): shadow engine call, split,
   *  compare, merge copy. */
  extra_ns_per_command: number | null;
  /** The same two figures over the last completed window of RECENT_WINDOW compared commands
   *  (the averages above include the start: JIT warm-up of a TS target, first batches). */
  recent_shadow_engine_ns_per_command: number | null;
  recent_extra_ns_per_command: number | null;
  started_at: string | null;
  cut_over_at: string | null;
  rolled_back_at: string | null;
  rollback_reason: string | null;
  last_mismatch: MismatchRecord | null;
  fault_armed: boolean;
  migrations_started: number;
}

/** Reported to the I/O thread as they happen (the pool logs them). */
export type MigrationEvent =
  | { kind: 'mismatch'; pair: string; book: number; mismatch: MismatchRecord }
  | { kind: 'cut_over'; pair: string; book: number; engine: string; commands_compared: number; reason: string }
  | { kind: 'rolled_back'; pair: string; book: number; engine: string; reason: string };

export type MigrationRequest =
  | { op: 'status' }
  /** verifyCommands: the verification window of a migration this starts; a running one
   *  takes it too unless keepWindow. */
  | { op: 'percentage'; book: number; percentage: number; verifyCommands: number; keepWindow?: boolean }
  | { op: 'complete'; book: number }
  | { op: 'stop-all'; reason: string }
  /** Test/chaos only: corrupt the next compared target event of `book` (before comparison). */
  | { op: 'fault'; book: number };

export interface MigrationResult {
  rows: PairMigrationStatus[];
  /** Books the request changed. */
  changed: number[];
  /** Whether the other engine kind exists in this process (null: not probed yet). */
  other_engine_available: boolean | null;
  other_engine_error: string | null;
}

interface BookMigration {
  book: number;
  symbol: string;
  /** Engine index owning the book (0 primary, 1 other kind). */
  owner: number;
  shadow: boolean;
  state: MigrationState;
  pct: number;
  requested: number;
  acc: number;
  verifyCommands: number;
  verified: number;
  compared: number;
  servedByTarget: number;
  mismatches: number;
  mismatchesTotal: number;
  shadowNs: number;
  sourceNs: number;
  extraNs: number;
  /** Current window (commands, ns) and the last completed one's per-command figures. */
  wCount: number;
  wShadowNs: number;
  wExtraNs: number;
  recentShadow: number | null;
  recentExtra: number | null;
  sourceKind: string | null;
  targetKind: string | null;
  startedAt: number | null;
  cutOverAt: number | null;
  rolledBackAt: number | null;
  rollbackReason: string | null;
  lastMismatch: MismatchRecord | null;
  faultArmed: boolean;
  started: number;
  /** This batch: the book's commands (scratch for time attribution). */
  inBatch: number;
}

const CMD_WORDS = CMD_SIZE >> 2;
/** Compared commands per "recent" cost window (whole batches: a window may run over). */
export const RECENT_WINDOW = 1024;
const EVT_WORDS = EVT_SIZE >> 2;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function isOutcomeType(t: number): boolean {
  return t === EventType.ACCEPTED || t === EventType.REJECTED;
}

function errorText(e: Engine, err: unknown): string {
  return `${e.implementation} engine's process() threw in a routed batch: ${String((err as Error)?.message ?? err)}`;
}

function hex(u8: Uint8Array, evIndex: number, n: number): string {
  if (evIndex >= n) return '';
  return Buffer.from(u8.buffer, u8.byteOffset + evIndex * EVT_SIZE, EVT_SIZE).toString('hex');
}

/** Int32 view over a Uint8Array (which starts 4-aligned: both engines' buffers do). */
function words(u8: Uint8Array): Int32Array {
  return new Int32Array(u8.buffer, u8.byteOffset, u8.byteLength >> 2);
}

/** The other engine kind, created once per shard. Throws MigrationError when unavailable. */
function createOtherEngine(primary: Engine): Engine {
  if (primary.implementation === 'native') return new TsEngine();
  const native = loadNativeEngine();
  if (!native.ok) {
    throw new MigrationError('ENGINE_UNAVAILABLE',
      `the native engine is not available in this process (${native.error.message}); a pair on the ts engine cannot migrate `
      + '(build the addon with `npx node-gyp rebuild` and restart)', 409);
  }
  return native.create();
}

export class ShardMigrator {
  /** [primary, other kind | null]. */
  readonly engines: [Engine, Engine | null];
  private readonly marks: BookMigration[];
  /** Books shadowing now (the routed path's per-batch loop runs over these only). */
  private active: BookMigration[] = [];
  private otherError: string | null = null;
  /** Per book, the L3 image of an empty book (taken from the other engine right after its
   *  addBook; images are byte-identical across kinds): restoring it drops a stale copy. */
  private empty: Uint8Array[] = [];
  /** Reported as they happen (set by the shard's host: worker -> postMessage, inline -> log). */
  onEvent: ((e: MigrationEvent) => void) | null = null;

  // Routed-path scratch, sized for maxBatch commands (allocated once).
  private readonly idx0: Int32Array;
  private readonly idx1: Int32Array;
  private readonly sub0: Uint8Array;
  private readonly sub1: Uint8Array;
  private readonly sub0w: Int32Array;
  private readonly sub1w: Int32Array;
  private readonly starts0: Int32Array;
  private readonly starts1: Int32Array;
  private out = new Uint8Array(4096 * EVT_SIZE);
  /** Stands in for an engine's events when it ran no command this batch. */
  private readonly noEvents = new Uint8Array(EVT_SIZE);
  /** Inside `run` (engine event buffers in use): drops wait in pendingDrops (book, engine). */
  private inRun = false;
  private readonly pendingDrops: number[] = [];
  /** Per engine (index) this batch's events, their Int32 views and per-command starts. */
  private readonly evs: Uint8Array[];
  private readonly evw: Int32Array[];
  private readonly starts: Int32Array[];
  /** Int32 views over [engine 0 events, engine 1 events, the batch], reused while the
   *  underlying buffer is the same (an engine replaces it only when it grows). */
  private readonly wcache: Int32Array[];
  /** Books shadowing at the start of the current routed batch (scratch). */
  private readonly batchBooks: BookMigration[] = [];
  /** The last routed batch: merged events (valid until the next call) and engine time (ns). */
  outN = 0;
  engineNs = 0;

  constructor(primary: Engine, private readonly books: readonly InstrumentSpec[], private readonly bookEngine: Engine[],
    private readonly maxBatch: number) {
    this.engines = [primary, null];
    this.marks = books.map((spec, book) => ({
      book, symbol: spec.symbol, owner: 0, shadow: false, state: 'not_migrating', pct: 0, requested: 0, acc: 0,
      verifyCommands: 0, verified: 0, compared: 0, servedByTarget: 0, mismatches: 0, mismatchesTotal: 0,
      shadowNs: 0, sourceNs: 0, extraNs: 0, wCount: 0, wShadowNs: 0, wExtraNs: 0, recentShadow: null, recentExtra: null,
      sourceKind: null, targetKind: null, startedAt: null, cutOverAt: null,
      rolledBackAt: null, rollbackReason: null, lastMismatch: null, faultArmed: false, started: 0, inBatch: 0,
    }));
    this.idx0 = new Int32Array(maxBatch);
    this.idx1 = new Int32Array(maxBatch);
    this.sub0 = new Uint8Array(maxBatch * CMD_SIZE);
    this.sub1 = new Uint8Array(maxBatch * CMD_SIZE);
    this.sub0w = words(this.sub0);
    this.sub1w = words(this.sub1);
    this.starts0 = new Int32Array(maxBatch + 1);
    this.starts1 = new Int32Array(maxBatch + 1);
    this.evs = [this.noEvents, this.noEvents];
    this.evw = [words(this.noEvents), words(this.noEvents)];
    this.starts = [this.starts0, this.starts1];
    this.wcache = [this.evw[0]!, this.evw[1]!, this.evw[0]!];
  }

  /** Int32 view over `u8` (4-aligned), cached in slot `i`: no allocation per batch. */
  private wordsOf(i: number, u8: Uint8Array): Int32Array {
    const c = this.wcache[i]!;
    if (c.buffer === u8.buffer && c.byteOffset === u8.byteOffset && c.length >= u8.byteLength >> 2) return c;
    const w = words(u8);
    this.wcache[i] = w;
    return w;
  }

  /** The routed path is needed: some book shadows or is owned by the other engine. */
  get needed(): boolean {
    if (this.active.length > 0) return true;
    for (let b = 0; b < this.marks.length; b++) if (this.marks[b]!.owner !== 0) return true;
    return false;
  }

  /** The merged events of the last `run` (valid until the next `run`). */
  get out8(): Uint8Array {
    return this.out;
  }

  // ---------------------------------------------------------------------------------------
  // Control (called between drains, never during one)
  // ---------------------------------------------------------------------------------------

  control(req: MigrationRequest): MigrationResult {
    const changed: number[] = [];
    switch (req.op) {
      case 'status':
        break;
      case 'percentage':
        if (this.setPercentage(this.mark(req.book), req.percentage, req.verifyCommands, req.keepWindow === true)) changed.push(req.book);
        break;
      case 'complete': {
        const m = this.mark(req.book);
        if (!m.shadow) throw new MigrationError('NOT_SHADOWING', `${m.symbol} is ${m.state}: only a shadowing migration can be completed`, 409);
        this.cutOver(m, 'explicit complete');
        changed.push(m.book);
        break;
      }
      case 'stop-all':
        for (const m of [...this.active]) {
          this.rollBack(m, req.reason);
          changed.push(m.book);
        }
        break;
      case 'fault': {
        const m = this.mark(req.book);
        if (!m.shadow) throw new MigrationError('NOT_SHADOWING', `${m.symbol} is ${m.state}: a divergence can only be injected while shadowing`, 409);
        m.faultArmed = true;
        changed.push(m.book);
        break;
      }
    }
    return { rows: this.status(), changed, other_engine_available: this.otherAvailable(), other_engine_error: this.otherError };
  }

  private otherAvailable(): boolean | null {
    if (this.engines[1]) return true;
    if (this.engines[0].implementation === 'native') return true; // the TS engine always exists
    const native = loadNativeEngine(); // cached after the first call
    this.otherError = native.ok ? null : native.error.message;
    return native.ok;
  }

  private mark(book: number): BookMigration {
    const m = this.marks[book];
    if (!m) throw new MigrationError('UNKNOWN_BOOK', `no book ${book} in this shard`, 404);
    return m;
  }

  private kind(e: number): string {
    return (e === 0 ? this.engines[0] : this.engines[1])?.implementation ?? 'unknown';
  }

  /** Returns whether anything changed. */
  private setPercentage(m: BookMigration, pct: number, verifyCommands: number, keepWindow: boolean): boolean {
    if (m.shadow) {
      if (pct === 0) {
        this.rollBack(m, 'percentage set to 0');
        return true;
      }
      if (pct !== m.pct) m.verified = 0; // the verification window counts at 100% only
      m.pct = pct;
      m.requested = pct;
      if (!keepWindow) m.verifyCommands = verifyCommands;
      this.maybeCutOver(m);
      return true;
    }
    if (m.state === 'cut_over') {
      if (pct === 100) return false;
      if (pct !== 0) {
        throw new MigrationError('MIGRATION_COMPLETED', `${m.symbol} is cut over to the ${this.kind(m.owner)} engine: percentage 0 moves it back `
          + `to ${this.kind(1 - m.owner)}, 100 keeps it`, 409);
      }
      // Move back: the old owner's copy is stale; it gets the new owner's image.
      const back = 1 - m.owner;
      this.engine(back).restore(m.book, this.engine(m.owner).snapshot(m.book));
      this.drop(m, m.owner);
      m.owner = back;
      this.bookEngine[m.book] = this.engine(back);
      m.state = 'rolled_back';
      m.pct = 0;
      m.requested = 0;
      m.rolledBackAt = Date.now();
      m.rollbackReason = 'percentage set to 0 after cut-over (book restored from the snapshot of the engine it had moved to)';
      this.onEvent?.({ kind: 'rolled_back', pair: m.symbol, book: m.book, engine: this.kind(back), reason: m.rollbackReason });
      return true;
    }
    if (pct === 0) return false;
    // Start: not_migrating or rolled_back.
    if (!this.engines[1]) {
      const other = createOtherEngine(this.engines[0]);
      for (const spec of this.books) other.addBook(spec);
      this.empty = this.books.map((_s, b) => other.snapshot(b).slice());
      this.engines[1] = other;
    }
    const target = 1 - m.owner;
    this.engine(target).restore(m.book, this.engine(m.owner).snapshot(m.book));
    Object.assign(m, {
      shadow: true, state: 'shadowing', pct, requested: pct, acc: 0, verifyCommands, verified: 0, compared: 0,
      servedByTarget: 0, mismatches: 0, shadowNs: 0, sourceNs: 0, extraNs: 0, wCount: 0, wShadowNs: 0, wExtraNs: 0,
      recentShadow: null, recentExtra: null, sourceKind: this.kind(m.owner),
      targetKind: this.kind(target), startedAt: Date.now(), cutOverAt: null, rolledBackAt: null, rollbackReason: null,
      faultArmed: false, started: m.started + 1,
    } satisfies Partial<BookMigration>);
    this.active.push(m);
    this.maybeCutOver(m);
    return true;
  }

  private engine(e: number): Engine {
    return e === 0 ? this.engines[0] : this.engines[1]!;
  }

  private deactivate(m: BookMigration): void {
    m.shadow = false;
    m.faultArmed = false;
    const i = this.active.indexOf(m);
    if (i >= 0) this.active.splice(i, 1);
  }

  /** Free the stale copy of `m`'s book in engine `e` (it receives no more commands). */
  private drop(m: BookMigration, e: number): void {
    if (this.inRun) {
      this.pendingDrops.push(m.book, e);
      return;
    }
    const image = this.empty[m.book];
    if (image) this.engine(e).restore(m.book, image);
  }

  private rollBack(m: BookMigration, reason: string): void {
    this.deactivate(m);
    this.drop(m, 1 - m.owner);
    m.state = 'rolled_back';
    m.pct = 0;
    m.rolledBackAt = Date.now();
    m.rollbackReason = reason;
    this.onEvent?.({ kind: 'rolled_back', pair: m.symbol, book: m.book, engine: this.kind(m.owner), reason });
  }

  private maybeCutOver(m: BookMigration): void {
    if (m.shadow && m.pct === 100 && m.verified >= m.verifyCommands) {
      this.cutOver(m, `${m.verified} commands compared at 100% without a mismatch (window ${m.verifyCommands})`);
    }
  }

  private cutOver(m: BookMigration, reason: string): void {
    this.deactivate(m);
    this.drop(m, m.owner);
    m.owner = 1 - m.owner;
    this.bookEngine[m.book] = this.engine(m.owner);
    m.state = 'cut_over';
    m.pct = 100;
    m.requested = 100;
    m.cutOverAt = Date.now();
    this.onEvent?.({ kind: 'cut_over', pair: m.symbol, book: m.book, engine: this.kind(m.owner), commands_compared: m.compared, reason });
  }

  status(): PairMigrationStatus[] {
    const per = (ns: number, n: number) => (n > 0 ? Math.round(ns / n) : null);
    return this.marks.map((m) => ({
      pair: m.symbol,
      book: m.book,
      state: m.state,
      engine: this.kind(m.owner),
      source_engine: m.sourceKind,
      target_engine: m.targetKind,
      current_percentage: m.pct,
      target_percentage: m.requested,
      commands_compared: m.compared,
      mismatches: m.mismatches,
      mismatches_total: m.mismatchesTotal,
      commands_served_by_target: m.servedByTarget,
      verify_commands: m.verifyCommands,
      verified_commands: m.verified,
      shadow_engine_ns_per_command: per(m.shadowNs, m.compared),
      source_engine_ns_per_command: per(m.sourceNs, m.compared),
      extra_ns_per_command: per(m.extraNs, m.compared),
      recent_shadow_engine_ns_per_command: m.recentShadow === null ? null : Math.round(m.recentShadow),
      recent_extra_ns_per_command: m.recentExtra === null ? null : Math.round(m.recentExtra),
      started_at: iso(m.startedAt),
      cut_over_at: iso(m.cutOverAt),
      rolled_back_at: iso(m.rolledBackAt),
      rollback_reason: m.rollbackReason,
      last_mismatch: m.lastMismatch,
      fault_armed: m.faultArmed,
      migrations_started: m.started,
    }));
  }

  // ---------------------------------------------------------------------------------------
  // Routed batch (the shard's drain calls this instead of its one engine call)
  // ---------------------------------------------------------------------------------------

  /**
   * Run `k` commands of `batch` (CMD_SIZE records) through the engines that own or shadow
   * their books; merge the events to emit, in command order, into `out8` (returns the event
   * count; `engineNs` = time in engine calls). `token` is the first command's token (for
   * mismatch records). Throws on a broken engine contract (outcome count), as the core does.
   */
  run(batch: Uint8Array, k: number, token: number): number {
    const tStart = performance.now();
    this.inRun = true;
    const marks = this.marks;
    const nb = marks.length;
    const idx0 = this.idx0;
    const idx1 = this.idx1;
    const active = this.batchBooks;
    active.length = 0;
    for (let a = 0; a < this.active.length; a++) {
      const m = this.active[a]!;
      m.inBatch = 0;
      active.push(m);
    }
    let k0 = 0;
    let k1 = 0;
    let shadowed = 0;
    for (let c = 0; c < k; c++) {
      const o = c * CMD_SIZE + CmdOff.book;
      const b = batch[o]! | (batch[o + 1]! << 8);
      const m = b < nb ? marks[b]! : null;
      if (m === null || (!m.shadow && m.owner === 0)) {
        idx0[c] = k0++;
        idx1[c] = -1;
      } else if (!m.shadow) {
        idx0[c] = -1;
        idx1[c] = k1++;
      } else {
        idx0[c] = k0++;
        idx1[c] = k1++;
        m.inBatch++;
        shadowed++;
      }
    }
    const bw = k0 === k && k1 === k ? null : this.wordsOf(2, batch);
    if (k0 !== k && k0 > 0) this.gather(bw!, idx0, this.sub0w, k);
    if (k1 !== k && k1 > 0) this.gather(bw!, idx1, this.sub1w, k);
    const e0 = this.engines[0];
    const e1 = this.engines[1];
    // A broken engine (process throws, or its outcome count is wrong) is caught here: when it
    // ran only shadow copies this batch, the breaker takes it like a mismatch (engineBroken).
    let err0: string | null = null;
    let err1: string | null = null;
    let n0 = 0;
    let n1 = 0;
    const t0 = performance.now();
    if (k0 > 0) {
      try { n0 = e0.process(k0 === k ? batch : this.sub0, k0); } catch (err) { err0 = errorText(e0, err); }
    }
    const t1 = performance.now();
    if (k1 > 0) {
      try { n1 = e1!.process(k1 === k ? batch : this.sub1, k1); } catch (err) { err1 = errorText(e1!, err); }
    }
    const t2 = performance.now();
    const ev0 = k0 > 0 && err0 === null ? e0.events() : this.noEvents;
    const ev1 = k1 > 0 && err1 === null ? e1!.events() : this.noEvents;
    err0 ??= this.split(ev0, n0, k0, this.starts0, e0);
    if (k1 > 0) err1 ??= this.split(ev1, n1, k1, this.starts1, e1!);
    if (err0 !== null) this.engineBroken(0, err0, k0, batch, k, token);
    if (err1 !== null) this.engineBroken(1, err1, k1, batch, k, token);
    const evs = this.evs;
    evs[0] = ev0;
    evs[1] = ev1;
    const evw = this.evw;
    evw[0] = this.wordsOf(0, ev0);
    evw[1] = this.wordsOf(1, ev1);
    const starts = this.starts;
    if (this.out.length < (n0 + n1) * EVT_SIZE) {
      this.out = new Uint8Array(Math.max((n0 + n1) * EVT_SIZE, this.out.length * 2));
    }
    const out = this.out;
    let pos = 0; // events written to out
    // Consecutive commands whose events are contiguous in one engine's buffer go out in one
    // copy (one memcpy per run: a single shadowed book at 100% is one run per batch).
    let segE = -1;
    let segFrom = 0;
    let segTo = 0;
    for (let c = 0; c < k; c++) {
      const j0 = idx0[c]!;
      const j1 = idx1[c]!;
      let e: number; // engine whose bytes go out
      let j: number;
      if (j1 < 0) { e = 0; j = j0; }
      else if (j0 < 0) { e = 1; j = j1; }
      else {
        const o = c * CMD_SIZE + CmdOff.book;
        const m = marks[batch[o]! | (batch[o + 1]! << 8)]!;
        const src = m.owner;
        const js = src === 0 ? j0 : j1;
        e = src;
        j = js;
        if (m.shadow) {
          const jt = src === 0 ? j1 : j0;
          const tgt = 1 - src;
          const same = this.compare(m, evs[src]!, evw[src]!, starts[src]!, js, evs[tgt]!, evw[tgt]!, starts[tgt]!, jt, (token + c) >>> 0);
          m.compared++;
          if (same) {
            if (m.pct === 100) m.verified++;
            m.acc += m.pct;
            if (m.acc >= 100) {
              m.acc -= 100;
              m.servedByTarget++;
              e = tgt;
              j = jt;
            }
          }
        }
      }
      const st = starts[e]!;
      const from = st[j]!;
      if (e === segE && from === segTo) {
        segTo = st[j + 1]!;
        continue;
      }
      if (segE >= 0) {
        out.set(evs[segE]!.subarray(segFrom * EVT_SIZE, segTo * EVT_SIZE), pos * EVT_SIZE);
        pos += segTo - segFrom;
      }
      segE = e;
      segFrom = from;
      segTo = st[j + 1]!;
    }
    if (segE >= 0) {
      out.set(evs[segE]!.subarray(segFrom * EVT_SIZE, segTo * EVT_SIZE), pos * EVT_SIZE);
      pos += segTo - segFrom;
    }
    const tEnd = performance.now();
    this.inRun = false;
    this.outN = pos;
    const T0 = (t1 - t0) * 1e6;
    const T1 = (t2 - t1) * 1e6;
    this.engineNs = T0 + T1;
    if (shadowed > 0) {
      // Attribution (ns): engine e's call time split by command counts; the owner's share of
      // the shadowed commands is source time, the other engine's share is shadow time; extra
      // = the whole routed batch minus the owners' time for every command (each command ran
      // once in its owner: engine e's commands minus those it ran as a shadow).
      let ownerNs = 0;
      if (k0 > 0) ownerNs += T0 * (k0 - this.shadowIn(0)) / k0;
      if (k1 > 0) ownerNs += T1 * (k1 - this.shadowIn(1)) / k1;
      const extra = (tEnd - tStart) * 1e6 - ownerNs;
      for (let a = 0; a < active.length; a++) {
        const m = active[a]!;
        if (m.inBatch === 0) continue;
        const tTgt = m.owner === 0 ? T1 / k1 : T0 / k0;
        const tSrc = m.owner === 0 ? T0 / k0 : T1 / k1;
        const sh = tTgt * m.inBatch;
        const ex = extra * m.inBatch / shadowed;
        m.shadowNs += sh;
        m.sourceNs += tSrc * m.inBatch;
        m.extraNs += ex;
        m.wShadowNs += sh;
        m.wExtraNs += ex;
        m.wCount += m.inBatch;
        if (m.wCount >= RECENT_WINDOW) {
          m.recentShadow = m.wShadowNs / m.wCount;
          m.recentExtra = m.wExtraNs / m.wCount;
          m.wCount = 0;
          m.wShadowNs = 0;
          m.wExtraNs = 0;
        }
      }
      for (let a = 0; a < active.length; a++) this.maybeCutOver(active[a]!);
    }
    const drops = this.pendingDrops;
    for (let i = 0; i < drops.length; i += 2) this.drop(this.marks[drops[i]!]!, drops[i + 1]!);
    drops.length = 0;
    return pos;
  }

  /** Shadowed commands (books shadowing, not owned by e) that ran in engine e this batch. */
  private shadowIn(e: number): number {
    let s = 0;
    for (let a = 0; a < this.batchBooks.length; a++) {
      const m = this.batchBooks[a]!;
      if (m.owner !== e) s += m.inBatch;
    }
    return s;
  }

  private gather(bw: Int32Array, idx: Int32Array, dst: Int32Array, k: number): void {
    for (let c = 0; c < k; c++) {
      const j = idx[c]!;
      if (j < 0) continue;
      const s = c * CMD_WORDS;
      const d = j * CMD_WORDS;
      for (let w = 0; w < CMD_WORDS; w++) dst[d + w] = bw[s + w]!;
    }
  }

  /** starts[j] = first event of command j, starts[k] = n. Returns null, or why the events
   *  cannot be split per command (engine contract broken). */
  private split(ev: Uint8Array, n: number, k: number, starts: Int32Array, engine: Engine): string | null {
    if (n > 0 && !isOutcomeType(ev[0]!)) {
      return `${engine.implementation} engine's first event is not an outcome in a routed batch`;
    }
    let j = 0;
    for (let i = 0; i < n; i++) {
      if (!isOutcomeType(ev[i * EVT_SIZE]!)) continue;
      if (j < k) starts[j] = i;
      j++;
    }
    if (j !== k) {
      return `${engine.implementation} engine returned ${j} command outcomes for ${k} commands (${n} events) in a routed batch`;
    }
    starts[k] = n;
    return null;
  }

  /**
   * Engine `e` broke the contract for this batch (`ke` commands). If it owns any of them
   * (a cut-over book, a book it never gave away, an unknown-book reject of the primary)
   * there is no other copy to serve: throw, as the single-engine path does (the pool marks
   * the shard down). Otherwise every book that shadowed into it this batch trips the breaker
   * (its commands' events then come from their owners in the merge; e's events are unused).
   */
  private engineBroken(e: number, error: string, ke: number, batch: Uint8Array, k: number, token: number): void {
    if (ke - this.shadowIn(e) > 0) {
      this.inRun = false;
      throw new Error(error);
    }
    const books = this.batchBooks;
    for (let a = 0; a < books.length; a++) {
      const m = books[a]!;
      if (!m.shadow || m.owner === e || m.inBatch === 0) continue;
      let c = 0;
      while (c < k && (batch[c * CMD_SIZE + CmdOff.book]! | (batch[c * CMD_SIZE + CmdOff.book + 1]! << 8)) !== m.book) c++;
      this.trip(m, (token + c) >>> 0, -1, -1, -1, -1, '', '', false, error);
    }
  }

  /** Byte-compare the source's and the target's events of one command; on a difference,
   *  trip the breaker (record, roll back, report). Returns whether they are identical. */
  private compare(m: BookMigration, sEv: Uint8Array, sW: Int32Array, sSt: Int32Array, js: number,
    tEv: Uint8Array, tW: Int32Array, tSt: Int32Array, jt: number, token: number): boolean {
    const sFrom = sSt[js]!;
    const sN = sSt[js + 1]! - sFrom;
    const tFrom = tSt[jt]!;
    const tN = tSt[jt + 1]! - tFrom;
    let injected = false;
    if (m.faultArmed && tN > 0) {
      // Test/chaos-only fault: flip a byte of the target's first event for this command in
      // the target's output buffer (its book state is untouched), as a diverging engine
      // would: if the breaker let target bytes through, clients would see it.
      m.faultArmed = false;
      injected = true;
      const at = tFrom * EVT_SIZE + 24; // s0 (orderId) low byte
      tEv[at] = tEv[at]! ^ 0xff;
    }
    if (sN === tN) {
      // Common case: one flat word loop over the command's events.
      const a = sFrom * EVT_WORDS;
      const b = tFrom * EVT_WORDS;
      const len = sN * EVT_WORDS;
      let w = 0;
      while (w < len && sW[a + w] === tW[b + w]) w++;
      if (w === len) return true;
    }
    const n = Math.min(sN, tN);
    for (let i = 0; i < n; i++) {
      const a = (sFrom + i) * EVT_WORDS;
      const b = (tFrom + i) * EVT_WORDS;
      for (let w = 0; w < EVT_WORDS; w++) {
        if (sW[a + w] === tW[b + w]) continue;
        let byte = w * 4;
        const sa = (sFrom + i) * EVT_SIZE;
        const ta = (tFrom + i) * EVT_SIZE;
        while (byte < EVT_SIZE && sEv[sa + byte] === tEv[ta + byte]) byte++;
        this.trip(m, token, i, byte, sN, tN, hex(sEv, sFrom + i, sFrom + sN), hex(tEv, tFrom + i, tFrom + tN), injected);
        return false;
      }
    }
    if (sN !== tN) {
      this.trip(m, token, n, -1, sN, tN, hex(sEv, sFrom + n, sFrom + sN), hex(tEv, tFrom + n, tFrom + tN), injected);
      return false;
    }
    return true;
  }

  private trip(m: BookMigration, token: number, evOffset: number, byteOffset: number, sN: number, tN: number,
    sHex: string, tHex: string, injected: boolean, engineError: string | null = null): void {
    const rec: MismatchRecord = {
      at: new Date().toISOString(), command_index: m.compared, token, event_offset: evOffset, byte_offset: byteOffset,
      source_events: sN, target_events: tN, source_event_hex: sHex, target_event_hex: tHex, injected,
      engine_error: engineError,
    };
    m.mismatches++;
    m.mismatchesTotal++;
    m.lastMismatch = rec;
    this.onEvent?.({ kind: 'mismatch', pair: m.symbol, book: m.book, mismatch: rec });
    this.rollBack(m, injected ? 'mismatch (injected test fault)'
      : engineError !== null ? 'target engine broke the engine contract (see last_mismatch.engine_error)' : 'mismatch');
  }
}
