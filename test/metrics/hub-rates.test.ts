// Rates come from a sliding window of complete seconds, driven here by a fake clock.
import { describe, expect, it } from 'vitest';
import { MetricsHub } from '../../src/metrics/index.js';

function clock(start: number) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('MetricsHub sliding-window rates', () => {
  it('orders_per_sec, trades_per_sec and error_rate over the last 10 complete seconds', () => {
    const c = clock(1_700_000_000_000);
    const hub = new MetricsHub({ symbols: ['BTCUSD'], timer: false, defaultMetrics: false, now: c.now });
    // 30 s at 12 orders/s (1 in 12 rejected) and 3 trades/s, then 10 s at 2 orders/s.
    for (let s = 0; s < 30; s++) {
      for (let i = 0; i < 12; i++) hub.recordOrder('BTCUSD', 'buy', 'limit', i === 0 ? 'rejected' : 'accepted');
      for (let i = 0; i < 3; i++) hub.recordTrade('BTCUSD', 50_000, 0.1);
      c.advance(1000);
      hub.tick();
    }
    let r = hub.rates();
    expect(r.window_s).toBe(10);
    expect(r.orders_per_sec).toBe(12);
    expect(r.trades_per_sec).toBe(3);
    expect(r.error_rate).toBeCloseTo(100 / 12, 2);
    for (let s = 0; s < 10; s++) {
      hub.recordOrder('BTCUSD', 'sell', 'market', 'accepted');
      hub.recordOrder('BTCUSD', 'sell', 'market', 'accepted');
      c.advance(1000);
    }
    r = hub.rates();
    expect(r.orders_per_sec).toBe(2);
    expect(r.trades_per_sec).toBe(0);
    expect(r.error_rate).toBe(0);
    const m = hub.apiMetrics() as Record<string, unknown>;
    expect(m.order_count).toBe(30 * 12 + 20);
    expect(m.trade_count).toBe(90);
    hub.close();
  });

  it('uses the elapsed time right after start and 0 before the first complete second', () => {
    const c = clock(1_700_000_000_000);
    const hub = new MetricsHub({ symbols: ['BTCUSD'], timer: false, defaultMetrics: false, now: c.now });
    hub.recordOrder('BTCUSD', 'buy', 'limit', 'accepted');
    expect(hub.rates().orders_per_sec).toBe(0);
    c.advance(1000);
    hub.recordOrder('BTCUSD', 'buy', 'limit', 'accepted');
    hub.recordOrder('BTCUSD', 'buy', 'limit', 'accepted');
    c.advance(1000);
    const r = hub.rates();
    expect(r.window_s).toBe(2);
    expect(r.orders_per_sec).toBe(1.5);
    hub.close();
  });

  it('history keeps one light point per closed second', () => {
    const c = clock(1_700_000_000_000);
    const hub = new MetricsHub({ symbols: ['BTCUSD'], timer: false, defaultMetrics: false, now: c.now, historyPoints: 5 });
    const seen: number[] = [];
    hub.onFeed((p) => seen.push(p.orders_1s));
    for (let s = 0; s < 8; s++) {
      for (let i = 0; i < s; i++) hub.recordOrder('BTCUSD', 'buy', 'limit', 'accepted');
      c.advance(1000);
      hub.tick();
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const h = hub.historyPoints();
    expect(h.map((p) => p.orders_1s)).toEqual([3, 4, 5, 6, 7]);
    expect(h[0]!.books).toBeUndefined();
    hub.close();
  });
});
