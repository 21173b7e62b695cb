/**
 * Build-on-demand for the project's small C load tools (bench/ordergen/ordergen.c; the
 * fan-out fleet's bench/fanout/fleet.ts does the same by hand and could use this): compile
 * when the binary is missing or older than its source or a header it includes, with `CC`
 * (env) or `cc`.
 *
 * The compiler writes a per-process temporary that is renamed into place, so concurrent
 * builds (a test and a bench) never run a half-written binary. Cost: one stat of each file
 * when up to date; a compile (~0.3 s here) otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './paths.js';

/** The C compiler to use (`CC` env, else `cc`), or null when none runs. */
export function findCompiler(): string | null {
  const cc = process.env.CC || 'cc';
  const r = spawnSync(cc, ['--version'], { stdio: 'ignore' });
  return r.status === 0 ? cc : null;
}

const mtime = (p: string): number => {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
};

/** The header the C load tools share (bench/lib/ws-client.h): a dependency of each. */
export const WS_CLIENT_HEADER = path.join(REPO_ROOT, 'bench', 'lib', 'ws-client.h');

export interface CBuild {
  source: string;
  /** Headers the source includes (a newer one triggers a rebuild too). */
  deps?: string[];
  binary: string;
  /** Compiler flags before `-o`; `libs` go after the source (e.g. ['-lm']). */
  flags: string[];
  libs?: string[];
  /** For messages: "ordergen". */
  what: string;
}

/** Compile `b.binary` if missing or older than `b.source`. Throws with the compiler's output
 *  on failure, or when no compiler is found. */
export function buildIfStale(b: CBuild): { binary: string; built: boolean } {
  const newest = Math.max(mtime(b.source), ...(b.deps ?? []).map(mtime));
  if (mtime(b.binary) >= newest) return { binary: b.binary, built: false };
  const cc = findCompiler();
  if (!cc) throw new Error(`no C compiler (tried ${process.env.CC || 'cc'}): needed to build ${b.binary}`);
  mkdirSync(path.dirname(b.binary), { recursive: true });
  const tmp = `${b.binary}.tmp-${process.pid}`;
  const r = spawnSync(cc, [...b.flags, '-o', tmp, b.source, ...(b.libs ?? [])], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`${cc} failed to build ${b.what}:\n${r.stderr}${r.stdout}`);
  }
  renameSync(tmp, b.binary);
  return { binary: b.binary, built: true };
}
