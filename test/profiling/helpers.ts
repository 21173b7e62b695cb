/**
 * Shared helpers for test/profiling and test/bpf.
 *
 * Tool policy (BRIEF): a test that needs a system tool (bpftrace, perf, go) skips with a
 * printed reason locally when it is missing, and FAILS when CI=true.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const IN_CI = process.env.CI === 'true';
export const ADDON = join(ROOT, 'build/Release/simex_engine.node');

/** Absolute path of a tool on PATH, or null. */
export function which(tool: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * Returns null when `ok`, else the reason to skip. In CI a missing requirement throws, so the
 * test (or the file's beforeAll) fails instead of skipping.
 */
export function requirement(ok: boolean, reason: string): string | null {
  if (ok) return null;
  if (IN_CI) throw new Error(`CI=true and ${reason}`);
  console.warn(`[skip] ${reason}`);
  return reason;
}

/**
 * Compiles the TypeScript project to dist/ when `file` (relative to ROOT, under dist/) is
 * missing or older than its source. Worker and child-process fixtures run compiled code.
 * tsc emits even when other engineers' files have type errors; only a missing output fails.
 */
export function ensureDist(distFile: string, srcFile?: string): void {
  const out = join(ROOT, distFile);
  const src = srcFile ? join(ROOT, srcFile) : null;
  const stale = !existsSync(out) || (src !== null && existsSync(src) && statSync(src).mtimeMs > statSync(out).mtimeMs);
  if (stale) {
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'pipe' });
    } catch { /* type errors elsewhere still emit */ }
  }
  if (!existsSync(out)) throw new Error(`${distFile} missing after tsc`);
}

/** True when the native addon is built (and executable, which uprobes need). */
export function addonBuilt(): boolean {
  return existsSync(ADDON);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
