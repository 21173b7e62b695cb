// Review of seed 003 accounts: an overdraft is never silent. The error line is throttled
// (one per second), so every overdraft is also counted: simex_accounts_overdrawn_total.
import { describe, expect, it } from 'vitest';
import client from 'prom-client';
import { DEFAULT_INSTRUMENTS } from '../../src/engine/instruments.js';
import { OrdType, Side } from '../../src/engine/layout.js';
import { Accounts, accountsConfigFromEnv } from '../../src/server/accounts/index.js';
import { Account } from '../../src/server/accounts/balances.js';
import type { BookState, RestOrder } from '../../src/server/exchange.js';
import { createLogger } from '../../src/server/logger.js';

describe('overdrafts are counted, not only logged', () => {
  it('two overdrafts within a second: one error line, the counter says 2', async () => {
    const errors: unknown[] = [];
    const logger = createLogger('silent');
    logger.error = ((o: unknown) => { errors.push(o); }) as never;
    const accounts = new Accounts({ exchange: {} as never, logger, instruments: DEFAULT_INSTRUMENTS, config: accountsConfigFromEnv({}) });
    const USD = accounts.assets.quote;
    const book = { inst: 0, symbol: 'BTCUSD' } as BookState;
    const acct = new Account('u', accounts.assets);
    acct.deposit(USD, 100n * 10n ** 8n);
    for (let i = 0; i < 2; i++) {
      // A resting buy of 0.001 BTC at 50000 (50 USD held), amended up to 0.002 (100 USD held)
      // while a fill of the old leaves lands: the amended leaves are then short of funds.
      const r = { id: `r${i}`, side: Side.BUY, ordType: OrdType.LIMIT, price: 5_000_000, qty: 1_000, leaves: 1_000, filled: 0, status: 'active', owner: null } as unknown as RestOrder;
      r.owner = accounts.ledger.open(acct, book, () => [], Side.BUY, OrdType.LIMIT, r.price, r.qty, async () => undefined).hold;
      r.owner.beforeAmend(r, 5_000_000, 2_000);
      r.filled = 1_000;
      r.leaves = 0;
      r.status = 'filled';
      r.owner.onFill(r, 5_000_000, 1_000);
      r.leaves = 2_000; // the engine's absolute amended leaves
      r.status = 'partially_filled';
      r.owner.amendDone(r);
      if (i === 0) acct.deposit(USD, 150n * 10n ** 8n); // funds for the second round
    }
    expect(accounts.ledger.overdrafts).toBe(2);
    expect(errors).toHaveLength(1);
    const registry = new client.Registry();
    accounts.registerMetrics(registry);
    expect(await registry.getSingleMetricAsString('simex_accounts_overdrawn_total')).toMatch(/^simex_accounts_overdrawn_total 2$/m);
  });
});
