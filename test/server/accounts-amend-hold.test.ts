// The hold of an amend in flight (balances.ts OrderHold.amendNeed): PATCH sends the order's
// total (engine TOTAL_QTY), so the engine's new leaves are total - filled with every fill
// executed before the AMEND. A buy that LOWERS its price may still see its old leaves fill at
// the OLD price before the AMEND runs, so the hold keeps them at that price until the amend is
// done; only the added quantity is asked at the new price. No overdraft whatever fills race.
import { describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTS } from '../../src/engine/instruments.js';
import { OrdType, Side } from '../../src/engine/layout.js';
import { AssetTable } from '../../src/server/accounts/assets.js';
import { Account, Ledger } from '../../src/server/accounts/balances.js';
import type { BookState, RestOrder } from '../../src/server/exchange.js';
import { createLogger } from '../../src/server/logger.js';
import { fill } from './helpers/rest-record.js';

const assets = new AssetTable(DEFAULT_INSTRUMENTS);
const USD = assets.byName.get('USD')!;
const BTCUSD = { inst: 0, symbol: 'BTCUSD' } as BookState;
const usd = (n: number) => BigInt(n) * 10n ** 8n;

function setup(depositUsd: number, price: number, qty: number) {
  const ledger = new Ledger(assets, createLogger('silent'));
  const acct = new Account('u', assets);
  acct.deposit(USD, usd(depositUsd));
  const r = { id: 'r', side: Side.BUY, ordType: OrdType.LIMIT, price, qty, leaves: qty, filled: 0, status: 'active', owner: null } as unknown as RestOrder;
  r.owner = ledger.open(acct, BTCUSD, () => [], Side.BUY, OrdType.LIMIT, price, qty, async () => undefined).hold;
  return { ledger, acct, r };
}

describe('accounts: the hold of an amend with a total quantity', () => {
  it('price down, quantity up: asks only the added quantity at the new price; the old leaves filling at the old price do not overdraw', () => {
    // Buy 0.01 BTC at 50000 (500 USD held) of 520 USD; amend to 0.011 at 45000.
    const { ledger, acct, r } = setup(520, 5_000_000, 10_000);
    // The price cut would make 0.011 x 45000 = 495 USD look affordable within the 500 held, but
    // the 0.01 may fill at 50000 first: 500 + 0.001 x 45000 = 545 > 520 available in all.
    expect(() => r.owner!.beforeAmend(r, 4_500_000, 11_000)).toThrow(/insufficient USD: needs 45\.00000000, available 20\.00000000/);
    expect(acct.balanceJson(USD)).toMatchObject({ reserved: '500.00000000', available: '20.00000000' });
    acct.deposit(USD, usd(30)); // 550 USD
    r.owner!.beforeAmend(r, 4_500_000, 11_000);
    expect(acct.reserved[USD.ix]).toBe(usd(545));
    // The whole old quantity fills at the old price before the AMEND runs ...
    fill(r, 5_000_000, 10_000);
    // ... and the engine's TOTAL_QTY amend leaves 0.011 - 0.01 = 0.001 at 45000.
    r.price = 4_500_000;
    r.leaves = 1_000;
    r.status = 'partially_filled';
    r.owner!.onUpdate(r);
    r.owner!.amendDone(r);
    expect(acct.balanceJson(USD)).toEqual({ asset: 'USD', total: '50.00000000', available: '5.00000000', reserved: '45.00000000' });
    expect(ledger.overdrafts).toBe(0);
  });

  it('price down, quantity down: nothing more is reserved; the hold drops to the result when done', () => {
    const { acct, r } = setup(500, 5_000_000, 10_000);
    r.owner!.beforeAmend(r, 4_000_000, 5_000); // 0.005 at 40000, old leaves may fill at 50000
    expect(acct.reserved[USD.ix]).toBe(usd(500));
    r.price = 4_000_000;
    r.leaves = 5_000;
    r.owner!.onUpdate(r);
    r.owner!.amendDone(r);
    expect(acct.balanceJson(USD)).toMatchObject({ reserved: '200.00000000', available: '300.00000000' });
  });

  it('a price raise reserves the new price on the whole new quantity (old fills are cheaper)', () => {
    const { acct, r } = setup(1_000, 5_000_000, 10_000);
    r.owner!.beforeAmend(r, 6_000_000, 12_000);
    expect(acct.reserved[USD.ix]).toBe(usd(720));
  });
});
