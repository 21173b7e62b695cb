// Server shutdown (SIGTERM) while one pair shadows and another is cut over to the other
// engine, with orders and a migration request still in flight: the shards finish through
// the routed path, every shard logs "Shard stopped" with its command count, exit code 0.
import { describe, expect, it } from 'vitest';
import { api, startTestServer } from './helpers/server.js';
import { loadNativeEngine } from '../../src/engine/native.js';

describe.skipIf(!loadNativeEngine().ok).each(['worker', 'inline'])('shutdown during a migration (SHARD_MODE=%s)', (mode) => {
  it('finishes the routed shards and exits 0', async () => {
    const srv = await startTestServer({ SHARDS: '2', SHARD_MODE: mode });
    try {
      expect((await api(srv.base, 'POST', '/admin/migration/percentage', { pair: 'BTCUSD', percentage: 50, verify_commands: 1e6 })).body.pairs[0].state).toBe('shadowing');
      expect((await api(srv.base, 'POST', '/admin/migration/percentage', { pair: 'ETHUSD', percentage: 100, verify_commands: 0 })).body.pairs[0].state).toBe('cut_over');
      for (let i = 0; i < 10; i++) {
        expect((await api(srv.base, 'POST', '/api/orders', { symbol: i % 2 ? 'BTCUSD' : 'ETHUSD', side: 'sell', type: 'limit', quantity: 0.01, price: i % 2 ? 40000 : 3000 })).status).toBe(201);
      }
      const inflight: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) {
        inflight.push(api(srv.base, 'POST', '/api/orders', { symbol: i % 2 ? 'BTCUSD' : 'ETHUSD', side: 'buy', type: 'limit', quantity: 0.01, price: i % 2 ? 40000 : 3000 }).catch(() => null));
      }
      inflight.push(api(srv.base, 'GET', '/admin/migration/status').catch(() => null));
      const res = await srv.stop('SIGTERM');
      await Promise.all(inflight);
      expect(res.code).toBe(0);
      const stopped = srv.logs().filter((l) => l.msg === 'Shard stopped');
      expect(stopped.map((l) => l.shard).sort()).toEqual([0, 1]);
      expect(stopped.every((l) => typeof l.commands === 'number' && l.commands >= 5)).toBe(true);
      expect(srv.logs().filter((l) => typeof l.msg === 'string' && /fatal|is down/.test(l.msg))).toEqual([]);
    } finally {
      await srv.stop();
    }
  }, 60_000);
});
