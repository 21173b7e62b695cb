// After a known sequence of record* calls, /metrics shows exactly the expected counter series
// (values, label normalisation, first-touch order) and /api/metrics the matching totals; the
// coarse clock attributes calls to the second it last synced.
import { describe, expect, it } from 'vitest';
import { METRIC_CODES, MetricsHub } from '../../src/metrics/index.js';
import { OrdType, Side } from '../../src/engine/layout.js';

const series = (text: string, name: string): string[] => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

describe('MetricsHub order/request/trade exposition', () => {
  it('/metrics lists the counted series with their values in first-touch order', async () => {
    const hub = new MetricsHub({ symbols: ['BTCUSD', 'ETHUSD'], timer: false, defaultMetrics: false });
    for (let i = 0; i < 7; i++) hub.recordOrder('BTCUSD', 'buy', 'limit', 'accepted');
    for (let i = 0; i < 2; i++) hub.recordOrder('ETHUSD', 'sell', 'market', 'rejected');
    hub.recordOrder('DOGEUSD', 'buy', 'limit', 'error');
    hub.recordOrder('BTCUSD', 'hold', 'stop', 'maybe');
    for (let i = 0; i < 3; i++) hub.recordOrder('BTCUSD', 'buy', 'limit', 'accepted');
    hub.recordRequest('cancel', 'ETHUSD', 'accepted');
    hub.recordRequest('cancel', 'ETHUSD', 'accepted');
    hub.recordRequest('replace', 'BTCUSD', 'error');
    hub.recordTrade('BTCUSD', 50_000, 0.5, 'buy', 1_700_000_000_000);
    hub.recordTrade('BTCUSD', 50_010, 0.25, 'sell', 1_700_000_000_001);
    hub.recordTrade('XRPUSD', 0.5, 100, 'sell', 1_700_000_000_002);
    hub.recordTrade('BTCUSD', 0, 1); // ignored: no price
    const text = await hub.prometheusText();
    expect(series(text, 'simex_orders_total')).toEqual([
      'simex_orders_total{symbol="BTCUSD",side="buy",type="limit",result="accepted"} 10',
      'simex_orders_total{symbol="ETHUSD",side="sell",type="market",result="rejected"} 2',
      'simex_orders_total{symbol="other",side="buy",type="limit",result="error"} 1',
      'simex_orders_total{symbol="BTCUSD",side="other",type="other",result="other"} 1',
    ]);
    expect(series(text, 'simex_order_requests_total')).toEqual([
      'simex_order_requests_total{op="cancel",symbol="ETHUSD",result="accepted"} 2',
      'simex_order_requests_total{op="other",symbol="BTCUSD",result="error"} 1',
    ]);
    expect(series(text, 'simex_trades_total')).toEqual([
      'simex_trades_total{symbol="BTCUSD"} 2',
      'simex_trades_total{symbol="ETHUSD"} 0',
      'simex_trades_total{symbol="other"} 1',
    ]);
    expect(series(text, 'simex_traded_quantity_total')).toEqual([
      'simex_traded_quantity_total{symbol="BTCUSD"} 0.75',
      'simex_traded_quantity_total{symbol="ETHUSD"} 0',
      'simex_traded_quantity_total{symbol="other"} 100',
    ]);
    expect(series(text, 'simex_traded_notional_total')[0]).toBe('simex_traded_notional_total{symbol="BTCUSD"} 37502.5');
    expect(series(text, 'simex_last_trade_price')).toEqual(['simex_last_trade_price{symbol="BTCUSD"} 50010', 'simex_last_trade_price{symbol="other"} 0.5']);
    const m = hub.apiMetrics() as Record<string, unknown> & { symbol_metrics: Record<string, { order_count: number; trade_count: number }> };
    expect(m.order_count).toBe(14);
    expect(m.rejected_count).toBe(2);
    expect(m.error_count).toBe(1);
    expect(m.trade_count).toBe(3);
    expect(Object.keys(m.symbol_metrics)).toEqual(['BTCUSD', 'ETHUSD', 'other']);
    expect(m.symbol_metrics.BTCUSD!.order_count).toBe(11);
    expect(m.symbol_metrics.other!.order_count).toBe(1);
    expect(hub.recentTrades('BTCUSD')).toEqual([
      { symbol: 'BTCUSD', price: 50_000, qty: 0.5, side: 'buy', ts: 1_700_000_000_000 },
      { symbol: 'BTCUSD', price: 50_010, qty: 0.25, side: 'sell', ts: 1_700_000_000_001 },
    ]);
    expect(hub.recentTrades('other')).toEqual([{ symbol: 'other', price: 0.5, qty: 100, side: 'sell', ts: 1_700_000_000_002 }]);
    expect(hub.recentTrades('XRPUSD')).toEqual([]);
    hub.close();
  });

  it('keeps the last 30 trades per symbol, oldest first; the feed carries the last 15', () => {
    const hub = new MetricsHub({ symbols: ['BTCUSD'], timer: false, defaultMetrics: false });
    for (let i = 1; i <= 47; i++) hub.recordTrade('BTCUSD', 100 + i, 1, i % 2 ? 'buy' : 'sell', i);
    const t = hub.recentTrades('BTCUSD');
    expect(t.map((x) => x.ts)).toEqual(Array.from({ length: 30 }, (_, i) => 18 + i));
    expect(t[29]).toEqual({ symbol: 'BTCUSD', price: 147, qty: 1, side: 'buy', ts: 47 });
    t[0]!.price = -1; // a copy: the hub's state is not shared
    expect(hub.recentTrades('BTCUSD')[0]!.price).toBe(118);
    const p = hub.feedPoint(true);
    expect(p.trades!.BTCUSD!.map((x) => x.ts)).toEqual(Array.from({ length: 15 }, (_, i) => 33 + i));
    hub.close();
  });

  it('coarse clock: calls count in the second last synced (tick / readers), totals unaffected', () => {
    let t = 1_700_000_000_100;
    const hub = new MetricsHub({ symbols: ['BTCUSD'], timer: false, defaultMetrics: false, now: () => t, coarseClock: true });
    hub.recordOrder('BTCUSD', 'buy', 'limit', 'accepted');
    t += 1000; // the boundary timer has not run yet
    hub.recordOrder('BTCUSD', 'buy', 'limit', 'accepted'); // still the first second
    hub.tick(); // syncs: from here on the second second
    hub.recordOrder('BTCUSD', 'buy', 'limit', 'rejected');
    t += 1000;
    const r = hub.rates(); // syncs too
    expect(r.window_s).toBe(2);
    expect(r.orders_per_sec).toBe(1.5); // 2 in the first second, 1 in the second
    expect(r.error_rate).toBeCloseTo(100 / 3, 3);
    hub.recordOrder('BTCUSD', 'buy', 'limit', 'accepted'); // third second (synced by rates())
    t += 1000;
    expect(hub.rates().orders_per_sec).toBeCloseTo(4 / 3, 2);
    expect((hub.apiMetrics() as { order_count: number }).order_count).toBe(4);
    hub.close();
  });

  it('numeric-label variants count exactly like the string ones, unknown codes as "other"', async () => {
    expect(METRIC_CODES.side).toEqual({ buy: Side.BUY, sell: Side.SELL });
    expect(METRIC_CODES.type).toEqual({ limit: OrdType.LIMIT, market: OrdType.MARKET });
    const mk = () => new MetricsHub({ symbols: ['BTCUSD', 'ETHUSD'], timer: false, defaultMetrics: false, now: () => 1_700_000_000_000 });
    const byString = mk();
    const byCode = mk();
    const syms = ['ETHUSD', 'BTCUSD', 'XRPUSD'];
    const sides = ['buy', 'sell', 'other'];
    const types = ['limit', 'market', 'other'];
    const results = ['accepted', 'rejected', 'error', 'other'];
    const ops = ['cancel', 'amend', 'mass_cancel', 'other'];
    const ids = syms.map((s) => byCode.symbolId(s));
    expect(ids[2]).toBe(byCode.symbolId('nope')); // every unknown symbol shares "other"
    for (let i = 0; i < 500; i++) {
      const s = (i * 7) % 3;
      const sd = (i * 5) % 3;
      const t = (i * 11) % 3;
      const r = (i * 13) % 4;
      byString.recordOrder(syms[s]!, sides[sd]!, types[t]!, results[r]!);
      byCode.recordOrderCode(ids[s]!, sd === 2 ? 7 : sd, t === 2 ? -1 : t, r === 3 ? 9 : r);
      if (i % 3 === 0) {
        const o = (i * 3) % 4;
        byString.recordRequest(ops[o]!, syms[s]!, results[r]!);
        byCode.recordRequestCode(o === 3 ? 42 : o, ids[s]!, r === 3 ? NaN : r);
      }
    }
    byCode.recordOrderCode(99, 0, 0, 0); // unknown id -> "other"
    byString.recordOrder('UNKNOWN', 'buy', 'limit', 'accepted');
    expect(await byCode.prometheusText()).toBe(await byString.prometheusText());
    expect(byCode.apiMetrics()).toEqual(byString.apiMetrics());
    expect(byCode.rates()).toEqual(byString.rates());
    byString.close();
    byCode.close();
  });
});
