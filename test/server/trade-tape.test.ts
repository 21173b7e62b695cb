// TradeTape (src/server/trade-tape.ts): newest-first reads, wrap-around past capacity, and
// `since` (the JSON feed's cursor) returning exactly the retained trades after a number.
import { describe, expect, it } from 'vitest';
import { TradeTape } from '../../src/server/trade-tape.js';

function fill(t: TradeTape, from: number, to: number): void {
  for (let n = from; n <= to; n++) t.push(n * 10, 50_000 + n / 100, n / 1000, n % 2 === 0, 1000 + n, 2000 + n, 1_700_000_000_000 + n);
}

describe('TradeTape', () => {
  it('reads back the newest trades, field by field, across wrap-around', () => {
    const t = new TradeTape('BTCUSD', 8);
    expect(t.recent(5)).toEqual([]);
    fill(t, 1, 3);
    expect(t.recent(10).map((r) => r.trade_id)).toEqual([30, 20, 10]);
    expect(t.recent(1)[0]).toEqual({
      trade_id: 30, symbol: 'BTCUSD', price: 50_000.03, quantity: 0.003, side: 'buy', buy_order_id: 1003, sell_order_id: 2003,
      ts: 1_700_000_000_003,
    });
    fill(t, 4, 21); // 21 trades into 8 slots
    expect(t.count).toBe(21);
    expect(t.size).toBe(8);
    expect(t.recent(100).map((r) => r.trade_id)).toEqual([210, 200, 190, 180, 170, 160, 150, 140]);
    expect(t.recent(2)[1]!.side).toBe('sell'); // trade 20: aggressor sold
  });

  it('since(n, max): retained trades after n, oldest first, newest max of them', () => {
    const t = new TradeTape('ETHUSD', 8);
    fill(t, 1, 5);
    expect(t.since(0, 100).map((r) => r.trade_id)).toEqual([10, 20, 30, 40, 50]);
    expect(t.since(3, 100).map((r) => r.trade_id)).toEqual([40, 50]);
    expect(t.since(5, 100)).toEqual([]);
    expect(t.since(0, 2).map((r) => r.trade_id)).toEqual([40, 50]);
    fill(t, 6, 30);
    expect(t.since(5, 100).map((r) => r.trade_id)).toEqual([230, 240, 250, 260, 270, 280, 290, 300]); // older ones gone
  });
});
