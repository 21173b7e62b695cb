// Regression (review of seed 003 accounts): binary sessions name their engine owner in LOGIN
// without any credential, so an account's engine owner id must not be guessable: with ids
// handed out in sequence (2^30, 2^30 + 1, ...) a binary client logging in as 2^30 could
// MASS_CANCEL the first account's REST orders. Ids are random in [2^30, 2^31) now, and a
// binary LOGIN in that range is refused outright (RESERVED_ACCOUNT 131, ws-binary.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient, SimexClientError } from '../../src/client/index.js';
import { EdgeReason } from '../../src/protocol/reasons.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { balances, call, signUp } from './helpers/accounts.js';

describe('accounts: engine owner ids are not guessable by binary sessions', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARD_MODE: 'inline', SHARDS: '1' });
  }, 30_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it("a binary LOGIN under the first ids of the range is refused; the accounts' orders stay", async () => {
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
      const err = await SimexClient.connect(srv.wsUrl, { account: 2 ** 30 + i, maxReconnectAttempts: 0 }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(SimexClientError);
      expect((err as SimexClientError).reason).toBe(EdgeReason.RESERVED_ACCOUNT);
    }
    for (let i = 0; i < 3; i++) {
      expect((await call(B, 'GET', `/api/orders/${ids[i]}`, undefined, users[i]!.token)).body.status).toBe('active');
      expect((await balances(B, users[i]!.token)).USD.reserved).toBe('500.00000000');
    }
  });
});
