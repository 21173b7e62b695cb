// The balance arithmetic (src/server/accounts/balances.ts, assets.ts) without a server:
// scales derived from the instruments, bigint exactness beyond 2^53, holds re-derived from
// the order record after each event (fills at the fill price, releases never reserve),
// amends, and the documented overdraft race settled exactly and logged, never thrown.
import { describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTS } from '../../src/engine/instruments.js';
import { OrdType, Side } from '../../src/engine/layout.js';
import { AssetTable, amountUnits, formatUnits } from '../../src/server/accounts/assets.js';
import { Account, Ledger } from '../../src/server/accounts/balances.js';
import type { BookState, RestOrder } from '../../src/server/exchange.js';
import { HttpError } from '../../src/server/http.js';
import { createLogger } from '../../src/server/logger.js';
import { fill } from './helpers/rest-record.js';

const assets = new AssetTable(DEFAULT_INSTRUMENTS);
const USD = assets.byName.get('USD')!;
const BTC = assets.byName.get('BTC')!;
const book = (symbol: string) => ({ inst: DEFAULT_INSTRUMENTS.findIndex((s) => s.symbol === symbol), symbol }) as BookState;
const BTCUSD = book('BTCUSD');
const noAuth = async () => undefined;
const errors: Record<string, unknown>[] = [];
const logger = createLogger('silent');
logger.error = ((o: Record<string, unknown>) => { errors.push(o); }) as never;

function rec(side: number, price: number, qty: number, ordType: number = OrdType.LIMIT): RestOrder {
  return { id: 'r', side, ordType, price, qty, leaves: qty, filled: 0, status: 'active', owner: null } as unknown as RestOrder;
}

describe('accounts ledger', () => {
  it('derives scales from the instruments so every notional is an integer of USD units', () => {
    expect(assets.assets.map((a) => [a.name, a.scale])).toEqual([['USD', 8], ['BTC', 6], ['ETH', 5], ['ADA', 1]]);
    expect(assets.pairs.map((p) => [p!.symbol, p!.base.name, p!.notionalMul, p!.baseMul])).toEqual([
      ['BTCUSD', 'BTC', 1n, 1n], ['ETHUSD', 'ETH', 10n, 1n], ['ADAUSD', 'ADA', 1000n, 1n],
    ]);
    expect(amountUnits('0.00000001', USD)).toBe(1n);
    expect(() => amountUnits('0.000000001', USD)).toThrow(HttpError);
    expect(formatUnits(-5n, 2)).toBe('-0.05');
  });

  it('holds and settles beyond 2^53 exactly (1000 BTC at the max price)', () => {
    const ledger = new Ledger(assets, logger);
    const acct = new Account('u', assets);
    const s = DEFAULT_INSTRUMENTS[0]!;
    acct.deposit(USD, 10n ** 19n + 7n); // 100,000,000,000.00000007 USD
    const r = rec(Side.BUY, s.maxPrice, s.maxQty);
    const { hold } = ledger.open(acct, BTCUSD, () => [], Side.BUY, OrdType.LIMIT, s.maxPrice, s.maxQty, noAuth);
    r.owner = hold;
    expect(acct.balanceJson(USD)).toEqual({ asset: 'USD', total: '100000000000.00000007', available: '0.00000007', reserved: '100000000000.00000000' });
    fill(r, s.maxPrice - 1, 333_333_300); // below the limit: the difference is released
    fill(r, s.maxPrice, 666_666_700);
    expect(r.status).toBe('filled');
    expect(acct.total[USD.ix]).toBe(10n ** 19n + 7n - 333_333_300n * BigInt(s.maxPrice - 1) - 666_666_700n * BigInt(s.maxPrice));
    expect(acct.reserved[USD.ix]).toBe(0n);
    expect(acct.balanceJson(BTC).total).toBe('1000.000000');
    expect(errors).toEqual([]);
  });

  it('sell holds base; cancel and reject release; a hold never grows by itself', () => {
    const ledger = new Ledger(assets, logger);
    const acct = new Account('u', assets);
    acct.deposit(BTC, 1_000_000n);
    const r = rec(Side.SELL, 5_000_000, 400_000);
    r.owner = ledger.open(acct, BTCUSD, () => [], Side.SELL, OrdType.LIMIT, 5_000_000, 400_000, noAuth).hold;
    expect(acct.balanceJson(BTC)).toMatchObject({ available: '0.600000', reserved: '0.400000' });
    fill(r, 5_000_100, 100_000); // sold above the limit (a buyer crossed higher)
    expect(acct.balanceJson(USD).total).toBe('5000.10000000');
    expect(acct.balanceJson(BTC)).toEqual({ asset: 'BTC', total: '0.900000', available: '0.600000', reserved: '0.300000' });
    // An amend event that would need more (engine-side) does not reserve more by itself.
    r.leaves = 900_000;
    r.owner!.onUpdate(r);
    expect(acct.reserved[BTC.ix]).toBe(300_000n);
    r.status = 'cancelled';
    r.leaves = 0;
    r.owner!.onUpdate(r);
    expect(acct.balanceJson(BTC)).toEqual({ asset: 'BTC', total: '0.900000', available: '0.900000', reserved: '0.000000' });
  });

  it('amend: reserves the increase first (or 400 with nothing changed), settles to the result', () => {
    const ledger = new Ledger(assets, logger);
    const acct = new Account('u', assets);
    acct.deposit(USD, 1_000n * 10n ** 8n); // 1000 USD
    const r = rec(Side.BUY, 4_000_000, 10_000); // 0.01 BTC at 40000 = 400 USD
    r.owner = ledger.open(acct, BTCUSD, () => [], Side.BUY, OrdType.LIMIT, r.price, r.qty, noAuth).hold;
    expect(() => r.owner!.beforeAmend(r, 10_000_001, 10_000)).toThrow(/insufficient USD/);
    expect(acct.reserved[USD.ix]).toBe(400n * 10n ** 8n);
    r.owner!.beforeAmend(r, 9_000_000, 10_000); // 900 USD
    expect(acct.reserved[USD.ix]).toBe(900n * 10n ** 8n);
    fill(r, 4_000_000, 5_000); // a fill while the amend is in flight keeps the amend's hold
    expect(acct.reserved[USD.ix]).toBe(900n * 10n ** 8n);
    r.price = 9_000_000; // AMENDED (leaves as the engine reports them)
    r.owner!.amendDone(r);
    expect(acct.balanceJson(USD)).toEqual({ asset: 'USD', total: '800.00000000', available: '350.00000000', reserved: '450.00000000' });
  });

  it('two amends in flight: the first completion keeps the larger hold until the last one', () => {
    const ledger = new Ledger(assets, logger);
    const acct = new Account('u', assets);
    acct.deposit(USD, 1_000n * 10n ** 8n);
    const r = rec(Side.BUY, 4_000_000, 10_000); // 400 USD
    r.owner = ledger.open(acct, BTCUSD, () => [], Side.BUY, OrdType.LIMIT, r.price, r.qty, noAuth).hold;
    r.owner!.beforeAmend(r, 5_000_000, 10_000); // A: 500
    r.owner!.beforeAmend(r, 9_000_000, 10_000); // B: 900
    r.price = 5_000_000; // A amended
    r.owner!.amendDone(r);
    expect(acct.reserved[USD.ix]).toBe(900n * 10n ** 8n); // B still needs its 900
    r.price = 9_000_000; // B amended
    r.owner!.amendDone(r);
    expect(acct.reserved[USD.ix]).toBe(900n * 10n ** 8n);
    r.status = 'cancelled';
    r.leaves = 0;
    r.owner!.onUpdate(r);
    expect(acct.balanceJson(USD)).toMatchObject({ available: '1000.00000000', reserved: '0.00000000' });
  });

  it('an order settling beyond its hold (REST timeout race) settles exactly and is logged', () => {
    const ledger = new Ledger(assets, logger);
    const acct = new Account('u', assets);
    acct.deposit(USD, 100n * 10n ** 8n);
    const r = rec(Side.BUY, 5_000_000, 1_000); // 0.001 BTC at 50000 = 50 USD
    r.owner = ledger.open(acct, BTCUSD, () => [], Side.BUY, OrdType.LIMIT, r.price, r.qty, noAuth).hold;
    r.status = 'rejected'; // the edge gave up (503) and released ...
    r.leaves = 0;
    r.owner!.onUpdate(r);
    const other = rec(Side.BUY, 5_000_000, 1_800);
    other.owner = ledger.open(acct, BTCUSD, () => [], Side.BUY, OrdType.LIMIT, other.price, other.qty, noAuth).hold; // 90 USD
    r.status = 'active'; // ... then the shard executed it after all
    r.leaves = 1_000;
    expect(() => fill(r, 5_000_000, 1_000)).not.toThrow();
    expect(acct.balanceJson(USD)).toEqual({ asset: 'USD', total: '50.00000000', available: '-40.00000000', reserved: '90.00000000' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ asset: 'USD', available: '-40.00000000' });
  });

  it('market buy without a price: protection = the ask level that completes the quantity', () => {
    const ledger = new Ledger(assets, logger);
    const acct = new Account('u', assets);
    acct.deposit(USD, 10n ** 12n);
    const asks = (): [number, number, number][] => [[5_000_000, 100, 1], [5_000_100, 100, 2], [5_000_300, 1_000, 1]];
    expect(ledger.open(acct, BTCUSD, asks, Side.BUY, OrdType.MARKET, 0, 150, noAuth).price).toBe(5_000_100);
    expect(ledger.open(acct, BTCUSD, asks, Side.BUY, OrdType.MARKET, 0, 200, noAuth).price).toBe(5_000_100);
    expect(ledger.open(acct, BTCUSD, asks, Side.BUY, OrdType.MARKET, 0, 5_000, noAuth).price).toBe(5_000_300); // shallow book: worst ask
    expect(ledger.open(acct, BTCUSD, asks, Side.BUY, OrdType.MARKET, 4_000_000, 100, noAuth).price).toBe(4_000_000); // given protection kept
    expect(() => ledger.open(acct, BTCUSD, () => [], Side.BUY, OrdType.MARKET, 0, 100, noAuth)).toThrow(/no asks/);
    expect(acct.reserved[USD.ix]).toBe((150n * 5_000_100n) + (200n * 5_000_100n) + (5_000n * 5_000_300n) + (100n * 4_000_000n));
  });
});
