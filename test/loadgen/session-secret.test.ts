// `simex loadgen --secret S` / SIMEX_SESSION_SECRET: against a server with SESSION_KEYS_FILE
// every TS-transport connection (account ownerBase + i) signs its LOGIN and trades; without
// the secret each is refused (BAD_CREDENTIALS 133); the native engine (C) logs in with one-time
// credentials the parent computes (ORDERGEN_LOGIN_AUTH), never seeing the secret; the
// server's load-test demo signs with an ephemeral secret the server gives its accounts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoadgen } from '../../src/loadgen/runner.js';
import { parseLoadgenArgs } from '../../src/loadgen/cli.js';
import { loginCredentials, startNativeLoadgen } from '../../src/loadgen/native.js';
import { secretKey, verifyLoginMac } from '../../src/protocol/auth.js';
import { DEFAULT_OPTIONS } from '../../src/loadgen/types.js';
import { startTestServer, type TestServer } from '../server/helpers/server.js';
import { writeKeysFile } from '../server/helpers/session-auth.js';
import { call, waitFor } from './fixtures/demo-app.js';

const SECRET = 'loadgen-secret-'.padEnd(44, 'z');

describe('loadgen session secret', () => {
  let srv: TestServer;
  beforeAll(async () => {
    const keys: Record<string, string> = {};
    for (let i = 0; i < 4; i++) keys[String(DEFAULT_OPTIONS.ownerBase + i)] = SECRET;
    for (let i = 0; i < 2; i++) keys[String(700 + i)] = SECRET; // --account-base 700
    const file = writeKeysFile(keys);
    srv = await startTestServer({ SHARDS: '1', SHARD_MODE: 'inline', SIMULATION_ENABLED: 'false', SESSION_KEYS_FILE: file });
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it.each([0, 1])('with --secret (threads %i) every connection logs in and orders are answered', async (threads) => {
    const { report } = await runLoadgen({
      ...DEFAULT_OPTIONS, url: srv.wsUrl, rate: 200, durationSec: 0.5, connections: 3, threads, drainMs: 3000, secret: SECRET,
    });
    expect(report.connections).toBe(3);
    expect(report.connect_failures).toBe(0);
    expect(report.counters.sent).toBeGreaterThan(0);
    expect(report.counters.acked).toBe(report.counters.sent);
    expect(JSON.stringify(report)).not.toContain(SECRET);
  }, 30_000);

  it('--account-base N: connection i logs in as account N + i (the file lists 700, 701 only)', async () => {
    const run = async (base: number) => (await runLoadgen({
      ...parseLoadgenArgs(['--account-base', String(base), '--connections', '2', '--secret', SECRET]).opts,
      url: srv.wsUrl, rate: 100, durationSec: 0.3, threads: 0, drainMs: 3000,
    })).report;
    const ok = await run(700);
    expect([ok.connections, ok.connect_failures]).toEqual([2, 0]);
    expect(ok.counters.acked).toBe(ok.counters.sent);
    const off = await run(701); // 701 is listed, 702 is not
    expect([off.connections, off.connect_failures]).toEqual([1, 1]);
  }, 30_000);

  it('without it every connection is refused BAD_CREDENTIALS (133)', async () => {
    let first = '';
    const { report } = await runLoadgen({ ...DEFAULT_OPTIONS, url: srv.wsUrl, rate: 10, durationSec: 0.2, connections: 2, threads: 0 }, {
      onReady: (_ok, _failed, e) => { first = e ?? ''; },
    });
    expect(report.connections).toBe(0);
    expect(report.connect_failures).toBe(2);
    expect(first).toMatch(/login rejected, reason 133/);
  }, 30_000);

  it('native engine: every connection logs in with its one-time credential and trades', async () => {
    const opts = { ...DEFAULT_OPTIONS, url: srv.wsUrl, rate: 200, durationSec: 0.5, connections: 3, drainMs: 3000, secret: SECRET };
    const creds = loginCredentials(opts, SECRET).split(',');
    expect(creds).toHaveLength(3);
    creds.forEach((c, i) => {
      const [ts, hex] = c.split(':');
      expect(verifyLoginMac(secretKey(SECRET), 0, DEFAULT_OPTIONS.ownerBase + i, Number(ts), Buffer.from(hex!, 'hex'))).toBe(true);
    });
    const { report } = await startNativeLoadgen(opts).done;
    expect([report.connections, report.connect_failures]).toEqual([3, 0]);
    expect(report.counters.sent).toBeGreaterThan(0);
    expect(report.counters.acked).toBe(report.counters.sent);
    const unsigned = await startNativeLoadgen({ ...opts, secret: undefined }).done.then(() => 'ran', (e: unknown) => String(e));
    expect(unsigned).toMatch(/reason 133/);
  }, 60_000);

  it('CLI: --secret and SIMEX_SESSION_SECRET set opts.secret, for both engines', () => {
    expect(parseLoadgenArgs(['--secret', SECRET]).opts.secret).toBe(SECRET);
    expect(parseLoadgenArgs([]).opts.secret).toBeUndefined();
    const prev = process.env.SIMEX_SESSION_SECRET;
    process.env.SIMEX_SESSION_SECRET = 'from-env';
    try {
      expect(parseLoadgenArgs([]).opts.secret).toBe('from-env');
      expect(parseLoadgenArgs(['--secret', 'flag-wins']).opts.secret).toBe('flag-wins');
      expect(parseLoadgenArgs(['--native']).opts.secret).toBe('from-env');
    } finally {
      if (prev === undefined) delete process.env.SIMEX_SESSION_SECRET;
      else process.env.SIMEX_SESSION_SECRET = prev;
    }
    expect(parseLoadgenArgs(['--native', '--secret', SECRET]).engine).toBe('native');
  });
});

describe('load-test demo under session authentication', () => {
  it('the demo generator signs with the server\'s ephemeral secret and completes', async () => {
    const file = writeKeysFile({ 7: 'q'.repeat(32) });
    const srv = await startTestServer({ SHARDS: '1', SIMULATION_ENABLED: 'false', SESSION_KEYS_FILE: file });
    try {
      const start = await call(srv.base, 'POST', '/demo/load-test', { scenario: 'light', duration: '2s', orders_per_second: 25, concurrent_users: 5 });
      expect(start.status).toBe(202);
      const done = await waitFor(async () => {
        const s = await call(srv.base, 'GET', '/demo/load-test/status');
        return s.json.is_running === false && s.json.test_id === start.json.test_id ? s.json : null;
      }, 30_000);
      expect(done.phase).toBe('completed');
      const res = await call(srv.base, 'GET', '/demo/load-test/results');
      expect(res.json.generator.connections).toBe(5);
      expect(res.json.summary.total_orders).toBe(50);
      expect(srv.logs().filter((l) => l.msg === 'Login refused: BAD_CREDENTIALS')).toEqual([]);
    } finally {
      await srv.stop();
    }
  }, 60_000);
});
