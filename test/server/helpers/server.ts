/**
 * Start the real compiled server (dist/, via bin/simex.js) in a child process on an
 * ephemeral port and drive it over real sockets. Requires `npx tsc -p tsconfig.json` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { existsSync } from 'node:fs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'simex.js');

export interface TestServer {
  port: number;
  base: string;
  wsUrl: string;
  proc: ChildProcess;
  /** Every stdout/stderr line so far (JSON log lines parsed when possible). */
  lines: string[];
  logs(): Record<string, unknown>[];
  waitForLog(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM and wait for exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startTestServer(env: Record<string, string> = {}, args: string[] = []): Promise<TestServer> {
  if (!existsSync(path.join(ROOT, 'dist', 'src', 'cli.js'))) {
    throw new Error('dist/ missing: run `npx tsc -p tsconfig.json` before these tests');
  }
  const proc = spawn(process.execPath, [BIN, 'start', '--host', '127.0.0.1', '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, SIMULATION_ENABLED: 'false', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitP = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
      for (const w of waiters.splice(0)) w();
    });
  });
  const onData = (buf: Buffer, carry: { s: string }) => {
    carry.s += buf.toString('utf8');
    let i;
    while ((i = carry.s.indexOf('\n')) >= 0) {
      lines.push(carry.s.slice(0, i));
      carry.s = carry.s.slice(i + 1);
    }
    for (const w of waiters.splice(0)) w();
  };
  const c1 = { s: '' };
  const c2 = { s: '' };
  proc.stdout!.on('data', (b: Buffer) => onData(b, c1));
  proc.stderr!.on('data', (b: Buffer) => onData(b, c2));
  const parsed = () => lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  const waitForLog = (pred: (l: Record<string, unknown>) => boolean, timeoutMs = 15_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`log line not seen in ${timeoutMs} ms; output:\n${lines.join('\n')}`)), timeoutMs);
      const check = () => {
        const hit = parsed().find(pred);
        if (hit) {
          clearTimeout(t);
          resolve(hit);
        } else if (exited) {
          clearTimeout(t);
          reject(new Error(`server exited (${JSON.stringify(exited)}); output:\n${lines.join('\n')}`));
        } else waiters.push(check);
      };
      check();
    });
  const listening = await waitForLog((l) => l.msg === 'HTTP server listening');
  const port = Number(listening.port);
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws/v1`,
    proc,
    lines,
    logs: parsed,
    waitForLog,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!exited) proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 35_000);
      const r = await exitP;
      clearTimeout(t);
      return r;
    },
  };
}

export async function api(base: string, method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + p, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: json };
}
