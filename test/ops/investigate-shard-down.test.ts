// A shard death is a failure record (kind shard_down, the shard, commands failed with it); the
// orders refused afterwards are recorded too (REST: refused at submit, binary: REJECTED 114);
// investigate-failures names the shard that is down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient, Side } from '../../src/client/index.js';
import { EdgeReason } from '../../src/protocol/reasons.js';
import { api, startTestServer, type TestServer } from '../server/helpers/server.js';
import { ops, until } from './helpers.js';

describe('investigate-failures after a shard crash', () => {
  let srv: TestServer;
  let a: SimexClient;
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '2', SIMEX_TEST_ROUTES: 'true', CIRCUIT_BREAKER_ENABLED: 'false' });
    a = await SimexClient.connect(srv.wsUrl, { account: 4 });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await srv?.stop();
  });

  it('records the death and the refused orders', async () => {
    const syms = (await api(srv.base, 'GET', '/api/symbols')).body.symbols as { symbol: string; shard: number }[];
    const sym = syms.find((s) => s.shard === 1)!.symbol;
    expect((await api(srv.base, 'POST', '/admin/test/shards/1/crash?how=throw')).status).toBeLessThan(300);
    await until('shard 1 down', async () => (await api(srv.base, 'GET', '/health')).body.shards[1].state !== 'up');
    const r = await api(srv.base, 'POST', '/api/orders', { symbol: sym, side: 'buy', type: 'limit', price: sym === 'ETHUSD' ? 3000 : 1, quantity: sym === 'ETHUSD' ? 1 : 10 });
    expect(r.body.code).toBe('SHARD_UNAVAILABLE');
    const inst = a.instrument(sym);
    const b = await a.newOrder({ instrument: inst.instrument, side: Side.SELL, price: a.price(inst, sym === 'ETHUSD' ? '3100' : '2'), qty: a.qty(inst, '10') });
    expect(b.reason).toBe(EdgeReason.SHARD_UNAVAILABLE);

    const j = (await ops(['investigate-failures', '--json', '--url', srv.base])).json();
    const f = j.failures as any[];
    expect(f.map((x) => [x.kind, x.origin, x.reason_name])).toEqual([
      ['reject', 'binary', 'SHARD_UNAVAILABLE'],
      ['reject', 'rest', 'SHARD_UNAVAILABLE'],
      ['shard_down', 'server', 'SHARD_UNAVAILABLE'],
    ]);
    expect(f[1].symbol).toBe(sym);
    expect(f[2]).toMatchObject({ shard: 1, failed_commands: 0 });
    expect(j.shards_down.map((s: any) => s.id)).toEqual([1]);
    const t = await ops(['investigate-failures', '--url', srv.base]);
    expect(t.out).toMatch(/shard_down\s+server\s+other\s+\S+\s+114\s+SHARD_UNAVAILABLE\s+shard 1 down, 0 in-flight commands failed/);
    expect(t.out).toMatch(new RegExp(`Shard 1 down since \\d{4}-.*symbols .*${sym}`));
  });
});
