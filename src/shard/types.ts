/**
 * Every message that crosses between the I/O (main) thread and a shard worker, in one place.
 *
 * Two channels per shard:
 *  1. Fast path: two SPSC SharedArrayBuffer rings (src/shard/ring.ts), one per direction,
 *     carrying fixed binary records (layouts below). No structured clone, no allocation.
 *  2. Control path: the worker's postMessage port, for low-rate messages (start-up, ~1/s
 *     metrics snapshots, stop, test-only crash). Declared here as TypeScript unions.
 *
 * Ordering: a shard consumes its inbound ring strictly in order and writes results for
 * command k before reading command k+1, so results come back in submission order; the
 * main thread relies on that (tokens complete in increasing order per shard).
 */
import type { MessagePort } from 'node:worker_threads';
import type { InstrumentSpec } from '../engine/types.js';
import type { MigrationEvent, MigrationRequest, MigrationResult } from './migration.js';
import { CMD_SIZE, EVT_SIZE } from '../engine/layout.js';

// ---------------------------------------------------------------------------------------
// Inbound ring (I/O thread -> shard). Record kind IN_CMD, payload IN_CMD_BYTES = 64:
//   off size
//     0   48  engine command record (src/engine/layout.ts), book = the shard-local index
//    48  u32  token   main-thread correlation id (per shard, increasing by 1 per command;
//                     the shard reads the first of each batch: results carry it back)
//    52  u32  tag     origin kind (Origin) in the low byte (for tracing; the shard ignores it)
//    56  f64  t0      epoch ms when the edge received the request (for tracing; ignored)
// ---------------------------------------------------------------------------------------
export const IN_CMD = 1;
export const IN_CMD_BYTES = 64;
export const InOff = { cmd: 0, token: CMD_SIZE, tag: CMD_SIZE + 4, t0: CMD_SIZE + 8 } as const;

// ---------------------------------------------------------------------------------------
// Outbound ring (shard -> I/O thread). Record kind OUT_RESULT: the events of one engine
// batch (or a chunk of it), back to back, in engine order:
//   off size
//     0  u32  token   token of the command the record's FIRST event belongs to
//     4  u32  nEvents events in this record
//     8  u32  flags   bit0 COMPLETE: the record's last command ends in this record
//    12  u32  (zero)
//    16  f64  tDone   epoch ms when the engine call returned (shard-side latency)
//    24  nEvents * EVT_SIZE engine event records
// Every command's first event is its outcome (ACCEPTED or REJECTED; docs/ENGINE.md), so the
// reader splits a record per command at outcome events; tokens are consecutive, so each
// outcome event after the record's first event starts the command with the next token.
// A batch larger than one record (or cut by a full ring) continues in the
// next record; COMPLETE is clear exactly when the last command's events go on there.
// One record per batch, not per command: no per-command header, reserve or copy call.
// ---------------------------------------------------------------------------------------
export const OUT_RESULT = 1;
export const OUT_HEADER_BYTES = 24;
export const OutOff = { token: 0, nEvents: 4, flags: 8, tDone: 16 } as const;
export const OUT_COMPLETE = 1;
export { CMD_SIZE, EVT_SIZE };

/** Origin of a command (low byte of `tag`): who gets the result. */
export const Origin = {
  REST: 1, // HTTP request waiting for its JSON response
  SESSION: 2, // binary WebSocket session (execution reports)
  INTERNAL: 3, // server-initiated (mass cancel on logout, admin)
} as const;
export type Origin = (typeof Origin)[keyof typeof Origin];

// ---------------------------------------------------------------------------------------
// Control messages
// ---------------------------------------------------------------------------------------

/** workerData given to `new Worker(...)`. */
export interface ShardWorkerData {
  shardId: number;
  /** Books in shard-local index order (index i = engine book i). */
  books: InstrumentSpec[];
  /** ENGINE kind passed to createEngine (native|ts|auto). */
  engineKind: string;
  inRing: SharedArrayBuffer;
  outRing: SharedArrayBuffer;
  /** Float64Array[1]: epoch ms of the shard loop's last turn (liveness). */
  heartbeat: SharedArrayBuffer;
  /** Metrics snapshot period (ms). */
  metricsIntervalMs: number;
  /** Enable the test-only 'crash' control message. */
  allowCrash: boolean;
  /** Profiler channel (src/server/debug/WIRING.md) when debug endpoints are on, else null. */
  profilerPort: MessagePort | null;
}

export type MainToShard =
  | { type: 'stop' }
  /** Live engine migration control (migration.ts); answered by a ShardMigrationReply with
   *  the same id. 'fault' is refused unless allowCrash (test-only controls). */
  | { type: 'migration'; id: number; req: MigrationRequest }
  /** Test-only (allowCrash): make the worker die as a real bug would. */
  | { type: 'crash'; how: 'throw' | 'exit' | 'hang' };

export interface ShardReady {
  type: 'ready';
  shardId: number;
  implementation: string;
  engineInfo: unknown;
}
export interface ShardMetricsMsg {
  type: 'metrics';
  shardId: number;
  /** ShardMetrics.snapshot(): plain structured-clone-able object (contract 4). */
  snapshot: unknown;
  /** Per-book migration rows (migration.ts); null while nothing was ever asked of it. */
  migration?: MigrationResult | null;
}
export interface ShardStopped {
  type: 'stopped';
  shardId: number;
  commands: number;
  events: number;
}
export interface ShardFatal {
  type: 'fatal';
  shardId: number;
  error: string;
}
export interface ShardMigrationReply {
  type: 'migration-reply';
  shardId: number;
  id: number;
  result?: MigrationResult;
  /** Set when the request failed: MigrationError's code/status, or 500 for a bug. */
  error?: { code: string; message: string; status: number };
}
/** A migration event (mismatch, cut-over, rollback), posted as it happens. */
export interface ShardMigrationEventMsg {
  type: 'migration-event';
  shardId: number;
  event: MigrationEvent;
}
export type ShardToMain = ShardReady | ShardMetricsMsg | ShardStopped | ShardFatal | ShardMigrationReply | ShardMigrationEventMsg;

/** Deterministic symbol -> shard assignment: instrument i (in configuration order) lives on
 *  shard i % shards, at shard-local book index floor(i / shards). Written into
 *  /api/symbols and docs/ARCHITECTURE.md. */
export function shardOf(instrumentIndex: number, shards: number): { shard: number; book: number } {
  return { shard: instrumentIndex % shards, book: Math.floor(instrumentIndex / shards) };
}
