// Price-time priority, partial fills, trades at the maker's price (ENGINE-SEMANTICS "Matching").
import { describe, expect, it } from 'vitest';
import { Harness, strip, types } from './helpers/harness.js';
import { implementations } from './helpers/impls.js';

const BUY = 0, SELL = 1;

describe.each(await implementations())('$name engine: price-time priority', (impl) => {
  it('fills the better price first, then FIFO within a level, at the maker price', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 20, 11);
    h.limit(2, SELL, 100, 20, 12);
    h.limit(3, SELL, 95, 10, 13);
    const evs = h.limit(4, BUY, 100, 40, 14);
    expect(types(evs)).toEqual(['ACCEPTED', 'TRADE', 'TRADE', 'TRADE', 'L2', 'L2']);
    expect(strip(evs[0]!)).toMatchObject({ type: 1, side: BUY, orderId: 4, owner: 14, price: 100, qty: 40 });
    expect(evs.slice(1, 4).map(strip)).toEqual([
      { type: 3, side: BUY, reason: 0, flags: 0, takerId: 4, makerId: 3, price: 95, qty: 10, takerLeaves: 30, makerLeaves: 0, matchId: 1 },
      { type: 3, side: BUY, reason: 0, flags: 0, takerId: 4, makerId: 1, price: 100, qty: 20, takerLeaves: 10, makerLeaves: 0, matchId: 2 },
      { type: 3, side: BUY, reason: 0, flags: 0, takerId: 4, makerId: 2, price: 100, qty: 10, takerLeaves: 0, makerLeaves: 10, matchId: 3 },
    ]);
    expect(evs.slice(4).map(strip)).toEqual([
      { type: 6, side: SELL, reason: 0, flags: 0, price: 95, totalQty: 0, orders: 0 },
      { type: 6, side: SELL, reason: 0, flags: 0, price: 100, totalQty: 10, orders: 1 },
    ]);
    expect(h.engine.order(h.book, 1)).toBeNull();
    expect(h.engine.order(h.book, 2)).toMatchObject({ orderId: 2, leaves: 10, price: 100, side: SELL, owner: 12 });
    expect(h.engine.stats(h.book)).toMatchObject({ orders: 1, bidLevels: 0, askLevels: 1, lastTradePrice: 100 });
  });

  it('a partially filled GTC taker rests its remainder at its limit, behind nothing', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 10);
    const evs = h.limit(2, BUY, 105, 30, 2);
    expect(types(evs)).toEqual(['ACCEPTED', 'TRADE', 'L2', 'L2']);
    expect(evs[1]).toMatchObject({ takerId: 2, makerId: 1, price: 100, qty: 10, takerLeaves: 20, makerLeaves: 0 });
    expect(strip(evs[2]!)).toMatchObject({ side: SELL, price: 100, totalQty: 0, orders: 0 });
    expect(strip(evs[3]!)).toMatchObject({ side: BUY, price: 105, totalQty: 20, orders: 1 });
    expect(h.engine.bestBid(h.book)).toEqual({ price: 105, qty: 20, orders: 1 });
    expect(h.engine.bestAsk(h.book)).toBeNull();
  });

  it('sell takers walk bids from the highest price down and stop at their limit', () => {
    const h = new Harness(impl.create());
    h.limit(1, BUY, 90, 10);
    h.limit(2, BUY, 100, 10);
    h.limit(3, BUY, 95, 10);
    h.limit(4, BUY, 100, 10);
    const evs = h.limit(5, SELL, 95, 100, 2);
    const trades = evs.filter((e) => e.type === 3);
    expect(trades.map((t) => [(t as { makerId: number }).makerId, (t as { price: number }).price])).toEqual([[2, 100], [4, 100], [3, 95]]);
    expect(h.engine.bestAsk(h.book)).toEqual({ price: 95, qty: 70, orders: 1 });
    expect(h.engine.bestBid(h.book)).toEqual({ price: 90, qty: 10, orders: 1 });
    const d = h.engine.depth(h.book, 10);
    expect(d.bids).toEqual([{ price: 90, qty: 10, orders: 1 }]);
    expect(d.asks).toEqual([{ price: 95, qty: 70, orders: 1 }]);
  });

  it('depth lists levels best first with aggregated quantity and order counts', () => {
    const h = new Harness(impl.create());
    h.limit(1, BUY, 90, 10); h.limit(2, BUY, 95, 20); h.limit(3, BUY, 95, 30);
    h.limit(4, SELL, 110, 10); h.limit(5, SELL, 105, 10); h.limit(6, SELL, 120, 40);
    const d = h.engine.depth(h.book, 2);
    expect(d.bids).toEqual([{ price: 95, qty: 50, orders: 2 }, { price: 90, qty: 10, orders: 1 }]);
    expect(d.asks).toEqual([{ price: 105, qty: 10, orders: 1 }, { price: 110, qty: 10, orders: 1 }]);
    expect(d.seq).toBe(h.engine.stats(h.book).seq);
    expect(h.engine.stats(h.book)).toMatchObject({ orders: 6, bidLevels: 2, askLevels: 3, lastTradePrice: 0 });
  });
});
