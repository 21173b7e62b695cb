/**
 * Main-thread side of the shard runtime: spawns the shard workers, owns the producer end of
 * each inbound ring and the consumer end of each outbound ring, detects shard death.
 *
 *   I/O thread (uWS)                                       shard worker simex-shard-<n>
 *   ────────────────                                       ────────────────────────────
 *   reserveCommand(n) ─► write 64-byte record ─┐
 *   flush() (once per loop turn / batch) ──────┴─► inRing ─► drain: engine.process(cmds, k)
 *                                                                  │ one call per drain
 *   sink.onResult(...) ◄─ recvLoop: poll, split ◄──── outRing ◄────┘ one record per batch
 *     per command at outcome events                                  (events, 80 B each)
 *   sink.onDrainEnd() (flush corked sends)
 *   postMessage control ◄────────────────────────────────► ready / metrics ~1/s / stop
 *
 * Liveness: a shard is DOWN when its worker exits or throws (it never comes back: restart
 * and replay need durability), STALLED while its heartbeat is older than `stallMs`. Orders
 * for a shard that is not UP are rejected by the edge with SHARD_UNAVAILABLE.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { InstrumentSpec } from '../engine/types.js';
import { RingConsumer, RingProducer, createRingBuffer } from './ring.js';
import { ShardCore } from './core.js';
import { engineInfo } from '../engine/index.js';
import { EVT_SIZE, EventType } from '../engine/layout.js';
import { MigrationError, type MigrationEvent, type MigrationRequest, type MigrationResult } from './migration.js';
import {
  IN_CMD, IN_CMD_BYTES, OUT_COMPLETE, OUT_HEADER_BYTES, OutOff, shardOf,
  type MainToShard, type ShardToMain, type ShardWorkerData,
} from './types.js';

export type ShardState = 'starting' | 'up' | 'stalled' | 'down' | 'stopping' | 'stopped';

export interface ShardSink {
  /** Events of one command (or a part of them): `n` event records at byte `evOff` (8-aligned)
   *  of `u8` (the ring's data; valid only during the call). Called in submission order;
   *  `final` on the command's last part. `tDone`: epoch ms when its engine call returned. */
  onResult(shard: number, token: number, tDone: number, u8: Uint8Array, evOff: number, n: number, final: boolean): void;
  /** After each poll batch of one shard (flush per-connection output, corked). Inline mode:
   *  once per flush(), after every shard it ran, with the id of the last that delivered. */
  onDrainEnd(shard: number): void;
  /** The shard died: every command still in flight on it will never complete. */
  onShardDown(shard: number, reason: string, symbols: string[]): void;
  onShardMetrics(shard: number, snapshot: unknown): void;
}

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface ShardPoolOptions {
  shards: number;
  instruments: readonly InstrumentSpec[];
  engineKind: string;
  /** Bytes per inbound ring (power of 2); outbound rings get 4x. */
  ringBytes?: number;
  metricsIntervalMs?: number;
  stallMs?: number;
  allowCrash?: boolean;
  /** 'worker' (default): each shard in its own worker thread. 'inline': the shards' work
   *  runs on the calling (I/O) thread at every flush(), no thread hop and no wake-up; for
   *  latency on machines with too few cores for a dedicated shard thread. */
  mode?: 'worker' | 'inline';
  /** Debug endpoints' thread registry (src/server/debug): each shard gets a profiler port. */
  profiler?: { attach(name: string, port: MessagePort): void; detach(name: string): void } | null;
  logger: Logger;
  sink: ShardSink;
}

/** Answer to ShardPool.migrate: the shard's result, or why it failed (code + HTTP status). */
export type MigrationAnswer =
  | { ok: true; result: MigrationResult }
  | { ok: false; error: { code: string; message: string; status: number } };

export interface Route {
  shard: number;
  book: number;
  index: number;
  spec: InstrumentSpec;
}

export class ShardHandle {
  state: ShardState = 'starting';
  worker!: Worker;
  inRing!: RingProducer;
  outRing!: RingConsumer;
  heartbeat!: Float64Array;
  implementation = 'unknown';
  engineInfo: unknown = null;
  downReason = '';
  downAt = 0;
  lastMetrics: unknown = null;
  dirty = false;
  /** Inline mode: the shard's work, run on the I/O thread (null in worker mode). */
  core: ShardCore | null = null;
  inlineRunning = false;
  /** Next token to hand out (u32, wraps). */
  nextToken = 0;
  /** Commands written whose FINAL result has not arrived. */
  inflight = 0;
  commandsSubmitted = 0;
  /** Last migration rows the shard reported (metrics message or a control reply). */
  migration: MigrationResult | null = null;
  constructor(readonly id: number, readonly books: InstrumentSpec[]) {}
  get symbols(): string[] {
    return this.books.map((b) => b.symbol);
  }
}

/** Path of a compiled module under dist/, also when this file runs from TypeScript source. */
export function distModule(rel: string): string {
  const here = fileURLToPath(import.meta.url);
  const dir = path.dirname(here);
  if (here.endsWith('.ts')) {
    // src/shard/pool.ts -> dist/src/shard/<rel>
    const root = path.resolve(dir, '..', '..');
    return path.join(root, 'dist', 'src', 'shard', rel);
  }
  return path.join(dir, rel);
}

export class ShardPool {
  readonly shards: ShardHandle[] = [];
  readonly routes = new Map<string, Route>();
  /** Route by instrument index (configuration order). */
  readonly routeList: Route[] = [];
  private readonly opts: Required<Omit<ShardPoolOptions, 'sink' | 'logger' | 'profiler'>> & Pick<ShardPoolOptions, 'sink' | 'logger' | 'profiler'>;
  private inlineTimer: NodeJS.Timeout | null = null;
  /** Most commands in flight per shard (written, FINAL result not yet delivered): enforced by
   *  reserveCommand, and sizes the edge's pending tables (indexed by token). In flight
   *  includes commands whose results wait in the outbound ring or the worker's overflow, so
   *  the inbound ring's size alone does not bound it. */
  readonly maxInflight: number;
  private stallTimer: NodeJS.Timeout | null = null;
  /** Ref'd for the pool's lifetime: Node 20's waitAsync does not keep the loop alive by
   *  itself (see RingConsumer.waitReadableKeptAlive). Never fires in practice. */
  private keepAlive: NodeJS.Timeout | null = null;
  private readonly recvLoops: Promise<void>[] = [];
  private running = false;

  constructor(opts: ShardPoolOptions) {
    const shards = Math.max(1, Math.min(opts.shards, opts.instruments.length));
    this.opts = {
      ringBytes: 4 << 20,
      metricsIntervalMs: 1000,
      stallMs: 5000,
      allowCrash: false,
      mode: 'worker',
      ...opts,
      shards,
    };
    this.maxInflight = Math.floor(this.opts.ringBytes / (IN_CMD_BYTES + 8));
    for (let s = 0; s < shards; s++) this.shards.push(new ShardHandle(s, []));
    opts.instruments.forEach((spec, index) => {
      const { shard, book } = shardOf(index, shards);
      this.shards[shard]!.books.push(spec);
      const r: Route = { shard, book, index, spec };
      this.routes.set(spec.symbol, r);
      this.routeList.push(r);
    });
  }


  get mode(): 'worker' | 'inline' {
    return this.opts.mode;
  }

  async start(timeoutMs = 15_000): Promise<void> {
    this.running = true;
    if (this.opts.mode === 'inline') {
      for (const h of this.shards) this.startInline(h);
      this.inlineTimer = setInterval(() => {
        for (const h of this.shards) if (h.state === 'up') this.inlineMetrics(h);
      }, this.opts.metricsIntervalMs);
      this.inlineTimer.unref();
      return;
    }
    this.keepAlive = setInterval(() => {}, 1 << 30);
    const file = distModule('worker.js');
    await Promise.all(this.shards.map((h) => this.spawn(h, file, timeoutMs)));
    this.stallTimer = setInterval(() => this.checkLiveness(), 500);
    this.stallTimer.unref();
  }

  private startInline(h: ShardHandle): void {
    const inSab = createRingBuffer(this.opts.ringBytes);
    const outSab = createRingBuffer(this.opts.ringBytes * 4);
    h.inRing = new RingProducer(inSab);
    h.outRing = new RingConsumer(outSab);
    h.heartbeat = new Float64Array(1);
    h.core = new ShardCore(h.id, h.books, this.opts.engineKind, inSab, outSab);
    h.core.onMigrationEvent = (e) => this.logMigrationEvent(h, e);
    h.implementation = h.core.engine.implementation;
    h.engineInfo = engineInfo();
    h.state = 'up';
    this.inlineMetrics(h);
  }

  /** Inline mode: what a worker posts every metricsIntervalMs, taken on this thread. */
  private inlineMetrics(h: ShardHandle): void {
    h.lastMetrics = h.core!.metricsSnapshot();
    this.opts.sink.onShardMetrics(h.id, h.lastMetrics);
  }

  /**
   * Inline mode: run `h`'s published commands now, on this thread, and deliver their
   * results (sink.onResult / onDrainEnd) before returning. Loops while the outbound ring was
   * full. Re-entrant calls (a result handler that submits and flushes) are folded into the
   * running loop. An engine error marks the shard down, as a dead worker would.
   */
  private runInline(h: ShardHandle): number {
    const core = h.core!;
    if (h.inlineRunning) return 0;
    h.inlineRunning = true;
    let delivered = 0;
    try {
      for (;;) {
        core.drain();
        delivered += this.pollShard(h, false);
        if (!core.blocked && !core.inRing.readable) break;
      }
    } catch (err) {
      this.markDown(h, `inline engine error: ${String((err as Error)?.message ?? err)}`);
    } finally {
      h.inlineRunning = false;
    }
    return delivered;
  }

  private spawn(h: ShardHandle, file: string, timeoutMs: number): Promise<void> {
    const inSab = createRingBuffer(this.opts.ringBytes);
    const outSab = createRingBuffer(this.opts.ringBytes * 4);
    const hbSab = new SharedArrayBuffer(8);
    h.inRing = new RingProducer(inSab);
    h.outRing = new RingConsumer(outSab);
    h.heartbeat = new Float64Array(hbSab);
    const wd: ShardWorkerData = {
      shardId: h.id,
      books: h.books,
      engineKind: this.opts.engineKind,
      inRing: inSab,
      outRing: outSab,
      heartbeat: hbSab,
      metricsIntervalMs: this.opts.metricsIntervalMs,
      allowCrash: this.opts.allowCrash,
      profilerPort: null,
    };
    const prof = this.opts.profiler;
    const ch = prof ? new MessageChannel() : null;
    if (ch) wd.profilerPort = ch.port2;
    const worker = new Worker(file, { workerData: wd, name: `simex-shard-${h.id}`, transferList: ch ? [ch.port2] : [] });
    h.worker = worker;
    if (prof && ch) {
      prof.attach(`shard-${h.id}`, ch.port1);
      worker.once('exit', () => prof.detach(`shard-${h.id}`));
    }
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`shard ${h.id} did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      worker.on('message', (msg: ShardToMain) => {
        switch (msg.type) {
          case 'ready':
            clearTimeout(timer);
            h.implementation = msg.implementation;
            h.engineInfo = msg.engineInfo;
            h.state = 'up';
            this.recvLoops.push(this.recvLoop(h).catch((err: unknown) => {
              this.opts.logger.error({ shard: h.id, err: String((err as Error)?.stack ?? err) }, 'result loop failed');
            }));
            resolve();
            break;
          case 'migration-reply': {
            const p = this.migrationWaits.get(msg.id);
            if (p) {
              this.migrationWaits.delete(msg.id);
              clearTimeout(p.timer);
              if (msg.result) h.migration = msg.result;
              p.resolve(msg.result ? { ok: true, result: msg.result } : { ok: false, error: msg.error! });
            }
            break;
          }
          case 'migration-event':
            this.logMigrationEvent(h, msg.event);
            break;
          case 'metrics':
            if (msg.migration) h.migration = msg.migration;
            h.lastMetrics = msg.snapshot;
            this.opts.sink.onShardMetrics(h.id, msg.snapshot);
            break;
          case 'fatal':
            this.opts.logger.error({ shard: h.id, symbols: h.symbols, err: msg.error }, 'Shard reported a fatal error');
            break;
          case 'stopped':
            this.opts.logger.info({ shard: h.id, commands: msg.commands, events: msg.events }, 'Shard stopped');
            break;
        }
      });
      worker.on('error', (err) => {
        clearTimeout(timer);
        this.markDown(h, `uncaught error: ${err.message}`);
        reject(err);
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        // Migration controls this worker will never answer: answer them now, not at timeout.
        this.failMigrationWaits(h, `shard ${h.id} went down (worker exited with code ${code}) before answering`);
        if (h.state === 'stopping' || h.state === 'stopped') {
          h.state = 'stopped';
          return;
        }
        this.markDown(h, `worker exited with code ${code}`);
        reject(new Error(`shard ${h.id} exited with code ${code}`));
      });
    });
  }

  private markDown(h: ShardHandle, reason: string): void {
    if (h.state === 'down' || h.state === 'stopped') return;
    // Results already published by the shard before it died are still delivered.
    this.pollShard(h);
    h.state = 'down';
    h.downReason = reason;
    h.downAt = Date.now();
    this.opts.logger.error(
      { shard: h.id, symbols: h.symbols, reason, inflight: h.inflight },
      `Shard ${h.id} is down; symbols ${h.symbols.join(', ')} are unavailable`,
    );
    this.opts.sink.onShardDown(h.id, reason, h.symbols);
    h.inflight = 0;
  }

  private checkLiveness(): void {
    const now = Date.now();
    for (const h of this.shards) {
      if (h.state !== 'up' && h.state !== 'stalled') continue;
      if (h.core) continue; // inline: runs on this thread, no heartbeat to watch
      const age = now - h.heartbeat[0]!;
      if (h.state === 'up' && age > this.opts.stallMs) {
        h.state = 'stalled';
        this.opts.logger.error({ shard: h.id, symbols: h.symbols, heartbeat_age_ms: age },
          `Shard ${h.id} stalled; symbols ${h.symbols.join(', ')} are unavailable`);
      } else if (h.state === 'stalled' && age <= this.opts.stallMs) {
        h.state = 'up';
        this.opts.logger.warn({ shard: h.id, symbols: h.symbols }, `Shard ${h.id} recovered from stall`);
      }
    }
  }

  route(symbol: string): Route | undefined {
    return this.routes.get(symbol);
  }

  isUp(shard: number): boolean {
    return this.shards[shard]!.state === 'up';
  }

  /**
   * Reserve one inbound command record on `shard`; returns the payload offset in
   * `shards[shard].inRing` views (fill the 64 bytes per types.ts, then `flush()`),
   * -1 when the ring is full or maxInflight commands are in flight, -2 when the shard is
   * not up. Also returns the token via
   * `lastToken`. Cost: O(1), no allocation.
   */
  reserveCommand(shard: number): number {
    const h = this.shards[shard]!;
    if (h.state !== 'up') return -2;
    if (h.inflight >= this.maxInflight) return -1;
    const off = h.inRing.reserve(IN_CMD, IN_CMD_BYTES);
    if (off < 0) return -1;
    this.lastToken = h.nextToken;
    h.nextToken = (h.nextToken + 1) >>> 0;
    h.inflight++;
    h.commandsSubmitted++;
    if (!h.dirty) {
      h.dirty = true;
      this.dirtyCount++;
    }
    return off;
  }
  lastToken = 0;
  private dirtyCount = 0;

  /** Publish every reserved command (one Atomics.store per dirty shard, a notify only if the
   *  shard sleeps). Call at the end of each handler that submitted commands. */
  flush(): void {
    if (this.dirtyCount === 0) return;
    this.dirtyCount = 0;
    let lastDelivered = -1;
    for (const h of this.shards) {
      if (h.dirty) {
        h.dirty = false;
        h.inRing.publish();
        if (h.core && h.state === 'up' && this.runInline(h) > 0) lastDelivered = h.id;
      }
    }
    // Inline: one onDrainEnd per flush, after every shard ran. A connection with reports
    // from two shards then gets one socket write, not one per shard (a loopback send costs
    // ~25 µs of this VM's CPU: SHARDS=2 inline measured ~0.7 µs/order more than SHARDS=1).
    if (lastDelivered >= 0) this.endDrain(lastDelivered);
  }

  /**
   * Deliver every published result record of `h`: each record holds the events of a batch
   * (types.ts, outbound ring); it is split per command at outcome events, one onResult per
   * command run (`final` on a command's last run). Cost: one scan of the event type bytes.
   */
  private pollShard(h: ShardHandle, endDrain = true): number {
    const ring = h.outRing;
    const dv = ring.dv;
    const u8 = ring.u8;
    const sink = this.opts.sink;
    const id = h.id;
    const n = ring.poll((_kind, off, _len) => {
      let token = dv.getUint32(off + OutOff.token, true);
      const nEv = dv.getUint32(off + OutOff.nEvents, true);
      const complete = (dv.getUint32(off + OutOff.flags, true) & OUT_COMPLETE) !== 0;
      const tDone = dv.getFloat64(off + OutOff.tDone, true);
      const ev0 = off + OUT_HEADER_BYTES;
      let start = 0;
      for (let e = 1; e < nEv; e++) {
        const t = u8[ev0 + e * EVT_SIZE]!;
        if (t !== EventType.ACCEPTED && t !== EventType.REJECTED) continue;
        h.inflight--;
        this.deliver(sink, id, token, tDone, u8, ev0 + start * EVT_SIZE, e - start, true);
        token = (token + 1) >>> 0;
        start = e;
      }
      if (complete) h.inflight--;
      this.deliver(sink, id, token, tDone, u8, ev0 + start * EVT_SIZE, nEv - start, complete);
    });
    if (n > 0 && endDrain) this.endDrain(id);
    return n;
  }

  private endDrain(id: number): void {
    try {
      this.opts.sink.onDrainEnd(id);
    } catch (err) {
      this.opts.logger.error({ shard: id, err: String((err as Error)?.stack ?? err) }, 'drain handler failed');
    }
  }

  /** One sink call; a throwing handler (a bug) is logged and costs only its own command. */
  private deliver(sink: ShardSink, id: number, token: number, tDone: number, u8: Uint8Array, evOff: number, n: number,
    final: boolean): void {
    try {
      sink.onResult(id, token, tDone, u8, evOff, n, final);
    } catch (err) {
      // At most one line per second (with the count since the last): a bug hit per result
      // must not turn into a logging storm that starves the I/O thread.
      this.handlerErrors++;
      const now = Date.now();
      if (now - this.handlerErrorLoggedAt >= 1000) {
        this.opts.logger.error({ shard: id, errors: this.handlerErrors, err: String((err as Error)?.stack ?? err) },
          'result handler failed');
        this.handlerErrors = 0;
        this.handlerErrorLoggedAt = now;
      }
    }
  }
  private handlerErrors = 0;
  private handlerErrorLoggedAt = 0;

  private async recvLoop(h: ShardHandle): Promise<void> {
    const yieldNow = () => new Promise<void>((r) => setImmediate(r));
    while (h.state === 'up' || h.state === 'stalled' || h.state === 'stopping') {
      if (!h.outRing.readable) {
        if (h.state === 'stopping' && h.inflight <= 0) break;
        // Sleep until the shard publishes. (Polling once per loop turn while commands are in
        // flight was tried: no better at saturation with loadgen here, and it burns a core
        // the shard and the clients need on a 2-core box.) No timer per sleep: `keepAlive`
        // keeps the loop alive, so the waitAsync timeout itself fires.
        await h.outRing.waitReadableKeptAlive(200);
        if (!h.outRing.readable) continue;
      }
      this.pollShard(h);
      // More published meanwhile: yield to uWS I/O once before the next poll. Otherwise the
      // sleep above yields, so there is no setImmediate per batch.
      if (h.outRing.readable) await yieldNow();
    }
    this.pollShard(h);
  }

  private migrationSeq = 0;
  private readonly migrationWaits = new Map<number, { shard: number; resolve: (a: MigrationAnswer) => void; timer: NodeJS.Timeout }>();

  /** Answer every control pending on `h` with SHARD_UNAVAILABLE (its worker is gone). */
  private failMigrationWaits(h: ShardHandle, message: string): void {
    for (const [id, w] of this.migrationWaits) {
      if (w.shard !== h.id) continue;
      this.migrationWaits.delete(id);
      clearTimeout(w.timer);
      w.resolve({ ok: false, error: { code: 'SHARD_UNAVAILABLE', message, status: 503 } });
    }
  }

  /**
   * Live engine migration control (src/shard/migration.ts) on one shard. Worker mode: one
   * control message and its reply (the worker handles it between drain slices, <= ~5 ms
   * while busy); inline: the shard's core, now. Never rejects: failures come back as
   * {ok: false, error: {code, status}} (SHARD_UNAVAILABLE 503 when the shard is not up or
   * does not answer within `timeoutMs`).
   */
  migrate(shard: number, req: MigrationRequest, timeoutMs = 5000): Promise<MigrationAnswer> {
    const h = this.shards[shard];
    if (!h || h.state !== 'up') {
      return Promise.resolve({ ok: false, error: { code: 'SHARD_UNAVAILABLE', message: `shard ${shard} is ${h?.state ?? 'missing'}`, status: 503 } });
    }
    if (h.core) {
      try {
        if (req.op === 'fault' && !this.opts.allowCrash) {
          throw new MigrationError('FORBIDDEN', 'divergence injection is a test-only control (SIMEX_TEST_ROUTES=true)', 403);
        }
        const result = h.core.migrationControl(req);
        h.migration = result;
        return Promise.resolve({ ok: true, result });
      } catch (err) {
        if (err instanceof MigrationError) return Promise.resolve({ ok: false, error: { code: err.code, message: err.message, status: err.status } });
        return Promise.resolve({ ok: false, error: { code: 'MIGRATION_FAILED', message: String((err as Error)?.message ?? err), status: 500 } });
      }
    }
    const id = ++this.migrationSeq;
    return new Promise<MigrationAnswer>((resolve) => {
      const timer = setTimeout(() => {
        this.migrationWaits.delete(id);
        resolve({ ok: false, error: { code: 'SHARD_UNAVAILABLE', message: `shard ${shard} did not answer within ${timeoutMs} ms`, status: 503 } });
      }, timeoutMs);
      this.migrationWaits.set(id, { shard, resolve, timer });
      h.worker.postMessage({ type: 'migration', id, req } satisfies MainToShard);
    });
  }

  /** One log line per migration event: a mismatch is a warn (the breaker rolled back). */
  private logMigrationEvent(h: ShardHandle, e: MigrationEvent): void {
    const log = this.opts.logger;
    if (e.kind === 'mismatch') {
      log.warn({ shard: h.id, pair: e.pair, ...e.mismatch },
        `Migration mismatch on ${e.pair}: circuit breaker rolled the migration back to 0% (source engine's events were emitted)`);
    } else if (e.kind === 'cut_over') {
      log.info({ shard: h.id, pair: e.pair, engine: e.engine, commands_compared: e.commands_compared, reason: e.reason },
        `Migration of ${e.pair} cut over: the ${e.engine} engine now owns the book`);
    } else {
      log.info({ shard: h.id, pair: e.pair, engine: e.engine, reason: e.reason }, `Migration of ${e.pair} rolled back to the ${e.engine} engine`);
    }
  }

  /** Test-only: make a shard die (requires allowCrash). */
  crash(shard: number, how: 'throw' | 'exit' | 'hang'): boolean {
    const h = this.shards[shard];
    if (!h || !this.opts.allowCrash || h.state !== 'up' || h.core) return false;
    h.worker.postMessage({ type: 'crash', how } satisfies MainToShard);
    return true;
  }

  /** Wait (bounded) until no command is in flight on any live shard. */
  async quiesce(timeoutMs: number): Promise<boolean> {
    this.flush();
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (this.shards.every((h) => h.state !== 'up' || h.inflight <= 0)) return true;
      await new Promise((r) => setTimeout(r, 5));
    }
    return false;
  }

  /** Stop every shard: finish queued commands, then exit. Terminates after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.stallTimer) clearInterval(this.stallTimer);
    this.flush();
    if (this.opts.mode === 'inline') {
      if (this.inlineTimer) clearInterval(this.inlineTimer);
      for (const h of this.shards) {
        if (!h.core || h.state !== 'up') continue;
        h.core.finish();
        this.pollShard(h);
        this.inlineMetrics(h);
        this.opts.logger.info({ shard: h.id, commands: h.core.commands, events: h.core.eventsOut }, 'Shard stopped');
        h.state = 'stopped';
      }
      return;
    }
    const keepAlive = this.keepAlive;
    await Promise.all(this.shards.map(async (h) => {
      if (h.state === 'down' || h.state === 'stopped' || !h.worker) return;
      const wasStalled = h.state === 'stalled';
      h.state = 'stopping';
      const exited = new Promise<void>((r) => h.worker.once('exit', () => r()));
      if (!wasStalled) h.worker.postMessage({ type: 'stop' } satisfies MainToShard);
      const t = setTimeout(() => void h.worker.terminate(), wasStalled ? 0 : timeoutMs);
      await exited;
      clearTimeout(t);
      h.state = 'stopped';
    }));
    // Wake every result loop so it sees the final state, then let the loop exit.
    for (const h of this.shards) h.outRing?.wakeConsumer();
    await Promise.all(this.recvLoops);
    if (keepAlive) clearInterval(keepAlive);
    this.keepAlive = null;
  }
}
