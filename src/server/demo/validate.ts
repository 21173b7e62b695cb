/**
 * Validation of POST /demo/load-test bodies. Every failure is an HttpError 400 with a stable
 * code and the offending field: MISSING_FIELD, INVALID_FIELD (wrong type or unparsable),
 * OUT_OF_RANGE, UNKNOWN_FIELD, UNKNOWN_SYMBOL.
 */
import { HttpError } from '../http.js';
import { parseDurationSec } from '../../loadgen/duration.js';
import { MAX_DURATION_SEC, MIN_DURATION_SEC, SCENARIOS } from './scenarios.js';
import type { ScenarioName } from './scenarios.js';

export interface LoadTestSpec {
  scenario: ScenarioName;
  durationSec: number;
  ordersPerSecond: number;
  concurrentUsers: number;
  symbols: string[];
  rampUpSec: number;
  rampDownSec: number;
}

const FIELDS = new Set(['scenario', 'duration', 'orders_per_second', 'concurrent_users', 'symbols', 'ramp_up', 'ramp_down']);

const bad = (code: string, field: string, msg: string): HttpError => new HttpError(400, code, msg, field);

function duration(body: Record<string, unknown>, field: string, dflt: number): number {
  const v = body[field];
  if (v === undefined || v === null) return dflt;
  const s = parseDurationSec(v);
  if (s === null) throw bad('INVALID_FIELD', field, `${field} must be a duration like "60s", "2m", "500ms" or a number of seconds`);
  return s;
}

export function validateLoadTest(body: Record<string, unknown>, knownSymbols: readonly string[]): LoadTestSpec {
  for (const k of Object.keys(body)) {
    if (!FIELDS.has(k)) throw bad('UNKNOWN_FIELD', k, `unknown field ${k}; expected one of ${[...FIELDS].join(', ')}`);
  }
  const sc = body.scenario;
  if (sc === undefined || sc === null) throw bad('MISSING_FIELD', 'scenario', 'scenario is required (light, medium, heavy, stress or custom)');
  if (typeof sc !== 'string' || !(sc in SCENARIOS)) {
    throw bad('INVALID_FIELD', 'scenario', 'scenario must be one of light, medium, heavy, stress, custom');
  }
  const spec = SCENARIOS[sc as ScenarioName];

  const durationSec = duration(body, 'duration', spec.defaultDurationSec);
  if (durationSec < MIN_DURATION_SEC || durationSec > MAX_DURATION_SEC) {
    throw bad('OUT_OF_RANGE', 'duration', `duration must be between ${MIN_DURATION_SEC}s and ${MAX_DURATION_SEC}s`);
  }

  let rate = spec.defaultRate;
  if (body.orders_per_second !== undefined && body.orders_per_second !== null) {
    const r = body.orders_per_second;
    if (typeof r !== 'number' || !Number.isFinite(r)) throw bad('INVALID_FIELD', 'orders_per_second', 'orders_per_second must be a number');
    rate = r;
  }
  if (rate < spec.rate[0] || rate > spec.rate[1]) {
    throw bad('OUT_OF_RANGE', 'orders_per_second',
      `${spec.name} runs ${spec.rate[0]}-${spec.rate[1]} orders/s${spec.name === 'custom' ? '' : '; use scenario "custom" for other rates'}`);
  }

  let users = spec.defaultUsers;
  if (body.concurrent_users !== undefined && body.concurrent_users !== null) {
    const u = body.concurrent_users;
    if (typeof u !== 'number' || !Number.isInteger(u)) throw bad('INVALID_FIELD', 'concurrent_users', 'concurrent_users must be an integer');
    users = u;
  }
  if (users < spec.users[0] || users > spec.users[1]) {
    throw bad('OUT_OF_RANGE', 'concurrent_users',
      `${spec.name} runs ${spec.users[0]}-${spec.users[1]} concurrent users${spec.name === 'custom' ? '' : '; use scenario "custom" for other counts'}`);
  }

  let symbols = [...knownSymbols];
  if (body.symbols !== undefined && body.symbols !== null) {
    const s = body.symbols;
    if (!Array.isArray(s) || s.length === 0 || s.some((x) => typeof x !== 'string')) {
      throw bad('INVALID_FIELD', 'symbols', 'symbols must be a non-empty array of symbol strings');
    }
    symbols = [...new Set((s as string[]).map((x) => x.toUpperCase()))];
    const unknown = symbols.find((x) => !knownSymbols.includes(x));
    if (unknown !== undefined) throw bad('UNKNOWN_SYMBOL', 'symbols', `unknown symbol ${unknown}; this server trades ${knownSymbols.join(', ')}`);
  }

  const rampUpSec = duration(body, 'ramp_up', 0);
  const rampDownSec = duration(body, 'ramp_down', 0);
  if (rampUpSec + rampDownSec > durationSec) {
    throw bad('OUT_OF_RANGE', rampUpSec > 0 ? 'ramp_up' : 'ramp_down', 'ramp_up + ramp_down must not exceed duration');
  }
  return { scenario: spec.name, durationSec, ordersPerSecond: rate, concurrentUsers: users, symbols, rampUpSec, rampDownSec };
}
