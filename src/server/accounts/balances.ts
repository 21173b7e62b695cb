/**
 * Balances of one account and the funds its open REST orders hold.
 *
 * Per asset: `total` and `reserved` (bigint, in the asset's units: assets.ts); available =
 * total - reserved. Invariant (outside an amend in flight, see below):
 *   reserved[a] = sum of `resv` over the account's open orders spending asset a,
 *   0 <= reserved[a] <= total[a].
 *
 * What an order holds (OrderHold.resv), re-derived from its REST record after every event:
 *   buy  (spends USD): leaves x limit price (a market buy: its protection price, see
 *        Ledger.open) x notionalMul;
 *   sell (spends the base asset): leaves x baseMul;
 *   a done order (filled, cancelled, rejected): 0.
 * A fill settles both assets at the FILL price (a buy filled below its limit releases the
 * difference); no fees. A hold never grows by itself: only `open` and `beforeAmend` reserve,
 * each after checking `available`, so an event can release funds but never overdraw.
 *
 * Amends: PATCH sends the order's TOTAL quantity (engine AMEND flag TOTAL_QTY), so the
 * engine's new leaves are total - filled with every fill executed before the AMEND, never more
 * than the leaves PATCH computed from the fills it had seen. beforeAmend reserves, before the
 * AMEND is submitted, the most the order can still spend: fills of the old leaves at the OLD
 * price racing the AMEND, the rest at the new price (see `amendNeed`); while the AMEND is in
 * flight nothing is released below that (`floor`), and a fill paid meanwhile may leave the hold
 * above the total for a moment (not an overdraft: amendDone syncs to the real leaves, then
 * checks). So an amend racing any number of fills cannot overdraw. Two PATCHes of one order
 * in flight at once are held to the larger of their needs, each computed from the record as it
 * saw it (the other's price not yet applied): a fill at the first one's new price racing the
 * second can still overdraw, by at most its price difference. Overdrafts are settled exactly
 * (the trade did happen), counted and logged at error as "account overdrawn". A REST command the edge gave up on (answered 503 after
 * REST_TIMEOUT_S, still queued for its shard) keeps its hold until the shard's real
 * completion (routes.ts lateDone): executed -> settled like any order, rejected or its
 * shard died -> released; so it can no longer overdraw.
 *
 * Threading: main thread only (the exchange's event handlers and the routes).
 */
import type { BookState, RestOrder, RestOrderOwner } from '../exchange.js';
import type { Logger } from '../logger.js';
import { OrdType, Side } from '../../engine/layout.js';
import { HttpError } from '../http.js';
import { formatUnits, type AssetInfo, type AssetTable, type PairInfo } from './assets.js';

/** Orders an account remembers for GET /api/portfolio (newest first). */
export const RECENT_ORDERS_KEPT = 50;

export class Account {
  readonly total: bigint[];
  readonly reserved: bigint[];
  /** Newest last; at most RECENT_ORDERS_KEPT (the REST records, live state). */
  readonly recent: RestOrder[] = [];

  /** `engineOwner`: the engine owner id its orders carry (STP, CANCEL/AMEND ownership):
   *  UserStore gives each account its own (ENGINE_OWNER_BASE + n); 1 = the anonymous REST owner. */
  constructor(readonly userId: string, readonly assets: AssetTable, readonly engineOwner = 1) {
    this.total = assets.assets.map(() => 0n);
    this.reserved = assets.assets.map(() => 0n);
  }

  available(a: AssetInfo): bigint {
    return this.total[a.ix]! - this.reserved[a.ix]!;
  }

  deposit(a: AssetInfo, units: bigint): void {
    this.total[a.ix] = this.total[a.ix]! + units;
  }

  /** Throws 400 INSUFFICIENT_BALANCE (nothing changed) when `units` > available. */
  withdraw(a: AssetInfo, units: bigint): void {
    if (units > this.available(a)) throw insufficient(a, units, this.available(a), 'amount');
    this.total[a.ix] = this.total[a.ix]! - units;
  }

  balanceJson(a: AssetInfo): { asset: string; total: string; available: string; reserved: string } {
    return {
      asset: a.name, total: formatUnits(this.total[a.ix]!, a.scale),
      available: formatUnits(this.available(a), a.scale), reserved: formatUnits(this.reserved[a.ix]!, a.scale),
    };
  }

  remember(rec: RestOrder): void {
    this.recent.push(rec);
    if (this.recent.length > RECENT_ORDERS_KEPT) this.recent.shift();
  }
}

function insufficient(a: AssetInfo, need: bigint, have: bigint, field: string): HttpError {
  return new HttpError(400, 'INSUFFICIENT_BALANCE',
    `insufficient ${a.name}: needs ${formatUnits(need, a.scale)}, available ${formatUnits(have, a.scale)}`, field);
}

function isOpen(rec: RestOrder): boolean {
  return rec.status === 'active' || rec.status === 'partially_filled';
}

/** The settlement hooks of one account-owned REST order (Exchange calls them: RestOrderOwner). */
export class OrderHold implements RestOrderOwner {
  /** Units of `spend` this order holds now. */
  resv = 0n;
  /** While amends are in flight: the largest hold they reserved (a fill or an earlier
   *  amend's completion does not release below it); `amending` counts them. */
  private floor = 0n;
  private amending = 0;
  readonly spend: AssetInfo;
  /** RestOrderOwner.engineOwner: the account's (self-trade prevention is per account). */
  readonly engineOwner: number;

  constructor(readonly account: Account, readonly pair: PairInfo, readonly side: number,
    private readonly ledger: Ledger,
    /** Resolves when `authorization` carries a valid token of this account (cancel/amend). */
    readonly authorize: (authorization: string) => Promise<void>) {
    this.spend = side === Side.BUY ? pair.quote : pair.base;
    this.engineOwner = account.engineOwner;
  }

  /** Hold for `leaves` at `price` (units of the order's book). */
  need(price: number, leaves: number): bigint {
    return this.side === Side.BUY
      ? BigInt(leaves) * BigInt(price) * this.pair.notionalMul
      : BigInt(leaves) * this.pair.baseMul;
  }

  private target(rec: RestOrder): bigint {
    return isOpen(rec) ? this.need(rec.price, rec.leaves) : 0n;
  }

  /** Release down to what `rec` still needs (never reserve more: see the file comment). */
  private sync(rec: RestOrder): void {
    let t = this.target(rec);
    if (this.floor > t) t = this.floor;
    if (t >= this.resv) return;
    const a = this.spend.ix;
    this.account.reserved[a] = this.account.reserved[a]! - (this.resv - t);
    this.resv = t;
  }

  onFill(rec: RestOrder, price: number, qty: number): void {
    const acct = this.account;
    const p = this.pair;
    const base = BigInt(qty) * p.baseMul;
    const cost = BigInt(qty) * BigInt(price) * p.notionalMul;
    const q = p.quote.ix;
    const bx = p.base.ix;
    if (this.side === Side.BUY) {
      acct.total[q] = acct.total[q]! - cost;
      acct.total[bx] = acct.total[bx]! + base;
    } else {
      acct.total[bx] = acct.total[bx]! - base;
      acct.total[q] = acct.total[q]! + cost;
    }
    this.sync(rec);
    // While an amend is in flight the hold may exceed the total for a moment (amendDone decides).
    if (this.amending === 0) this.checkOverdrawn(rec);
  }

  private checkOverdrawn(rec: RestOrder): void {
    if (this.account.total[this.spend.ix]! < this.account.reserved[this.spend.ix]!) this.ledger.overdrawn(this.account, this.spend, rec);
  }

  onUpdate(rec: RestOrder): void {
    this.sync(rec);
  }

  /**
   * The most an order amended to `leaves` at `price` can spend, whatever fills race the AMEND
   * (its total is fixed, so filled + leaves never exceed it): a buy lowering its price may see
   * up to min(old leaves, leaves) fill at the OLD price first, the rest at the new one; otherwise
   * (a price raise, or a sell: its hold is in base units) need(price, leaves). Extra hold asked
   * of an amend that raises the quantity and lowers the price: the added quantity at the new
   * price, not the price cut on the old leaves (those may still fill at the old price).
   */
  amendNeed(rec: RestOrder, price: number, leaves: number): bigint {
    if (this.side !== Side.BUY || price >= rec.price) return this.need(price, leaves);
    const atOld = Math.min(rec.leaves, leaves);
    return this.need(rec.price, atOld) + this.need(price, leaves - atOld);
  }

  /** PATCH /api/orders/:id of this order: reserve what the amended order may need beyond the
   *  current hold (`amendNeed`; 400 INSUFFICIENT_BALANCE, nothing changed, when not available). */
  beforeAmend(rec: RestOrder, price: number, leaves: number): void {
    if (rec.ordType !== OrdType.LIMIT) return;
    const need = this.amendNeed(rec, price, leaves);
    if (need > this.resv) {
      const extra = need - this.resv;
      const have = this.account.available(this.spend);
      if (extra > have) throw insufficient(this.spend, extra, have, leaves !== rec.leaves ? 'quantity' : 'price');
      this.account.reserved[this.spend.ix] = this.account.reserved[this.spend.ix]! + extra;
      this.resv = need;
    }
    if (need > this.floor) this.floor = need;
    this.amending++;
  }

  /** The amend's command completed (amended or rejected): back to what the order needs. */
  amendDone(rec: RestOrder): void {
    if (rec.ordType !== OrdType.LIMIT || this.amending === 0) return;
    if (--this.amending > 0) return; // another amend still in flight: keep the floor
    this.floor = 0n;
    this.sync(rec);
    this.checkOverdrawn(rec);
  }
}

export class Ledger {
  constructor(readonly assets: AssetTable, private readonly logger: Logger) {}

  /**
   * Reserve funds for a NEW order of `account` on book `b` and return its hold (attach it
   * to the REST record: rec.owner). `price`: limit price, or a market order's protection
   * price (0 = none). Market BUY without a protection price: the price of the ask level at
   * which `qty` would be completely filled in the current book (the main thread's L2 mirror;
   * the worst ask if the book is shallower) becomes its protection price, and qty x that
   * price is reserved: the order cannot spend more than it holds, and fills past that level
   * (the book moved meanwhile) are cancelled with the IOC remainder. No asks: 400
   * NO_LIQUIDITY. Throws 400 INSUFFICIENT_BALANCE with nothing changed.
   */
  open(account: Account, b: BookState, asks: () => [number, number, number][], side: number, ordType: number,
    price: number, qty: number, authorize: (authorization: string) => Promise<void>): { hold: OrderHold; price: number } {
    const pair = this.assets.pairs[b.inst];
    if (!pair) throw new HttpError(400, 'UNSUPPORTED_SYMBOL', `${b.symbol} is not tradable by accounts (no <ASSET>USD pair)`, 'symbol');
    if (side === Side.BUY && ordType === OrdType.MARKET && price === 0) {
      const levels = asks();
      if (levels.length === 0) {
        throw new HttpError(400, 'NO_LIQUIDITY', 'no asks to price a market buy against: give a protection price (price) or use a limit order', 'price');
      }
      let left = qty;
      price = levels[levels.length - 1]![0];
      for (const [p, q] of levels) {
        left -= q;
        if (left <= 0) {
          price = p;
          break;
        }
      }
    }
    const hold = new OrderHold(account, pair, side, this, authorize);
    const need = hold.need(price, qty);
    const have = account.available(hold.spend);
    if (need > have) throw insufficient(hold.spend, need, have, 'quantity');
    account.reserved[hold.spend.ix] = account.reserved[hold.spend.ix]! + need;
    hold.resv = need;
    return { hold, price };
  }

  private overdrawnLoggedAt = 0;
  /** Every overdraft (simex_accounts_overdrawn_total); the error line is at most one per second. */
  overdrafts = 0;
  overdrawn(account: Account, a: AssetInfo, rec: RestOrder): void {
    this.overdrafts++;
    const now = Date.now();
    if (now - this.overdrawnLoggedAt < 1000) return;
    this.overdrawnLoggedAt = now;
    this.logger.error({ user_id: account.userId, order_id: rec.id, ...account.balanceJson(a) },
      'account overdrawn: a fill settled beyond the funds held (amend racing a fill, or a command executed after its REST timeout)');
  }
}
