// Self-trade prevention: every mode, taker-side mode decides, owner 0 never self-trades.
import { describe, expect, it } from 'vitest';
import { CancelReason, OrdType, RejectReason, StpMode, Tif } from '../../src/engine/layout.js';
import { Harness, strip, types } from './helpers/harness.js';
import { implementations } from './helpers/impls.js';

const BUY = 0, SELL = 1;
const ST = CancelReason.SELF_TRADE;

describe.each(await implementations())('$name engine: self-trade prevention', (impl) => {
  const setup = () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 20, 9); // same owner as the taker below
    h.limit(2, SELL, 100, 20, 8);
    return h;
  };

  it('NONE: same-owner orders trade', () => {
    const h = setup();
    const evs = h.limit(3, BUY, 100, 30, 9, { stp: StpMode.NONE });
    expect(evs.filter((e) => e.type === 3).map((e) => (e as { makerId: number }).makerId)).toEqual([1, 2]);
  });

  it('CANCEL_NEWEST: the taker is cancelled, the resting order stays', () => {
    const h = setup();
    const evs = h.limit(3, BUY, 100, 30, 9, { stp: StpMode.CANCEL_NEWEST });
    expect(evs.map(strip)).toEqual([
      { type: 1, side: BUY, reason: 0, flags: 0, orderId: 3, owner: 9, price: 100, qty: 30 },
      { type: 4, side: BUY, reason: ST, flags: 0, orderId: 3, owner: 9, price: 100, leaves: 30, code: 'SELF_TRADE' },
    ]);
    expect(h.engine.stats(h.book).orders).toBe(2);
    expect(h.engine.order(h.book, 3)).toBeNull();
  });

  it('CANCEL_OLDEST: the resting order is cancelled and matching continues', () => {
    const h = setup();
    const evs = h.limit(3, BUY, 100, 30, 9, { stp: StpMode.CANCEL_OLDEST });
    expect(types(evs)).toEqual(['ACCEPTED', 'CANCELLED', 'TRADE', 'L2', 'L2']);
    expect(strip(evs[1]!)).toEqual({ type: 4, side: SELL, reason: ST, flags: 0, orderId: 1, owner: 9, price: 100, leaves: 20, code: 'SELF_TRADE' });
    expect(evs[2]).toMatchObject({ makerId: 2, qty: 20, takerLeaves: 10 });
    expect(strip(evs[3]!)).toMatchObject({ side: SELL, price: 100, totalQty: 0, orders: 0 });
    expect(strip(evs[4]!)).toMatchObject({ side: BUY, price: 100, totalQty: 10, orders: 1 });
  });

  it('CANCEL_BOTH: resting order and taker are both cancelled', () => {
    const h = setup();
    const evs = h.limit(3, BUY, 100, 30, 9, { stp: StpMode.CANCEL_BOTH });
    expect(types(evs)).toEqual(['ACCEPTED', 'CANCELLED', 'CANCELLED', 'L2']);
    expect(evs[1]).toMatchObject({ orderId: 1, side: SELL, leaves: 20, reason: ST });
    expect(evs[2]).toMatchObject({ orderId: 3, side: BUY, leaves: 30, reason: ST, price: 100 });
    expect(strip(evs[3]!)).toMatchObject({ side: SELL, price: 100, totalQty: 20, orders: 1 });
  });

  it('DECREMENT_AND_CANCEL, taker larger: maker cancelled, taker decremented and continues', () => {
    const h = setup();
    const evs = h.limit(3, BUY, 100, 30, 9, { stp: StpMode.DECREMENT_AND_CANCEL });
    expect(types(evs)).toEqual(['ACCEPTED', 'CANCELLED', 'DECREMENTED', 'TRADE', 'L2']);
    expect(evs[1]).toMatchObject({ orderId: 1, side: SELL, leaves: 20, reason: ST });
    expect(strip(evs[2]!)).toEqual({ type: 7, side: BUY, reason: 0, flags: 0, orderId: 3, owner: 9, price: 100, newLeaves: 10, decrement: 20 });
    expect(evs[3]).toMatchObject({ makerId: 2, qty: 10, takerLeaves: 0, makerLeaves: 10 });
    expect(strip(evs[4]!)).toMatchObject({ side: SELL, price: 100, totalQty: 10, orders: 1 });
  });

  it('DECREMENT_AND_CANCEL, maker larger: maker decremented, taker cancelled', () => {
    const h = setup();
    const evs = h.limit(3, BUY, 100, 10, 9, { stp: StpMode.DECREMENT_AND_CANCEL });
    expect(types(evs)).toEqual(['ACCEPTED', 'DECREMENTED', 'CANCELLED', 'L2']);
    expect(strip(evs[1]!)).toEqual({ type: 7, side: SELL, reason: 0, flags: 0, orderId: 1, owner: 9, price: 100, newLeaves: 10, decrement: 10 });
    expect(evs[2]).toMatchObject({ orderId: 3, side: BUY, leaves: 10, reason: ST });
    expect(strip(evs[3]!)).toMatchObject({ side: SELL, price: 100, totalQty: 30, orders: 2 });
    expect(h.engine.order(h.book, 1)).toMatchObject({ leaves: 10 });
  });

  it('DECREMENT_AND_CANCEL with a market taker reports price 0 in DECREMENTED', () => {
    const h = setup();
    const evs = h.limit(3, BUY, 0, 30, 9, { stp: StpMode.DECREMENT_AND_CANCEL, ordType: OrdType.MARKET, tif: Tif.IOC });
    expect(evs[2]).toMatchObject({ type: 7, price: 0, newLeaves: 10 });
  });

  it('owner 0 never self-trades; the taker\'s mode decides, not the maker\'s', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 10, 0, { stp: StpMode.CANCEL_BOTH });
    const evs = h.limit(2, BUY, 100, 10, 0, { stp: StpMode.CANCEL_NEWEST });
    expect(types(evs)).toEqual(['ACCEPTED', 'TRADE', 'L2']);
    h.limit(3, SELL, 100, 10, 4, { stp: StpMode.CANCEL_BOTH });
    expect(types(h.limit(4, BUY, 100, 10, 4, { stp: StpMode.NONE }))).toEqual(['ACCEPTED', 'TRADE', 'L2']);
  });

  it('FOK walk: CANCEL_OLDEST skips own orders, other modes make the order unfillable', () => {
    const h = setup();
    expect(types(h.limit(3, BUY, 100, 20, 9, { tif: Tif.FOK, stp: StpMode.CANCEL_OLDEST }))).toEqual(['ACCEPTED', 'CANCELLED', 'TRADE', 'L2']);
    const h2 = setup();
    expect(h2.limit(3, BUY, 100, 30, 9, { tif: Tif.FOK, stp: StpMode.CANCEL_OLDEST })[0]!.reason).toBe(RejectReason.FOK_NOT_FILLABLE);
    for (const stp of [StpMode.CANCEL_NEWEST, StpMode.CANCEL_BOTH, StpMode.DECREMENT_AND_CANCEL]) {
      const h3 = setup();
      expect(h3.limit(3, BUY, 100, 10, 9, { tif: Tif.FOK, stp })[0]!.reason).toBe(RejectReason.FOK_NOT_FILLABLE);
    }
  });

  it('an amended order re-matches with its stored STP mode', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 10, 9);
    h.limit(2, BUY, 90, 10, 9, { stp: StpMode.CANCEL_NEWEST });
    const evs = h.run((w, book) => w.amend({ book, orderId: 2, owner: 9, price: 100, qty: 10 }));
    expect(types(evs)).toEqual(['ACCEPTED', 'AMENDED', 'CANCELLED', 'L2']);
    expect(evs[2]).toMatchObject({ orderId: 2, reason: ST, price: 100, leaves: 10 });
    expect(h.engine.order(h.book, 2)).toBeNull();
    expect(h.run((w, book) => w.massCancel({ book, owner: 9 }))[0]).toMatchObject({ qty: 1 });
  });
});
