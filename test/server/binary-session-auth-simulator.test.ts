// With SESSION_KEYS_FILE the built-in simulator still trades: it logs in through the client
// library with the secrets the server gives its accounts (9001, 9002): the file's when listed
// there, else ephemeral ones kept in memory.
import { describe, expect, it } from 'vitest';
import { SimexClient, SimexClientError } from '../../src/client/index.js';
import { EdgeReason } from '../../src/protocol/reasons.js';
import { api, startTestServer } from './helpers/server.js';
import { writeKeysFile } from './helpers/session-auth.js';

const waitFor = async (pred: () => Promise<boolean>, ms = 20_000) => {
  const until = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('simulator under session authentication', () => {
  it.each([
    ['ephemeral secrets (accounts not in the file)', { 7: 'c'.repeat(32) }, [9001, 9002]],
    ['the file\'s secret for a listed account', { 9001: 'd'.repeat(40) }, [9002]],
  ] as const)('%s: the simulator logs in and trades', async (_n, keys, ephemeral) => {
    const file = writeKeysFile(keys);
    const srv = await startTestServer({ SHARDS: '1', SIMULATION_ENABLED: 'true', SIM_ORDERS_PER_SECOND: '50', SESSION_KEYS_FILE: file });
    try {
      const eph = await srv.waitForLog((l) => String(l.msg).includes('ephemeral session secrets'));
      expect(eph.accounts).toEqual(ephemeral);
      await srv.waitForLog((l) => l.msg === 'Market simulation started', 20_000);
      await waitFor(async () => (await api(srv.base, 'GET', '/api/simulation')).body?.status === 'healthy');
      // both participants connected, orders accepted, and trades between them
      await waitFor(async () => {
        const st = (await api(srv.base, 'GET', '/api/simulation')).body;
        return st.participants.every((p: { connected: boolean }) => p.connected) && st.stats.orders_accepted > 0 && st.stats.taker_filled_orders > 0;
      }, 30_000);
      expect(srv.logs().filter((l) => l.msg === 'Login refused: BAD_CREDENTIALS')).toEqual([]);
      // an outside client cannot take the simulator's account without its secret
      const err = await SimexClient.connect(srv.wsUrl, { account: 9002, secret: 'e'.repeat(32), maxReconnectAttempts: 0 }).then(() => null, (e: unknown) => e);
      expect((err as SimexClientError).reason).toBe(EdgeReason.BAD_CREDENTIALS);
    } finally {
      await srv.stop();
    }
  }, 90_000);
});
