// CANCEL and AMEND: priority rules, crossing amends, owner checks.
import { describe, expect, it } from 'vitest';
import { AmendFlags, CancelReason, Flags, RejectReason } from '../../src/engine/layout.js';
import { Harness, strip, types } from './helpers/harness.js';
import { implementations } from './helpers/impls.js';

const BUY = 0, SELL = 1;

describe.each(await implementations())('$name engine: cancel and amend', (impl) => {
  it('cancel: ACCEPTED with price and leaves, CANCELLED(USER), L2', () => {
    const h = new Harness(impl.create());
    h.limit(1, BUY, 100, 30, 7);
    h.limit(2, BUY, 100, 20, 8);
    const evs = h.run((w, book) => w.cancel({ book, orderId: 1, owner: 7 }));
    expect(evs.map(strip)).toEqual([
      { type: 1, side: BUY, reason: 0, flags: 0, orderId: 1, owner: 7, price: 100, qty: 30 },
      { type: 4, side: BUY, reason: CancelReason.USER, flags: 0, orderId: 1, owner: 7, price: 100, leaves: 30, code: 'USER' },
      { type: 6, side: BUY, reason: 0, flags: 0, price: 100, totalQty: 20, orders: 1 },
    ]);
    expect(h.engine.order(h.book, 1)).toBeNull();
    // A second cancel of the same id is UNKNOWN_ORDER; a foreign owner gets NOT_OWNER.
    expect(h.run((w, book) => w.cancel({ book, orderId: 1, owner: 7 }))[0]!.reason).toBe(RejectReason.UNKNOWN_ORDER);
    expect(h.run((w, book) => w.cancel({ book, orderId: 2, owner: 7 }))[0]!.reason).toBe(RejectReason.NOT_OWNER);
  });

  it('cancel of a partially filled order reports its remaining leaves; a filled order is unknown', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 30);
    h.limit(2, BUY, 100, 10, 2);
    expect(h.run((w, book) => w.cancel({ book, orderId: 1, owner: 1 }))[1]).toMatchObject({ type: 4, leaves: 20 });
    h.limit(3, SELL, 100, 10);
    h.limit(4, BUY, 100, 10, 2);
    expect(h.run((w, book) => w.cancel({ book, orderId: 3, owner: 1 }))[0]!.reason).toBe(RejectReason.UNKNOWN_ORDER);
  });

  it('amend qty down at the same price keeps time priority', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 30, 1);
    h.limit(2, SELL, 100, 30, 2);
    const evs = h.run((w, book) => w.amend({ book, orderId: 1, owner: 1, price: 100, qty: 10 }));
    expect(evs.map(strip)).toEqual([
      { type: 1, side: SELL, reason: 0, flags: 0, orderId: 1, owner: 1, price: 100, qty: 10 },
      { type: 5, side: SELL, reason: 0, flags: AmendFlags.PRIORITY_KEPT, orderId: 1, owner: 1, newPrice: 100, newLeaves: 10, oldPrice: 100, oldLeaves: 30 },
      { type: 6, side: SELL, reason: 0, flags: 0, price: 100, totalQty: 40, orders: 2 },
    ]);
    const t = h.limit(3, BUY, 100, 10, 3);
    expect(t[1]).toMatchObject({ type: 3, makerId: 1 });
  });

  it('amend qty up loses priority (moves to the back of the level)', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 10, 1);
    h.limit(2, SELL, 100, 10, 2);
    const evs = h.run((w, book) => w.amend({ book, orderId: 1, owner: 1, price: 100, qty: 20 }));
    expect(types(evs)).toEqual(['ACCEPTED', 'AMENDED', 'L2']);
    expect(strip(evs[1]!)).toMatchObject({ flags: 0, newLeaves: 20, oldLeaves: 10, newPrice: 100, oldPrice: 100 });
    // One L2: remove + re-add at the same (side, price) coalesce.
    expect(strip(evs[2]!)).toMatchObject({ price: 100, totalQty: 30, orders: 2 });
    const t = h.limit(3, BUY, 100, 10, 3);
    expect(t[1]).toMatchObject({ type: 3, makerId: 2 });
  });

  it('amend to a new price loses priority and moves the order between levels', () => {
    const h = new Harness(impl.create());
    h.limit(1, BUY, 90, 10, 1);
    h.limit(2, BUY, 95, 10, 2);
    const evs = h.run((w, book) => w.amend({ book, orderId: 1, owner: 1, price: 95, qty: 10 }));
    expect(types(evs)).toEqual(['ACCEPTED', 'AMENDED', 'L2', 'L2']);
    expect(strip(evs[2]!)).toMatchObject({ side: BUY, price: 90, totalQty: 0, orders: 0 });
    expect(strip(evs[3]!)).toMatchObject({ side: BUY, price: 95, totalQty: 20, orders: 2 });
    expect(h.engine.order(h.book, 1)).toMatchObject({ price: 95, leaves: 10 });
    const t = h.limit(3, SELL, 95, 10, 3);
    expect(t[1]).toMatchObject({ type: 3, makerId: 2 });
  });

  it('a crossing amend matches immediately (AMENDED before TRADE) and rests the remainder', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 10, 1);
    h.limit(2, BUY, 90, 30, 2);
    const evs = h.run((w, book) => w.amend({ book, orderId: 2, owner: 2, price: 100, qty: 30 }));
    expect(types(evs)).toEqual(['ACCEPTED', 'AMENDED', 'TRADE', 'L2', 'L2', 'L2']);
    expect(evs[2]).toMatchObject({ takerId: 2, makerId: 1, price: 100, qty: 10, takerLeaves: 20, makerLeaves: 0, side: BUY });
    expect(evs.slice(3).map((e) => [e.side, (e as { price: number }).price, (e as { totalQty: number }).totalQty])).toEqual([
      [BUY, 90, 0], [SELL, 100, 0], [BUY, 100, 20],
    ]);
    expect(h.engine.order(h.book, 2)).toMatchObject({ price: 100, leaves: 20 });
  });

  it('a crossing amend that fills completely removes the order', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 50, 1);
    h.limit(2, BUY, 90, 30, 2);
    h.run((w, book) => w.amend({ book, orderId: 2, owner: 2, price: 100, qty: 30 }));
    expect(h.engine.order(h.book, 2)).toBeNull();
    expect(h.engine.stats(h.book).orders).toBe(1);
    expect(h.run((w, book) => w.massCancel({ book, owner: 2 }))[0]).toMatchObject({ type: 1, qty: 0 });
  });

  it('amend rejects: no change, bad qty/lot/price, post-only cross, owner, unknown', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 10, 1);
    h.limit(2, BUY, 90, 10, 2, { flags: Flags.POST_ONLY });
    const amend = (orderId: number, owner: number, price: number, qty: number) =>
      h.run((w, book) => w.amend({ book, orderId, owner, price, qty }))[0]!.reason;
    expect(amend(2, 2, 90, 10)).toBe(RejectReason.AMEND_NO_CHANGE);
    expect(amend(2, 2, 100, 10)).toBe(RejectReason.POST_ONLY_WOULD_CROSS);
    expect(amend(2, 2, 90, 0)).toBe(RejectReason.BAD_QUANTITY);
    expect(amend(2, 2, 90, 15)).toBe(RejectReason.BAD_LOT);
    expect(amend(2, 2, 92, 10)).toBe(RejectReason.OFF_TICK);
    expect(amend(2, 2, 0, 10)).toBe(RejectReason.BAD_PRICE);
    expect(amend(2, 3, 95, 10)).toBe(RejectReason.NOT_OWNER);
    expect(amend(9, 2, 95, 10)).toBe(RejectReason.UNKNOWN_ORDER);
    expect(amend(0, 2, 95, 10)).toBe(RejectReason.BAD_ORDER_ID);
    // Post-only may still move away from the touch.
    expect(h.run((w, book) => w.amend({ book, orderId: 2, owner: 2, price: 95, qty: 10 }))[1]).toMatchObject({ type: 5, newPrice: 95 });
  });
});
