/**
 * In-thread profiler: one `node:inspector` Session on the isolate of the thread that calls
 * it (the main thread, or a shard worker — each worker has its own inspector and its own
 * Session). Every cross-thread profiler message is declared here.
 *
 * Contract for a shard worker (what the server's worker entry wires; see
 * src/server/debug/WIRING.md):
 *   - main thread: `const ch = new MessageChannel()`; pass `ch.port2` in workerData and the
 *     transferList; `threads.attach('shard-<n>', ch.port1)` (threads.ts).
 *   - worker: `serveProfiler(workerData.profilerPort)` once at start-up (only when debug
 *     endpoints are enabled). It answers `ProfilerEnvelope` messages on that port by calling
 *     `handleProfilerMessage` and posting the reply back with the same id.
 *   - or, without a dedicated port: call `handleProfilerMessage(msg.req)` yourself for any
 *     message where `isProfilerEnvelope(msg)` and post `{ [PROFILER_TAG]: 1, id, reply }`.
 *
 * Costs (not measured here: compare `simex loadgen` results with and without a profile
 * running before trusting one under load): a CPU profile samples the thread's stack every
 * `intervalUs`; the continuous sampling heap profiler records one allocation per ~512 KiB
 * allocated; a heap snapshot stops the thread while it walks the whole heap (seconds for a
 * large heap; the debug-routes test sees multi-second snapshots of a small worker on a
 * loaded 2-core machine) and produces a JSON string larger than the heap.
 *
 * Ordering: one operation of each kind at a time per thread (V8 has one profiler per
 * isolate); a second concurrent request of the same kind gets `busy`.
 */
import { Session } from 'node:inspector/promises';
import type { Profiler } from 'node:inspector';
import type { SamplingHeapProfile } from './pprof.js';
import type { MessagePort } from 'node:worker_threads';

export const PROFILER_TAG = '__simexProfiler';

/** Requests a thread's profiler understands. */
export type ProfilerRequest =
  /** CPU profile for `seconds` (1..300), sampling every `intervalUs` (100..100000) µs. */
  | { op: 'cpu'; seconds: number; intervalUs: number }
  /** Sampling heap profile. `seconds` > 0: a fresh window of that length, sampling one
   *  allocation per `intervalBytes` (default HEAP_SAMPLING_INTERVAL); with `collected`,
   *  samples of objects the GC freed during the window are kept too (bytes ALLOCATED in
   *  the window, not live at its end). 0: the continuous sampler started by
   *  `startHeapSampling` (live sampled allocations; `intervalBytes`/`collected` ignored). */
  | { op: 'heap'; seconds: number; intervalBytes?: number; collected?: boolean }
  /** Full heap snapshot (.heapsnapshot JSON, Chrome DevTools format). */
  | { op: 'heapsnapshot' }
  /** Liveness check; replies with the thread's name and pid. */
  | { op: 'ping' };

export type ProfilerReply =
  | { ok: true; op: 'cpu'; profile: Profiler.Profile; intervalUs: number }
  | { ok: true; op: 'heap'; profile: SamplingHeapProfile; samplingIntervalBytes: number; collected: boolean }
  | { ok: true; op: 'heapsnapshot'; snapshot: string }
  | { ok: true; op: 'ping'; pid: number; threadId: number }
  | { ok: false; code: 'BUSY' | 'BAD_REQUEST' | 'FAILED' | 'TIMEOUT' | 'UNKNOWN_THREAD'; error: string };

/** Message on a profiler port: a request (main -> worker) or a reply (worker -> main). */
export type ProfilerEnvelope =
  | { [PROFILER_TAG]: 1; id: number; req: ProfilerRequest }
  | { [PROFILER_TAG]: 1; id: number; reply: ProfilerReply };

export function isProfilerEnvelope(msg: unknown): msg is ProfilerEnvelope {
  return typeof msg === 'object' && msg !== null && (msg as Record<string, unknown>)[PROFILER_TAG] === 1;
}

/** Default V8 heap-sampling interval (bytes): V8's own default. */
export const HEAP_SAMPLING_INTERVAL = 512 * 1024;
/** Bounds of a window's sampling interval (bytes). Below 1 KiB the stack walks per sample
 *  cost more than the allocations they describe. */
export const HEAP_INTERVAL_MIN = 1024;
export const HEAP_INTERVAL_MAX = 64 * 1024 * 1024;

let session: Session | null = null;
const busy = new Set<string>();
let continuousHeap = false;

function sess(): Session {
  if (!session) {
    session = new Session();
    session.connect();
  }
  return session;
}

/** Starts the continuous sampling heap profiler of this thread (idempotent). */
export async function startHeapSampling(intervalBytes = HEAP_SAMPLING_INTERVAL): Promise<void> {
  if (continuousHeap) return;
  continuousHeap = true;
  await sess().post('HeapProfiler.startSampling', { samplingInterval: intervalBytes });
}

function validate(req: unknown): ProfilerRequest | string {
  if (typeof req !== 'object' || req === null) return 'request must be an object';
  const r = req as Record<string, unknown>;
  const int = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
  switch (r.op) {
    case 'cpu':
      if (!int(r.seconds, 1, 300)) return 'seconds must be an integer 1..300';
      if (!int(r.intervalUs, 100, 100_000)) return 'intervalUs must be an integer 100..100000';
      return { op: 'cpu', seconds: r.seconds as number, intervalUs: r.intervalUs as number };
    case 'heap':
      if (!int(r.seconds, 0, 300)) return 'seconds must be an integer 0..300';
      if (r.intervalBytes !== undefined && !int(r.intervalBytes, HEAP_INTERVAL_MIN, HEAP_INTERVAL_MAX)) {
        return `intervalBytes must be an integer ${HEAP_INTERVAL_MIN}..${HEAP_INTERVAL_MAX}`;
      }
      if (r.collected !== undefined && typeof r.collected !== 'boolean') return 'collected must be a boolean';
      return {
        op: 'heap', seconds: r.seconds as number,
        ...(r.intervalBytes !== undefined ? { intervalBytes: r.intervalBytes as number } : {}),
        ...(r.collected !== undefined ? { collected: r.collected as boolean } : {}),
      };
    case 'heapsnapshot':
      return { op: 'heapsnapshot' };
    case 'ping':
      return { op: 'ping' };
    default:
      return `unknown op ${String(r.op)}`;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function cpu(seconds: number, intervalUs: number): Promise<ProfilerReply> {
  const s = sess();
  await s.post('Profiler.enable');
  await s.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await s.post('Profiler.start');
  let profile: Profiler.Profile;
  try {
    await sleep(seconds * 1000);
  } finally {
    // stop() must run even if the wait was interrupted, or the next start fails.
    profile = (await s.post('Profiler.stop')).profile;
    await s.post('Profiler.disable');
  }
  return { ok: true, op: 'cpu', profile, intervalUs };
}

/**
 * V8 has one sampling heap profiler per isolate: a window stops the continuous sampler
 * (its history is lost) and restarts it with the default settings afterwards, so a
 * `seconds=0` read right after a window only covers the time since the window ended.
 */
async function heap(seconds: number, intervalBytes = HEAP_SAMPLING_INTERVAL, collected = false): Promise<ProfilerReply> {
  const s = sess();
  if (seconds > 0 || !continuousHeap) {
    if (continuousHeap) await s.post('HeapProfiler.stopSampling');
    // The include* flags exist since V8 11.1 (Node 20); older V8 ignores unknown params.
    await s.post('HeapProfiler.startSampling', {
      samplingInterval: intervalBytes,
      ...(collected ? { includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } : {}),
    } as { samplingInterval: number });
    let profile: SamplingHeapProfile;
    try {
      await sleep(Math.max(seconds, 1) * 1000);
      profile = (await s.post('HeapProfiler.getSamplingProfile')).profile as unknown as SamplingHeapProfile;
    } finally {
      await s.post('HeapProfiler.stopSampling');
      if (continuousHeap) await s.post('HeapProfiler.startSampling', { samplingInterval: HEAP_SAMPLING_INTERVAL });
    }
    return { ok: true, op: 'heap', profile, samplingIntervalBytes: intervalBytes, collected };
  }
  const profile = (await s.post('HeapProfiler.getSamplingProfile')).profile as unknown as SamplingHeapProfile;
  return { ok: true, op: 'heap', profile, samplingIntervalBytes: HEAP_SAMPLING_INTERVAL, collected: false };
}

async function heapSnapshot(): Promise<ProfilerReply> {
  const s = sess();
  const chunks: string[] = [];
  const onChunk = (m: { params: { chunk: string } }) => { chunks.push(m.params.chunk); };
  s.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  try {
    await s.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  } finally {
    s.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  }
  return { ok: true, op: 'heapsnapshot', snapshot: chunks.join('') };
}

/**
 * Runs one profiler request in the calling thread. Never throws: failures are replies
 * (`BAD_REQUEST` for malformed input, `BUSY` when the same kind is running, `FAILED` when
 * the inspector refuses).
 */
export async function handleProfilerMessage(raw: unknown): Promise<ProfilerReply> {
  const req = validate(raw);
  if (typeof req === 'string') return { ok: false, code: 'BAD_REQUEST', error: req };
  if (req.op === 'ping') {
    const { threadId } = await import('node:worker_threads');
    return { ok: true, op: 'ping', pid: process.pid, threadId };
  }
  if (busy.has(req.op)) return { ok: false, code: 'BUSY', error: `a ${req.op} profile is already running in this thread` };
  busy.add(req.op);
  try {
    if (req.op === 'cpu') return await cpu(req.seconds, req.intervalUs);
    if (req.op === 'heap') return await heap(req.seconds, req.intervalBytes, req.collected);
    return await heapSnapshot();
  } catch (err) {
    return { ok: false, code: 'FAILED', error: err instanceof Error ? err.message : String(err) };
  } finally {
    busy.delete(req.op);
  }
}

/**
 * Answers profiler envelopes arriving on `port` (worker side). Starts the continuous heap
 * sampler unless `heapSampling` is false. Returns a function that stops listening.
 * The port is unref'd so it never keeps a worker alive.
 */
export function serveProfiler(port: MessagePort, opts: { heapSampling?: boolean } = {}): () => void {
  if (opts.heapSampling !== false) void startHeapSampling().catch(() => { /* reported per request */ });
  const onMessage = (msg: unknown) => {
    if (!isProfilerEnvelope(msg) || !('req' in msg)) return;
    const { id } = msg;
    void handleProfilerMessage(msg.req).then((reply) => {
      port.postMessage({ [PROFILER_TAG]: 1, id, reply } satisfies ProfilerEnvelope);
    });
  };
  port.on('message', onMessage);
  port.unref();
  return () => { port.off('message', onMessage); };
}
