// Seed 004's /admin/migration/* on the real server. Live engine migration is not implemented:
// status and summary report the engine serving each pair and 0% migrated; percentage 0 and
// the stop routes succeed with nothing to do; percentage > 0 answers 501; bad input 400/404.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from './helpers/server.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ SHARDS: '2' });
}, 60_000);
afterAll(async () => {
  await srv?.stop();
});

describe('admin migration routes', () => {
  it('status: one row per pair with the engine of its shard, nothing migrating', async () => {
    const s = await api(srv.base, 'GET', '/admin/migration/status');
    expect(s.status).toBe(200);
    expect(Array.isArray(s.body)).toBe(true);
    const health = await api(srv.base, 'GET', '/health');
    const symbols = (await api(srv.base, 'GET', '/api/symbols')).body.symbols as { symbol: string; shard: number }[];
    expect(s.body.map((r: { pair: string }) => r.pair)).toEqual(symbols.map((x) => x.symbol));
    for (const r of s.body as { pair: string; engine: string; shard: number; current_percentage: number; state: string }[]) {
      expect(r.current_percentage).toBe(0);
      expect(r.state).toBe('not_migrating');
      expect(['native', 'ts']).toContain(r.engine);
      expect(r.shard).toBe(symbols.find((x) => x.symbol === r.pair)!.shard);
    }
    expect(JSON.stringify(health.body)).toContain(s.body[0].engine);
    // the runbook's filter finds nothing in progress
    expect(s.body.filter((r: { current_percentage: number }) => r.current_percentage > 0)).toEqual([]);
    const sum = await api(srv.base, 'GET', '/admin/migration/summary');
    expect(sum.body).toMatchObject({ pairs: symbols.length, active_migrations: 0, migration_supported: false });
    expect(Object.values(sum.body.engines as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(symbols.length);
  });

  it('percentage: 0 is a no-op success, > 0 is 501, bad input is 400/404', async () => {
    const zero = await api(srv.base, 'POST', '/admin/migration/percentage', { pair: 'all', percentage: 0 });
    expect(zero.status).toBe(200);
    expect(zero.body).toMatchObject({ current_percentage: 0, changed: false });
    expect(zero.body.pairs).toHaveLength(3);
    const one = await api(srv.base, 'POST', '/admin/migration/percentage', { pair: 'BTCUSDT', percentage: 0 });
    expect(one.body.pairs.map((r: { pair: string }) => r.pair)).toEqual(['BTCUSD']);
    const up = await api(srv.base, 'POST', '/admin/migration/percentage', { pair: 'BTCUSD', percentage: 25 });
    expect(up.status).toBe(501);
    expect(up.body).toMatchObject({ code: 'MIGRATION_NOT_SUPPORTED', field: 'percentage' });
    expect((await api(srv.base, 'POST', '/admin/migration/percentage', { pair: 'all', percentage: 101 })).body)
      .toMatchObject({ code: 'INVALID_PARAMETER', field: 'percentage' });
    expect((await api(srv.base, 'POST', '/admin/migration/percentage', { percentage: 0 })).body)
      .toMatchObject({ code: 'INVALID_PARAMETER', field: 'pair' });
    const unknown = await api(srv.base, 'POST', '/admin/migration/percentage', { pair: 'DOGEUSD', percentage: 0 });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('UNKNOWN_SYMBOL');
  });

  it('emergency-stop and stop-all succeed with nothing to stop', async () => {
    for (const p of ['/admin/migration/emergency-stop', '/admin/migration/stop-all']) {
      const r = await api(srv.base, 'POST', p);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ stopped: 0, active_migrations: 0 });
    }
    // orders still trade afterwards
    const o = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: 0.01, price: 40000 });
    expect(o.status).toBe(201);
  });
});
