/**
 * Shard worker entry (runs as `dist/src/shard/worker.js` in a worker thread named
 * `simex-shard-<n>`). It is the only writer of its books: it drains the inbound command
 * ring, runs each command through the engine, and writes the command's events to the
 * outbound ring before reading the next command (results keep submission order).
 *
 * Engine calls: one `process(cmd, 1)` per command. The engine's event stream has no
 * per-command boundaries, and each result must be routed to the command's origin; the
 * N-API crossing this costs (~0.1 µs) is small next to the WebSocket work per order. The
 * ring crossing itself is batched: one wake-up drains everything published.
 *
 * Back-pressure: if the outbound ring is full, the worker stops reading commands (the events
 * already produced are kept in a local overflow copy) and waits for the I/O thread to
 * release space; the inbound ring then fills and the edge rejects with SHARD_BUSY.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createEngine, engineInfo } from '../engine/index.js';
import { RingConsumer, RingProducer } from './ring.js';
import {
  CMD_SIZE, EVT_SIZE, IN_CMD, IN_CMD_BYTES, InOff, OUT_FINAL, OUT_HEADER_BYTES, OUT_RESULT, OutOff,
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

/** Non-shared scratch for one command: the engine reads a plain (non-SAB) buffer. */
const cmdBuf = new Uint8Array(CMD_SIZE);
const inDv = inRing.dv;
const inU8 = inRing.u8;

// Overflow: events produced while the outbound ring was full (rare; copies once).
let overflow: { token: number; tag: number; t0: number; tDone: number; events: Uint8Array; n: number } | null = null;

let commands = 0;
let eventsOut = 0;
let stopping = false;

/** Write `n` events (from `ev`) for one command as one or more records; false if no room
 *  (nothing partial is published: chunks already reserved are, but that keeps order). */
function emit(token: number, tag: number, t0: number, tDone: number, ev: Uint8Array, n: number): boolean {
  const perChunk = Math.max(1, Math.floor((outRing.maxPayload - OUT_HEADER_BYTES) / EVT_SIZE));
  let i = 0;
  do {
    const k = Math.min(perChunk, n - i);
    const off = outRing.reserve(OUT_RESULT, OUT_HEADER_BYTES + k * EVT_SIZE);
    if (off < 0) {
      // Keep the remainder (events i..n) for later; chunks before i are already reserved.
      overflow = { token, tag, t0, tDone, events: ev.slice(i * EVT_SIZE, n * EVT_SIZE), n: n - i };
      return false;
    }
    const dv = outRing.dv;
    dv.setUint32(off + OutOff.token, token, true);
    dv.setUint32(off + OutOff.tag, tag, true);
    dv.setFloat64(off + OutOff.t0, t0, true);
    dv.setUint32(off + OutOff.nEvents, k, true);
    dv.setUint32(off + OutOff.flags, i + k >= n ? OUT_FINAL : 0, true);
    dv.setFloat64(off + OutOff.tDone, tDone, true);
    if (k > 0) outRing.u8.set(ev.subarray(i * EVT_SIZE, (i + k) * EVT_SIZE), off + OUT_HEADER_BYTES);
    i += k;
  } while (i < n);
  return true;
}

function flushOverflow(): boolean {
  if (!overflow) return true;
  const o = overflow;
  overflow = null;
  return emit(o.token, o.tag, o.t0, o.tDone, o.events, o.n);
}

function drain(): void {
  if (!flushOverflow()) {
    outRing.publish();
    return;
  }
  inRing.poll((kind, off, len) => {
    if (overflow) return false; // output full: leave the rest queued
    if (kind !== IN_CMD || len !== IN_CMD_BYTES) return; // unknown record: skip (never happens)
    cmdBuf.set(inU8.subarray(off + InOff.cmd, off + InOff.cmd + CMD_SIZE));
    const token = inDv.getUint32(off + InOff.token, true);
    const tag = inDv.getUint32(off + InOff.tag, true);
    const t0 = inDv.getFloat64(off + InOff.t0, true);
    const t = performance.now();
    const n = engine.process(cmdBuf, 1);
    const t1 = performance.now();
    commands++;
    eventsOut += n;
    metrics.recordBatch((t1 - t) * 1e6, 1, n);
    emit(token, tag, t0, TIME_ORIGIN + t1, engine.events(), n);
  }, 4096);
  outRing.publish();
}

async function loop(): Promise<void> {
  const yieldNow = () => new Promise<void>((r) => setImmediate(r));
  while (!stopping) {
    heartbeat[0] = Date.now();
    if (overflow) {
      await outRing.waitForSpace(100);
      drain();
      continue;
    }
    if (!inRing.readable) {
      await inRing.waitReadable(250);
      if (stopping) break;
    }
    drain();
    // Let control messages (stop, metrics timer) run between batches.
    await yieldNow();
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
