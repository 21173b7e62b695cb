/**
 * Engine loader: `createEngine(kind)` returns the native (C++ addon) or TypeScript engine.
 *
 * kind: argument, else `process.env.ENGINE`, else 'auto'.
 *   'native' - the addon; throws a clear Error when it does not load.
 *   'ts'     - the TypeScript engine.
 *   'auto'   - native if it loads, else TypeScript with ONE console warning per process.
 * Anything else throws. `engineInfo()` reports what the last createEngine call picked and,
 * when native failed to load, why. Loading is synchronous; the addon is loaded at most once
 * (src/engine/native.ts caches it).
 */
import type { Engine, EngineImplementation } from './types.js';
import { TsEngine } from './ts/index.js';
import { loadNativeEngine } from './native.js';

export type EngineKind = 'native' | 'ts' | 'auto';

export interface EngineInfo {
  /** Implementation of the last engine created (null before the first createEngine). */
  implementation: EngineImplementation | null;
  /** What was asked for ('auto' when defaulted). */
  requested: EngineKind | null;
  /** Why the native addon did not load, when it was tried and failed. */
  nativeError?: string;
}

let info: EngineInfo = { implementation: null, requested: null };
let warned = false;

function parseKind(kind: string | undefined): EngineKind {
  const k = kind === undefined || kind === '' ? 'auto' : kind; // ENGINE= (empty) means auto
  if (k === 'native' || k === 'ts' || k === 'auto') return k;
  throw new Error(`ENGINE must be one of native|ts|auto, got ${JSON.stringify(k)}`);
}

export function createEngine(kind?: EngineKind | string): Engine {
  const requested = parseKind(kind === undefined || kind === '' ? process.env.ENGINE : kind);
  if (requested === 'ts') {
    info = { implementation: 'ts', requested };
    return new TsEngine();
  }
  const native = loadNativeEngine();
  if (native.ok) {
    const engine = native.create();
    info = { implementation: 'native', requested };
    return engine;
  }
  const nativeError = native.error.message;
  if (requested === 'native') {
    info = { implementation: null, requested, nativeError };
    throw new Error(`ENGINE=native but the native addon did not load: ${nativeError} ` +
      '(build it with `npx node-gyp rebuild`, or use ENGINE=ts)', { cause: native.error });
  }
  if (!warned) {
    warned = true;
    console.warn(`[simex] native engine unavailable (${nativeError}); using the TypeScript engine`);
  }
  info = { implementation: 'ts', requested, nativeError };
  return new TsEngine();
}

/** Which implementation the last createEngine() returned, what was requested, and the
 *  native load error if any. Returns a copy. */
export function engineInfo(): EngineInfo {
  return { ...info };
}

export { TsEngine };
