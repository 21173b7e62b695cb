/**
 * Shard worker entry (runs as `dist/src/shard/worker.js` in a worker thread named
 * `simex-shard-<n>`). It is the only writer of its books: it runs the shard's work
 * (ShardCore, core.ts: drain the inbound command ring, one engine call per batch, results
 * to the outbound ring in command order) in its own loop.
 *
 * Wake-ups: while busy the worker sleeps in Atomics.wait (a futex) between drains and
 * returns to its event loop every SLICE_MS; idle, it sleeps with Atomics.waitAsync.
 *
 * Back-pressure: while ShardCore is blocked on a full outbound ring, the worker waits for
 * the I/O thread to release space; the inbound ring then fills and the edge rejects with
 * OVERLOADED.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { engineInfo } from '../engine/index.js';
import type { MainToShard, ShardToMain, ShardWorkerData } from './types.js';
import { ShardCore } from './core.js';
import { MigrationError } from './migration.js';

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

const core = new ShardCore(shardId, data.books, data.engineKind, data.inRing, data.outRing);
const inRing = core.inRing;
const outRing = core.outRing;
core.onMigrationEvent = (event) => send({ type: 'migration-event', shardId, event });
const heartbeat = new Float64Array(data.heartbeat);
let stopping = false;

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
      core.drain();
      lastWorkAt = performance.now();
      if (core.blocked) return false;
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
    if (core.blocked) {
      await outRing.waitForSpace(100);
      core.drain();
      continue;
    }
    const idle = runSlice();
    if (stopping) break;
    if (idle) await inRing.waitReadable(250);
    // Let control messages (stop, metrics timer, profiler) run between slices.
    else if (!core.blocked) await yieldNow();
  }
  core.finish();
}

const metricsTimer = setInterval(() => {
  heartbeat[0] = Date.now();
  try {
    send({ type: 'metrics', shardId, snapshot: core.metricsSnapshot(), migration: core.migrationStatus() });
  } catch (err) {
    send({ type: 'fatal', shardId, error: `metrics snapshot failed: ${String(err)}` });
  }
}, data.metricsIntervalMs);

port.on('message', (msg: MainToShard) => {
  if (msg.type === 'stop') {
    stopping = true;
    // Wake the loop if it sleeps on the inbound ring.
    inRing.wakeConsumer();
  } else if (msg.type === 'migration') {
    // Runs between drains (message handlers run between the loop's slices).
    try {
      if (msg.req.op === 'fault' && !data.allowCrash) {
        throw new MigrationError('FORBIDDEN', 'divergence injection is a test-only control (SIMEX_TEST_ROUTES=true)', 403);
      }
      send({ type: 'migration-reply', shardId, id: msg.id, result: core.migrationControl(msg.req) });
    } catch (err) {
      const e = err instanceof MigrationError ? { code: err.code, message: err.message, status: err.status }
        : { code: 'MIGRATION_FAILED', message: String((err as Error)?.stack ?? err), status: 500 };
      send({ type: 'migration-reply', shardId, id: msg.id, error: e });
    }
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
send({ type: 'ready', shardId, implementation: core.engine.implementation, engineInfo: engineInfo() });
// A first snapshot right away, so the hub knows this shard before the first period ends.
send({ type: 'metrics', shardId, snapshot: core.metricsSnapshot() });
loop().then(
  () => {
    clearInterval(metricsTimer);
    send({ type: 'metrics', shardId, snapshot: core.metricsSnapshot() });
    send({ type: 'stopped', shardId, commands: core.commands, events: core.eventsOut });
    port.close();
  },
  (err: unknown) => {
    send({ type: 'fatal', shardId, error: String((err as Error)?.stack ?? err) });
    process.exit(1);
  },
);
