// A fill that happens later, from a binary-protocol participant (what the simulator is),
// against an account's resting REST order settles the account: a rest-then-fill across the
// two edges, in the default worker shard mode.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient, Side } from '../../src/client/index.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { balances, call, signUp } from './helpers/accounts.js';

describe('accounts: binary counterparty', () => {
  let srv: TestServer;
  let bot: SimexClient;
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '2' });
    bot = await SimexClient.connect(srv.wsUrl, { account: 42 });
  }, 30_000);
  afterAll(async () => {
    await bot?.close();
    await srv?.stop();
  });

  it("a binary order filling the account's resting sell settles both assets", async () => {
    const B = srv.base;
    const u = await signUp(B, 'nina');
    await call(B, 'POST', '/api/account/deposit', { asset: 'ETH', amount: '2' }, u.token);
    const ask = await call(B, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'sell', quantity: '1.5', price: '3000.25' }, u.token);
    expect(ask.body.status).toBe('active');
    expect((await balances(B, u.token)).ETH).toEqual({ total: '2.00000', available: '0.50000', reserved: '1.50000' });

    const eth = bot.instrument('ETHUSD');
    const r = await bot.newOrder({ instrument: eth.instrument, side: Side.BUY, price: bot.price(eth, '3001'), qty: bot.qty(eth, '1.2') });
    expect(r.status).toBe('filled');
    expect(r.fills[0]).toMatchObject({ price: 300_025, qty: 120_000 });
    // The REST side learns of the fill from the same drain: no polling needed beyond one request.
    const b = await balances(B, u.token);
    expect(b.ETH).toEqual({ total: '0.80000', available: '0.50000', reserved: '0.30000' });
    expect(b.USD).toEqual({ total: '3600.30000000', available: '3600.30000000', reserved: '0.00000000' }); // 1.2 x 3000.25
    const o = await call(B, 'GET', `/api/orders/${ask.body.order_id}`, undefined, u.token);
    expect(o.body).toMatchObject({ status: 'partially_filled', filled_quantity: 1.2, remaining_quantity: 0.3 });
    const pf = await call(B, 'GET', '/api/portfolio', undefined, u.token);
    expect(pf.body.total_value).toBe('6000.50000000'); // 3600.30 + 0.8 x 3000.25
  });
});
