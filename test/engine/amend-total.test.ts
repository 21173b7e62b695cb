// AMEND with AmendCmdFlags.TOTAL_QTY (FIX OrderCancelReplaceRequest semantics): qty is the
// order's new TOTAL quantity, leaves = total - filled; a total at or below what the order has
// traded cancels the remainder (CANCELLED AMEND_TO_FILLED, no AMENDED). Regression for the
// review finding "AMEND sets absolute leaves": amend 10 down to 5 while a fill of 3 is in
// flight used to end with 3 filled + 5 open = 8.
import { describe, expect, it } from 'vitest';
import { AmendCmdFlags, AmendFlags, CancelReason, CmdType, RejectReason } from '../../src/engine/layout.js';
import { Harness, strip, types } from './helpers/harness.js';
import { implementations } from './helpers/impls.js';

const BUY = 0, SELL = 1;
const TOTAL = AmendCmdFlags.TOTAL_QTY;

describe.each(await implementations())('$name engine: AMEND with TOTAL_QTY', (impl) => {
  it('a fill queued in the same batch before the amend counts against the total (10 -> 5, 3 filled: 2 open)', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 100, 7);
    const evs = h.run((w, book) => {
      w.newOrder({ book, orderId: 2, owner: 8, side: BUY, price: 100, qty: 30 });
      w.amend({ book, orderId: 1, owner: 7, price: 100, qty: 50, flags: TOTAL });
    });
    expect(types(evs)).toEqual(['ACCEPTED', 'TRADE', 'L2', 'ACCEPTED', 'AMENDED', 'L2']);
    // ACCEPTED echoes the total asked; AMENDED reports the leaves it results in.
    expect(strip(evs[3]!)).toMatchObject({ type: 1, orderId: 1, price: 100, qty: 50 });
    expect(strip(evs[4]!)).toEqual({
      type: 5, side: SELL, reason: 0, flags: AmendFlags.PRIORITY_KEPT, orderId: 1, owner: 7,
      newPrice: 100, newLeaves: 20, oldPrice: 100, oldLeaves: 70,
    });
    expect(h.engine.order(h.book, 1)).toMatchObject({ leaves: 20, filled: 30 });
  });

  it('without the flag the same batch keeps the v1 meaning: qty is the new open quantity', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 100, 7);
    const evs = h.run((w, book) => {
      w.newOrder({ book, orderId: 2, owner: 8, side: BUY, price: 100, qty: 30 });
      w.amend({ book, orderId: 1, owner: 7, price: 100, qty: 50 });
    });
    expect(strip(evs[4]!)).toMatchObject({ type: 5, newLeaves: 50, oldLeaves: 70 });
    expect(h.engine.order(h.book, 1)).toMatchObject({ leaves: 50, filled: 30 });
  });

  it.each([
    ['equal to', 30],
    ['below', 20],
  ])('a total %s the filled quantity cancels the remainder: CANCELLED AMEND_TO_FILLED, no AMENDED', (_what, total) => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 100, 7);
    h.limit(3, SELL, 105, 10, 9);
    const evs = h.run((w, book) => {
      w.newOrder({ book, orderId: 2, owner: 8, side: BUY, price: 100, qty: 30 });
      w.amend({ book, orderId: 1, owner: 7, price: 100, qty: total, flags: TOTAL, ts: 4242 });
    });
    expect(types(evs)).toEqual(['ACCEPTED', 'TRADE', 'L2', 'ACCEPTED', 'CANCELLED', 'L2']);
    expect(evs[4]).toMatchObject({
      type: 4, side: SELL, reason: CancelReason.AMEND_TO_FILLED, code: 'AMEND_TO_FILLED', cmdType: CmdType.AMEND,
      ts: 4242, orderId: 1, owner: 7, price: 100, leaves: 70,
    });
    expect(strip(evs[5]!)).toMatchObject({ type: 6, side: SELL, price: 100, totalQty: 0, orders: 0 });
    expect(h.engine.order(h.book, 1)).toBeNull();
    // Gone from its owner's list as well: a mass cancel of owner 7 finds nothing.
    expect(h.run((w, book) => w.massCancel({ book, owner: 7 }))[0]).toMatchObject({ type: 1, qty: 0 });
  });

  it('a total above the filled quantity can also raise the leaves (loses priority)', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 100, 7);
    h.limit(4, SELL, 100, 10, 9);
    h.limit(2, BUY, 100, 30, 8);
    const evs = h.run((w, book) => w.amend({ book, orderId: 1, owner: 7, price: 100, qty: 150, flags: TOTAL }));
    expect(strip(evs[1]!)).toMatchObject({ type: 5, flags: 0, newLeaves: 120, oldLeaves: 70 });
    expect(h.limit(5, BUY, 100, 10, 8)[1]).toMatchObject({ type: 3, makerId: 4 });
    expect(h.engine.order(h.book, 1)).toMatchObject({ leaves: 120, filled: 30 });
  });

  it('fills as a taker on entry and on a crossing amend count; STP decrements do not', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 40, 9);
    h.limit(2, BUY, 100, 100, 7); // takes 40 on entry, rests 60
    expect(h.engine.order(h.book, 2)).toMatchObject({ leaves: 60, filled: 40 });
    h.limit(3, SELL, 110, 30, 9);
    // Reprice to 110, total 120: leaves 80 re-enter, take 30, rest 50; filled 70.
    const evs = h.run((w, book) => w.amend({ book, orderId: 2, owner: 7, price: 110, qty: 120, flags: TOTAL }));
    expect(types(evs).slice(0, 3)).toEqual(['ACCEPTED', 'AMENDED', 'TRADE']);
    expect(strip(evs[1]!)).toMatchObject({ newLeaves: 80, oldLeaves: 60, newPrice: 110 });
    expect(h.engine.order(h.book, 2)).toMatchObject({ leaves: 50, filled: 70 });
    // An own IOC sell with DECREMENT_AND_CANCEL takes 20 off order 2 without a trade.
    h.limit(4, SELL, 110, 20, 7, { tif: 1, stp: 4 });
    expect(h.engine.order(h.book, 2)).toMatchObject({ leaves: 30, filled: 70 });
    expect(h.run((w, book) => w.amend({ book, orderId: 2, owner: 7, price: 110, qty: 120, flags: TOTAL }))[1])
      .toMatchObject({ type: 5, newLeaves: 50, oldLeaves: 30 });
  });

  it('validation: unknown flag bits (bit0 included) are BAD_FLAGS before the order id; the total is range/lot checked; price before the cancel', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 100, 7);
    h.limit(2, BUY, 100, 30, 8);
    for (const flags of [1, 3, 4, 0x80, 0xff]) {
      expect(h.run((w, book) => w.amend({ book, orderId: 1, owner: 7, price: 100, qty: 50, flags }))[0], `flags ${flags}`)
        .toMatchObject({ type: 2, reason: RejectReason.BAD_FLAGS });
    }
    expect(h.run((w, book) => w.amend({ book, orderId: 0, owner: 7, price: 100, qty: 50, flags: 1 }))[0]!.reason).toBe(RejectReason.BAD_FLAGS);
    const amendT = (qty: number, price = 100, owner = 7) =>
      h.run((w, book) => w.amend({ book, orderId: 1, owner, price, qty, flags: TOTAL }))[0]!;
    expect(amendT(50, 100, 9).reason).toBe(RejectReason.NOT_OWNER);
    expect(amendT(0).reason).toBe(RejectReason.BAD_QUANTITY);
    expect(amendT(25).reason).toBe(RejectReason.BAD_LOT);
    expect(amendT(20, 103).reason).toBe(RejectReason.OFF_TICK); // would cancel, but the request is invalid
    expect(amendT(100).reason).toBe(RejectReason.AMEND_NO_CHANGE); // 100 - 30 = the current 70
    expect(h.engine.order(h.book, 1)).toMatchObject({ leaves: 70, filled: 30 });
  });

  it('post-only: an amend of a post-only order that would cross is rejected, but a total at the filled quantity still cancels', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 100, 7, { flags: 1 });
    h.limit(2, BUY, 100, 30, 8);
    h.limit(3, BUY, 95, 10, 8);
    expect(h.run((w, book) => w.amend({ book, orderId: 1, owner: 7, price: 95, qty: 60, flags: TOTAL }))[0]!.reason)
      .toBe(RejectReason.POST_ONLY_WOULD_CROSS);
    expect(h.run((w, book) => w.amend({ book, orderId: 1, owner: 7, price: 95, qty: 30, flags: TOTAL }))[1])
      .toMatchObject({ type: 4, reason: CancelReason.AMEND_TO_FILLED, leaves: 70 });
  });

  it('the filled quantity survives snapshot/restore', () => {
    const a = impl.create();
    const h = new Harness(a);
    h.limit(1, SELL, 100, 100, 7);
    h.limit(2, BUY, 100, 30, 8);
    const b = new Harness(impl.create());
    b.engine.restore(b.book, a.snapshot(h.book));
    expect(b.engine.order(b.book, 1)).toMatchObject({ leaves: 70, filled: 30 });
    expect(b.run((w, book) => w.amend({ book, orderId: 1, owner: 7, price: 100, qty: 30, flags: TOTAL }))[1])
      .toMatchObject({ type: 4, reason: CancelReason.AMEND_TO_FILLED });
  });
});
