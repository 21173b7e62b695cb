/**
 * The shard's work, independent of the thread it runs on: one engine owning its books, the
 * consumer end of the inbound command ring and the producer end of the outbound result ring
 * (layouts in types.ts). The worker thread (worker.ts) runs it in its own loop; the pool's
 * inline mode (SHARD_MODE=inline, pool.ts) runs it on the I/O thread right after a publish.
 *
 * Engine calls: one `process(cmds, k)` per drained batch (k <= MAX_BATCH) and one outbound
 * record per call holding all its events; the reader splits them per command at the
 * outcome events (each command's first event is ACCEPTED or REJECTED, docs/ENGINE.md),
 * which `drain` checks.
 *
 * Back-pressure: if the outbound ring is full, the events already produced are kept in a
 * local overflow copy and no more commands are read until `drain` can write them.
 *
 * Live engine migration (migration.ts): `routed` is null unless a book shadows in, or is
 * owned by, the other engine kind; then each drained batch goes through the migrator
 * (sub-batches per engine, compare, merge) instead of the one engine call. `bookEngine[b]`
 * is the engine owning book b (the primary's until a cut-over).
 */
import { createEngine } from '../engine/index.js';
import type { Engine, InstrumentSpec } from '../engine/types.js';
import { RingConsumer, RingProducer } from './ring.js';
import { EventType } from '../engine/layout.js';
import { CMD_SIZE, EVT_SIZE, IN_CMD, IN_CMD_BYTES, InOff, OUT_COMPLETE, OUT_HEADER_BYTES, OUT_RESULT, OutOff } from './types.js';
import { ShardMetrics, BOOK_SAMPLE_LEVELS } from '../metrics/shard.js';
import { ShardMigrator, type MigrationEvent, type MigrationRequest, type MigrationResult } from './migration.js';

/** performance.timeOrigin is a getter: read it once. */
const TIME_ORIGIN = performance.timeOrigin;

/** Commands per engine call (bounds the batch's engine time, ~0.1-1 µs per command, and
 *  the scratch below). */
const MAX_BATCH = 512;
const CMD_WORDS = CMD_SIZE >> 2;

/** Events not yet written because the outbound ring was full (copied), in batch order. */
interface Pending { token: number; tDone: number; events: Uint8Array; n: number }

function isOutcome(ev: Uint8Array, i: number): boolean {
  const t = ev[i * EVT_SIZE]!;
  return t === EventType.ACCEPTED || t === EventType.REJECTED;
}

export class ShardCore {
  readonly engine: Engine;
  readonly inRing: RingConsumer;
  readonly outRing: RingProducer;
  // Contract 4: engine time per call, book samples and ring gauges here; orders and trades
  // are counted once, in the main thread (MetricsHub.recordOrder/recordTrade).
  readonly metrics: ShardMetrics;
  commands = 0;
  eventsOut = 0;
  /** Batches that met a full outbound ring (kept in the overflow copy). */
  overflowed = 0;
  /** Non-empty = the outbound ring is full: stop reading commands (rare). */
  private readonly overflow: Pending[] = [];
  /** Non-shared scratch for one batch: the engine reads a plain (non-SAB) buffer. */
  private readonly batchBuf = new Uint8Array(MAX_BATCH * CMD_SIZE);
  private readonly batchI32 = new Int32Array(this.batchBuf.buffer);
  /** Token of the first unwritten event's command after a partial `emit`. */
  private emitToken = 0;
  /** Engine owning each book (index = shard-local book). */
  readonly bookEngine: Engine[];
  /** Created on the first migration request; keeps the other engine and the history. */
  private migrator: ShardMigrator | null = null;
  /** = migrator while the routed path is needed, else null (the drain's one check). */
  private routed: ShardMigrator | null = null;
  /** Migration events (mismatch, cut-over, rollback) as they happen; set by the host. */
  onMigrationEvent: ((e: MigrationEvent) => void) | null = null;

  constructor(shardId: number, readonly books: readonly InstrumentSpec[], engineKind: string,
    inRing: SharedArrayBuffer, outRing: SharedArrayBuffer) {
    this.engine = createEngine(engineKind as 'native' | 'ts' | 'auto');
    for (const spec of books) this.engine.addBook(spec);
    this.bookEngine = books.map(() => this.engine);
    this.inRing = new RingConsumer(inRing);
    this.outRing = new RingProducer(outRing);
    this.metrics = new ShardMetrics(shardId, books.map((b) => b.symbol));
  }

  /** Events are waiting for room in the outbound ring. */
  get blocked(): boolean {
    return this.overflow.length > 0;
  }

  metricsSnapshot(): unknown {
    this.books.forEach((spec, i) => {
      const e = this.bookEngine[i]!;
      this.metrics.sampleEngineBook(spec, e.depth(i, BOOK_SAMPLE_LEVELS), e.stats(i));
    });
    this.metrics.setGauge('in_ring_bytes', this.inRing.used());
    this.metrics.setGauge('out_ring_bytes', this.outRing.used());
    this.metrics.setGauge('commands_total', this.commands);
    return this.metrics.snapshot();
  }

  /** Write events [from, to) of `ev` (the first belongs to command `token`) as one record, or
   *  several when they exceed a record. Returns how many were written: < to - from when the
   *  ring is full (`emitToken` is then the token of the first unwritten event's command). */
  private emit(token: number, tDone: number, ev: Uint8Array, from: number, to: number): number {
    const outRing = this.outRing;
    const perChunk = Math.max(1, Math.floor((outRing.maxPayload - OUT_HEADER_BYTES) / EVT_SIZE));
    let i = from;
    let tok = token;
    while (i < to) {
      const k = Math.min(perChunk, to - i);
      const off = outRing.reserve(OUT_RESULT, OUT_HEADER_BYTES + k * EVT_SIZE);
      if (off < 0) break;
      const end = i + k;
      const dv = outRing.dv;
      dv.setUint32(off + OutOff.token, tok, true);
      dv.setUint32(off + OutOff.nEvents, k, true);
      // COMPLETE unless the record's last command continues in the next record.
      dv.setUint32(off + OutOff.flags, end >= to || isOutcome(ev, end) ? OUT_COMPLETE : 0, true);
      dv.setUint32(off + 12, 0, true);
      dv.setFloat64(off + OutOff.tDone, tDone, true);
      outRing.u8.set(ev.subarray(i * EVT_SIZE, end * EVT_SIZE), off + OUT_HEADER_BYTES);
      if (end < to) for (let e = i + 1; e <= end; e++) if (isOutcome(ev, e)) tok++;
      i = end;
    }
    this.emitToken = tok;
    return i - from;
  }

  /** Emit, or queue the part that did not fit (and everything after it: order is kept). */
  private emitOrQueue(token: number, tDone: number, ev: Uint8Array, n: number): void {
    const queued = this.overflow.length > 0;
    const done = queued ? 0 : this.emit(token, tDone, ev, 0, n);
    if (done < n) {
      this.overflowed++;
      this.overflow.push({ token: queued ? token : this.emitToken, tDone, events: ev.slice(done * EVT_SIZE, n * EVT_SIZE), n: n - done });
    }
  }

  private flushOverflow(): boolean {
    const overflow = this.overflow;
    while (overflow.length > 0) {
      const o = overflow[0]!;
      const done = this.emit(o.token, o.tDone, o.events, 0, o.n);
      if (done < o.n) {
        o.token = this.emitToken;
        o.events = o.events.subarray(done * EVT_SIZE);
        o.n -= done;
        return false;
      }
      overflow.shift();
    }
    return true;
  }

  /**
   * Drain the inbound ring in batches of up to MAX_BATCH: copy the commands out (releasing
   * the ring space), run them in ONE engine call, write the batch's events as one outbound
   * record; publish once at the end. Stops early while the outbound ring is full.
   */
  drain(): void {
    const inRing = this.inRing;
    const inI32 = inRing.i32;
    const inDv = inRing.dv;
    const batchI32 = this.batchI32;
    if (!this.flushOverflow()) {
      this.outRing.publish();
      return;
    }
    for (;;) {
      let k = 0;
      let firstToken = 0;
      inRing.poll((kind, off, len) => {
        if (kind !== IN_CMD || len !== IN_CMD_BYTES) return; // unknown record: skip (never happens)
        // 12 word copies (offsets are 8-aligned): no subarray per command.
        const src = (off + InOff.cmd) >> 2;
        const dst = k * CMD_WORDS;
        for (let w = 0; w < CMD_WORDS; w++) batchI32[dst + w] = inI32[src + w]!;
        if (k === 0) firstToken = inDv.getUint32(off + InOff.token, true);
        k++;
      }, MAX_BATCH);
      if (k === 0) break;
      if (this.routed !== null) {
        this.drainRouted(this.routed, k, firstToken);
        if (this.overflow.length > 0 || k < MAX_BATCH) break;
        continue;
      }
      const t = performance.now();
      const n = this.engine.process(this.batchBuf, k);
      const t1 = performance.now();
      this.commands += k;
      this.eventsOut += n;
      this.metrics.recordBatch((t1 - t) * 1e6, k, n);
      const ev = this.engine.events();
      let outcomes = 0;
      for (let i = 0; i < n; i++) if (isOutcome(ev, i)) outcomes++;
      if (outcomes !== k || (n > 0 && !isOutcome(ev, 0))) {
        // Engine contract broken: results cannot be routed. Fail loudly (the pool marks the
        // shard down) rather than misattribute.
        throw new Error(`engine returned ${outcomes} command outcomes for ${k} commands (${n} events)`);
      }
      this.emitOrQueue(firstToken, TIME_ORIGIN + t1, ev, n);
      if (this.overflow.length > 0 || k < MAX_BATCH) break;
    }
    this.outRing.publish();
  }

  /** One drained batch while a migration routes commands (migration.ts). */
  private drainRouted(mig: ShardMigrator, k: number, firstToken: number): void {
    const n = mig.run(this.batchBuf, k, firstToken);
    const t1 = performance.now();
    this.commands += k;
    this.eventsOut += n;
    this.metrics.recordBatch(mig.engineNs, k, n);
    this.emitOrQueue(firstToken, TIME_ORIGIN + t1, mig.out8, n);
    if (!mig.needed) this.routed = null;
  }

  /**
   * Migration control (migration.ts), between drains. Throws MigrationError (code, status)
   * when the request cannot be honoured; `status` never creates the other engine.
   */
  migrationControl(req: MigrationRequest): MigrationResult {
    if (!this.migrator) {
      this.migrator = new ShardMigrator(this.engine, this.books, this.bookEngine, MAX_BATCH);
      this.migrator.onEvent = (e) => this.onMigrationEvent?.(e);
    }
    const r = this.migrator.control(req);
    this.routed = this.migrator.needed ? this.migrator : null;
    return r;
  }

  /** The routed (migration) path is on: some book shadows or lives in the other engine. */
  get migrationRouting(): boolean {
    return this.routed !== null;
  }

  /** [primary, other kind or null] (tests, diagnostics). */
  get migrationEngines(): readonly (Engine | null)[] {
    return this.migrator ? this.migrator.engines : [this.engine, null];
  }

  /** Per-book migration rows (null before any migration request: nothing ever migrated). */
  migrationStatus(): MigrationResult | null {
    return this.migrator ? this.migrator.control({ op: 'status' }) : null;
  }

  /** At stop: everything still queued, written (as far as the ring allows). */
  finish(): void {
    this.drain();
    this.flushOverflow();
    this.outRing.publish();
  }
}
