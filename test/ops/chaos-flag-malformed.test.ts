// A malformed chaos flag file never crashes the server: it is logged and the defaults are used
// (chaos still on, because the file exists). parseChaosFlag's accepted and refused inputs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLAG_DEFAULTS, parseChaosFlag } from '../../src/server/chaos/flag-file.js';
import { api, startTestServer, type TestServer } from '../server/helpers/server.js';
import { ops, until } from './helpers.js';

const SYMS = ['BTCUSD', 'ETHUSD', 'ADAUSD'];

describe('parseChaosFlag', () => {
  it('empty file: defaults', () => {
    expect(parseChaosFlag('', SYMS)).toEqual({ settings: { ...FLAG_DEFAULTS }, error: null });
    expect(parseChaosFlag('\n  # nothing\n', SYMS).error).toBeNull();
  });
  it('settings separated by spaces, commas, newlines; symbols list', () => {
    const r = parseChaosFlag('error_rate=0.3 latency_ms=50\njitter_ms=5, latency_rate=0.5\nsymbols=btcusd,ETHUSD', SYMS);
    expect(r.error).toBeNull();
    expect(r.settings).toEqual({ errorRate: 0.3, latencyMs: 50, jitterMs: 5, latencyRate: 0.5, symbols: ['BTCUSD', 'ETHUSD'] });
  });
  it.each([
    ['error_rate=banana', /not a number/],
    ['error_rate=1.5', /outside 0\.\.1/],
    ['latency_ms=99999', /outside 0\.\.5000/],
    ['boom=1', /unknown key "boom"/],
    ['error_rate', /expected key=value/],
    ['symbols=XYZ', /unknown symbol "XYZ"/],
    ['error_rate=0.5 latency_ms=', /not a number/],
  ])('%s -> defaults for the whole file, error named', (text, err) => {
    const r = parseChaosFlag(text, SYMS);
    expect(r.error).toMatch(err);
    expect(r.settings).toEqual({ ...FLAG_DEFAULTS });
  });
});

describe('malformed flag file on a real server', () => {
  let srv: TestServer;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'simex-flag-'));
  const flag = path.join(dir, 'chaos.flag');
  beforeAll(async () => {
    writeFileSync(flag, 'error_rate=lots latency_ms=50\n');
    srv = await startTestServer({ SHARDS: '1', CIRCUIT_BREAKER_ENABLED: 'false', CHAOS_FLAG_FILE: flag });
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs the problem, runs with the defaults, stays up; a binary file too', async () => {
    const f = await until('chaos on', async () => {
      const v = (await api(srv.base, 'GET', '/health')).body.chaos.flag;
      return v.active ? v : null;
    });
    expect(f.settings).toMatchObject({ error_rate: FLAG_DEFAULTS.errorRate, latency_ms: 0 });
    expect(f.config_error).toMatch(/error_rate: "lots" is not a number/);
    await srv.waitForLog((l) => l.msg === 'Chaos flag file malformed: using the defaults' && /lots/.test(String(l.problem)));
    const st = await ops(['status', '--url', srv.base]);
    expect(st.out).toMatch(/malformed, defaults: error_rate: "lots" is not a number/);
    // Garbage bytes: still no crash, still the defaults.
    writeFileSync(flag, Buffer.from([0, 255, 1, 2, 61, 61, 10]));
    await srv.waitForLog((l) => l.msg === 'Chaos flag file malformed: using the defaults' && /unknown key/.test(String(l.problem)));
    expect((await api(srv.base, 'GET', '/health')).body.chaos.flag.active).toBe(true);
    // A directory at the path: logged, defaults, no crash; removing it turns chaos off.
    rmSync(flag);
    mkdirSync(flag);
    await srv.waitForLog((l) => l.msg === 'Chaos flag file malformed: using the defaults' && l.problem === 'not a regular file');
    rmSync(flag, { recursive: true });
    await until('chaos off', async () => !(await api(srv.base, 'GET', '/health')).body.chaos.flag.active);
    const h = await api(srv.base, 'GET', '/health');
    expect(h.status).toBe(200);
    expect(srv.proc.exitCode).toBeNull();
  });
});
