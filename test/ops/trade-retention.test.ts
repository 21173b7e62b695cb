// Trade lookup beyond the tape: TradeTape.find finds retained ids only (the oldest are
// overwritten), range() names what is kept, and find-trade's explanation tells "no longer
// retained" from "not traded yet".
import { describe, expect, it } from 'vitest';
import { TradeTape } from '../../src/server/trade-tape.js';
import { absentWhy } from '../../src/ops/find-trade.js';

describe('trade retention', () => {
  it('find() returns retained trades by id, null for overwritten and future ids', () => {
    const t = new TradeTape('BTCUSD', 4);
    expect(t.find(1)).toBeNull();
    expect(t.range()).toBeNull();
    for (let i = 1; i <= 10; i++) t.push(i, 100 + i, 1, i % 2 === 0, 1000 + i, 2000 + i, i);
    expect(t.range()).toEqual({ oldest: 7, newest: 10 });
    expect(t.find(6)).toBeNull();
    expect(t.find(11)).toBeNull();
    expect(t.find(7)).toMatchObject({ trade_id: 7, price: 107, buy_order_id: 1007, sell_order_id: 2007, side: 'buy' });
    expect(t.find(10)).toMatchObject({ trade_id: 10, side: 'sell' });
  });

  it('find() also works when ids do not follow the tape numbers (binary search)', () => {
    const t = new TradeTape('ETHUSD', 8);
    for (const id of [5, 9, 12, 20, 21]) t.push(id, 1, 1, false, 1, 2, 0);
    expect(t.find(12)?.trade_id).toBe(12);
    expect(t.find(21)?.trade_id).toBe(21);
    expect(t.find(5)?.trade_id).toBe(5);
    expect(t.find(10)).toBeNull();
  });

  it('absentWhy distinguishes evicted, future and empty', () => {
    expect(absentWhy(3, { oldest_trade_id: 7, newest_trade_id: 1006, retained: 1000, capacity: 1000 }))
      .toBe('no longer retained (keeps the last 1000: 7..1006)');
    expect(absentWhy(2000, { oldest_trade_id: 7, newest_trade_id: 1006, retained: 1000, capacity: 1000 })).toBe('not traded yet (newest is 1006)');
    expect(absentWhy(1, { oldest_trade_id: null, newest_trade_id: null, retained: 0, capacity: 1000 })).toBe('no trades yet');
  });
});
