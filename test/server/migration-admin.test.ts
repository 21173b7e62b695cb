// Seed 004's /admin/migration/* on the real server (worker shards and SHARD_MODE=inline),
// driven like the operators' runbook: status (nothing migrating), percentage 10 -> orders ->
// 100 -> orders -> status shows cut_over on the other engine; a second pair shadowing is
// rolled back by emergency-stop; the test-only divergence fault trips the breaker (orders
// still answered, warn line, mismatch recorded); bad input 400/404/409; 0% moves a cut-over
// pair back. The shard's figures (commands compared, served by the target) must match the
// orders this test sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from './helpers/server.js';
import { loadNativeEngine } from '../../src/engine/native.js';

const NATIVE = loadNativeEngine().ok;
/** pino level: the server logs names ("WARN"); numbers (40) elsewhere. */
const isWarn = (l: Record<string, unknown>) => l.level === 40 || String(l.level).toUpperCase() === 'WARN';
const VERIFY = 20;

interface Row {
  pair: string; shard: number; state: string; engine: string; source_engine: string | null; target_engine: string | null;
  current_percentage: number; target_percentage: number; commands_compared: number; mismatches: number;
  commands_served_by_target: number; verified_commands: number; shadow_engine_ns_per_command: number | null;
  extra_ns_per_command: number | null; started_at: string | null; cut_over_at: string | null;
  last_mismatch: { injected: boolean; source_event_hex: string; target_event_hex: string; command_index: number } | null;
  migration_supported: boolean | null;
}

describe.each(['worker', 'inline'])('admin migration routes (SHARD_MODE=%s)', (mode) => {
  let srv: TestServer;
  let engine = '';
  let other = '';
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '2', SHARD_MODE: mode, ENGINE: 'auto', MIGRATION_VERIFY_COMMANDS: String(VERIFY), SIMEX_TEST_ROUTES: 'true' });
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
  });

  const status = async (): Promise<Row[]> => {
    const s = await api(srv.base, 'GET', '/admin/migration/status');
    expect(s.status).toBe(200);
    return s.body as Row[];
  };
  const row = async (pair: string) => (await status()).find((r) => r.pair === pair)!;
  const pct = (pair: string, percentage: number, extra: Record<string, unknown> = {}) =>
    api(srv.base, 'POST', '/admin/migration/percentage', { pair, percentage, ...extra });
  /** `n` orders on `symbol`, alternating resting sells and crossing buys: every command of
   *  the pair, with trades. Returns how many were accepted (201). */
  const orders = async (symbol: string, n: number, price: number, qty: number): Promise<number> => {
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const side = i % 2 === 0 ? 'sell' : 'buy';
      const o = await api(srv.base, 'POST', '/api/orders', { symbol, side, type: 'limit', quantity: qty, price });
      if (o.status === 201) ok++;
    }
    return ok;
  };

  it('status: one row per pair with the engine of its shard, nothing migrating', async () => {
    const rows = await status();
    const health = await api(srv.base, 'GET', '/health');
    const symbols = (await api(srv.base, 'GET', '/api/symbols')).body.symbols as { symbol: string; shard: number }[];
    expect(rows.map((r) => r.pair)).toEqual(symbols.map((x) => x.symbol));
    for (const r of rows) {
      expect(r.current_percentage).toBe(0);
      expect(r.state).toBe('not_migrating');
      expect(['native', 'ts']).toContain(r.engine);
      expect(r.shard).toBe(symbols.find((x) => x.symbol === r.pair)!.shard);
      expect(r.commands_compared).toBe(0);
    }
    engine = rows[0]!.engine;
    other = engine === 'native' ? 'ts' : 'native';
    expect(JSON.stringify(health.body)).toContain(engine);
    expect(rows.filter((r) => r.current_percentage > 0)).toEqual([]);
    const sum = await api(srv.base, 'GET', '/admin/migration/summary');
    expect(sum.body).toMatchObject({ pairs: symbols.length, active_migrations: 0, completed_migrations: 0, verify_commands_default: VERIFY });
    expect(Object.values(sum.body.engines as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(symbols.length);
  });

  it('bad input is 400 with the field, unknown pair 404, complete without a migration 409', async () => {
    expect((await pct('all', 101)).body).toMatchObject({ code: 'INVALID_PARAMETER', field: 'percentage' });
    expect((await pct('all', -1)).status).toBe(400);
    expect((await api(srv.base, 'POST', '/admin/migration/percentage', { percentage: 0 })).body)
      .toMatchObject({ code: 'INVALID_PARAMETER', field: 'pair' });
    expect((await pct('BTCUSD', 10, { verify_commands: 1.5 })).body).toMatchObject({ code: 'INVALID_PARAMETER', field: 'verify_commands' });
    expect((await api(srv.base, 'POST', '/admin/migration/percentage', 'not json')).status).toBe(400);
    const unknown = await pct('DOGEUSD', 10);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'UNKNOWN_SYMBOL', field: 'pair' });
    const c = await api(srv.base, 'POST', '/admin/migration/complete', { pair: 'BTCUSD' });
    expect(c.status).toBe(409);
    expect(c.body.code).toBe('NOT_SHADOWING');
    const zero = await pct('all', 0);
    expect(zero.status).toBe(200);
    expect(zero.body).toMatchObject({ changed: false });
    expect(zero.body.pairs).toHaveLength(3);
    expect((await row('BTCUSD')).state).toBe('not_migrating');
  });

  it.skipIf(!NATIVE)('runbook ramp: 10% -> orders -> 100% -> cut_over on the other engine; the book keeps trading', async () => {
    const up = await pct('BTCUSDT', 10);
    expect(up.status).toBe(200);
    expect(up.body.pairs).toHaveLength(1);
    expect(up.body.pairs[0]).toMatchObject({ pair: 'BTCUSD', state: 'shadowing', current_percentage: 10, source_engine: engine, target_engine: other, engine });
    expect(up.body.changed).toBe(true);
    expect(await orders('BTCUSD', 10, 40000, 0.01)).toBe(10);
    let r = await row('BTCUSD');
    expect(r).toMatchObject({ state: 'shadowing', commands_compared: 10, mismatches: 0, commands_served_by_target: 1 });
    expect(r.shadow_engine_ns_per_command).toBeGreaterThan(0);
    expect(r.extra_ns_per_command).toBeGreaterThan(0);
    expect(typeof r.started_at).toBe('string');
    // the runbook's "Active Migrations" filter sees it
    expect((await status()).filter((x) => x.current_percentage > 0).map((x) => x.pair)).toEqual(['BTCUSD']);
    expect((await pct('BTCUSD', 100)).body.pairs[0]).toMatchObject({ state: 'shadowing', current_percentage: 100 });
    expect(await orders('BTCUSD', VERIFY, 40000, 0.01)).toBe(VERIFY);
    r = await row('BTCUSD');
    expect(r).toMatchObject({ state: 'cut_over', engine: other, current_percentage: 100, mismatches: 0, commands_compared: 10 + VERIFY });
    expect(r.commands_served_by_target).toBe(1 + VERIFY);
    expect(typeof r.cut_over_at).toBe('string');
    await srv.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('BTCUSD cut over'));
    // /health names the pair's engine now that it differs from its shard's
    const hs = (await api(srv.base, 'GET', '/health')).body.shards as { symbols: string[]; engine: string; pair_engines?: Record<string, string> }[];
    const sh = hs.find((x) => x.symbols.includes('BTCUSD'))!;
    expect(sh.engine).toBe(engine);
    expect(sh.pair_engines).toEqual({ BTCUSD: other });
    // trading on the new engine: a resting sell and a crossing buy trade
    const s = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'sell', type: 'limit', quantity: 0.02, price: 40010 });
    expect(s.status).toBe(201);
    const b = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: 0.02, price: 40010 });
    expect(b.status).toBe(201);
    expect(b.body.status).toBe('filled');
    expect((await row('BTCUSD')).commands_compared).toBe(10 + VERIFY); // no shadow after cut-over
    const sum = (await api(srv.base, 'GET', '/admin/migration/summary')).body;
    expect(sum).toMatchObject({ completed_migrations: 1, active_migrations: 0, migration_supported: true });
    expect(sum.engines[other]).toBeGreaterThanOrEqual(1);
    // 1-99% on a completed migration is refused with the reason
    const mid = await pct('BTCUSD', 50);
    expect(mid.status).toBe(409);
    expect(mid.body).toMatchObject({ code: 'MIGRATION_COMPLETED', field: 'percentage' });
  });

  it.skipIf(!NATIVE)('emergency-stop rolls a shadowing pair back to 0%; the cut-over pair stays', async () => {
    expect((await pct('ETHUSD', 50)).body.pairs[0]).toMatchObject({ state: 'shadowing', current_percentage: 50 });
    expect(await orders('ETHUSD', 4, 3000, 0.1)).toBe(4);
    expect((await row('ETHUSD')).commands_compared).toBe(4);
    const stop = await api(srv.base, 'POST', '/admin/migration/emergency-stop');
    expect(stop.status).toBe(200);
    expect(stop.body).toMatchObject({ action: 'emergency-stop', stopped: 1, rolled_back: ['ETHUSD'], active_migrations: 0, completed_migrations: 1 });
    await srv.waitForLog((l) => isWarn(l) && typeof l.msg === 'string' && l.msg.includes('emergency stop: rolled back ETHUSD'));
    const eth = await row('ETHUSD');
    expect(eth).toMatchObject({ state: 'rolled_back', current_percentage: 0, engine, commands_compared: 4 });
    expect((await row('BTCUSD')).state).toBe('cut_over');
    expect(await orders('ETHUSD', 2, 3000, 0.1)).toBe(2);
    expect((await row('ETHUSD')).commands_compared).toBe(4);
    const again = await api(srv.base, 'POST', '/admin/migration/stop-all');
    expect(again.body).toMatchObject({ stopped: 0, active_migrations: 0 });
  });

  it.skipIf(!NATIVE)('a forced divergence trips the breaker: orders still answered, warn line, mismatch recorded', async () => {
    const notYet = await api(srv.base, 'POST', '/admin/test/migration/fault', { pair: 'ETHUSD' });
    expect(notYet.status).toBe(409);
    expect((await pct('ETHUSD', 100, { verify_commands: 1_000_000 })).body.pairs[0].state).toBe('shadowing');
    expect(await orders('ETHUSD', 2, 3000, 0.1)).toBe(2);
    const f = await api(srv.base, 'POST', '/admin/test/migration/fault', { pair: 'ETHUSD' });
    expect(f.status).toBe(202);
    expect(f.body.fault_armed).toBe(true);
    const o = await api(srv.base, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'sell', type: 'limit', quantity: 0.1, price: 3001 });
    expect(o.status).toBe(201);
    expect(o.body.symbol).toBe('ETHUSD');
    const warn = await srv.waitForLog((l) => isWarn(l) && typeof l.msg === 'string' && l.msg.includes('Migration mismatch on ETHUSD'));
    expect(warn.injected).toBe(true);
    const eth = await row('ETHUSD');
    expect(eth).toMatchObject({ state: 'rolled_back', current_percentage: 0, target_percentage: 100, mismatches: 1, engine });
    expect(eth.last_mismatch).toMatchObject({ injected: true, command_index: 2 });
    expect(eth.last_mismatch!.source_event_hex).not.toBe(eth.last_mismatch!.target_event_hex);
    expect((await api(srv.base, 'GET', '/admin/migration/summary')).body.mismatches_total).toBe(1);
    // Prometheus: the shards' reports (worker: the ~1 s metrics message) reach /metrics
    const want = [/^simex_migration_mismatches\{pair="ETHUSD"\} 1$/m, /^simex_migration_state\{pair="BTCUSD",state="cut_over"\} 1$/m,
      /^simex_migration_state\{pair="ETHUSD",state="rolled_back"\} 1$/m, /^simex_migration_percentage\{pair="BTCUSD"\} 100$/m];
    let prom = '';
    for (let i = 0; i < 50 && !want.every((re) => re.test(prom)); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      prom = (await api(srv.base, 'GET', '/metrics')).body as string;
    }
    for (const re of want) expect(prom).toMatch(re);
    // the in-process twin of ops/prometheus's SimexMigrationMismatch fires for ETHUSD only
    const al = await api(srv.base, 'GET', '/admin/alerts/active');
    const mm = (al.body.alerts as { name: string; labels?: { pair?: string } }[]).filter((a) => a.name === 'SimexMigrationMismatch');
    expect(mm.map((a) => a.labels?.pair)).toEqual(['ETHUSD']);
    // the book answers normally afterwards (the source engine served it throughout)
    const b = await api(srv.base, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'buy', type: 'limit', quantity: 0.1, price: 3001 });
    expect(b.status).toBe(201);
    expect(b.body.status).toBe('filled');
  });

  it.skipIf(!NATIVE)('percentage 0 moves a cut-over pair back to its original engine', async () => {
    const back = await pct('BTCUSD', 0);
    expect(back.status).toBe(200);
    expect(back.body.pairs[0]).toMatchObject({ state: 'rolled_back', engine, current_percentage: 0 });
    const s = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'sell', type: 'limit', quantity: 0.03, price: 40020 });
    const b = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: 0.03, price: 40020 });
    expect([s.status, b.status]).toEqual([201, 201]);
    expect(b.body.status).toBe('filled');
    const book = await api(srv.base, 'GET', '/api/orderbook/BTCUSD?depth=5');
    expect(book.status).toBe(200);
  });
});
