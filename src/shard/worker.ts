/**
 * Shard worker entry (runs as `dist/src/shard/worker.js` in a worker thread named
 * `simex-shard-<n>`). It is the only writer of its books: it drains the inbound command
 * ring and writes the events to the outbound ring in command order (results keep
 * submission order).
 *
 * Engine calls: one `process(cmds, k)` per ring drain (k <= MAX_BATCH), and one outbound
 * record per call holding all its events (types.ts); the I/O thread splits them per command
 * at the outcome events (each command's first event is ACCEPTED or REJECTED).
 *
 * Wake-ups: while busy the worker sleeps in Atomics.wait (a futex) between drains and
 * returns to its event loop every SLICE_MS; idle, it sleeps with Atomics.waitAsync.
 *
 * Back-pressure: if the outbound ring is full, the worker stops reading commands (the events
 * already produced are kept in a local overflow copy) and waits for the I/O thread to
 * release space; the inbound ring then fills and the edge rejects with SHARD_BUSY.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createEngine, engineInfo } from '../engine/index.js';
import { RingConsumer, RingProducer } from './ring.js';
import { EventType } from '../engine/layout.js';
import {
  CMD_SIZE, EVT_SIZE, IN_CMD, IN_CMD_BYTES, InOff, OUT_COMPLETE, OUT_HEADER_BYTES, OUT_RESULT, OutOff,
  type MainToShard, type ShardToMain, type ShardWorkerData,
} from './types.js';
import { ShardMetrics, BOOK_SAMPLE_LEVELS } from '../metrics/shard.js';

/** performance.timeOrigin is a getter: read it once. */
const TIME_ORIGIN = performance.timeOrigin;

const data = workerData as ShardWorkerData;
const port = parentPort!;
const shardId = data.shardId;

function send(msg: ShardToMain): void {
  port.postMessage(msg);
}

if (data.profilerPort) {
  // Debug endpoints (src/server/debug/WIRING.md): CPU/heap profiles of this thread.
  const { serveProfiler } = await import('../server/debug/profiler.js');
  serveProfiler(data.profilerPort);
}

const engine = createEngine(data.engineKind as 'native' | 'ts' | 'auto');
for (const spec of data.books) engine.addBook(spec);

const inRing = new RingConsumer(data.inRing);
const outRing = new RingProducer(data.outRing);
const heartbeat = new Float64Array(data.heartbeat);
// Contract 4: engine time per call, book samples and ring gauges here; orders and trades are
// counted once, in the main thread (MetricsHub.recordOrder/recordTrade).
const metrics = new ShardMetrics(shardId, data.books.map((b) => b.symbol));
function metricsSnapshot(): unknown {
  data.books.forEach((spec, i) => metrics.sampleEngineBook(spec, engine.depth(i, BOOK_SAMPLE_LEVELS), engine.stats(i)));
  metrics.setGauge('in_ring_bytes', inRing.used());
  metrics.setGauge('out_ring_bytes', outRing.used());
  metrics.setGauge('commands_total', commands);
  return metrics.snapshot();
}

/** Commands per engine call: one `process(cmds, k)` per ring drain, at most this many
 *  (bounds the batch's engine time, ~0.1-1 µs per command, and the scratch below). */
const MAX_BATCH = 512;
/** Non-shared scratch for one batch: the engine reads a plain (non-SAB) buffer. */
const batchBuf = new Uint8Array(MAX_BATCH * CMD_SIZE);
const batchI32 = new Int32Array(batchBuf.buffer);
const inI32 = inRing.i32;
const inDv = inRing.dv;
const CMD_WORDS = CMD_SIZE >> 2;

/** Events not yet written because the outbound ring was full (copied), in batch order:
 *  non-empty = stop reading commands (rare; one copy per batch caught in it). */
interface Pending { token: number; tDone: number; events: Uint8Array; n: number }
const overflow: Pending[] = [];

let commands = 0;
let eventsOut = 0;
let stopping = false;

function isOutcome(ev: Uint8Array, i: number): boolean {
  const t = ev[i * EVT_SIZE]!;
  return t === EventType.ACCEPTED || t === EventType.REJECTED;
}

/** Token of the command event `to` belongs to, after writing events [from, to) that start
 *  with command `token` (counts the outcome events in (from, to]). Chunking path only. */
let emitToken = 0;

/** Write events [from, to) of `ev` (the first belongs to command `token`) as one record, or
 *  several when they exceed a record. Returns how many were written: < to - from when the
 *  ring is full (`emitToken` is then the token of the first unwritten event's command). */
function emit(token: number, tDone: number, ev: Uint8Array, from: number, to: number): number {
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
  emitToken = tok;
  return i - from;
}

/** Emit, or queue the part that did not fit (and everything after it: order is kept). */
function emitOrQueue(token: number, tDone: number, ev: Uint8Array, n: number): void {
  const done = overflow.length > 0 ? 0 : emit(token, tDone, ev, 0, n);
  if (done < n) {
    overflow.push({ token: overflow.length > 0 ? token : emitToken, tDone, events: ev.slice(done * EVT_SIZE, n * EVT_SIZE), n: n - done });
  }
}

function flushOverflow(): boolean {
  while (overflow.length > 0) {
    const o = overflow[0]!;
    const done = emit(o.token, o.tDone, o.events, 0, o.n);
    if (done < o.n) {
      o.token = emitToken;
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
 * record. The engine contract (one outcome event first per command, docs/ENGINE.md) is
 * checked here: the I/O thread routes results by it.
 */
function drain(): void {
  if (!flushOverflow()) {
    outRing.publish();
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
    const t = performance.now();
    const n = engine.process(batchBuf, k);
    const t1 = performance.now();
    commands += k;
    eventsOut += n;
    metrics.recordBatch((t1 - t) * 1e6, k, n);
    const ev = engine.events();
    let outcomes = 0;
    for (let i = 0; i < n; i++) if (isOutcome(ev, i)) outcomes++;
    if (outcomes !== k || (n > 0 && !isOutcome(ev, 0))) {
      // Engine contract broken: results cannot be routed. Fail loudly (the pool marks the
      // shard down) rather than misattribute.
      throw new Error(`engine returned ${outcomes} command outcomes for ${k} commands (${n} events)`);
    }
    emitOrQueue(firstToken, TIME_ORIGIN + t1, ev, n);
    if (overflow.length > 0 || k < MAX_BATCH) break;
  }
  outRing.publish();
}

// Hot path: while commands arrive, the worker sleeps in a real futex wait (Atomics.wait,
// synchronous, allowed in workers) instead of Atomics.waitAsync: a wake-up is then one
// futex wake in the producer and a context switch here, with no uv_async/eventfd hop, no
// promise and no timer. The event loop still runs every SLICE_MS (control messages, the
// metrics timer, the profiler port), and after IDLE_MS without a command the worker goes
// back to the asynchronous sleep, so an idle shard costs no CPU.
/** Atomics.load re-checks before a futex sleep (a few µs: the main thread is often just
 *  about to publish more; longer spins steal the core it needs on a 2-core box). */
const SPIN_CHECKS = 200;
/** Longest single futex sleep while hot (ms). */
const WAIT_MS = 1;
/** Return to the event loop at least this often while hot (ms). */
const SLICE_MS = 5;
/** No command for this long: leave the hot path (ms). */
const IDLE_MS = 50;
let lastWorkAt = 0;

/** Run the shard synchronously for up to SLICE_MS. Returns true when it went idle. */
function runSlice(): boolean {
  const start = performance.now();
  for (;;) {
    if (inRing.readable) {
      drain();
      lastWorkAt = performance.now();
      if (overflow.length > 0) return false;
      if (lastWorkAt - start >= SLICE_MS) return false;
      continue;
    }
    for (let i = 0; i < SPIN_CHECKS && !inRing.readable; i++);
    if (inRing.readable) continue;
    const now = performance.now();
    if (now - lastWorkAt >= IDLE_MS) return true;
    if (now - start >= SLICE_MS) return false;
    inRing.waitReadableSync(WAIT_MS);
  }
}

async function loop(): Promise<void> {
  const yieldNow = () => new Promise<void>((r) => setImmediate(r));
  while (!stopping) {
    heartbeat[0] = Date.now();
    if (overflow.length > 0) {
      await outRing.waitForSpace(100);
      drain();
      continue;
    }
    const idle = runSlice();
    if (stopping) break;
    if (idle) await inRing.waitReadable(250);
    // Let control messages (stop, metrics timer, profiler) run between slices.
    else if (overflow.length === 0) await yieldNow();
  }
  drain();
  flushOverflow();
  outRing.publish();
}

const metricsTimer = setInterval(() => {
  heartbeat[0] = Date.now();
  try {
    send({ type: 'metrics', shardId, snapshot: metricsSnapshot() });
  } catch (err) {
    send({ type: 'fatal', shardId, error: `metrics snapshot failed: ${String(err)}` });
  }
}, data.metricsIntervalMs);

port.on('message', (msg: MainToShard) => {
  if (msg.type === 'stop') {
    stopping = true;
    // Wake the loop if it sleeps on the inbound ring.
    inRing.wakeConsumer();
  } else if (msg.type === 'crash' && data.allowCrash) {
    if (msg.how === 'exit') process.exit(70);
    if (msg.how === 'hang') {
      const until = Date.now() + 3_600_000;
      while (Date.now() < until) { /* test-only: simulate a stuck shard */ }
    }
    setImmediate(() => {
      throw new Error(`test-only crash requested for shard ${shardId}`);
    });
  }
});

heartbeat[0] = Date.now();
send({ type: 'ready', shardId, implementation: engine.implementation, engineInfo: engineInfo() });
// A first snapshot right away, so the hub knows this shard before the first period ends.
send({ type: 'metrics', shardId, snapshot: metricsSnapshot() });
loop().then(
  () => {
    clearInterval(metricsTimer);
    send({ type: 'metrics', shardId, snapshot: metricsSnapshot() });
    send({ type: 'stopped', shardId, commands, events: eventsOut });
    port.close();
  },
  (err: unknown) => {
    send({ type: 'fatal', shardId, error: String((err as Error)?.stack ?? err) });
    process.exit(1);
  },
);
