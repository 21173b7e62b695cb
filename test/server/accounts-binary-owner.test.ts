// Regression (review of seed 003 accounts): binary sessions name their engine owner in LOGIN
// without any credential, so an account's engine owner id must not be guessable: with ids
// handed out in sequence (2^30, 2^30 + 1, ...) a binary client logging in as 2^30 could
// MASS_CANCEL the first account's REST orders. Ids are random in [2^30, 2^31) now.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient } from '../../src/client/index.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { balances, call, signUp } from './helpers/accounts.js';

describe('accounts: engine owner ids are not guessable by binary sessions', () => {
  let srv: TestServer;
  const bots: SimexClient[] = [];
  beforeAll(async () => {
    srv = await startTestServer({ SHARD_MODE: 'inline', SHARDS: '1' });
  }, 30_000);
  afterAll(async () => {
    for (const b of bots) await b.close();
    await srv?.stop();
  });

  it("a binary MASS_CANCEL under the first ids of the range leaves the accounts' orders alone", async () => {
    const B = srv.base;
    const ids: string[] = [];
    const users = [];
    for (const name of ['ann', 'ben', 'cat']) {
      const u = await signUp(B, name);
      users.push(u);
      await call(B, 'POST', '/api/account/deposit', { asset: 'USD', amount: '1000' }, u.token);
      const o = await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', quantity: '0.01', price: '50000' }, u.token);
      expect(o.body.status).toBe('active');
      ids.push(o.body.order_id);
    }
    for (let i = 0; i < 3; i++) {
      const bot = await SimexClient.connect(srv.wsUrl, { account: 2 ** 30 + i });
      bots.push(bot);
      await bot.massCancel();
    }
    for (let i = 0; i < 3; i++) {
      expect((await call(B, 'GET', `/api/orders/${ids[i]}`)).body.status).toBe('active');
      expect((await balances(B, users[i]!.token)).USD.reserved).toBe('500.00000000');
    }
  });
});
