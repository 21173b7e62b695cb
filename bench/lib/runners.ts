/**
 * One runner per measured implementation. A runner owns a book prefilled from the workload and
 * exposes three ways of feeding it the next ops:
 *
 * - `throughput(from, to, budgetNs)`: the fastest loop the implementation is meant to be used
 *   with, timed once around the whole loop (two clock reads per 1024 ops at most);
 * - `latencyStep(from, n)`: a function that runs the next `opsPerSample` ops each time it is
 *   called, for tinybench to time call by call;
 * - `resting()`: resting orders now, checked against the shadow book's expectation.
 *
 * Inputs are prepared by `prepare(from, to)` before the timed region: command records written
 * with CommandWriter (engines) or option objects and id strings (peer).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CMD_SIZE, EVT_SIZE, EvtOff, EventType } from '../../src/engine/layout.js';
import { CommandWriter } from '../../src/engine/codec.js';
import { DEFAULT_INSTRUMENTS } from '../../src/engine/instruments.js';
import type { Engine } from '../../src/engine/types.js';
import { writeCommands, type Workload } from '../workloads.js';
import {
  PEER_CANCEL, PEER_LIMIT, buildPeerInputs, newPeerBook, peerResting, peerVersion, runPeer,
  type PeerBook, type PeerInputs,
} from './peer.js';

export const IMPLEMENTATIONS = ['native-batch', 'native-call', 'ts', 'nodejs-order-book'] as const;
export type ImplName = (typeof IMPLEMENTATIONS)[number];

export interface Runner {
  readonly name: ImplName;
  /** What actually ran (engine implementation and loader report, or the peer's version). */
  readonly info: string;
  /** Ops per latency sample: the batch size for batched runners, 1 for per-call runners. */
  readonly opsPerSample: number;
  /** Largest range `prepare` should be given at once (bounds the peer's input objects). */
  readonly prepareChunk: number;
  /** Creates the book (untimed). Called once before `prefill`. */
  createBook(): void;
  /** Runs the prefill ops [0, wl.prefill) as fast as possible (untimed). */
  prefill(): void;
  /** Builds inputs for ops [from, to) (untimed). Must be called before running them. */
  prepare(from: number, to: number): void;
  /** Runs ops [from, to) or until budgetNs elapses; returns {ops, ns} actually run. */
  throughput(from: number, to: number, budgetNs: number): { ops: number; ns: number };
  /** Returns a function; its k-th call runs ops [from + k*opsPerSample, +opsPerSample). */
  latencyStep(from: number): () => void;
  resting(): number;
  /** Bytes the engine itself says the book holds (native `memoryBytes`), or null. */
  reportedBytes(): number | null;
  /** Untimed: runs ops [from, to) (already prepared) in batches, inspecting every outcome;
   *  returns how many were rejected (engines: REJECTED events; peer: err set, or a cancel
   *  that found nothing). The workload is built so that this is 0. */
  runChecked(from: number, to: number): number;
}

const now = (): number => Number(process.hrtime.bigint());

/** Repo root from dist/bench/lib/runners.js (or bench/lib/runners.ts). */
function repoRootFromHere(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');
}
const CHECK_EVERY = 1024;

type EngineKind = 'native' | 'ts';

/** Loads an engine through the contract loader (src/engine/index.ts), falling back to the
 *  implementation modules directly while the loader is not there yet. */
export async function loadEngine(kind: EngineKind): Promise<{ engine: Engine; info: string }> {
  const notes: string[] = [];
  const tryImport = async (rel: string): Promise<Record<string, unknown> | null> => {
    const url = new URL(rel, import.meta.url);
    try {
      return (await import(url.href)) as Record<string, unknown>;
    } catch (e) {
      // A module of the engine that is not built yet (while the engines are being written)
      // means "try the next way"; any other error is real and propagates.
      if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes('/src/engine/')) {
        notes.push(`${rel}: ${String((e as Error).message).split('\n')[0]}`);
        return null;
      }
      throw e;
    }
  };
  const idx = await tryImport('../../src/engine/index.js');
  if (idx && typeof idx['createEngine'] === 'function') {
    const engine = (idx['createEngine'] as (k: string) => Engine)(kind);
    let info = `createEngine('${kind}') -> ${engine.implementation}`;
    if (typeof idx['engineInfo'] === 'function') {
      try { info += ` ${JSON.stringify((idx['engineInfo'] as () => unknown)())}`; } catch { /* informational */ }
    }
    if (engine.implementation !== kind) throw new Error(`asked for ${kind}, loader gave ${engine.implementation}`);
    return { engine, info };
  }
  if (kind === 'native') {
    const m = await tryImport('../../src/engine/native.js');
    const load = m?.['loadNativeEngine'] as (() => { ok: true; create(): Engine } | { ok: false; error: Error }) | undefined;
    if (!load) {
      // Until src/engine/native.ts lands: the raw addon class (same process() entry point, no
      // JS wrapper). Reported as such in the header so such figures are never mistaken.
      try {
        const raw = createRequire(import.meta.url)(path.join(repoRootFromHere(), 'build/Release/simex_engine.node')) as { Engine: new () => Engine };
        const engine = new raw.Engine();
        (engine as { implementation: string }).implementation ??= 'native';
        return { engine, info: `RAW ADDON build/Release/simex_engine.node (no src/engine/native.ts wrapper yet: ${notes.join('; ')})` };
      } catch (e) {
        throw new Error(`native engine not loadable yet (${notes.join('; ')}; raw addon: ${(e as Error).message})`);
      }
    }
    const r = load();
    if (!r.ok) throw new Error(`native addon did not load: ${r.error.message}`);
    return { engine: r.create(), info: `loadNativeEngine().create() (loader unavailable: ${notes.join('; ')})` };
  }
  const m = await tryImport('../../src/engine/ts/index.js');
  const Ctor = m?.['TsEngine'] as (new () => Engine) | undefined;
  if (!Ctor) throw new Error(`TS engine not loadable yet (${notes.join('; ')})`);
  return { engine: new Ctor(), info: `new TsEngine() (loader unavailable: ${notes.join('; ')})` };
}

class EngineRunner implements Runner {
  readonly opsPerSample: number;
  readonly prepareChunk = Infinity; // 48 bytes per op: prepare everything at once
  private book = -1;
  private bytes: Uint8Array = new Uint8Array(0);
  private base = 0; // op index of bytes[0]
  private words: Int32Array = new Int32Array(0);
  private readonly scratchU8 = new Uint8Array(CMD_SIZE);
  private readonly scratch = new Int32Array(this.scratchU8.buffer);

  constructor(
    readonly name: ImplName,
    readonly info: string,
    private readonly engine: Engine,
    private readonly wl: Workload,
    /** Commands per process() call in throughput runs; 1 = one call per command. */
    private readonly batch: number,
    latencyBatch: number,
  ) {
    this.opsPerSample = batch === 1 ? 1 : latencyBatch;
  }

  createBook(): void {
    this.book = this.engine.addBook(DEFAULT_INSTRUMENTS[0]!); // BTCUSD
  }

  prefill(): void {
    const w = new CommandWriter(Math.max(1, this.wl.prefill));
    writeCommands(this.wl, 0, this.wl.prefill, w, this.book);
    const bytes = w.bytes();
    for (let a = 0; a < this.wl.prefill; a += 1024) {
      const b = Math.min(this.wl.prefill, a + 1024);
      this.engine.process(bytes.subarray(a * CMD_SIZE, b * CMD_SIZE), b - a);
    }
  }

  prepare(from: number, to: number): void {
    const w = new CommandWriter(Math.max(1, to - from));
    writeCommands(this.wl, from, to, w, this.book);
    this.bytes = w.bytes();
    this.base = from;
    this.words = new Int32Array(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength >>> 2);
  }

  throughput(from: number, to: number, budgetNs: number): { ops: number; ns: number } {
    const engine = this.engine;
    const bytes = this.bytes;
    const base = this.base;
    const t0 = now();
    let i = from;
    if (this.batch === 1) {
      // One process() per command: the record is copied (12 int32 stores) into a reused
      // 48-byte buffer, as a caller that produces one order at a time would do. A subarray
      // view per call would allocate instead.
      const src = this.words;
      const dst = this.scratch;
      const u8 = this.scratchU8;
      while (i < to) {
        const end = Math.min(to, i + CHECK_EVERY);
        for (; i < end; i++) {
          const w = (i - base) * 12;
          dst[0] = src[w]!; dst[1] = src[w + 1]!; dst[2] = src[w + 2]!; dst[3] = src[w + 3]!;
          dst[4] = src[w + 4]!; dst[5] = src[w + 5]!; dst[6] = src[w + 6]!; dst[7] = src[w + 7]!;
          dst[8] = src[w + 8]!; dst[9] = src[w + 9]!; dst[10] = src[w + 10]!; dst[11] = src[w + 11]!;
          engine.process(u8, 1);
        }
        if (now() - t0 > budgetNs) break;
      }
    } else {
      const B = this.batch;
      while (i < to) {
        const n = Math.min(B, to - i);
        engine.process(bytes.subarray((i - base) * CMD_SIZE, (i - base + n) * CMD_SIZE), n);
        i += n;
        if (now() - t0 > budgetNs) break;
      }
    }
    return { ops: i - from, ns: now() - t0 };
  }

  latencyStep(from: number): () => void {
    const engine = this.engine;
    let i = from - this.base;
    if (this.opsPerSample === 1) {
      const src = this.words;
      const dst = this.scratch;
      const u8 = this.scratchU8;
      return () => {
        const w = i * 12;
        dst[0] = src[w]!; dst[1] = src[w + 1]!; dst[2] = src[w + 2]!; dst[3] = src[w + 3]!;
        dst[4] = src[w + 4]!; dst[5] = src[w + 5]!; dst[6] = src[w + 6]!; dst[7] = src[w + 7]!;
        dst[8] = src[w + 8]!; dst[9] = src[w + 9]!; dst[10] = src[w + 10]!; dst[11] = src[w + 11]!;
        engine.process(u8, 1);
        i++;
      };
    }
    // Views are built here, outside the timed calls.
    const B = this.opsPerSample;
    const views: Uint8Array[] = [];
    for (let a = i; (a + B) * CMD_SIZE <= this.bytes.byteLength; a += B) {
      views.push(this.bytes.subarray(a * CMD_SIZE, (a + B) * CMD_SIZE));
    }
    let k = 0;
    return () => { engine.process(views[k++]!, B); };
  }

  resting(): number {
    return this.engine.stats(this.book).orders;
  }

  runChecked(from: number, to: number): number {
    let rejects = 0;
    for (let i = from; i < to;) {
      const n = Math.min(1024, to - i);
      const k = this.engine.process(this.bytes.subarray((i - this.base) * CMD_SIZE, (i - this.base + n) * CMD_SIZE), n);
      const ev = this.engine.events();
      for (let e = 0; e < k; e++) if (ev[e * EVT_SIZE + EvtOff.type] === EventType.REJECTED) rejects++;
      i += n;
    }
    return rejects;
  }

  reportedBytes(): number | null {
    const m = (this.engine as { memoryBytes?: (book: number) => number }).memoryBytes;
    return typeof m === 'function' ? m.call(this.engine, this.book) : null;
  }
}

class PeerRunner implements Runner {
  readonly name = 'nodejs-order-book' as const;
  readonly info = `nodejs-order-book@${peerVersion()} (npm, pure TypeScript)`;
  readonly opsPerSample = 1;
  readonly prepareChunk = 65536; // ~150 bytes of objects per op
  private book: PeerBook | null = null;
  private inp: PeerInputs = { kind: new Uint8Array(0), args: [] };
  private base = 0;

  constructor(private readonly wl: Workload) {}

  createBook(): void { this.book = newPeerBook(); }

  prefill(): void {
    // Chunked so the option objects of a 1M-order prefill never all exist at once.
    for (let a = 0; a < this.wl.prefill; a += 65536) {
      const b = Math.min(this.wl.prefill, a + 65536);
      const inp = buildPeerInputs(this.wl, a, b);
      runPeer(this.book!, inp, 0, b - a);
    }
  }

  prepare(from: number, to: number): void {
    this.inp = buildPeerInputs(this.wl, from, to);
    this.base = from;
  }

  throughput(from: number, to: number, budgetNs: number): { ops: number; ns: number } {
    const t0 = now();
    let i = from;
    while (i < to) {
      const end = Math.min(to, i + CHECK_EVERY);
      runPeer(this.book!, this.inp, i - this.base, end - this.base);
      i = end;
      if (now() - t0 > budgetNs) break;
    }
    return { ops: i - from, ns: now() - t0 };
  }

  latencyStep(from: number): () => void {
    const book = this.book!;
    const inp = this.inp;
    let j = from - this.base;
    return () => { runPeer(book, inp, j, j + 1); j++; };
  }

  resting(): number { return peerResting(this.book!); }

  reportedBytes(): number | null { return null; }

  runChecked(from: number, to: number): number {
    let rejects = 0;
    const { kind, args } = this.inp;
    const book = this.book!;
    for (let j = from - this.base; j < to - this.base; j++) {
      if (kind[j] === PEER_CANCEL) { if (book.cancel(args[j] as string) === undefined) rejects++; }
      else if (kind[j] === PEER_LIMIT) { if (book.limit(args[j] as Parameters<PeerBook['limit']>[0]).err) rejects++; }
      else if (book.market(args[j] as Parameters<PeerBook['market']>[0]).err) rejects++;
    }
    return rejects;
  }
}

export async function makeRunner(name: ImplName, wl: Workload, batch: number, latencyBatch: number): Promise<Runner> {
  if (name === 'nodejs-order-book') return new PeerRunner(wl);
  const kind: EngineKind = name === 'ts' ? 'ts' : 'native';
  const { engine, info } = await loadEngine(kind);
  return new EngineRunner(name, info, engine, wl, name === 'native-call' ? 1 : batch, latencyBatch);
}
