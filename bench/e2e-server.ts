/**
 * Start a fresh simex server for an end-to-end benchmark: `node bin/simex.js start` on an
 * ephemeral loopback port, simulator off (its orders would mix with the measured flow), in
 * its own process. Resolves once "HTTP server listening" is logged. `stop()` sends SIGTERM
 * and waits (graceful shutdown), killing after 30 s.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../src/loadgen/paths.js';

export interface BenchServer {
  port: number;
  wsUrl: string;
  base: string;
  pid: number;
  proc: ChildProcess;
  /** Engine implementation and shard count the server logged. */
  info: Record<string, unknown>;
  /** The server's last output (up to 8 KiB, raw) since it started listening. */
  outputTail(): string;
  stop(): Promise<void>;
}

export async function startBenchServer(extraArgs: string[] = [], env: Record<string, string> = {}): Promise<BenchServer> {
  const bin = path.join(REPO_ROOT, 'bin', 'simex.js');
  const proc = spawn(process.execPath, [bin, 'start', '--host', '127.0.0.1', '--port', '0', ...extraArgs], {
    cwd: REPO_ROOT,
    env: { ...process.env, SIMULATION_ENABLED: 'false', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  let info: Record<string, unknown> = {};
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${out.join('\n')}`)), 30_000);
    const onLine = (line: string): void => {
      out.push(line);
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        if (j.shards !== undefined && j.engine !== undefined) info = j;
        if (j.msg === 'HTTP server listening') {
          clearTimeout(t);
          resolve(Number(j.port));
        }
      } catch {
        /* not JSON */
      }
    };
    const onData = (b: Buffer): void => {
      buf += b.toString('utf8');
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`server exited (${code}) before listening:\n${out.slice(-20).join('\n')}`));
    });
  });
  // From here on only drain the pipes (so they never block the server), keeping the raw
  // last 8 KiB for error messages: parsing every later line (REST audit lines, at info
  // level) cost the bench process ~12% of a core, taken from the server and the generator.
  proc.stdout!.removeAllListeners('data');
  proc.stderr!.removeAllListeners('data');
  let tail = '';
  const keepTail = (b: Buffer): void => {
    tail = (tail + b.toString('latin1')).slice(-8192);
  };
  proc.stdout!.on('data', keepTail);
  proc.stderr!.on('data', keepTail);
  return {
    port,
    wsUrl: `ws://127.0.0.1:${port}/ws/v1`,
    base: `http://127.0.0.1:${port}`,
    pid: proc.pid!,
    proc,
    info,
    outputTail: () => tail,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        const k = setTimeout(() => proc.kill('SIGKILL'), 30_000);
        proc.once('exit', () => {
          clearTimeout(k);
          resolve();
        });
        proc.kill('SIGTERM');
      }),
  };
}

/** CPU time (user+system, ms) of a process from /proc (Linux), or null. */
export async function procCpuMs(pid: number): Promise<number | null> {
  try {
    const { readFile } = await import('node:fs/promises');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
    return (ticks * 1000) / 100; // USER_HZ = 100 on Linux
  } catch {
    return null;
  }
}
