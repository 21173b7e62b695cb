// Regression (review of seed 003 accounts): a REST command the edge gave up on (503
// SHARD_TIMEOUT after REST_TIMEOUT_S) is still in the shard's queue and may execute
// later. Its funds must stay held until the shard's real answer arrives: releasing them at
// the 503 let the account withdraw (or spend) the money, and the late execution then drove
// the balance negative. Here the late execution is real: the chaos latency fault holds
// ETHUSD commands for 5 s at the edge, and REST_TIMEOUT_S=1 answers 503 first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { balances, call, signUp } from './helpers/accounts.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('accounts: funds of a timed-out REST command stay held until the shard answers', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARD_MODE: 'inline', SHARDS: '1', REST_TIMEOUT_S: '1', RATE_LIMIT_ACCOUNT_RPS: '0' });
  }, 30_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('NEW and AMEND answered 503, executed later: no overdraft, holds follow the late outcome', async () => {
    const B = srv.base;
    const alice = await signUp(B, 'alice');
    expect((await call(B, 'POST', '/api/account/deposit', { asset: 'USD', amount: '8800' }, alice.token)).status).toBe(200);
    // Before the fault: an anonymous ask alice's buy will meet, and a resting buy of hers.
    expect((await call(B, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'sell', quantity: '1', price: '3000' })).body.status).toBe('active');
    const rest = await call(B, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'buy', quantity: '1', price: '2900' }, alice.token);
    expect(rest.body.status).toBe('active');
    expect((await balances(B, alice.token)).USD.available).toBe('5900.00000000');

    const chaos = await call(B, 'POST', '/demo/chaos-test', {
      type: 'latency_injection', duration: '30s', target: { component: 'ETHUSD', percentage: 100 },
      parameters: { latency_ms: 5000 }, recovery: { auto_recover: true, recovery_time: 1 },
    });
    expect(chaos.status, JSON.stringify(chaos.body)).toBe(202);
    for (let i = 0; i < 100; i++) { // the injection phase ramps the probability to 1 first
      if ((await call(B, 'GET', '/demo/chaos-test/status')).body.phase === 'sustained') break;
      await sleep(100);
    }

    // alice buys 1 ETH at 3000 and amends her resting buy up to 2 ETH (2900 more held): all
    // of her USD is held: both answered 503 by the timeout, both still queued.
    const [buy, amend] = await Promise.all([
      call(B, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'buy', quantity: '1', price: '3000' }, alice.token),
      (async () => {
        await sleep(50);
        return call(B, 'PATCH', `/api/orders/${rest.body.order_id}`, { quantity: '2' }, alice.token);
      })(),
    ]);
    expect(buy.status).toBe(503);
    expect([buy.body.code, buy.body.status]).toEqual(['SHARD_TIMEOUT', 'pending']);
    expect(amend.body.code).toBe('SHARD_TIMEOUT');
    expect(amend.status).toBe(503);
    // Still held: neither can be withdrawn while the shard may execute them.
    let a = await balances(B, alice.token);
    expect(a.USD).toEqual({ total: '8800.00000000', available: '0.00000000', reserved: '8800.00000000' });
    const w = await call(B, 'POST', '/api/account/withdraw', { asset: 'USD', amount: '1000' }, alice.token);
    expect(w.status).toBe(400);
    expect(w.body.code).toBe('INSUFFICIENT_BALANCE');

    // The commands execute when the fault releases them (5 s): the buy fills at 3000, the
    // amend takes effect (2 ETH at 2900 held).
    let rec;
    for (let i = 0; i < 100; i++) {
      rec = (await call(B, 'GET', `/api/orders/${buy.body.order_id}`, undefined, alice.token)).body;
      const am = (await call(B, 'GET', `/api/orders/${rest.body.order_id}`, undefined, alice.token)).body;
      if (rec.status === 'filled' && am.quantity === 2) break;
      await sleep(100);
    }
    expect(rec.status).toBe('filled');
    expect((await call(B, 'GET', `/api/orders/${rest.body.order_id}`, undefined, alice.token)).body).toMatchObject({ status: 'active', quantity: 2, remaining_quantity: 2 });
    a = await balances(B, alice.token);
    expect(a.USD).toEqual({ total: '5800.00000000', available: '0.00000000', reserved: '5800.00000000' });
    expect(a.ETH.total).toBe('1.00000');
  }, 60_000);
});
