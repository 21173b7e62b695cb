/**
 * Validation of POST /demo/chaos-test bodies (seed runbook 000, Demo 4). Every failure is an
 * HttpError 400 {error, code, field}: MISSING_FIELD, INVALID_FIELD (wrong type/unparsable),
 * OUT_OF_RANGE, UNKNOWN_FIELD, UNKNOWN_TARGET, UNSUPPORTED (valid but not possible here).
 *
 * Defaults by severity (used when a parameter is not given):
 *   severity  target.percentage  latency_ms  error_rate  cpu_workers
 *   low             25               20         0.05         1
 *   medium          50              100         0.15       cores
 *   high           100              500         0.50      2 x cores
 * target.percentage means: share of orders selected (latency, outage), share of orders
 * exposed to error_rate (error_simulation: reject probability = percentage/100 * error_rate),
 * toxicity of the proxy toxics (network_partition), busy share of each burner thread
 * (resource_exhaustion).
 */
import { HttpError } from '../server/http.js';
import { parseDurationSec } from '../loadgen/duration.js';
import { TOXIC_TYPES, type ToxicType } from './proxy.js';

export const CHAOS_TYPES = ['latency_injection', 'error_simulation', 'service_failure', 'network_partition', 'resource_exhaustion'] as const;
export type ChaosType = (typeof CHAOS_TYPES)[number];
export type Severity = 'low' | 'medium' | 'high';

export const MIN_DURATION_SEC = 1;
export const MAX_DURATION_SEC = 600;
export const MAX_RECOVERY_SEC = 120;
export const MAX_LATENCY_MS = 5000;

export interface ChaosSpec {
  type: ChaosType;
  severity: Severity;
  durationSec: number;
  /** As given (or "60s" formatted) for echoing back. */
  durationText: string;
  component: string;
  /** Instrument indexes the in-process faults target (null = every instrument). */
  instruments: number[] | null;
  /** Shard targeted by service_failure. */
  shard: number | null;
  percentage: number;
  latencyMs: number;
  jitterMs: number;
  errorRate: number;
  /** service_failure: 'outage' (edge rejects SHARD_UNAVAILABLE, reversible) or a real crash. */
  failureMode: 'outage' | 'throw' | 'exit' | 'hang';
  /** network_partition: proxy toxic and its attributes; listen port (0 = ephemeral). */
  toxic: ToxicType;
  toxicAttributes: Record<string, number>;
  proxyPort: number;
  toxicStream: 'upstream' | 'downstream' | 'both';
  cpuWorkers: number;
  memoryMb: number;
  /** Abort (rollback) when the excess error rate stays above this percent for 3 samples. */
  abortErrorRatePct: number | null;
  autoRecover: boolean;
  recoverySec: number;
  gracefulRecover: boolean;
}

export interface ValidateContext {
  symbols: readonly string[];
  /** shard of each symbol, same order as symbols */
  shardOf: readonly number[];
  shards: number;
  cores: number;
  crashAllowed: boolean;
}

const TOP = new Set(['type', 'duration', 'severity', 'target', 'parameters', 'recovery']);
const TARGET = new Set(['component', 'percentage']);
const PARAMS = new Set(['latency_ms', 'jitter_ms', 'error_rate', 'mode', 'toxic', 'stream', 'proxy_port', 'timeout_ms',
  'rate_kbps', 'average_size', 'size_variation', 'delay_us', 'bytes', 'delay_ms', 'cpu_workers', 'memory_mb', 'abort_error_rate']);
const RECOVERY = new Set(['auto_recover', 'recovery_time', 'graceful_recover']);
const WHOLE = new Set(['trading_engine', 'order_service', 'matching_engine', 'all', 'exchange']);

const bad = (code: string, field: string, msg: string): HttpError => new HttpError(400, code, msg, field);

function obj(v: unknown, field: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw bad('INVALID_FIELD', field, `${field} must be an object`);
  return v as Record<string, unknown>;
}

function known(o: Record<string, unknown>, set: Set<string>, prefix: string): void {
  for (const k of Object.keys(o)) {
    if (!set.has(k)) throw bad('UNKNOWN_FIELD', `${prefix}${k}`, `unknown field ${prefix}${k}; expected one of ${[...set].join(', ')}`);
  }
}

function num(o: Record<string, unknown>, k: string, field: string, min: number, max: number, dflt: number, int = false): number {
  const v = o[k];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || (int && !Number.isInteger(v))) {
    throw bad('INVALID_FIELD', field, `${field} must be ${int ? 'an integer' : 'a number'}`);
  }
  if (v < min || v > max) throw bad('OUT_OF_RANGE', field, `${field} must be between ${min} and ${max}`);
  return v;
}

function bool(o: Record<string, unknown>, k: string, field: string, dflt: boolean): boolean {
  const v = o[k];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw bad('INVALID_FIELD', field, `${field} must be true or false`);
  return v;
}

function str(o: Record<string, unknown>, k: string, field: string, allowed: readonly string[], dflt: string): string {
  const v = o[k];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'string' || !allowed.includes(v)) throw bad('INVALID_FIELD', field, `${field} must be one of ${allowed.join(', ')}`);
  return v;
}

function dur(o: Record<string, unknown>, k: string, field: string, min: number, max: number, dflt: number): number {
  const v = o[k];
  if (v === undefined || v === null) return dflt;
  const s = parseDurationSec(v);
  if (s === null) throw bad('INVALID_FIELD', field, `${field} must be a duration like "60s", "2m", "500ms" or a number of seconds`);
  if (s < min || s > max) throw bad('OUT_OF_RANGE', field, `${field} must be between ${min}s and ${max}s`);
  return s;
}

export function validateChaosTest(body: Record<string, unknown>, ctx: ValidateContext): ChaosSpec {
  known(body, TOP, '');
  const t = body.type;
  if (t === undefined || t === null) throw bad('MISSING_FIELD', 'type', `type is required (${CHAOS_TYPES.join(', ')})`);
  if (typeof t !== 'string' || !(CHAOS_TYPES as readonly string[]).includes(t)) {
    throw bad('INVALID_FIELD', 'type', `type must be one of ${CHAOS_TYPES.join(', ')}`);
  }
  const type = t as ChaosType;
  const severity = str(body, 'severity', 'severity', ['low', 'medium', 'high'], 'medium') as Severity;
  const sev = severity === 'low' ? 0 : severity === 'medium' ? 1 : 2;
  if (body.duration === undefined || body.duration === null) throw bad('MISSING_FIELD', 'duration', 'duration is required, e.g. "60s"');
  const durationSec = dur(body, 'duration', 'duration', MIN_DURATION_SEC, MAX_DURATION_SEC, 60);
  const durationText = typeof body.duration === 'string' ? body.duration : `${durationSec}s`;

  const target = obj(body.target, 'target');
  known(target, TARGET, 'target.');
  const percentage = num(target, 'percentage', 'target.percentage', 0, 100, [25, 50, 100][sev]!);
  const compRaw = target.component;
  if (compRaw !== undefined && compRaw !== null && (typeof compRaw !== 'string' || compRaw === '')) {
    throw bad('INVALID_FIELD', 'target.component', 'target.component must be a non-empty string');
  }
  const p = obj(body.parameters, 'parameters');
  known(p, PARAMS, 'parameters.');
  const rec = obj(body.recovery, 'recovery');
  known(rec, RECOVERY, 'recovery.');

  // Target resolution: whole exchange, one shard ("shard-1"), or one symbol ("BTCUSD").
  const dfltComponent = type === 'network_partition' ? 'network' : type === 'resource_exhaustion' ? 'cpu' : type === 'service_failure' ? 'shard-0' : 'trading_engine';
  const component = typeof compRaw === 'string' ? compRaw : dfltComponent;
  let instruments: number[] | null = null;
  let shard: number | null = null;
  const m = /^shard-(\d+)$/.exec(component);
  const symIx = ctx.symbols.indexOf(component.toUpperCase());
  if (type === 'network_partition') {
    if (!['network', 'proxy', 'trading_engine', 'all'].includes(component)) {
      throw bad('UNKNOWN_TARGET', 'target.component', 'network_partition targets "network" (a loopback proxy in front of this server)');
    }
  } else if (type === 'resource_exhaustion') {
    if (!['cpu', 'memory', 'process', 'trading_engine', 'all'].includes(component)) {
      throw bad('UNKNOWN_TARGET', 'target.component', 'resource_exhaustion targets "cpu", "memory" or "process" (this server process)');
    }
  } else if (m) {
    shard = Number(m[1]);
    if (shard >= ctx.shards) throw bad('UNKNOWN_TARGET', 'target.component', `no shard ${shard}; this server has shards 0..${ctx.shards - 1}`);
    instruments = ctx.shardOf.flatMap((s, i) => (s === shard ? [i] : []));
  } else if (symIx >= 0) {
    instruments = [symIx];
    shard = ctx.shardOf[symIx]!;
  } else if (!WHOLE.has(component)) {
    throw bad('UNKNOWN_TARGET', 'target.component',
      `unknown component ${component.slice(0, 40)}; use trading_engine, order_service, shard-N (0..${ctx.shards - 1}) or a symbol (${ctx.symbols.join(', ')})`);
  }
  if (type === 'service_failure' && shard === null) {
    throw bad('UNKNOWN_TARGET', 'target.component', 'service_failure needs a shard ("shard-N") or a symbol (its shard fails)');
  }

  const latencyMs = num(p, 'latency_ms', 'parameters.latency_ms', 0, MAX_LATENCY_MS, [20, 100, 500][sev]!);
  const jitterMs = num(p, 'jitter_ms', 'parameters.jitter_ms', 0, MAX_LATENCY_MS, 0);
  const errorRate = num(p, 'error_rate', 'parameters.error_rate', 0, 1, [0.05, 0.15, 0.5][sev]!);
  const failureMode = str(p, 'mode', 'parameters.mode', ['outage', 'throw', 'exit', 'hang'], 'outage') as ChaosSpec['failureMode'];
  if (type === 'service_failure' && failureMode !== 'outage' && !ctx.crashAllowed) {
    throw bad('UNSUPPORTED', 'parameters.mode',
      'a real shard crash needs the server started with SIMEX_TEST_ROUTES=true (crashed shards stay down until restart); mode "outage" is reversible');
  }
  const toxic = str(p, 'toxic', 'parameters.toxic', TOXIC_TYPES, 'timeout') as ToxicType;
  const toxicStream = str(p, 'stream', 'parameters.stream', ['upstream', 'downstream', 'both'], 'both') as ChaosSpec['toxicStream'];
  const proxyPort = num(p, 'proxy_port', 'parameters.proxy_port', 0, 65535, 0, true);
  if (proxyPort !== 0 && proxyPort < 1024) throw bad('OUT_OF_RANGE', 'parameters.proxy_port', 'parameters.proxy_port must be 0 or 1024..65535');
  const toxicAttributes: Record<string, number> = {};
  if (type === 'network_partition') {
    switch (toxic) {
      case 'latency':
        toxicAttributes.latency = latencyMs;
        toxicAttributes.jitter = jitterMs;
        break;
      case 'bandwidth':
        toxicAttributes.rate = num(p, 'rate_kbps', 'parameters.rate_kbps', 1, 1e7, 64);
        break;
      case 'slicer':
        toxicAttributes.average_size = num(p, 'average_size', 'parameters.average_size', 1, 65536, 16, true);
        toxicAttributes.size_variation = num(p, 'size_variation', 'parameters.size_variation', 0, 65536, 8, true);
        toxicAttributes.delay = num(p, 'delay_us', 'parameters.delay_us', 0, 1e6, 1000);
        break;
      case 'timeout':
      case 'reset_peer':
        toxicAttributes.timeout = num(p, 'timeout_ms', 'parameters.timeout_ms', 0, MAX_DURATION_SEC * 1000, 0);
        break;
      case 'limit_data':
        toxicAttributes.bytes = num(p, 'bytes', 'parameters.bytes', 0, 1 << 30, 1024, true);
        break;
      case 'slow_close':
        toxicAttributes.delay = num(p, 'delay_ms', 'parameters.delay_ms', 0, 60_000, 1000);
        break;
    }
  }
  const cpuWorkers = num(p, 'cpu_workers', 'parameters.cpu_workers', 1, ctx.cores * 2, [1, ctx.cores, ctx.cores * 2][sev]!, true);
  const memoryMb = num(p, 'memory_mb', 'parameters.memory_mb', 0, 1024, 0, true);
  const abort = num(p, 'abort_error_rate', 'parameters.abort_error_rate', 0, 100, -1);

  const autoRecover = bool(rec, 'auto_recover', 'recovery.auto_recover', true);
  const recoverySec = dur(rec, 'recovery_time', 'recovery.recovery_time', 0, MAX_RECOVERY_SEC, 10);
  const gracefulRecover = bool(rec, 'graceful_recover', 'recovery.graceful_recover', false);
  return {
    type, severity, durationSec, durationText, component, instruments, shard, percentage, latencyMs, jitterMs, errorRate,
    failureMode, toxic, toxicAttributes, proxyPort, toxicStream, cpuWorkers, memoryMb,
    abortErrorRatePct: abort < 0 ? null : abort, autoRecover, recoverySec, gracefulRecover,
  };
}
