// /admin/migration/* route surface on a server WITHOUT SIMEX_TEST_ROUTES: the divergence
// fault route does not exist (404), and a percentage request for "all" reports the pairs'
// measured current_percentage (null when they differ, e.g. one pair refused because it is
// cut over), never the requested value as if every pair had taken it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from './helpers/server.js';
import { loadNativeEngine } from '../../src/engine/native.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ SHARDS: '2', SHARD_MODE: 'inline', ENGINE: 'auto' });
}, 60_000);
afterAll(async () => {
  await srv?.stop();
});

describe('migration routes without test routes', () => {
  it('the fault route does not exist', async () => {
    const f = await api(srv.base, 'POST', '/admin/test/migration/fault', { pair: 'BTCUSD' });
    expect(f.status).toBe(404);
  });

  it.skipIf(!loadNativeEngine().ok)('percentage "all" reports the measured current_percentage', async () => {
    const cut = await api(srv.base, 'POST', '/admin/migration/percentage', { pair: 'BTCUSD', percentage: 100, verify_commands: 0 });
    expect(cut.body.pairs[0].state).toBe('cut_over');
    const all = await api(srv.base, 'POST', '/admin/migration/percentage', { pair: 'all', percentage: 40, verify_commands: 1000 });
    expect(all.status).toBe(200);
    const rows = all.body.pairs as { pair: string; current_percentage: number }[];
    expect(rows.map((r) => [r.pair, r.current_percentage])).toEqual([['BTCUSD', 100], ['ETHUSD', 40], ['ADAUSD', 40]]);
    expect(all.body.errors).toMatchObject([{ pair: 'BTCUSD', code: 'MIGRATION_COMPLETED', status: 409 }]);
    expect(all.body.current_percentage).toBeNull();
    expect(all.body.changed_pairs).toEqual(['ETHUSD', 'ADAUSD']);
    const same = await api(srv.base, 'POST', '/admin/migration/percentage', { pair: 'all', percentage: 0 });
    expect(same.body.pairs.map((r: { current_percentage: number }) => r.current_percentage)).toEqual([0, 0, 0]);
    expect(same.body.current_percentage).toBe(0);
  });
});
