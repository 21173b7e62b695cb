/**
 * Shared helpers for test/profiling and test/bpf.
 *
 * Tool policy (BRIEF): a test that needs a system tool (bpftrace, perf, go) skips with a
 * printed reason locally when it is missing, and FAILS when CI=true.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
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

import { spawn, type ChildProcess } from 'node:child_process';

export interface Target {
  pid: number;
  child: ChildProcess;
  /** Everything the target printed on stdout so far. */
  output(): string;
  /** SIGINT, then waits for exit (SIGKILL after `graceMs`). Resolves to the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Starts test/profiling/fixtures/engine-load.mjs (shard-like workers running the real
 * engine) and resolves once every worker runs batches. `nodeArgs` go before the script
 * (e.g. --cpu-prof, --perf-basic-prof).
 */
export function startEngineLoad(opts: {
  engine?: 'native' | 'ts'; shards?: number; seconds?: number; net?: boolean;
  nodeArgs?: string[]; cwd?: string;
} = {}): Promise<Target> {
  ensureDist('dist/src/engine/codec.js');
  const args = [...(opts.nodeArgs ?? []), join(ROOT, 'test/profiling/fixtures/engine-load.mjs'),
    '--engine', opts.engine ?? 'native', '--shards', String(opts.shards ?? 2),
    '--seconds', String(opts.seconds ?? 60), ...(opts.net ? ['--net'] : [])];
  const child = spawn(process.execPath, args, { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`engine-load did not get ready: ${err}`)); }, 30_000);
    const check = () => {
      if (/^ready \d+/m.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve({
          pid: child.pid!,
          child,
          output: () => out,
          stop: async (graceMs = 15_000) => {
            if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
            child.kill('SIGINT');
            const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
            const code = await exited;
            clearTimeout(t);
            return code;
          },
        });
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`engine-load exited ${code}: ${err}`)); });
  });
}

export interface RunResult { code: number | null; stdout: string; stderr: string }

/** Runs a command with a hard timeout (SIGKILL), collecting output. */
export function run(cmd: string, args: string[], opts: { timeoutMs: number; cwd?: string; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${opts.timeoutMs} ms]`;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }, opts.timeoutMs);
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

export const isRoot = () => process.getuid?.() === 0;

import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface Simex extends Target { port: number; log(): string }

/**
 * Starts the real server (`node [nodeArgs] bin/simex.js start --port P --host 127.0.0.1`)
 * and resolves when /health answers. `env` adds to the environment (ENGINE, SHARDS,
 * DEBUG_ENDPOINTS...). The simulator is off unless env says otherwise, so profiles show
 * the load the test drives.
 */
export async function startSimex(opts: { env?: Record<string, string>; nodeArgs?: string[] } = {}): Promise<Simex> {
  ensureDist('dist/src/cli.js');
  const port = await freePort();
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), join(ROOT, 'bin/simex.js'), 'start', '--port', String(port), '--host', '127.0.0.1'], {
    cwd: ROOT, env: { ...process.env, SIMULATION_ENABLED: 'false', LOG_LEVEL: 'warn', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`simex exited ${child.exitCode} before answering /health: ${log.slice(-2000)}`);
    try {
      await fetch(`http://127.0.0.1:${port}/health`);
      break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`simex did not answer /health: ${log.slice(-2000)}`); }
    await sleep(200);
  }
  return {
    port, pid: child.pid!, child, output: () => log, log: () => log,
    stop: async (graceMs = 30_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** Distinct function names in a V8 .cpuprofile file. */
export function cpuprofileFunctions(file: string): Set<string> {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Array<{ callFrame: { functionName: string; url: string } }> };
  return new Set(p.nodes.map((n) => n.callFrame.functionName));
}

/** Function names of nodes whose script URL contains `urlPart`. */
export function cpuprofileFunctionsIn(file: string, urlPart: string): Set<string> {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Array<{ callFrame: { functionName: string; url: string } }> };
  return new Set(p.nodes.filter((n) => n.callFrame.url.includes(urlPart)).map((n) => n.callFrame.functionName));
}
