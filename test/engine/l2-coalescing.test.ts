// L2 updates: deferred to the end of the command, one per pending (side, price) entry;
// consecutive touches of the same level coalesce, non-consecutive repeats emit again, and
// every entry reports the level's values at the END of the command ((0, 0) if gone).
import { describe, expect, it } from 'vitest';
import { StpMode } from '../../src/engine/layout.js';
import { Harness, type Ev } from './helpers/harness.js';
import { implementations } from './helpers/impls.js';

const BUY = 0, SELL = 1;
const l2 = (evs: Ev[]) => evs.filter((e) => e.type === 6).map((e) => [e.side, (e as { price: number }).price, (e as { totalQty: number }).totalQty, (e as { orders: number }).orders]);

describe.each(await implementations())('$name engine: L2 coalescing', (impl) => {
  it('several fills in one level give one L2, after all trades', () => {
    const h = new Harness(impl.create());
    for (let i = 1; i <= 4; i++) h.limit(i, SELL, 100, 10, i);
    const evs = h.limit(9, BUY, 100, 30, 9);
    expect(evs.map((e) => e.type)).toEqual([1, 3, 3, 3, 6]);
    expect(l2(evs)).toEqual([[SELL, 100, 10, 1]]);
  });

  it('non-consecutive touches of the same level emit again, each with end-of-command values', () => {
    const h = new Harness(impl.create());
    h.limit(1, BUY, 90, 10, 5);
    h.limit(2, BUY, 95, 10, 5);
    h.limit(3, BUY, 90, 10, 5);
    h.limit(4, BUY, 90, 10, 6);
    const evs = h.run((w, book) => w.massCancel({ book, owner: 5 }));
    expect(l2(evs)).toEqual([[BUY, 90, 10, 1], [BUY, 95, 0, 0], [BUY, 90, 10, 1]]);
  });

  it('a level emptied and re-created in one command reports its final state once per entry', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 10, 1);
    // Buy 30 @100: empties ask 100, then rests a bid at 100: two different (side, price) keys.
    expect(l2(h.limit(2, BUY, 100, 30, 2))).toEqual([[SELL, 100, 0, 0], [BUY, 100, 20, 1]]);
  });

  it('amend with qty up at the same price: remove + re-add coalesce into one entry', () => {
    const h = new Harness(impl.create());
    h.limit(1, BUY, 90, 10, 1);
    const evs = h.run((w, book) => w.amend({ book, orderId: 1, owner: 1, price: 90, qty: 40 }));
    expect(l2(evs)).toEqual([[BUY, 90, 40, 1]]);
  });

  it('STP decrement then trade on the same level coalesce; a decrement on another level does not', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 20, 7);
    h.limit(2, SELL, 100, 20, 8);
    h.limit(3, SELL, 105, 20, 7);
    h.limit(4, SELL, 105, 20, 8);
    const evs = h.limit(9, BUY, 105, 70, 7, { stp: StpMode.DECREMENT_AND_CANCEL });
    expect(evs.map((e) => e.type)).toEqual([1, 4, 7, 3, 4, 7, 3, 6, 6]);
    expect(l2(evs)).toEqual([[SELL, 100, 0, 0], [SELL, 105, 10, 1]]);
  });

  it('cancelled orders from different levels each get an L2 in event order', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 110, 10, 3);
    h.limit(2, BUY, 90, 10, 3);
    h.limit(3, SELL, 120, 10, 3);
    expect(l2(h.run((w, book) => w.massCancel({ book, owner: 3 })))).toEqual([[SELL, 110, 0, 0], [BUY, 90, 0, 0], [SELL, 120, 0, 0]]);
  });
});
