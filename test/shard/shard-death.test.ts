// Shard death is detected: /health reports it (503), the log names the symbols, orders for
// them are rejected with SHARD_UNAVAILABLE (REST 503, binary REJECTED 114), other shards
// keep trading. Uses the test-only crash route (SIMEX_TEST_ROUTES=true).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient, Side } from '../../src/client/index.js';
import { EdgeReason } from '../../src/protocol/reasons.js';
import { api, startTestServer, type TestServer } from '../server/helpers/server.js';

describe('shard death', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '2', SIMEX_TEST_ROUTES: 'true', SHARD_MODE: 'worker' }); // crashes need worker threads
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('assigns symbols to shards deterministically (index % shards)', async () => {
    const r = await api(srv.base, 'GET', '/api/symbols');
    expect(r.body.symbols.map((s: { symbol: string; shard: number }) => [s.symbol, s.shard])).toEqual([
      ['BTCUSD', 0], ['ETHUSD', 1], ['ADAUSD', 0],
    ]);
    const h = await api(srv.base, 'GET', '/health');
    expect(h.body.shards.map((s: { name: string }) => s.name)).toEqual(['simex-shard-0', 'simex-shard-1']);
  });

  it('a crashed shard is reported and its symbols reject orders; others keep working', async () => {
    const c = await SimexClient.connect(srv.wsUrl, { account: 3 });
    const before = await c.newOrder({ instrument: 1, side: Side.BUY, price: 300_000, qty: 100 });
    expect(before.status).toBe('active');

    const k = await api(srv.base, 'POST', '/admin/test/shards/1/crash?how=throw');
    expect(k.status).toBe(202);
    await srv.waitForLog((l) => l.level === 'ERROR' && typeof l.msg === 'string' && l.msg.includes('Shard 1 is down'));
    const down = srv.logs().find((l) => typeof l.msg === 'string' && l.msg.includes('Shard 1 is down'))!;
    expect(down.symbols).toEqual(['ETHUSD']);

    const h = await api(srv.base, 'GET', '/health');
    expect(h.status).toBe(503);
    expect(h.body.status).toBe('unhealthy');
    expect(h.body.services['shard-1']).toBe('down');
    expect(h.body.services['shard-0']).toBe('healthy');
    expect(h.body.unavailable_symbols).toEqual(['ETHUSD']);

    const rest = await api(srv.base, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'buy', type: 'limit', quantity: 1, price: 3000 });
    expect(rest.status).toBe(503);
    expect(rest.body.code).toBe('SHARD_UNAVAILABLE');
    const bin = await c.newOrder({ instrument: 1, side: Side.BUY, price: 300_000, qty: 100 });
    expect(bin.status).toBe('rejected');
    expect(bin.reason).toBe(EdgeReason.SHARD_UNAVAILABLE);
    // Both are server-side failures: counted as result="error" (error rate, availability SLO).
    const m = await api(srv.base, 'GET', '/api/metrics');
    expect(m.body.error_count).toBeGreaterThanOrEqual(2);
    // Rates cover complete seconds only: poll until the failures' second has closed.
    let rate = 0;
    for (let i = 0; i < 30 && rate === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      rate = (await api(srv.base, 'GET', '/api/metrics')).body.server_error_rate;
    }
    expect(rate).toBeGreaterThan(0);
    const prom = await fetch(`${srv.base}/metrics`).then((r) => r.text());
    expect(prom).toMatch(/simex_orders_total\{[^}]*result="error"[^}]*\} [1-9]/);

    // The surviving shard still trades, both protocols.
    const ok = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: 1, price: 45000 });
    expect(ok.status).toBe(201);
    const ok2 = await c.newOrder({ instrument: 2, side: Side.SELL, price: 20_000, qty: 10 });
    expect(ok2.status).toBe('active');
    const syms = await api(srv.base, 'GET', '/api/symbols');
    expect(syms.body.symbols.find((s: { symbol: string }) => s.symbol === 'ETHUSD').status).toBe('unavailable');
    await c.close();
  });
});
