// A shard dies while one of its pairs shadows (worker mode, test-only crash route): status
// still answers every pair (the dead shard's rows are its last report, marked stale with
// shard_state "down"), the summary does not count the dead pair as an active migration,
// emergency-stop rolls back what runs on the live shard and answers 200 listing the dead
// shard, the live shard's pair keeps trading, and /metrics shows the dead pair shard_down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from './helpers/server.js';
import { loadNativeEngine } from '../../src/engine/native.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ SHARDS: '2', SHARD_MODE: 'worker', SIMEX_TEST_ROUTES: 'true' });
}, 60_000);
afterAll(async () => {
  await srv?.stop();
});

describe.skipIf(!loadNativeEngine().ok)('migration with a dead shard', () => {
  it('reports stale rows, rolls back the live shard, answers 200', async () => {
    // BTCUSD and ADAUSD live on shard 0, ETHUSD on shard 1 (instrument i -> shard i % 2)
    for (const pair of ['BTCUSD', 'ETHUSD']) {
      const r = await api(srv.base, 'POST', '/admin/migration/percentage', { pair, percentage: 50, verify_commands: 1_000_000 });
      expect(r.body.pairs[0].state).toBe('shadowing');
    }
    // the pool keeps each shard's last rows (from that reply and the ~1 s metrics message)
    const crash = await api(srv.base, 'POST', '/admin/test/shards/1/crash?how=exit');
    expect(crash.status).toBe(202);
    await srv.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('Shard 1 is down'));
    const rows = (await api(srv.base, 'GET', '/admin/migration/status')).body as { pair: string; state: string; stale?: boolean; shard_state?: string }[];
    expect(rows.map((r) => r.pair)).toEqual(['BTCUSD', 'ETHUSD', 'ADAUSD']);
    expect(rows[1]).toMatchObject({ pair: 'ETHUSD', state: 'shadowing', stale: true, shard_state: 'down' });
    expect(rows[0]).toMatchObject({ pair: 'BTCUSD', state: 'shadowing' });
    expect(rows[0]!.stale).toBeUndefined();
    const sum = (await api(srv.base, 'GET', '/admin/migration/summary')).body;
    expect(sum.active_migrations).toBe(1);
    expect(sum.stale_pairs).toEqual(['ETHUSD']);
    const stop = await api(srv.base, 'POST', '/admin/migration/emergency-stop');
    expect(stop.status).toBe(200);
    expect(stop.body).toMatchObject({ stopped: 1, rolled_back: ['BTCUSD'], down_shards: [1], active_migrations: 0 });
    const o = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: 0.01, price: 40000 });
    expect(o.status).toBe(201);
    // Prometheus: the dead shard's pair is shard_down at 0%, not "shadowing" from its last report
    const prom = (await api(srv.base, 'GET', '/metrics')).body as string;
    expect(prom).toMatch(/^simex_migration_state\{pair="ETHUSD",state="shard_down"\} 1$/m);
    expect(prom).toMatch(/^simex_migration_state\{pair="ETHUSD",state="shadowing"\} 0$/m);
    expect(prom).toMatch(/^simex_migration_percentage\{pair="ETHUSD"\} 0$/m);
    expect(prom).toMatch(/^simex_migration_state\{pair="BTCUSD",state="rolled_back"\} 1$/m);
  });
});
