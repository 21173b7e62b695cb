// POST /demo/chaos-test over real HTTP (a uWS app with only the chaos routes and fake server
// objects): the runbook bodies are accepted, bad ones get 400 {error, code, field}, a second
// start gets 409, stop rolls back, results 404/409 rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { us_listen_socket } from 'uWebSockets.js';
import { uWS } from '../../src/server/uws.js';
import { registerChaosRoutes, type ChaosController } from '../../src/server/chaos/index.js';
import { validateChaosTest } from '../../src/chaos/validate.js';
import { FakeExchange, FakeHub, FakePool } from './fixtures/fakes.js';

const CTX = { symbols: ['BTCUSD', 'ETHUSD', 'ADAUSD'], shardOf: [0, 1, 0], shards: 2, cores: 2, crashAllowed: false };

const SEED_LATENCY = {
  type: 'latency_injection', duration: '60s', severity: 'medium',
  target: { component: 'trading_engine', percentage: 50 }, parameters: { latency_ms: 100 },
  recovery: { auto_recover: true, recovery_time: '10s', graceful_recover: true },
};
const SEED_ERRORS = {
  type: 'error_simulation', duration: '45s', severity: 'low', target: { component: 'order_service', percentage: 25 },
  parameters: { error_rate: 0.15 }, recovery: { auto_recover: true, graceful_recover: true },
};

describe('chaos-test body validation', () => {
  it('accepts both runbook bodies', () => {
    expect(validateChaosTest(SEED_LATENCY, CTX)).toMatchObject({
      type: 'latency_injection', durationSec: 60, percentage: 50, latencyMs: 100, instruments: null, recoverySec: 10, gracefulRecover: true,
    });
    expect(validateChaosTest(SEED_ERRORS, CTX)).toMatchObject({ type: 'error_simulation', durationSec: 45, percentage: 25, errorRate: 0.15 });
  });

  it('resolves shard and symbol targets', () => {
    expect(validateChaosTest({ type: 'service_failure', duration: '5s', target: { component: 'shard-0' } }, CTX))
      .toMatchObject({ shard: 0, instruments: [0, 2], failureMode: 'outage' });
    expect(validateChaosTest({ type: 'latency_injection', duration: '5s', target: { component: 'ethusd' } }, CTX))
      .toMatchObject({ shard: 1, instruments: [1] });
  });

  const cases: [string, Record<string, unknown>, string, string][] = [
    ['missing type', { duration: '60s' }, 'MISSING_FIELD', 'type'],
    ['unknown type', { type: 'meteor_strike', duration: '60s' }, 'INVALID_FIELD', 'type'],
    ['missing duration', { type: 'latency_injection' }, 'MISSING_FIELD', 'duration'],
    ['bad duration', { type: 'latency_injection', duration: 'soon' }, 'INVALID_FIELD', 'duration'],
    ['duration too long', { type: 'latency_injection', duration: '2h' }, 'OUT_OF_RANGE', 'duration'],
    ['bad severity', { type: 'latency_injection', duration: '5s', severity: 'extreme' }, 'INVALID_FIELD', 'severity'],
    ['percentage > 100', { type: 'latency_injection', duration: '5s', target: { percentage: 150 } }, 'OUT_OF_RANGE', 'target.percentage'],
    ['percentage as string', { type: 'latency_injection', duration: '5s', target: { percentage: '50' } }, 'INVALID_FIELD', 'target.percentage'],
    ['unknown component', { type: 'latency_injection', duration: '5s', target: { component: 'database' } }, 'UNKNOWN_TARGET', 'target.component'],
    ['no such shard', { type: 'service_failure', duration: '5s', target: { component: 'shard-7' } }, 'UNKNOWN_TARGET', 'target.component'],
    ['latency too large', { type: 'latency_injection', duration: '5s', parameters: { latency_ms: 60000 } }, 'OUT_OF_RANGE', 'parameters.latency_ms'],
    ['error_rate > 1', { type: 'error_simulation', duration: '5s', parameters: { error_rate: 15 } }, 'OUT_OF_RANGE', 'parameters.error_rate'],
    ['crash without test routes', { type: 'service_failure', duration: '5s', target: { component: 'shard-1' }, parameters: { mode: 'exit' } }, 'UNSUPPORTED', 'parameters.mode'],
    ['unknown toxic', { type: 'network_partition', duration: '5s', parameters: { toxic: 'gremlins' } }, 'INVALID_FIELD', 'parameters.toxic'],
    ['unknown top-level field', { type: 'latency_injection', duration: '5s', blast: 1 }, 'UNKNOWN_FIELD', 'blast'],
    ['unknown parameter', { type: 'latency_injection', duration: '5s', parameters: { latency: 5 } }, 'UNKNOWN_FIELD', 'parameters.latency'],
    ['recovery not an object', { type: 'latency_injection', duration: '5s', recovery: true }, 'INVALID_FIELD', 'recovery'],
    ['auto_recover not boolean', { type: 'latency_injection', duration: '5s', recovery: { auto_recover: 'yes' } }, 'INVALID_FIELD', 'recovery.auto_recover'],
    ['recovery_time too long', { type: 'latency_injection', duration: '5s', recovery: { recovery_time: '10m' } }, 'OUT_OF_RANGE', 'recovery.recovery_time'],
    ['too many cpu workers', { type: 'resource_exhaustion', duration: '5s', parameters: { cpu_workers: 64 } }, 'OUT_OF_RANGE', 'parameters.cpu_workers'],
  ];
  it.each(cases)('%s -> 400 %s (%s)', (_n, body, code, field) => {
    try {
      validateChaosTest(body, CTX);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toMatchObject({ status: 400, code, field });
    }
  });
});

describe('chaos routes over HTTP', () => {
  let ls: us_listen_socket | null = null;
  let base = '';
  let ctl: ChaosController;
  const ex = new FakeExchange();
  beforeAll(async () => {
    const app = uWS.App();
    ctl = registerChaosRoutes(app, { exchange: ex, hub: new FakeHub(), pool: new FakePool(), port: () => 1, allowCrash: false });
    await new Promise<void>((resolve, reject) => app.listen('127.0.0.1', 0, (s) => {
      if (!s) return reject(new Error('listen failed'));
      ls = s;
      resolve();
    }));
    base = `http://127.0.0.1:${(uWS as unknown as { us_socket_local_port(s: unknown): number }).us_socket_local_port(ls)}`;
  });
  afterAll(async () => {
    await ctl.close();
    if (ls) uWS.us_listen_socket_close(ls);
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: r.status, json: await r.json() as Record<string, any> };
  };

  it('status before any test, results 404, stop 409', async () => {
    expect((await call('GET', '/demo/chaos-test/status')).json).toMatchObject({ is_running: false, scenario: null });
    expect(await call('GET', '/demo/chaos-test/results')).toMatchObject({ status: 404, json: { code: 'NO_RESULTS' } });
    expect(await call('POST', '/demo/chaos-test/stop')).toMatchObject({ status: 409, json: { code: 'NO_CHAOS_TEST_RUNNING' } });
  });

  it('400 with {error, code, field} on bad input and invalid JSON', async () => {
    const r = await call('POST', '/demo/chaos-test', { type: 'latency_injection', duration: '60s', target: { percentage: 101 } });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'OUT_OF_RANGE', field: 'target.percentage' });
    expect(typeof r.json.error).toBe('string');
    expect((await call('POST', '/demo/chaos-test', '{nope')).json.code).toBe('INVALID_JSON');
  });

  it('the runbook start body -> 202 with the seed fields; second start 409; stop rolls back', async () => {
    const r = await call('POST', '/demo/chaos-test', SEED_LATENCY);
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ status: 'started', type: 'latency_injection', phase: 'injection' });
    expect(r.json.test_id).toMatch(/^chaos_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(Date.parse(r.json.start_time)).toBeGreaterThan(0);
    expect(Object.prototype.hasOwnProperty.call(ex, 'submit')).toBe(true);
    expect(await call('POST', '/demo/chaos-test', SEED_ERRORS)).toMatchObject({ status: 409, json: { code: 'CHAOS_TEST_RUNNING' } });
    const st = await call('GET', '/demo/chaos-test/status');
    expect(st.json).toMatchObject({ is_running: true, test_id: r.json.test_id, scenario: { type: 'latency_injection', severity: 'medium', duration: '60s' },
      affected_targets: ['trading_engine'] });
    expect(st.json.metrics).toHaveProperty('successful_injections');
    expect(st.json.metrics).toHaveProperty('resilience_score');
    expect(await call('GET', '/demo/chaos-test/results')).toMatchObject({ status: 409, json: { code: 'CHAOS_TEST_RUNNING' } });
    const stop = await call('POST', '/demo/chaos-test/stop');
    expect(stop.json).toMatchObject({ status: 'stopped', phase: 'completed', injector_installed: false });
    expect(stop.json.rolled_back).toContain('injector:latency');
    expect(Object.prototype.hasOwnProperty.call(ex, 'submit')).toBe(false);
    const res = await call('GET', '/demo/chaos-test/results');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ test_id: r.json.test_id, status: 'stopped' });
  });
});
