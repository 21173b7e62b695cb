// The chaos flag file (seed 002's `touch chaos.flag` / `rm chaos.flag`): while the file exists
// NEW orders are rejected CHAOS_INJECTED (128) on REST and binary at the file's error_rate;
// rewriting it changes the settings; removing it stops the rejects. /health, /metrics, the log
// and `simex ops investigate-failures` / `status` show it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient, Side } from '../../src/client/index.js';
import { EdgeReason } from '../../src/protocol/reasons.js';
import { api, startTestServer, type TestServer } from '../server/helpers/server.js';
import { ops, until } from './helpers.js';

const order = { symbol: 'ETHUSD', side: 'buy', type: 'limit', price: 3000, quantity: 1 };

describe('chaos flag file', () => {
  let srv: TestServer;
  let a: SimexClient;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'simex-flag-'));
  const flag = path.join(dir, 'chaos.flag');
  const flagState = async () => (await api(srv.base, 'GET', '/health')).body.chaos.flag;
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '1', CIRCUIT_BREAKER_ENABLED: 'false', CHAOS_FLAG_FILE: flag });
    a = await SimexClient.connect(srv.wsUrl, { account: 3 });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('absent file: chaos off, orders accepted', async () => {
    const h = (await api(srv.base, 'GET', '/health')).body;
    expect(h.services.chaos).toBe('inactive');
    expect(h.chaos.flag).toMatchObject({ flag_file: flag, active: false });
    expect((await api(srv.base, 'POST', '/api/orders', order)).status).toBe(201);
  });

  it('file with error_rate=1: every NEW order rejected 128 on REST and binary, visible everywhere', async () => {
    writeFileSync(flag, 'error_rate=1  # everything fails\n');
    await until('chaos on', async () => (await flagState()).active);
    expect((await flagState()).settings).toMatchObject({ error_rate: 1, latency_ms: 0 });
    const r = await api(srv.base, 'POST', '/api/orders', order);
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('CHAOS_INJECTED');
    const eth = a.instrument('ETHUSD');
    const b = await a.newOrder({ instrument: eth.instrument, side: Side.BUY, price: a.price(eth, '3000'), qty: a.qty(eth, '1') });
    expect(b).toMatchObject({ status: 'rejected', reason: EdgeReason.CHAOS_INJECTED });
    const h = (await api(srv.base, 'GET', '/health')).body;
    expect(h.services.chaos).toBe('active');
    expect(h.chaos.injector_rules).toContain('flag-errors');
    const prom = await (await fetch(`${srv.base}/metrics`)).text();
    expect(prom).toMatch(/^simex_chaos_flag_active 1$/m);
    expect(prom).toMatch(/^simex_chaos_injector_armed 1$/m);
    const inv = (await ops(['investigate-failures', '--limit', '5', '--json', '--url', srv.base])).json();
    expect(inv.failures.slice(0, 2).map((f: any) => [f.origin, f.reason_name])).toEqual([['binary', 'CHAOS_INJECTED'], ['rest', 'CHAOS_INJECTED']]);
    expect(inv.recorded_total).toBe(2);
    const st = await ops(['status', '--url', srv.base]);
    expect(st.out).toMatch(/chaos:\s+ACTIVE \(flag file .*chaos\.flag: error_rate=1 latency_ms=0\)/);
    await srv.waitForLog((l) => l.msg === 'Chaos mode ON (flag file present)' && l.error_rate === 1);
  });

  it('rewritten file: new settings apply (error_rate=0 with latency: orders accepted again)', async () => {
    writeFileSync(flag, 'error_rate=0\nlatency_ms=5 jitter_ms=1\n');
    await until('settings changed', async () => (await flagState()).settings?.latency_ms === 5);
    expect((await flagState()).settings).toMatchObject({ error_rate: 0, latency_ms: 5, jitter_ms: 1, latency_rate: 1 });
    const h = (await api(srv.base, 'GET', '/health')).body;
    expect(h.chaos.injector_rules).toEqual(['flag-latency']);
    expect((await api(srv.base, 'POST', '/api/orders', order)).status).toBe(201);
  });

  it('removed file: chaos off, rules gone, rejects stop', async () => {
    writeFileSync(flag, 'error_rate=1');
    await until('error rule back', async () => (await flagState()).settings?.error_rate === 1);
    expect((await api(srv.base, 'POST', '/api/orders', order)).status).toBe(503);
    rmSync(flag);
    await until('chaos off', async () => !(await flagState()).active);
    const h = (await api(srv.base, 'GET', '/health')).body;
    expect(h.services.chaos).toBe('inactive');
    expect(h.chaos.injector_armed).toBe(false);
    const before = (await api(srv.base, 'GET', '/admin/errors/recent')).body.recorded_total;
    for (let i = 0; i < 5; i++) expect((await api(srv.base, 'POST', '/api/orders', order)).status).toBe(201);
    expect((await api(srv.base, 'GET', '/admin/errors/recent')).body.recorded_total).toBe(before);
    expect(await (await fetch(`${srv.base}/metrics`)).text()).toMatch(/^simex_chaos_flag_active 0$/m);
    await srv.waitForLog((l) => l.msg === 'Chaos mode OFF' && l.reason === 'flag file removed');
  });
});
