// MASS_CANCEL: all of an owner's orders in this book, oldest acceptance first.
import { describe, expect, it } from 'vitest';
import { CancelReason, RejectReason } from '../../src/engine/layout.js';
import { Harness, SPEC, strip, types } from './helpers/harness.js';
import { implementations } from './helpers/impls.js';

const BUY = 0, SELL = 1;

describe.each(await implementations())('$name engine: mass cancel', (impl) => {
  it('cancels the owner\'s orders in acceptance order and leaves others alone', () => {
    const h = new Harness(impl.create());
    h.limit(1, BUY, 90, 10, 5);
    h.limit(2, SELL, 120, 20, 5);
    h.limit(3, BUY, 90, 10, 6);
    h.limit(4, BUY, 95, 30, 5);
    // Amending 1 (loses level priority) does not change its owner-list position.
    h.run((w, book) => w.amend({ book, orderId: 1, owner: 5, price: 85, qty: 10 }));
    const evs = h.run((w, book) => w.massCancel({ book, owner: 5 }));
    expect(types(evs)).toEqual(['ACCEPTED', 'CANCELLED', 'CANCELLED', 'CANCELLED', 'L2', 'L2', 'L2']);
    expect(strip(evs[0]!)).toEqual({ type: 1, side: 0, reason: 0, flags: 0, orderId: 0, owner: 5, price: 0, qty: 3 });
    expect(evs.slice(1, 4).map((e) => [e.reason, (e as { orderId: number }).orderId, e.side, (e as { price: number }).price, (e as { leaves: number }).leaves])).toEqual([
      [CancelReason.MASS_CANCEL, 1, BUY, 85, 10],
      [CancelReason.MASS_CANCEL, 2, SELL, 120, 20],
      [CancelReason.MASS_CANCEL, 4, BUY, 95, 30],
    ]);
    expect(evs.slice(4).map((e) => [e.side, (e as { price: number }).price, (e as { totalQty: number }).totalQty])).toEqual([
      [BUY, 85, 0], [SELL, 120, 0], [BUY, 95, 0],
    ]);
    expect(h.engine.stats(h.book).orders).toBe(1);
    expect(h.engine.order(h.book, 3)).toMatchObject({ owner: 6 });
  });

  it('is accepted with zero orders, and owner 0 is BAD_OWNER', () => {
    const h = new Harness(impl.create());
    h.limit(1, BUY, 90, 10, 0);
    expect(types(h.run((w, book) => w.massCancel({ book, owner: 77 })))).toEqual(['ACCEPTED']);
    const r = h.run((w, book) => w.massCancel({ book, owner: 0 }));
    expect(types(r)).toEqual(['REJECTED']);
    expect(r[0]!.reason).toBe(RejectReason.BAD_OWNER);
    expect(h.engine.stats(h.book).orders).toBe(1);
  });

  it('only affects the book it is sent to', () => {
    const e = impl.create();
    const a = new Harness(e);
    const b = e.addBook({ ...SPEC, symbol: 'OTHERUSD' });
    a.limit(1, BUY, 90, 10, 5);
    a.run((w) => w.newOrder({ book: b, orderId: 1, owner: 5, side: BUY, price: 90, qty: 10 }));
    a.run((w) => w.massCancel({ book: b, owner: 5 }));
    expect(e.stats(a.book).orders).toBe(1);
    expect(e.stats(b).orders).toBe(0);
  });
});
