/**
 * Server configuration: defaults < environment < command-line flags. One table (`OPTIONS`)
 * drives parsing, validation and `simex start --help`, so the three never disagree.
 */
import os from 'node:os';

export interface ServerConfig {
  host: string;
  port: number;
  shards: number;
  engine: 'native' | 'ts' | 'auto';
  simulationEnabled: boolean;
  metricsEnabled: boolean;
  logLevel: string;
  environment: string;
  /** Start even if uWebSockets.js fell back to its `ws` imitation (health flag, loud log). */
  allowUwsFallback: boolean;
  /** Bytes per inbound shard ring (outbound rings get 4x). */
  ringBytes: number;
  /** Graceful shutdown budget, ms (hard exit after it). */
  shutdownTimeoutMs: number;
  /** Test-only routes (/admin/test/*: kill a shard). Never enable in production. */
  testRoutes: boolean;
  /** Binary protocol heartbeat interval announced in LOGIN_ACK. */
  heartbeatMs: number;
  /** Per-session execution reports kept for resume. */
  journalSize: number;
  /** WebSocket send-buffer level above which market data is no longer sent (bytes). */
  shardMode: 'worker' | 'inline';
  mdBackpressureBytes: number;
  /** Market-data pacing: socket writes per second allowed per topic (publishes of a topic
   *  with N subscribers are spaced >= N / this apart; batched, never conflated). */
  mdFanoutWritesPerSec: number;
  /** Send-buffer level at which a connection is disconnected SLOW_CONSUMER (bytes). */
  slowConsumerBytes: number;
  maxConnections: number;
  /** Automatic volatility circuit breakers (src/server/trading-control.ts); manual
   *  activate/reset works either way. */
  cbEnabled: boolean;
  /** Trip when |last - reference| / reference exceeds this, basis points (500 = 5 %). */
  cbThresholdBps: number;
  /** Rolling window, ms: the reference is the last price as of (now - window). */
  cbWindowMs: number;
  /** An automatically opened breaker closes itself after this, ms (0 = manual reset only). */
  cbCooldownMs: number;
  /** Last-price poll period, ms: the detection delay is at most this plus event-loop lag. */
  cbPollMs: number;
  /** Breaker openings kept in memory for /admin/circuit-breaker/history (oldest dropped). */
  cbHistorySize: number;
  /** Chaos flag file (src/server/chaos/flag-file.ts): chaos mode on while it exists; '' = off. */
  chaosFlagFile: string;
  /** Session authentication keys (src/server/session-auth.ts): JSON {"<account>": "<secret>"};
   *  '' = off (binary LOGIN needs no credential). Read once at start-up. */
  sessionKeysFile: string;
}

type Kind = 'string' | 'int' | 'bool' | 'enum';
interface OptionSpec {
  key: keyof ServerConfig;
  flag: string;
  env: string[];
  kind: Kind;
  values?: string[];
  min?: number;
  max?: number;
  help: string;
  dflt: () => ServerConfig[keyof ServerConfig];
}

/** Default shard count: one per core minus one for the I/O thread, at least 1. Capped by
 *  the instrument count at start-up (a shard without books would idle). */
export function defaultShards(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, cores - 1);
}

export const OPTIONS: readonly OptionSpec[] = [
  { key: 'port', flag: '--port', env: ['SERVER_PORT', 'PORT'], kind: 'int', min: 0, max: 65535, help: 'HTTP/WebSocket port (0 = ephemeral)', dflt: () => 8080 },
  { key: 'host', flag: '--host', env: ['SERVER_HOST'], kind: 'string', help: 'listen address', dflt: () => '0.0.0.0' },
  { key: 'shardMode', flag: '--shard-mode', env: ['SHARD_MODE'], kind: 'enum', values: ['worker', 'inline'], help: 'worker: each shard in its own worker thread; inline: shards run on the I/O thread (no thread hop; for latency on 1-2 core machines)', dflt: () => 'worker' },
  { key: 'shards', flag: '--shards', env: ['SHARDS'], kind: 'int', min: 1, max: 64, help: 'shard worker threads (default: cores - 1, min 1)', dflt: defaultShards },
  { key: 'engine', flag: '--engine', env: ['ENGINE'], kind: 'enum', values: ['native', 'ts', 'auto'], help: 'matching engine implementation', dflt: () => 'auto' },
  { key: 'simulationEnabled', flag: '--simulation', env: ['SIMULATION_ENABLED'], kind: 'bool', help: 'run the market simulator (true|false)', dflt: () => true },
  { key: 'metricsEnabled', flag: '--metrics', env: ['METRICS_ENABLED'], kind: 'bool', help: 'metrics endpoints (/api/metrics, /metrics, /dashboard)', dflt: () => true },
  { key: 'logLevel', flag: '--log-level', env: ['LOG_LEVEL'], kind: 'enum', values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], help: 'log level (debug logs every order and trade)', dflt: () => 'info' },
  { key: 'environment', flag: '--environment', env: ['ENVIRONMENT'], kind: 'string', help: 'environment name shown in logs', dflt: () => 'development' },
  { key: 'allowUwsFallback', flag: '--allow-uws-fallback', env: ['ALLOW_UWS_FALLBACK'], kind: 'bool', help: "start on uWebSockets.js's slow ws fallback (health reports degraded)", dflt: () => false },
  { key: 'ringBytes', flag: '--ring-bytes', env: ['SHARD_RING_BYTES'], kind: 'int', min: 65536, max: 1 << 30, help: 'bytes per inbound shard ring (outbound: 4x)', dflt: () => 4 << 20 },
  { key: 'shutdownTimeoutMs', flag: '--shutdown-timeout-ms', env: ['SHUTDOWN_TIMEOUT_MS'], kind: 'int', min: 100, max: 30_000, help: 'graceful shutdown budget', dflt: () => 25_000 },
  { key: 'testRoutes', flag: '--test-routes', env: ['SIMEX_TEST_ROUTES'], kind: 'bool', help: 'enable test-only /admin/test/* routes (kill a shard)', dflt: () => false },
  { key: 'heartbeatMs', flag: '--heartbeat-ms', env: ['HEARTBEAT_MS'], kind: 'int', min: 100, max: 60_000, help: 'binary protocol heartbeat interval', dflt: () => 1000 },
  { key: 'journalSize', flag: '--journal-size', env: ['SESSION_JOURNAL_SIZE'], kind: 'int', min: 16, max: 1 << 22, help: 'execution reports kept per session for resume', dflt: () => 65536 },
  { key: 'mdBackpressureBytes', flag: '--md-backpressure-bytes', env: ['MD_BACKPRESSURE_BYTES'], kind: 'int', min: 4096, max: 1 << 30, help: 'send buffer above which market data is dropped for a connection', dflt: () => 1 << 20 },
  { key: 'mdFanoutWritesPerSec', flag: '--md-fanout-writes-per-sec', env: ['MD_FANOUT_WRITES_PER_SEC'], kind: 'int', min: 1000, max: 100_000_000, help: 'market-data pacing: a topic with N subscribers is published at most this/N times per second (messages batched, never dropped)', dflt: () => 200_000 },
  { key: 'slowConsumerBytes', flag: '--slow-consumer-bytes', env: ['SLOW_CONSUMER_BYTES'], kind: 'int', min: 8192, max: 1 << 30, help: 'send buffer at which a connection is disconnected (SLOW_CONSUMER)', dflt: () => 16 << 20 },
  { key: 'maxConnections', flag: '--max-connections', env: ['MAX_CONNECTIONS'], kind: 'int', min: 1, max: 1_000_000, help: 'WebSocket connection limit', dflt: () => 20_000 },
  { key: 'cbEnabled', flag: '--circuit-breaker', env: ['CIRCUIT_BREAKER_ENABLED'], kind: 'bool', help: 'automatic per-symbol volatility circuit breakers (manual activate/reset always works)', dflt: () => true },
  { key: 'cbThresholdBps', flag: '--circuit-breaker-threshold-bps', env: ['CIRCUIT_BREAKER_THRESHOLD_BPS'], kind: 'int', min: 1, max: 100_000, help: 'breaker trips when the last price moves more than this from the window reference (basis points; 500 = 5%)', dflt: () => 500 },
  { key: 'cbWindowMs', flag: '--circuit-breaker-window-ms', env: ['CIRCUIT_BREAKER_WINDOW_MS'], kind: 'int', min: 100, max: 86_400_000, help: 'breaker rolling window: the reference is the last price as of now - window', dflt: () => 30_000 },
  { key: 'cbCooldownMs', flag: '--circuit-breaker-cooldown-ms', env: ['CIRCUIT_BREAKER_COOLDOWN_MS'], kind: 'int', min: 0, max: 86_400_000, help: 'an automatically tripped breaker closes after this (0 = manual reset only)', dflt: () => 60_000 },
  { key: 'cbPollMs', flag: '--circuit-breaker-poll-ms', env: ['CIRCUIT_BREAKER_POLL_MS'], kind: 'int', min: 10, max: 10_000, help: 'last-price poll period of the breakers (detection delay <= this + event-loop lag)', dflt: () => 100 },
  { key: 'cbHistorySize', flag: '--circuit-breaker-history', env: ['CIRCUIT_BREAKER_HISTORY'], kind: 'int', min: 1, max: 1_000_000, help: 'breaker openings kept in memory for /admin/circuit-breaker/history', dflt: () => 1000 },
  { key: 'sessionKeysFile', flag: '--session-keys-file', env: ['SESSION_KEYS_FILE'], kind: 'string', help: 'JSON file {"<account id>": "<secret of >= 32 chars>"}: binary LOGIN of a non-zero account must carry an HMAC credential (docs/PROTOCOL.md "Session authentication"); read once at start-up; empty = off', dflt: () => '' },
  { key: 'chaosFlagFile', flag: '--chaos-flag-file', env: ['CHAOS_FLAG_FILE'], kind: 'string', help: 'chaos mode on while this file exists (polled every 1 s; content "error_rate=0.3 latency_ms=50", docs/CHAOS.md); empty = off', dflt: () => '' },
];

export class ConfigError extends Error {}

/** The circuit-breaker part of the configuration. */
export type TradingControlConfig = Pick<ServerConfig, 'cbEnabled' | 'cbThresholdBps' | 'cbWindowMs' | 'cbCooldownMs' | 'cbPollMs' | 'cbHistorySize'>;
const TRADING_CONTROL_KEYS: readonly (keyof TradingControlConfig)[] = ['cbEnabled', 'cbThresholdBps', 'cbWindowMs', 'cbCooldownMs', 'cbPollMs', 'cbHistorySize'];

/** The circuit-breaker options from defaults < environment (loadConfig without flags), for
 *  callers that have no ServerConfig. Throws ConfigError on any bad environment value. */
export function tradingControlConfig(env: NodeJS.ProcessEnv = process.env): TradingControlConfig {
  return pickTradingControl(loadConfig([], env));
}

/** The circuit-breaker fields of a (partial) configuration; missing ones from the environment. */
export function pickTradingControl(cfg: Partial<ServerConfig>): TradingControlConfig {
  const out = {} as Record<string, unknown>;
  for (const k of TRADING_CONTROL_KEYS) out[k] = cfg[k];
  if (TRADING_CONTROL_KEYS.some((k) => out[k] === undefined)) {
    const env = loadConfig([], process.env);
    for (const k of TRADING_CONTROL_KEYS) out[k] ??= env[k];
  }
  return out as unknown as TradingControlConfig;
}

/** Flags owned by the simulator (src/sim/index.ts simOptionsFrom); they take a value. */
export const SIM_FLAGS = ['--sim-orders-per-second', '--sim-volatility-factor', '--sim-seed'];

function parseValue(spec: OptionSpec, raw: string, source: string): ServerConfig[keyof ServerConfig] {
  switch (spec.kind) {
    case 'string':
      if (raw === '') throw new ConfigError(`${source}: empty value`);
      return raw;
    case 'int': {
      if (!/^\d+$/.test(raw)) throw new ConfigError(`${source}: expected an integer, got "${raw}"`);
      const v = Number(raw);
      if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
        throw new ConfigError(`${source}: ${v} outside ${spec.min}..${spec.max}`);
      }
      return v;
    }
    case 'bool': {
      const s = raw.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      throw new ConfigError(`${source}: expected true|false, got "${raw}"`);
    }
    case 'enum':
      if (!spec.values!.includes(raw)) throw new ConfigError(`${source}: expected one of ${spec.values!.join('|')}, got "${raw}"`);
      return raw;
  }
}

/**
 * Build the configuration. Flags: `--port 8080`, `--port=8080`; booleans also take
 * `--simulation` / `--no-simulation`. Unknown flags throw ConfigError.
 */
export function loadConfig(argv: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const cfg = {} as Record<string, unknown>;
  for (const spec of OPTIONS) {
    cfg[spec.key] = spec.dflt();
    for (const name of spec.env) {
      const raw = env[name];
      if (raw !== undefined && raw !== '') {
        cfg[spec.key] = parseValue(spec, raw, name);
        break;
      }
    }
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}"`);
    if (SIM_FLAGS.includes(arg.split('=')[0]!)) {
      // Simulator settings: parsed by src/sim simOptionsFrom(env, argv).
      if (!arg.includes('=')) i++;
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(0, eq) : arg;
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let spec = OPTIONS.find((o) => o.flag === name);
    if (!spec && name.startsWith('--no-')) {
      spec = OPTIONS.find((o) => o.flag === `--${name.slice(5)}` && o.kind === 'bool');
      if (spec && value === undefined) value = 'false';
      name = spec?.flag ?? name;
    }
    if (!spec) throw new ConfigError(`unknown option ${name} (see --help)`);
    if (value === undefined) {
      const next = argv[i + 1];
      if (spec.kind === 'bool' && (next === undefined || next.startsWith('--'))) value = 'true';
      else if (next === undefined) throw new ConfigError(`${name} needs a value`);
      else {
        value = next;
        i++;
      }
    }
    cfg[spec.key] = parseValue(spec, value, name);
  }
  return cfg as unknown as ServerConfig;
}

export function configHelp(): string {
  const lines = OPTIONS.map((o) => {
    const left = `  ${o.flag}${o.kind === 'bool' ? '[=true|false]' : ' <' + (o.values?.join('|') ?? o.kind) + '>'}`;
    const d = o.dflt();
    return `${left.padEnd(40)} ${o.help}\n${''.padEnd(41)}env ${o.env.join(', ')}; default ${String(d)}`;
  });
  lines.push(`  --sim-orders-per-second <n>              simulator order rate\n${''.padEnd(41)}env SIM_ORDERS_PER_SECOND; default 10`);
  lines.push(`  --sim-volatility-factor <x>              simulator volatility\n${''.padEnd(41)}env SIM_VOLATILITY_FACTOR; default 0.05`);
  lines.push(`  --sim-seed <n>                           simulator random seed\n${''.padEnd(41)}env SIM_SEED; default random`);
  lines.push(`\nOther environment: ADMIN_TOKEN (admin routes from non-loopback peers), DEBUG_ENDPOINTS=1 and\nDEBUG_TOKEN (/debug/pprof/*), UWS_USE_FALLBACK=1 (force the ws fallback; refused without\n--allow-uws-fallback).`);
  return lines.join('\n');
}
