/**
 * `simex loadgen`: open-loop load against a simex server over the binary protocol.
 * src/cli.ts dispatches `simex loadgen ...` here; `node dist/src/loadgen/cli.js ...` works too.
 * Exit codes: 0 ok, 1 run failed (no connection, or every order errored), 2 bad usage.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { DEFAULT_BATCH_US, DEFAULT_OPTIONS } from './types.js';
import type { LoadgenOptions, MixSpec } from './types.js';
import { startLoadgen } from './runner.js';
import { NATIVE_DEFAULT_BATCH_US, startNativeLoadgen } from './native.js';
import { formatHgrm, formatHuman, formatJson } from './report.js';
import { parseDurationSec } from './duration.js';

export const USAGE = `usage: simex loadgen [options]

Open-loop load generator: sends orders at planned times at a fixed rate whatever the
replies, over the binary WebSocket protocol; ack latency is measured from the planned send
time (coordinated-omission corrected) and from the actual send (uncorrected), in HDR
histograms. Only loopback targets (127.0.0.0/8, localhost) are allowed.

  --url URL               order-entry WebSocket (default ${DEFAULT_OPTIONS.url})
  --port N                shorthand for --url ws://127.0.0.1:N/ws/v1
  --rate N                target orders/s, all threads together (default ${DEFAULT_OPTIONS.rate})
  --duration D            run time, ramps included: 30, 30s, 2m, 500ms (default ${DEFAULT_OPTIONS.durationSec}s)
  --ramp-up D             linear ramp 0 -> rate (default 0)
  --ramp-down D           linear ramp rate -> 0 (default 0)
  --warmup D              the first D of the run is sent but not timed (new sessions'
                          and the rate step's transient left out of the histograms; default 0)
  --connections N         WebSocket sessions (default ${DEFAULT_OPTIONS.connections})
  --threads N             generator worker threads, 0 = main thread (default ${DEFAULT_OPTIONS.threads})
  --symbols A,B           symbols to trade (default ${DEFAULT_OPTIONS.symbols.join(',')})
  --orders-per-frame N    at most N orders per WebSocket frame (default ${DEFAULT_OPTIONS.ordersPerFrame})
  --batch-us N            at least N µs between two send ticks of a thread; orders due in
                          between share frames (default ${DEFAULT_OPTIONS.batchUs}; 0 = send each as it is due)
  --mix SPEC              weights limit=55,cancel=40,market=5 (default)
  --timeout-ms N          no reply after N ms = timeout (default ${DEFAULT_OPTIONS.timeoutMs})
  --drain-ms N            wait up to N ms for replies after the last send (default ${DEFAULT_OPTIONS.drainMs})
  --seed N                order-flow seed (default ${DEFAULT_OPTIONS.seed})
  --engine ts|native      ts (default): this process's event loop (worker threads);
                          native: the C generator bench/ordergen/ordergen.c (built into
                          build/ordergen on demand with cc; one thread, epoll + timerfd,
                          replies read as they arrive; --threads is ignored; default
                          --batch-us ${NATIVE_DEFAULT_BATCH_US}). Same order flow, same report.
  --native                shorthand for --engine native
  --spin-us N             native only: poll instead of sleeping when the next send tick is
                          within N µs (default 0)
  --rt-priority P         native only: run its send loop SCHED_FIFO at priority P (root);
                          punctual sends on a machine the server keeps busy (default 0 = off)
  --account-base N        connection i logs in as account N + i (default ${DEFAULT_OPTIONS.ownerBase}); the
                          accounts must stay in 2 .. 2^30 - 1 (the server keeps 1 and >= 2^30)
  --secret S              session secret (server SESSION_KEYS_FILE): every connection
                          signs its LOGIN, so the keys file must give S to accounts
                          account-base .. account-base + connections - 1.
                          Env SIMEX_SESSION_SECRET. Both engines (native: each connection
                          gets a one-time credential from this process; the secret stays here)
  --json                  print the report as JSON (no progress lines)
  --hgrm FILE             write the corrected latency distribution (.hgrm, µs) to FILE
  --quiet                 no progress lines
  -h, --help              this text
`;

export class UsageError extends Error {}

export function parseMix(s: string): MixSpec {
  const mix: MixSpec = { limit: 0, cancel: 0, market: 0 };
  for (const part of s.split(',')) {
    const m = /^\s*(limit|cancel|market)\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m) throw new UsageError(`--mix: expected limit=N,cancel=N,market=N, got "${part}"`);
    mix[m[1] as keyof MixSpec] = Number(m[2]);
  }
  if (mix.limit + mix.cancel + mix.market <= 0) throw new UsageError('--mix: weights sum to 0');
  return mix;
}

function num(name: string, v: string | undefined, dflt: number, int = true): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || (int && !Number.isInteger(x))) throw new UsageError(`--${name}: not a${int ? 'n integer' : ' number'}: ${v}`);
  return x;
}

function dur(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const s = parseDurationSec(v);
  if (s === null) throw new UsageError(`--${name}: not a duration: ${v}`);
  return s;
}

export interface CliParsed {
  opts: LoadgenOptions;
  json: boolean;
  hgrm: string | null;
  quiet: boolean;
  help: boolean;
  engine: 'ts' | 'native';
  spinUs: number;
  rtPriority: number;
}

export function parseLoadgenArgs(argv: string[]): CliParsed {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' }, port: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' },
        'ramp-up': { type: 'string' }, 'ramp-down': { type: 'string' }, warmup: { type: 'string' }, connections: { type: 'string' },
        threads: { type: 'string' }, symbols: { type: 'string' }, 'orders-per-frame': { type: 'string' }, 'batch-us': { type: 'string' },
        mix: { type: 'string' }, 'timeout-ms': { type: 'string' }, 'drain-ms': { type: 'string' }, seed: { type: 'string' },
        engine: { type: 'string' }, native: { type: 'boolean' }, 'spin-us': { type: 'string' }, 'rt-priority': { type: 'string' },
        'account-base': { type: 'string' }, secret: { type: 'string' }, json: { type: 'boolean' }, hgrm: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const s = (k: string): string | undefined => values[k] as string | undefined;
  const D = DEFAULT_OPTIONS;
  const engineArg = s('engine') ?? (values.native === true ? 'native' : 'ts');
  if (engineArg !== 'ts' && engineArg !== 'native') throw new UsageError(`--engine: ts or native, got ${engineArg}`);
  if (values.native === true && engineArg !== 'native') throw new UsageError('--native contradicts --engine ts');
  const engine: 'ts' | 'native' = engineArg;
  const batchDefault = engine === 'native' ? NATIVE_DEFAULT_BATCH_US : D.batchUs ?? DEFAULT_BATCH_US;
  let url = s('url') ?? D.url;
  if (s('port') !== undefined) url = `ws://127.0.0.1:${num('port', s('port'), 8080)}/ws/v1`;
  const opts: LoadgenOptions = {
    ...D,
    url,
    rate: num('rate', s('rate'), D.rate, false),
    durationSec: dur('duration', s('duration'), D.durationSec),
    rampUpSec: dur('ramp-up', s('ramp-up'), 0),
    rampDownSec: dur('ramp-down', s('ramp-down'), 0),
    warmupSec: dur('warmup', s('warmup'), 0),
    connections: num('connections', s('connections'), D.connections),
    threads: num('threads', s('threads'), D.threads),
    symbols: s('symbols') !== undefined ? s('symbols')!.split(',').map((x) => x.trim().toUpperCase()).filter(Boolean) : D.symbols,
    ordersPerFrame: num('orders-per-frame', s('orders-per-frame'), D.ordersPerFrame),
    batchUs: num('batch-us', s('batch-us'), batchDefault, false),
    mix: s('mix') !== undefined ? parseMix(s('mix')!) : D.mix,
    timeoutMs: num('timeout-ms', s('timeout-ms'), D.timeoutMs, false),
    drainMs: num('drain-ms', s('drain-ms'), D.drainMs, false),
    seed: num('seed', s('seed'), D.seed),
    ownerBase: num('account-base', s('account-base'), D.ownerBase),
  };
  // The server refuses LOGIN of account 1 and >= 2^30 (RESERVED_ACCOUNT); 0 is anonymous.
  if (opts.ownerBase < 2 || opts.ownerBase + opts.connections - 1 >= 2 ** 30) {
    throw new UsageError(`--account-base: accounts ${opts.ownerBase} .. ${opts.ownerBase + opts.connections - 1} must lie in 2 .. ${2 ** 30 - 1}`);
  }
  const secret = s('secret') ?? (process.env.SIMEX_SESSION_SECRET || undefined);
  if (secret !== undefined) {
    opts.secret = secret;
  }
  const spinUs = num('spin-us', s('spin-us'), 0, false);
  if (spinUs !== 0 && engine !== 'native') throw new UsageError('--spin-us needs --engine native');
  const rtPriority = num('rt-priority', s('rt-priority'), 0);
  if (rtPriority !== 0 && engine !== 'native') throw new UsageError('--rt-priority needs --engine native');
  return { opts, json: values.json === true, hgrm: s('hgrm') ?? null, quiet: values.quiet === true, help: values.help === true, engine, spinUs, rtPriority };
}

/** Entry point for `simex loadgen`. Resolves to the process exit code; never calls exit. */
export async function runLoadgenCli(argv: string[]): Promise<number> {
  let parsed: CliParsed;
  try {
    parsed = parseLoadgenArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`simex loadgen: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { opts } = parsed;
  const progress = !parsed.json && !parsed.quiet;
  let handle;
  try {
    const start = parsed.engine === 'native'
      ? (o: typeof opts, h: Parameters<typeof startLoadgen>[1]) => startNativeLoadgen(o, h, { spinUs: parsed.spinUs, rtPriority: parsed.rtPriority })
      : startLoadgen;
    handle = start(opts, {
      onReady: (ok, failed, first) => {
        if (progress || failed) {
          process.stderr.write(`loadgen: ${ok} connections logged in${failed ? `, ${failed} failed (${first})` : ''}\n`);
        }
      },
      onProgress: progress
        ? (st) => {
            const i = st.interval;
            process.stderr.write(
              `  t=${(st.elapsedMs / 1000).toFixed(1)}s  sent ${Math.round(st.sendRate)}/s  acked ${Math.round(st.ackRate)}/s  ` +
                `inflight ${st.inflight}  p50 ${i.p50.toFixed(0)} µs  p99 ${i.p99.toFixed(0)} µs  max ${i.max.toFixed(0)} µs  ` +
                `timeouts ${st.counters.timeouts}  errors ${st.counters.errors}\n`,
            );
          }
        : undefined,
    });
  } catch (err) {
    if (err instanceof RangeError) {
      process.stderr.write(`simex loadgen: ${err.message}\n`);
      return 2;
    }
    if (parsed.engine === 'native') {
      // No compiler, build failure: say so, no stack.
      process.stderr.write(`simex loadgen: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
  const onSignal = (): void => {
    process.stderr.write('loadgen: stopping (signal), draining replies...\n');
    handle.stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let out;
    try {
      out = await handle.done;
    } catch (err) {
      // The native engine ends with an error (e.g. no connection logged in) instead of an
      // empty report; its stderr says why.
      if (parsed.engine !== 'native') throw err;
      process.stderr.write(`simex loadgen: ${(err as Error).message}\n`);
      return 1;
    }
    const { report, histograms } = out;
    process.stdout.write(parsed.json ? formatJson(report) : formatHuman(report));
    if (parsed.hgrm) {
      writeFileSync(parsed.hgrm, formatHgrm(histograms));
      if (!parsed.json) process.stderr.write(`loadgen: wrote ${parsed.hgrm}\n`);
    }
    if (report.connections === 0) return 1;
    if (report.counters.sent === 0 && report.counters.planned > 0) return 1;
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Alias for src/cli.ts's subcommand table (it looks for `main`). */
export const main = runLoadgenCli;

// Run directly: node dist/src/loadgen/cli.js ...
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runLoadgenCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`simex loadgen: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}

