/**
 * The C++ engine (native/, built by node-gyp into build/Release/simex_engine.node) behind the
 * `Engine` interface of ./types.ts.
 *
 * `loadNativeEngine()` loads the addon synchronously, at most once per process (the result,
 * success or failure, is cached), from `<package root>/build/Release/simex_engine.node`; the
 * package root is found by walking up from this file, so it works from `src/engine/` (vitest,
 * tsx) and from `dist/src/engine/` (compiled). It never throws: failure is a value.
 *
 * Costs: `process` is one N-API crossing per batch (~100-200 ns fixed) plus the engine's work;
 * `events()` is a property read unless the addon replaced its event buffer during the last
 * batch (it grows geometrically and never shrinks), then one more crossing. Queries
 * (bestBid, depth, order, stats, snapshot, restore) are one crossing each and allocate.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { validateInstrument } from './instruments.js';
import { ENGINE_ABI_VERSION } from './layout.js';
import type {
  BookStats, DepthSnapshot, Engine, InstrumentSpec, Level, RestingOrder,
} from './types.js';

/** The addon's Engine class (native/src/addon.cc). */
interface AddonEngine {
  addBook(spec: InstrumentSpec): number;
  process(cmds: Uint8Array, count: number): number;
  events(): ArrayBuffer;
  /** [0] = event-buffer generation, bumped whenever the addon replaces the buffer. */
  state(): Uint32Array;
  bestBid(book: number): Level | null;
  bestAsk(book: number): Level | null;
  depth(book: number, levels: number): DepthSnapshot;
  order(book: number, orderId: number): RestingOrder | null;
  stats(book: number): BookStats;
  snapshot(book: number): Uint8Array;
  restore(book: number, image: Uint8Array): void;
  memoryBytes(book: number): number;
}

/** Constants compiled into the addon (must equal ./layout.ts; a test checks). */
export type NativeLayout = Record<string, number | Record<string, number>>;

export interface NativeAddon {
  Engine: new () => AddonEngine;
  layout: NativeLayout;
  /** True when the USDT probes (provider `simex`) are compiled in. */
  usdt: boolean;
}

export type NativeLoadResult =
  | { ok: true; create(): NativeEngine; addon: NativeAddon; path: string }
  | { ok: false; error: Error; path: string | null };

const ADDON_RELATIVE = join('build', 'Release', 'simex_engine.node');

/** Directory of the nearest package.json named "simex" above this module, or null. */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'simex') return dir;
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

let cached: NativeLoadResult | undefined;

/** Loads the addon once; never throws. */
export function loadNativeEngine(): NativeLoadResult {
  if (cached) return cached;
  const root = packageRoot();
  if (root === null) {
    cached = { ok: false, error: new Error('cannot find the simex package root (package.json)'), path: null };
    return cached;
  }
  const path = join(root, ADDON_RELATIVE);
  try {
    const req = createRequire(import.meta.url);
    const addon = req(path) as NativeAddon;
    if (typeof addon?.Engine !== 'function' || typeof addon.layout !== 'object') {
      throw new Error(`${path} is not the simex engine addon`);
    }
    // A stale build (sources changed, no `node-gyp rebuild`) would silently run the old
    // contract: ABI 1 ignores AMEND's TOTAL_QTY flag and sets absolute leaves.
    if (addon.layout.ENGINE_ABI_VERSION !== ENGINE_ABI_VERSION) {
      throw new Error(`${path} is built for engine ABI ${String(addon.layout.ENGINE_ABI_VERSION)}, this code needs ${ENGINE_ABI_VERSION}: run npx node-gyp rebuild`);
    }
    cached = { ok: true, addon, path, create: () => new NativeEngine(addon) };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    cached = { ok: false, error, path };
  }
  return cached;
}

export class NativeEngine implements Engine {
  readonly implementation = 'native' as const;
  private readonly e: AddonEngine;
  private readonly state: Uint32Array;
  private gen: number;
  private view: Uint8Array;

  constructor(addon: NativeAddon) {
    this.e = new addon.Engine();
    this.state = this.e.state();
    this.gen = this.state[0]!;
    this.view = new Uint8Array(this.e.events());
  }

  /** Validates with validateInstrument (throws TypeError/RangeError) before the addon sees it. */
  addBook(spec: InstrumentSpec): number {
    validateInstrument(spec);
    return this.e.addBook(spec);
  }

  /** Hot path: one N-API call. Throws TypeError/RangeError only on bad arguments. */
  process(cmds: Uint8Array, count: number): number {
    return this.e.process(cmds, count);
  }

  /** The whole event buffer (events from byte 0); valid until the next process/restore. */
  events(): Uint8Array {
    const g = this.state[0]!;
    if (g !== this.gen) {
      this.gen = g;
      this.view = new Uint8Array(this.e.events());
    }
    return this.view;
  }

  bestBid(book: number): Level | null { return this.e.bestBid(book); }
  bestAsk(book: number): Level | null { return this.e.bestAsk(book); }

  depth(book: number, levels: number): DepthSnapshot {
    // Same normalisation as the TS engine: floor, clamp at 0; non-finite -> all / none.
    const n = Number.isFinite(levels) ? Math.max(0, Math.floor(levels)) : levels > 0 ? 2 ** 31 : 0;
    return this.e.depth(book, n);
  }

  order(book: number, orderId: number): RestingOrder | null {
    if (!Number.isSafeInteger(orderId)) {
      this.e.stats(book); // still reject a bad book index the same way
      return null;
    }
    return this.e.order(book, orderId);
  }

  stats(book: number): BookStats { return this.e.stats(book); }
  snapshot(book: number): Uint8Array { return this.e.snapshot(book); }

  /** Throws Error (book unchanged) on a malformed image. */
  restore(book: number, image: Uint8Array): void { this.e.restore(book, image); }

  /** Bytes reserved by one book's pools and tables (benchmarks: memory per resting order). */
  memoryBytes(book: number): number { return this.e.memoryBytes(book); }
}
