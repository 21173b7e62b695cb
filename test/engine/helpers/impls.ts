/**
 * Engine implementations under test. The TS engine is always present; the native addon is
 * included when src/engine/native.ts loads it. When it does not load, suites that need it
 * skip with a printed reason locally, and FAIL under CI=true (see requireNativeInCi).
 */
import type { Engine } from '../../../src/engine/types.js';
import { TsEngine } from '../../../src/engine/ts/index.js';

export interface Impl {
  name: 'ts' | 'native';
  create(): Engine;
}

let nativeLoad: { ok: true; create(): Engine } | { ok: false; error: Error } | undefined;

/** Loads src/engine/native.ts dynamically so the TS suite runs even before it exists. */
export async function loadNative(): Promise<{ ok: true; create(): Engine } | { ok: false; error: Error }> {
  if (nativeLoad) return nativeLoad;
  try {
    const mod = (await import('../../../src/engine/native.js')) as {
      loadNativeEngine(): { ok: true; create(): Engine } | { ok: false; error: Error };
    };
    nativeLoad = mod.loadNativeEngine();
  } catch (err) {
    nativeLoad = { ok: false, error: err instanceof Error ? err : new Error(String(err)) };
  }
  return nativeLoad;
}

export const IS_CI = process.env.CI === 'true';

/** Every available implementation (top-level await: call from a test module's top level). */
export async function implementations(): Promise<Impl[]> {
  const list: Impl[] = [{ name: 'ts', create: () => new TsEngine() }];
  const n = await loadNative();
  if (n.ok) list.push({ name: 'native', create: () => n.create() });
  else if (!IS_CI) console.warn(`[test/engine] native engine not available, testing TS only: ${n.error.message}`);
  return list;
}
