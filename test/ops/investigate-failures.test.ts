// `simex ops investigate-failures` lists the real rejects the server saw, newest first, with
// reason code + name, symbol, origin: a binary order with a bad lot, a REST post-only order
// that would cross (engine reject), maintenance rejects on REST and binary (one record each:
// the binary one is not also recorded as REST), and summarises them by reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient, Side } from '../../src/client/index.js';
import { EdgeReason, RejectReason } from '../../src/protocol/reasons.js';
import { api, startTestServer, type TestServer } from '../server/helpers/server.js';
import { ops } from './helpers.js';

describe('simex ops investigate-failures', () => {
  let srv: TestServer;
  let a: SimexClient;
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '1', CIRCUIT_BREAKER_ENABLED: 'false' });
    a = await SimexClient.connect(srv.wsUrl, { account: 7 });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await srv?.stop();
  });

  it('nothing failed yet: an empty list, exit 0', async () => {
    const r = await ops(['investigate-failures', '--url', srv.base]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('none recorded');
    expect(r.out).toContain('Shards: all up');
  });

  it('lists binary and REST rejects with reason, symbol and origin', async () => {
    const btc = a.instrument('BTCUSD');
    const eth = a.instrument('ETHUSD');
    // 1. binary: quantity not a multiple of the lot (100 units).
    const bad = await a.newOrder({ instrument: btc.instrument, side: Side.BUY, price: a.price(btc, '40000'), qty: 150 });
    expect(bad.status).toBe('rejected');
    // 2. REST: a resting ask, then a post-only bid that would cross it (engine reject, 422).
    await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'sell', type: 'limit', price: 50000, quantity: 0.1 });
    const po = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', price: 50000, quantity: 0.1, post_only: true });
    expect(po.status).toBe(422);
    // 3./4. maintenance: REST 503 and binary REJECTED 130.
    await api(srv.base, 'POST', '/admin/maintenance/enable');
    const m1 = await api(srv.base, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'buy', type: 'limit', price: 3000, quantity: 1 });
    expect(m1.body.code).toBe('MAINTENANCE_MODE');
    const m2 = await a.newOrder({ instrument: eth.instrument, side: Side.SELL, price: a.price(eth, '3100'), qty: a.qty(eth, '1') });
    expect(m2.reason).toBe(EdgeReason.MAINTENANCE_MODE);
    await api(srv.base, 'POST', '/admin/maintenance/disable');

    const r = await ops(['investigate-failures', '--limit', '10', '--json', '--url', srv.base]);
    expect(r.code).toBe(0);
    const j = r.json();
    const f = j.failures as any[];
    expect(f.map((x) => [x.origin, x.symbol, x.reason_name])).toEqual([
      ['binary', 'ETHUSD', 'MAINTENANCE_MODE'],
      ['rest', 'ETHUSD', 'MAINTENANCE_MODE'],
      ['rest', 'BTCUSD', 'POST_ONLY_WOULD_CROSS'],
      ['binary', 'BTCUSD', bad.reasonName],
    ]);
    expect(f[0]).toMatchObject({ kind: 'reject', op: 'new', reason: EdgeReason.MAINTENANCE_MODE, account: 7 });
    expect(f[2]).toMatchObject({ op: 'new', reason: RejectReason.POST_ONLY_WOULD_CROSS });
    expect(f[2].order_id).toBeGreaterThan(0);
    expect(f[3].reason).toBe(bad.reason);
    expect(f[3].cl_ord_id).toBeGreaterThan(0);
    expect(j.recorded_total).toBe(4);
    expect(j.summary.by_reason).toContainEqual({ reason: EdgeReason.MAINTENANCE_MODE, reason_name: 'MAINTENANCE_MODE', count: 2 });
    expect(j.totals_since_start.MAINTENANCE_MODE).toBe(2);
    expect(j.trading_controls.maintenance).toBe(false);

    // --limit 3 (the seed's): the three newest; the table names code and reason.
    const t = await ops(['investigate-failures', '--limit', '3', '--url', srv.base]);
    expect(t.code).toBe(0);
    expect(t.out).toContain('3 shown (limit 3)');
    expect(t.out).toMatch(/reject\s+binary\s+new\s+ETHUSD\s+130\s+MAINTENANCE_MODE\s+account 7/);
    expect(t.out).toMatch(/reject\s+rest\s+new\s+BTCUSD\s+17\s+POST_ONLY_WOULD_CROSS/);
    expect(t.out).not.toMatch(new RegExp(`reject\\s+binary\\s+new\\s+BTCUSD\\s+${bad.reason}\\s+${bad.reasonName}`)); // 4th newest: beyond --limit 3
    expect(t.out).toMatch(new RegExp(`${bad.reasonName} \\(${bad.reason}\\)\\s+1`)); // still in the summary (all retained)
    expect(t.out).toMatch(/MAINTENANCE_MODE \(130\)\s+2/);
  });

  it('--since filters by age; a bad --since or --limit is a usage error', async () => {
    const r = await ops(['investigate-failures', '--since', '10m', '--json', '--url', srv.base]);
    expect(r.json().failures.length).toBe(4);
    expect((await ops(['investigate-failures', '--since', 'yesterday', '--url', srv.base])).code).toBe(2);
    expect((await ops(['investigate-failures', '--limit', '0', '--url', srv.base])).code).toBe(2);
    expect((await api(srv.base, 'GET', '/admin/errors/recent?limit=99999')).body.code).toBe('BAD_LIMIT');
    expect((await api(srv.base, 'GET', '/admin/errors/recent?since_s=-1')).body.code).toBe('BAD_SINCE');
  });
});
