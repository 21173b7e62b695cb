/**
 * `simex ops`: the operator CLI (seed 002's operator_tool.py). Talks to a RUNNING server over
 * HTTP only (--url, or SIMEX_URL, default http://127.0.0.1:8080):
 *
 *   simex ops find-trade --id N [--symbol S] [--json]      GET /api/trades/:id
 *   simex ops investigate-failures [--limit N] [--since 10m] [--json]
 *                                    GET /admin/errors/recent, /admin/circuit-breaker/history, /health
 *   simex ops status [--json]        GET /health, /admin/metrics/current
 *
 * Exit codes (every command): 0 ok; 1 find-trade: trade not found / not retained, status:
 * server not healthy; 2 usage error; 3 server unreachable or an unexpected answer.
 * `main(argv, io)` takes its output sinks so tests capture stdout/stderr without a process.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_URL, Exit, OpsError, normalizeUrl } from './client.js';
import { findTrade } from './find-trade.js';
import { investigateFailures } from './investigate.js';
import { status } from './status.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface Ctx {
  base: string;
  json: boolean;
  timeoutMs: number;
  io: Io;
}

const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
};

const COMMON = `
Common flags:
  --url URL          server base URL (env SIMEX_URL; default ${DEFAULT_URL})
  --json             print the server's JSON (plus derived fields) instead of a table
  --timeout-ms N     per-request timeout (default 5000)
  -h, --help         this text

Exit codes: 0 ok; 1 not found (find-trade) / not healthy (status); 2 usage error;
3 server unreachable or unexpected answer.`;

const HELP: Record<string, string> = {
  '': `usage: simex ops <command> [flags]

Operator commands against a RUNNING simex server (HTTP only, nothing internal):
  find-trade            one trade by id (ids are numbered per symbol), with its orders
  investigate-failures  the most recent failures the server recorded, summarised by reason
  status                health, shards, maintenance, breakers, chaos, rates on one screen

Run \`simex ops <command> --help\` for its flags.
${COMMON}`,
  'find-trade': `usage: simex ops find-trade --id N [--symbol S] [--json]

Look up trade N (GET /api/trades/N). Trade ids are numbered per symbol: without --symbol
every symbol that still holds trade N is listed. Shows price, quantity, aggressor side,
buy/sell exchange order ids and time, and the status of each order when the server still
knows it (REST orders: status and fills; binary orders: session and whether still open).
The server keeps the last 1000 trades per symbol: an older id answers "not retained" (exit 1).

  --id N         trade id (integer >= 1), required
  --symbol S     only this symbol (e.g. BTCUSD)
${COMMON}`,
  'investigate-failures': `usage: simex ops investigate-failures [--limit N] [--since 10m] [--json]

The N most recent failures the server recorded (GET /admin/errors/recent): rejected orders
from REST and binary clients with their reason code and name, symbol, origin and time;
chaos-injected rejects (CHAOS_INJECTED 128); maintenance (130) and circuit-breaker (129)
rejects; shard deaths. Then a summary by reason, the circuit-breaker trips of the last 24 h
(GET /admin/circuit-breaker/history), shards that are down and the chaos state (/health).

  --limit N      records to list (default 10, max: the server's ring capacity, 4096)
  --since D      only records newer than D: 30s, 10m, 2h, 500ms, or seconds
${COMMON}`,
  status: `usage: simex ops status [--json]

One screen from GET /health and GET /admin/metrics/current: overall status, uptime,
engines and shards, maintenance, open circuit breakers, chaos (flag file / chaos test),
connections, orders/s, trades/s, error rate, ack latency percentiles. Exit 1 when the
server's status is not "healthy" (degraded, maintenance, unhealthy).
${COMMON}`,
};

export async function main(argv: string[], io: Io = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    io.out(HELP['']!);
    return cmd === undefined ? Exit.USAGE : Exit.OK;
  }
  if (!(cmd in HELP) || cmd === '') {
    io.err(`simex ops: unknown command "${cmd}"\n\n${HELP['']}`);
    return Exit.USAGE;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' }, json: { type: 'boolean' }, 'timeout-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' },
        id: { type: 'string' }, symbol: { type: 'string' }, limit: { type: 'string' }, since: { type: 'string' },
      },
    }));
  } catch (err) {
    io.err(`simex ops ${cmd}: ${(err as Error).message}\n\n${HELP[cmd]}`);
    return Exit.USAGE;
  }
  if (values.help) {
    io.out(HELP[cmd]!);
    return Exit.OK;
  }
  const allowed: Record<string, string[]> = { 'find-trade': ['id', 'symbol'], 'investigate-failures': ['limit', 'since'], status: [] };
  for (const k of ['id', 'symbol', 'limit', 'since']) {
    if (values[k] !== undefined && !allowed[cmd]!.includes(k)) {
      io.err(`simex ops ${cmd}: --${k} does not apply to this command\n\n${HELP[cmd]}`);
      return Exit.USAGE;
    }
  }
  try {
    const t = values['timeout-ms'] === undefined ? 5000 : Number(values['timeout-ms']);
    if (!Number.isInteger(t) || t < 1) throw new OpsError('--timeout-ms must be a positive integer', Exit.USAGE);
    const ctx: Ctx = {
      base: normalizeUrl((values.url as string | undefined) ?? (env.SIMEX_URL?.trim() || DEFAULT_URL)),
      json: values.json === true, timeoutMs: t, io,
    };
    switch (cmd) {
      case 'find-trade': return await findTrade(ctx, values.id as string | undefined, values.symbol as string | undefined);
      case 'investigate-failures': return await investigateFailures(ctx, values.limit as string | undefined, values.since as string | undefined);
      default: return await status(ctx);
    }
  } catch (err) {
    if (err instanceof OpsError) {
      io.err(`simex ops ${cmd}: ${err.message}${err.exitCode === Exit.USAGE ? `\n\n${HELP[cmd]}` : ''}`);
      return err.exitCode;
    }
    throw err;
  }
}
