// Regression (review of seed 003 accounts): an AMEND racing a fill. PATCH computes the new
// leaves from the fills it has seen; a fill already queued on the book (here: an anonymous
// sell held 2 s by the chaos latency fault, the PATCH held the same 2 s but 150 ms later)
// lands first. With absolute leaves the order then bought those fills AGAIN on top: quantity
// 0.5 asked, 1.1 bought-or-resting, the account 300 USD overdrawn. PATCH now sends the total
// (engine AMEND TOTAL_QTY): the engine subtracts the raced fill itself, and a total at or below
// what filled cancels the rest (AMEND_TO_FILLED), in the one AMEND; nothing overdrawn.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { balances, call, signUp } from './helpers/accounts.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('accounts: an amend racing a fill keeps the quantity asked and the funds', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARD_MODE: 'inline', SHARDS: '1', RATE_LIMIT_ACCOUNT_RPS: '0' });
  }, 30_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('fills queued before the AMEND count against the amended quantity', async () => {
    const B = srv.base;
    const alice = await signUp(B, 'alice');
    await call(B, 'POST', '/api/account/deposit', { asset: 'USD', amount: '6000' }, alice.token);
    const o1 = await call(B, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'buy', quantity: '1', price: '3000' }, alice.token);
    const o2 = await call(B, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'buy', quantity: '1', price: '2990' }, alice.token);
    expect([o1.body.status, o2.body.status]).toEqual(['active', 'active']);
    const chaos = await call(B, 'POST', '/demo/chaos-test', {
      type: 'latency_injection', duration: '60s', target: { component: 'ETHUSD', percentage: 100 }, parameters: { latency_ms: 2000 },
    });
    expect(chaos.status, JSON.stringify(chaos.body)).toBe(202);
    for (let i = 0; i < 100; i++) {
      if ((await call(B, 'GET', '/demo/chaos-test/status')).body.phase === 'sustained') break;
      await sleep(100);
    }
    const race = async (sellPrice: string, id: string, quantity: string) => {
      const sell = call(B, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'sell', quantity: '0.6', price: sellPrice });
      await sleep(150);
      const am = await call(B, 'PATCH', `/api/orders/${id}`, { quantity }, alice.token);
      expect((await sell).body.status).toBe('filled');
      return am;
    };

    // 0.6 filled before the amend to 0.5 took effect: nothing more to buy -> cancelled.
    let am = await race('3000', o1.body.order_id, '0.5');
    expect(am.status).toBe(200);
    expect(am.body).toMatchObject({ status: 'cancelled', filled_quantity: 0.6, remaining_quantity: 0 });
    let a = await balances(B, alice.token);
    expect(a.USD).toEqual({ total: '4200.00000000', available: '1210.00000000', reserved: '2990.00000000' });
    expect(a.ETH.total).toBe('0.60000');

    // 0.6 filled before the amend to 0.8 took effect: 0.2 left to buy, not 0.8.
    am = await race('2990', o2.body.order_id, '0.8');
    expect(am.status).toBe(200);
    expect(am.body).toMatchObject({ status: 'partially_filled', filled_quantity: 0.6, remaining_quantity: 0.2 });
    a = await balances(B, alice.token);
    expect(a.USD).toEqual({ total: '2406.00000000', available: '1808.00000000', reserved: '598.00000000' });
    expect(a.ETH.total).toBe('1.20000');
    // The hold kept while the amend was in flight is not reported as an overdraft.
    expect(srv.logs().filter((l) => String(l.msg).startsWith('account overdrawn'))).toEqual([]);
    // One AMEND each, no correcting command: the order ends cancelled by the amend itself.
    const o1Now = await call(B, 'GET', `/api/orders/${o1.body.order_id}`, undefined, alice.token);
    expect(o1Now.body).toMatchObject({ status: 'cancelled', cancel_reason: 'AMEND_TO_FILLED' });
  }, 60_000);
});
