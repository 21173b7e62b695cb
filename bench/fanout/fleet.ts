/**
 * The C subscriber fleet (bench/fanout/subscriber.c) from Node: build it when needed and
 * drive one fleet process through its stdin/stdout line protocol (documented in the C
 * file's header). Used by bench/e2e-fanout.ts and test/loadgen/fanout-subscriber.test.ts.
 *
 * Build: `cc -O2 -pthread -o build/fanout-subscriber bench/fanout/subscriber.c` when the
 * binary is missing or older than the source. The compiler writes a per-process temporary
 * file that is renamed into place, so concurrent builds (a test and a bench) never run a
 * half-written binary (src/loadgen/build-c.ts, shared with the native order generator).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../src/loadgen/paths.js';
import { buildIfStale, WS_CLIENT_HEADER } from '../../src/loadgen/build-c.js';

export const FLEET_SOURCE = path.join(REPO_ROOT, 'bench', 'fanout', 'subscriber.c');
export const FLEET_BINARY = path.join(REPO_ROOT, 'build', 'fanout-subscriber');

/** Compile the fleet if build/fanout-subscriber is missing or older than the source.
 *  Returns the binary's path and whether it was (re)built; throws with the compiler's
 *  output on failure or when no compiler is found. */
export function buildFleet(): { binary: string; built: boolean } {
  return buildIfStale({ source: FLEET_SOURCE, deps: [WS_CLIENT_HEADER], binary: FLEET_BINARY, flags: ['-O2', '-pthread'], what: 'the fanout subscriber fleet' });
}

export interface FleetOptions {
  url: string;
  connections: number;
  symbol?: string;
  accountBase?: number;
  threads?: number;
  connectTimeoutMs?: number;
  /** Test only: the fleet drops every Kth new message of a connection before accounting. */
  testSkipEvery?: number;
  perConn?: boolean;
  binary?: string;
}

/** One line {"event":"ready"|"status",...} of the fleet. */
export interface FleetStatus {
  event: 'ready' | 'status';
  live: number;
  failed: number;
  open: number;
  min_last_seq: number;
  max_last_seq: number;
  messages: number;
  gaps: number;
}

export interface FleetConnStats {
  i: number;
  live: boolean;
  open: boolean;
  snap: number;
  last: number;
  msgs: number;
  gaps: number;
  missed: number;
  dups: number;
  skipped: number;
  /** DISCONNECT reason, -1 closed without DISCONNECT, 0 none. */
  disconnect: number;
}

/** The fleet's final line (field meanings: bench/fanout/subscriber.c header). */
export interface FleetResult {
  event: 'result';
  fleet: 'c';
  requested: number;
  connected: number;
  failed: number;
  open_at_end: number;
  first_error: string;
  instrument: string;
  messages: number;
  expected_from_snapshots: number;
  duplicates: number;
  gaps: number;
  missed: number;
  skipped: number;
  connections_with_gaps: number;
  last_seq: { min: number; max: number };
  snapshot_seq: { min: number; max: number };
  drop_notices: number;
  other_notices: number;
  /** DISCONNECT reason code (decimal string) or "closed" -> connections. */
  disconnects: Record<string, number>;
  protocol_errors: number;
  latency_us: { count: number; min: number; mean: number; p50: number; p90: number; p95: number; p99: number; p999: number; p9999: number; max: number };
  frames: number;
  reads: number;
  bytes: number;
  heartbeats_sent: number;
  server_heartbeats: number;
  /** LOGIN_ACK.heartbeatMs (the server drops a peer silent for 3x this). */
  heartbeat_ms: number;
  /** Longest time a logged-in connection sent nothing (ms). */
  max_send_gap_ms: number;
  /** Longest time since our last send when a DISCONNECT arrived (ms). */
  max_silence_at_disconnect_ms: number;
  threads: number;
  wall_ms: number;
  cpu_ms: { user: number; sys: number };
  conns?: FleetConnStats[];
}

export interface Fleet {
  pid: number;
  proc: ChildProcess;
  /** Resolves when every connection is live (snapshot in) or failed. */
  ready: Promise<FleetStatus>;
  status(): Promise<FleetStatus>;
  /** Stop once every live connection has seen mdSeq >= seq, or after timeoutMs. */
  until(seq: number, timeoutMs: number): Promise<FleetResult>;
  stop(): Promise<FleetResult>;
  /** stderr of the fleet so far (errors only). */
  stderr(): string;
}

export function startFleet(o: FleetOptions): Fleet {
  const args = ['--url', o.url, '--connections', String(o.connections), '--symbol', o.symbol ?? 'BTCUSD'];
  if (o.accountBase !== undefined) args.push('--account-base', String(o.accountBase));
  if (o.threads !== undefined) args.push('--threads', String(o.threads));
  if (o.connectTimeoutMs !== undefined) args.push('--connect-timeout-ms', String(o.connectTimeoutMs));
  if (o.testSkipEvery) args.push('--test-skip-every', String(o.testSkipEvery));
  if (o.perConn) args.push('--per-conn');
  const proc = spawn(o.binary ?? FLEET_BINARY, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => {
    err += b.toString('utf8');
  });
  const waiting: { event: string; resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  let buf = '';
  let exited = false;
  const fail = (e: Error): void => {
    for (const w of waiting.splice(0)) w.reject(e);
  };
  proc.stdout!.on('data', (b: Buffer) => {
    buf += b.toString('utf8');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let j: { event?: string };
      try {
        j = JSON.parse(line) as { event?: string };
      } catch {
        continue;
      }
      const k = waiting.findIndex((w) => w.event === j.event);
      if (k >= 0) waiting.splice(k, 1)[0]!.resolve(j);
    }
  });
  proc.once('error', (e) => fail(e));
  // 'close', not 'exit': stdout is fully read by then, so a final line is never lost.
  proc.once('close', (code, sig) => {
    exited = true;
    fail(new Error(`fanout subscriber fleet exited (${code ?? sig}) before answering: ${err.trim()}`));
  });
  const wait = <T>(event: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error(`fanout subscriber fleet already exited: ${err.trim()}`));
      waiting.push({ event, resolve: resolve as (v: unknown) => void, reject });
    });
  const send = (line: string): void => {
    if (!exited) proc.stdin!.write(line + '\n');
  };
  let result: Promise<FleetResult> | null = null;
  const ready = wait<FleetStatus>('ready');
  ready.catch(() => {}); // rejection seen by whoever awaits it; never an unhandled one
  return {
    pid: proc.pid!,
    proc,
    ready,
    status() {
      const p = wait<FleetStatus>('status');
      send('status');
      return p;
    },
    until(seq, timeoutMs) {
      if (!result) {
        result = wait<FleetResult>('result');
        send(`until ${seq} ${Math.max(0, Math.round(timeoutMs))}`);
      }
      return result;
    },
    stop() {
      if (!result) {
        result = wait<FleetResult>('result');
        send('stop');
      }
      return result;
    },
    stderr: () => err,
  };
}
