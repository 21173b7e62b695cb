import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startDemoApp } from './fixtures/demo-app.js';
import type { DemoApp } from './fixtures/demo-app.js';
import { validateLoadTest } from '../../src/server/demo/validate.js';

const SYMS = ['BTCUSD', 'ETHUSD', 'ADAUSD'];

describe('POST /demo/load-test body validation', () => {
  it('accepts the runbook bodies', () => {
    expect(validateLoadTest({ scenario: 'light', duration: '60s', orders_per_second: 25, concurrent_users: 10, symbols: SYMS }, SYMS)).toEqual({
      scenario: 'light', durationSec: 60, ordersPerSecond: 25, concurrentUsers: 10, symbols: SYMS, rampUpSec: 0, rampDownSec: 0,
    });
    expect(validateLoadTest({ scenario: 'medium', duration: '90s', orders_per_second: 100, concurrent_users: 25, symbols: SYMS }, SYMS).durationSec).toBe(90);
    expect(validateLoadTest({ scenario: 'custom', duration: 30, orders_per_second: 5000, concurrent_users: 4, ramp_up: '5s', ramp_down: '5s' }, SYMS))
      .toMatchObject({ rampUpSec: 5, rampDownSec: 5, symbols: SYMS });
  });

  const cases: [string, Record<string, unknown>, string, string][] = [
    ['missing scenario', { duration: '60s' }, 'MISSING_FIELD', 'scenario'],
    ['unknown scenario', { scenario: 'extreme' }, 'INVALID_FIELD', 'scenario'],
    ['bad duration', { scenario: 'light', duration: 'a while' }, 'INVALID_FIELD', 'duration'],
    ['duration too long', { scenario: 'light', duration: '2h' }, 'OUT_OF_RANGE', 'duration'],
    ['rate as string', { scenario: 'light', orders_per_second: '25' }, 'INVALID_FIELD', 'orders_per_second'],
    ['rate outside the scenario', { scenario: 'light', orders_per_second: 500 }, 'OUT_OF_RANGE', 'orders_per_second'],
    ['users not an integer', { scenario: 'light', concurrent_users: 7.5 }, 'INVALID_FIELD', 'concurrent_users'],
    ['users outside the scenario', { scenario: 'stress', concurrent_users: 5 }, 'OUT_OF_RANGE', 'concurrent_users'],
    ['symbols not an array', { scenario: 'light', symbols: 'BTCUSD' }, 'INVALID_FIELD', 'symbols'],
    ['unknown symbol', { scenario: 'light', symbols: ['DOGEUSD'] }, 'UNKNOWN_SYMBOL', 'symbols'],
    ['ramps longer than the test', { scenario: 'light', duration: '10s', ramp_up: '6s', ramp_down: '6s' }, 'OUT_OF_RANGE', 'ramp_up'],
    ['unknown field', { scenario: 'light', orders_per_sec: 25 }, 'UNKNOWN_FIELD', 'orders_per_sec'],
  ];
  it.each(cases)('%s -> 400 %s (%s)', (_n, body, code, field) => {
    try {
      validateLoadTest(body, SYMS);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toMatchObject({ status: 400, code, field });
    }
  });
});

describe('demo routes over HTTP: errors have the {error, code, field} shape', () => {
  let app: DemoApp;
  beforeAll(async () => {
    app = await startDemoApp('ws://127.0.0.1:1/ws/v1');
  });
  afterAll(async () => {
    await app.close();
  });

  it('400 on invalid JSON, non-object bodies and bad fields', async () => {
    let r = await call(app.base, 'POST', '/demo/load-test', '{nope');
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'INVALID_JSON' });
    expect(typeof r.json.error).toBe('string');
    r = await call(app.base, 'POST', '/demo/load-test', '[1]');
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('BODY_NOT_OBJECT');
    r = await call(app.base, 'POST', '/demo/load-test', { scenario: 'light', orders_per_second: -1 });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'OUT_OF_RANGE', field: 'orders_per_second' });
  });

  it('idle: status says not running, results 404, stop 409', async () => {
    const s = await call(app.base, 'GET', '/demo/load-test/status');
    expect(s.status).toBe(200);
    expect(s.json).toMatchObject({ is_running: false, phase: 'idle' });
    const r = await call(app.base, 'GET', '/demo/load-test/results');
    expect(r.status).toBe(404);
    expect(r.json.code).toBe('NO_RESULTS');
    const st = await call(app.base, 'POST', '/demo/load-test/stop');
    expect(st.status).toBe(409);
    expect(st.json.code).toBe('NO_LOAD_TEST_RUNNING');
  });
});
