// Seed 003's business flow over real HTTP: register -> login -> deposit -> a buy rests with
// its funds reserved -> a sell from another account fills it (maker price) -> balances and
// portfolio settle exactly -> a buy below its limit releases the difference -> cancel
// releases the rest; a market buy reserves against the ask it would fill down to. Both shard
// modes: the fills reach the accounts from shard workers as from inline shards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { balances, call, signUp } from './helpers/accounts.js';

describe.each(['inline', 'worker'])('accounts: register, deposit, trade, portfolio (SHARD_MODE=%s)', (mode) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARD_MODE: mode, SHARDS: '2' });
  }, 30_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('settles fills into both accounts exactly and releases on cancel', async () => {
    const B = srv.base;
    const alice = await signUp(B, 'alice');
    const bob = await signUp(B, 'bob');

    let r = await call(B, 'POST', '/api/account/deposit', { asset: 'USD', amount: '100000' }, alice.token);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ asset: 'USD', amount: '100000.00000000', balance: { total: '100000.00000000', available: '100000.00000000', reserved: '0.00000000' } });
    r = await call(B, 'POST', '/api/account/deposit', { asset: 'btc', amount: 1 }, bob.token); // numbers and any case
    expect(r.status).toBe(200);
    expect(r.body.balance).toEqual({ asset: 'BTC', total: '1.000000', available: '1.000000', reserved: '0.000000' });

    // alice's buy rests: 0.5 x 50000 reserved.
    const buy = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: '0.5', price: '50000' }, alice.token);
    expect(buy.status).toBe(201);
    expect(buy.body.status).toBe('active');
    expect((await balances(B, alice.token)).USD).toEqual({ total: '100000.00000000', available: '75000.00000000', reserved: '25000.00000000' });

    // bob's sell crosses at the maker's price (50000, not his 49000).
    const sell = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'sell', type: 'limit', quantity: '0.2', price: '49000' }, bob.token);
    expect(sell.status).toBe(201);
    expect(sell.body).toMatchObject({ status: 'filled', filled_quantity: 0.2, average_price: 50000 });
    let a = await balances(B, alice.token);
    expect(a.USD).toEqual({ total: '90000.00000000', available: '75000.00000000', reserved: '15000.00000000' });
    expect(a.BTC).toEqual({ total: '0.200000', available: '0.200000', reserved: '0.000000' });
    let b = await balances(B, bob.token);
    expect(b.USD).toEqual({ total: '10000.00000000', available: '10000.00000000', reserved: '0.00000000' });
    expect(b.BTC).toEqual({ total: '0.800000', available: '0.800000', reserved: '0.000000' });

    const g = await call(B, 'GET', `/api/orders/${buy.body.order_id}`, undefined, alice.token);
    expect(g.body).toMatchObject({ status: 'partially_filled', filled_quantity: 0.2, remaining_quantity: 0.3 });

    let pf = await call(B, 'GET', '/api/portfolio', undefined, alice.token);
    expect(pf.status).toBe(200);
    expect(pf.body.total_value).toBe('100000.00000000');
    const btc = pf.body.assets.find((x: { asset: string }) => x.asset === 'BTC');
    expect(btc).toEqual({ asset: 'BTC', total: '0.200000', available: '0.200000', reserved: '0.000000', price: '50000.00', value: '10000.00000000' });
    expect(pf.body.recent_orders).toHaveLength(1);
    expect(pf.body.recent_orders[0]).toMatchObject({
      order_id: buy.body.order_id, symbol: 'BTCUSD', side: 'buy', status: 'partially_filled', filled_quantity: 0.2,
      held: { asset: 'USD', amount: '15000.00000000' },
    });

    // bob rests a sell (his BTC held); alice buys through it below her limit: 0.1 x 51000
    // reserved, 0.1 x 50500 spent, the rest released at once.
    const ask = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'sell', quantity: '0.3', price: '50500' }, bob.token);
    expect(ask.body.status).toBe('active');
    expect((await balances(B, bob.token)).BTC).toEqual({ total: '0.800000', available: '0.500000', reserved: '0.300000' });
    const lift = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', quantity: '0.1', price: '51000' }, alice.token);
    expect(lift.body).toMatchObject({ status: 'filled', average_price: 50500 });
    a = await balances(B, alice.token);
    expect(a.USD).toEqual({ total: '84950.00000000', available: '69950.00000000', reserved: '15000.00000000' });
    expect(a.BTC.total).toBe('0.300000');
    b = await balances(B, bob.token);
    expect(b.USD.total).toBe('15050.00000000');
    expect(b.BTC).toEqual({ total: '0.700000', available: '0.500000', reserved: '0.200000' });

    // Cancels release what is left.
    let c = await call(B, 'DELETE', `/api/orders/${buy.body.order_id}`, undefined, alice.token);
    expect(c.status).toBe(200);
    expect(c.body.status).toBe('cancelled');
    expect((await balances(B, alice.token)).USD).toEqual({ total: '84950.00000000', available: '84950.00000000', reserved: '0.00000000' });
    c = await call(B, 'DELETE', `/api/orders/${ask.body.order_id}`, undefined, bob.token);
    expect(c.status).toBe(200);
    expect((await balances(B, bob.token)).BTC).toEqual({ total: '0.700000', available: '0.700000', reserved: '0.000000' });

    // Conservation: what was deposited is all still there, split differently.
    expect(Number(a.USD.total) + Number(b.USD.total)).toBe(100000);
    pf = await call(B, 'GET', '/api/portfolio', undefined, alice.token);
    expect(pf.body.total_value).toBe('100100.00000000'); // 84950 + 0.3 x 50500 (last trade)
    expect(pf.body.recent_orders.map((o: { order_id: string; status: string }) => [o.order_id, o.status])).toEqual([
      [lift.body.order_id, 'filled'], [buy.body.order_id, 'cancelled'],
    ]);
    expect(pf.body.recent_orders[1].held.amount).toBe('0.00000000');

    // Withdraw: only what is available.
    r = await call(B, 'POST', '/api/account/withdraw', { asset: 'BTC', amount: '0.05' }, alice.token);
    expect(r.status).toBe(200);
    expect(r.body.balance.total).toBe('0.250000');
  });

  it('market buy: reserves qty x the ask it would fill down to, spends the fills, releases the rest', async () => {
    const B = srv.base;
    const mm = await signUp(B, 'maker1');
    const tk = await signUp(B, 'taker1');
    await call(B, 'POST', '/api/account/deposit', { asset: 'BTC', amount: '1' }, mm.token);
    await call(B, 'POST', '/api/account/deposit', { asset: 'USD', amount: '10000' }, tk.token);
    // No asks in ETHUSD: nothing to price a market buy against.
    const none = await call(B, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'buy', type: 'market', quantity: '0.1' }, tk.token);
    expect(none.status).toBe(400);
    expect(none.body.code).toBe('NO_LIQUIDITY');
    for (const price of ['50000', '50200', '50400']) {
      const o = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'sell', quantity: '0.1', price }, mm.token);
      expect(o.body.status).toBe('active');
    }
    // 0.15 needs the 50200 level: 0.15 x 50200 = 7530 reserved; the fills cost 5000 + 2510.
    const m = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'market', quantity: '0.15' }, tk.token);
    expect(m.status).toBe(201);
    expect(m.body).toMatchObject({ status: 'filled', filled_quantity: 0.15, price: 50200 });
    const t = await balances(B, tk.token);
    expect(t.USD).toEqual({ total: '2490.00000000', available: '2490.00000000', reserved: '0.00000000' });
    expect(t.BTC.total).toBe('0.150000');
    const mb = await balances(B, mm.token);
    expect(mb.USD.total).toBe('7510.00000000');
    expect(mb.BTC).toEqual({ total: '0.850000', available: '0.700000', reserved: '0.150000' });
    // More than it can pay for at that level: rejected whole, nothing changes.
    const big = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'market', quantity: '0.15' }, tk.token);
    expect(big.status).toBe(400);
    expect(big.body.code).toBe('INSUFFICIENT_BALANCE');
    expect((await balances(B, tk.token)).USD.total).toBe('2490.00000000');
  });
});
