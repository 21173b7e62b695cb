// Regression (review of seed 003 accounts): self-trade prevention of an account's order
// applies to ITS OWN orders only. Every REST order used to reach the engine with owner 1, so
// an account's `stp` order refused to trade with any other account (or anonymous REST order)
// as if it were a self-trade; and the account's own orders must still be protected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { balances, call, signUp } from './helpers/accounts.js';

describe.each(['inline', 'worker'])('accounts: STP is per account (SHARD_MODE=%s)', (mode) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARD_MODE: mode, SHARDS: '2', RATE_LIMIT_ACCOUNT_RPS: '0' });
  }, 30_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('trades with other accounts and anonymous orders, prevents its own self-trades', async () => {
    const B = srv.base;
    const alice = await signUp(B, 'alice');
    const bob = await signUp(B, 'bob');
    await call(B, 'POST', '/api/account/deposit', { asset: 'BTC', amount: '1' }, alice.token);
    await call(B, 'POST', '/api/account/deposit', { asset: 'USD', amount: '100000' }, alice.token);
    await call(B, 'POST', '/api/account/deposit', { asset: 'USD', amount: '100000' }, bob.token);

    // alice's ask; bob's STP buy is not a self-trade: it fills.
    const ask = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'sell', quantity: '0.1', price: '50000' }, alice.token);
    expect(ask.body.status).toBe('active');
    const lift = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', quantity: '0.1', price: '50000', stp: 'cancel_newest' }, bob.token);
    expect(lift.status).toBe(201);
    expect(lift.body).toMatchObject({ status: 'filled', filled_quantity: 0.1 });
    expect((await balances(B, bob.token)).BTC.total).toBe('0.100000');

    // An anonymous ask and alice's STP buy: not a self-trade either.
    const anon = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'sell', quantity: '0.1', price: '50000' });
    expect(anon.body.status).toBe('active');
    const buy = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', quantity: '0.1', price: '50000', stp: 'cancel_newest' }, alice.token);
    expect(buy.body).toMatchObject({ status: 'filled', filled_quantity: 0.1 });

    // alice against herself: prevented (the newest, her buy, is cancelled), funds released.
    const own = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'sell', quantity: '0.1', price: '50000' }, alice.token);
    expect(own.body.status).toBe('active');
    const self = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', quantity: '0.1', price: '50000', stp: 'cancel_newest' }, alice.token);
    expect(self.status).toBe(201);
    expect(self.body).toMatchObject({ status: 'cancelled', filled_quantity: 0 });
    const a = await balances(B, alice.token);
    expect(a.USD).toEqual({ total: '100000.00000000', available: '100000.00000000', reserved: '0.00000000' }); // +5000 from bob, -5000 to the anonymous ask
    expect(a.BTC).toEqual({ total: '1.000000', available: '0.900000', reserved: '0.100000' });
    // Her resting ask is still hers to cancel and amend.
    const am = await call(B, 'PATCH', `/api/orders/${own.body.order_id}`, { price: '50100' }, alice.token);
    expect(am.status).toBe(200);
    const c = await call(B, 'DELETE', `/api/orders/${own.body.order_id}`, undefined, alice.token);
    expect(c.body.status).toBe('cancelled');
    expect((await balances(B, alice.token)).BTC.reserved).toBe('0.000000');
  }, 30_000);
});
