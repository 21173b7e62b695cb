// Binary LOGIN carries no credential by default (the ids stay reserved with one too), so the
// owner ids of REST orders are refused: 1 (anonymous REST orders) and >= 2^30 (the optional
// accounts' engine owners) get LOGIN_REJECT
// RESERVED_ACCOUNT (131) and no session; an anonymous REST order stays out of reach of a
// binary MASS_CANCEL; the ids around the reserved ones log in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient, SimexClientError } from '../../src/client/index.js';
import { EdgeReason } from '../../src/protocol/reasons.js';
import { api, startTestServer, type TestServer } from './helpers/server.js';

describe('binary LOGIN refuses the reserved account ids', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '1', SIMULATION_ENABLED: 'false' });
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('1 and >= 2^30 are rejected with RESERVED_ACCOUNT; 2 and 2^30 - 1 log in', async () => {
    const rest = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', price: 40000, quantity: 0.01 });
    expect(rest.status).toBe(201);
    for (const account of [1, 2 ** 30, 2 ** 31 + 5, 2 ** 32 - 1]) {
      const err = await SimexClient.connect(srv.wsUrl, { account, maxReconnectAttempts: 0 }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(SimexClientError);
      expect((err as SimexClientError).reason).toBe(EdgeReason.RESERVED_ACCOUNT);
    }
    for (const account of [2, 2 ** 30 - 1]) {
      const c = await SimexClient.connect(srv.wsUrl, { account });
      const btc = c.instrument('BTCUSD');
      // a mass cancel from this session touches only its own orders: the REST order survives
      await c.massCancel(btc.instrument);
      await c.close();
    }
    const after = await api(srv.base, 'GET', `/api/orders/${rest.body.order_id}`);
    expect(after.body.status).toBe('active');
  });
});
