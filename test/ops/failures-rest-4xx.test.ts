// REST order requests answered 4xx are failure records too (admin/failures.ts recordHttp,
// routes.ts): the HttpError's status, code, field and message, the symbol when the body
// named a known one; each error once; the CLI shows them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from '../server/helpers/server.js';
import { ops } from './helpers.js';

describe('REST 4xx order requests in the failure ring', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '1', SIMULATION_ENABLED: 'false', CIRCUIT_BREAKER_ENABLED: 'false' });
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('records off-tick, unknown symbol, bad JSON, unknown order and a bad amend, once each', async () => {
    // 0.00015 BTC: not a multiple of the 0.0001 lot.
    const offTick = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', price: 50000, quantity: '0.00015' });
    expect(offTick.status).toBe(400);
    const lot = offTick.body.code as string;
    const unknown = await api(srv.base, 'POST', '/api/orders', { symbol: 'DOGEUSD', side: 'buy', type: 'limit', price: 1, quantity: 1 });
    expect(unknown.status).toBe(404);
    const badJson = await fetch(`${srv.base}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"symbol":' });
    expect(badJson.status).toBe(400);
    const badJsonBody = (await badJson.json()) as { code: string };
    const del = await api(srv.base, 'DELETE', '/api/orders/01ZZZZZZZZZZZZZZZZZZZZZZZZ');
    expect(del.status).toBe(404);
    const ok = await api(srv.base, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'buy', type: 'limit', price: 3000, quantity: 1 });
    expect(ok.status).toBe(201);
    const amend = await api(srv.base, 'PATCH', `/api/orders/${ok.body.order_id}`, { price: 'abc' });
    expect(amend.status).toBe(400);

    const r = await api(srv.base, 'GET', '/admin/errors/recent?limit=20');
    expect(r.status).toBe(200);
    const f = r.body.failures as any[];
    expect(f.map((x) => [x.origin, x.op, x.symbol, x.http_status, x.reason_name])).toEqual([
      ['rest', 'amend', null, 400, amend.body.code],
      ['rest', 'cancel', null, 404, del.body.code],
      ['rest', 'new', null, 400, badJsonBody.code],
      ['rest', 'new', null, 404, 'UNKNOWN_SYMBOL'],
      ['rest', 'new', 'BTCUSD', 400, lot],
    ]);
    expect(f[4]).toMatchObject({ kind: 'reject', reason: null, field: 'quantity', reason_text: offTick.body.error });
    expect(r.body.recorded_total).toBe(5);
    expect(r.body.totals_since_start).toMatchObject({ [lot]: 1, UNKNOWN_SYMBOL: 1 });
    const by = r.body.summary.by_reason as any[];
    expect(by).toContainEqual({ reason: null, reason_name: lot, http_status: 400, count: 1 });

    const cli = await ops(['investigate-failures', '--limit', '5', '--url', srv.base]);
    expect(cli.code).toBe(0);
    expect(cli.out).toMatch(new RegExp(`HTTP 400\\s+${lot}\\s+field quantity`));
    expect(cli.out).toContain(`${lot} (HTTP 400)`);
  });
});
