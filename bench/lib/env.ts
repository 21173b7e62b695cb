/**
 * Benchmark environment: what ran, where, and how busy the machine was. Printed before any
 * figure (STYLE.md: implementation first) and stored with every result.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface EnvInfo {
  node: string;
  v8: string;
  cpu: string;
  cores: number;
  memGiB: number;
  kernel: string;
  commit: string;
  /** Paths with uncommitted changes under src/engine, native, bench (what the numbers ran). */
  dirty: string[];
  loadavg: number[];
  date: string;
}

function git(args: string[], cwd: string): string {
  try {
    // trimEnd only: porcelain lines start with a significant space.
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
  } catch {
    return '';
  }
}

export function envInfo(repoRoot: string): EnvInfo {
  const cpus = os.cpus();
  const dirty = git(['status', '--porcelain', '--', 'src/engine', 'native', 'bench', 'binding.gyp'], repoRoot)
    .split('\n').filter((l) => l.length > 0).map((l) => l.slice(3));
  return {
    node: process.version,
    v8: process.versions.v8,
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    commit: git(['rev-parse', '--short', 'HEAD'], repoRoot) || 'unknown',
    dirty,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
    date: new Date().toISOString(),
  };
}

/** Machine-wide CPU time counters from /proc/stat, in seconds (Linux only; zeros elsewhere). */
export interface CpuSample { busy: number; total: number; at: number }

export function cpuSample(): CpuSample {
  const at = Number(process.hrtime.bigint()) / 1e9;
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const hz = 100; // USER_HZ on Linux
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: (total - idle) / hz, total: total / hz, at };
  } catch {
    return { busy: 0, total: 0, at };
  }
}

/** Average number of busy cores between two samples. */
export function busyCores(a: CpuSample, b: CpuSample): number {
  const wall = b.at - a.at;
  return wall > 0 ? (b.busy - a.busy) / wall : 0;
}

/** Top CPU users right now (name, %CPU over the last ~1 s via `top`), excluding ourselves. */
export function topProcesses(limit = 5): string[] {
  try {
    const out = execFileSync('top', ['-b', '-n', '2', '-d', '0.5', '-w', '200'], { encoding: 'utf8' });
    const last = out.split(/\n(?=top - )/).pop() ?? '';
    const lines = last.split('\n');
    const start = lines.findIndex((l) => /^\s*PID\s/.test(l));
    return lines.slice(start + 1)
      .map((l) => l.trim().split(/\s+/))
      .filter((c) => c.length >= 12 && Number(c[8]) >= 1 && Number(c[0]) !== process.pid)
      .slice(0, limit)
      .map((c) => `${c.slice(11).join(' ')} ${c[8]}%`);
  } catch {
    return [];
  }
}
