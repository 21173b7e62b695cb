// /api/metrics carries the runbook's field names, with units as documented in routes.ts.
import { describe, expect, it } from 'vitest';
import { MetricsHub, ShardMetrics } from '../../src/metrics/index.js';

describe('apiMetrics() fields', () => {
  it('has every runbook field, measured', () => {
    let t = 1_700_000_000_000;
    const hub = new MetricsHub({ symbols: ['BTCUSD', 'ETHUSD', 'ADAUSD'], timer: false, defaultMetrics: false, now: () => t });
    for (let i = 0; i < 100; i++) {
      hub.recordOrder('BTCUSD', 'buy', 'limit', 'accepted');
      hub.recordE2E(40_000 + i * 100); // 40.0 .. 49.9 µs
    }
    hub.recordOrder('ADAUSD', 'sell', 'market', 'rejected');
    hub.recordTrade('BTCUSD', 50_000, 0.5, 'buy');
    hub.recordTrade('BTCUSD', 50_100, 0.5, 'sell');
    hub.recordTrade('ADAUSD', 1.5, 100);
    t += 1000;
    const m = hub.apiMetrics() as Record<string, any>;
    for (const f of ['timestamp', 'order_count', 'trade_count', 'total_volume', 'avg_latency', 'p95_latency', 'p99_latency', 'orders_per_sec', 'trades_per_sec', 'error_rate', 'symbol_metrics']) {
      expect(m, f).toHaveProperty(f);
    }
    expect(m.timestamp).toBe(new Date(t).toISOString());
    expect(m.order_count).toBe(101);
    expect(m.trade_count).toBe(3);
    expect(m.total_volume).toBe(101);
    expect(m.avg_latency).toMatch(/^0\.04\dms$/);
    expect(m.p99_latency).toMatch(/^0\.0[45]\dms$/);
    expect(m.p99_latency_us).toBeGreaterThan(48);
    expect(m.p99_latency_us).toBeLessThan(50.1);
    expect(m.latency_samples).toBe(100);
    expect(m.orders_per_sec).toBe(101);
    expect(m.error_rate).toBeCloseTo(100 / 101, 2);
    expect(m.symbol_metrics.BTCUSD).toEqual({ order_count: 100, trade_count: 2, volume: 1, avg_price: 50_050, last_price: 50_100 });
    expect(m.symbol_metrics.ADAUSD.avg_price).toBe(1.5);
    expect(m.symbol_metrics.ETHUSD).toMatchObject({ order_count: 0, trade_count: 0, volume: 0, avg_price: null });
    hub.close();
  });

  it('keeps ack latency samples in the ~60 s window after the second closes, then drops them', () => {
    let t = 1_700_000_000_000;
    const hub = new MetricsHub({ symbols: ['BTCUSD'], timer: false, defaultMetrics: false, now: () => t });
    for (let i = 0; i < 10; i++) hub.recordE2E(100_000);
    t += 1000;
    hub.tick();
    for (let s = 0; s < 30; s++) {
      t += 1000;
      hub.tick();
    }
    let m = hub.apiMetrics() as Record<string, any>;
    expect(m.latency_samples).toBe(10);
    expect(m.avg_latency).toBe('0.100ms');
    t += 80_000;
    hub.tick();
    m = hub.apiMetrics() as Record<string, any>;
    expect(m.latency_samples).toBe(0);
    hub.close();
  });

  it('reports null latency when nothing was measured, never a made-up number', () => {
    const hub = new MetricsHub({ symbols: ['BTCUSD'], timer: false, defaultMetrics: false });
    const m = hub.apiMetrics() as Record<string, unknown>;
    expect(m.avg_latency).toBeNull();
    expect(m.p99_latency_us).toBeNull();
    expect(m.latency_samples).toBe(0);
    hub.close();
  });

  it('collapses unknown symbols and label values so cardinality stays bounded', async () => {
    const hub = new MetricsHub({ symbols: ['BTCUSD'], timer: false, defaultMetrics: false });
    for (let i = 0; i < 50; i++) hub.recordOrder(`JUNK${i}`, 'up', 'stop', 'weird');
    const text = await hub.prometheusText();
    expect(text).toContain('simex_orders_total{symbol="other",side="other",type="other",result="other"} 50');
    expect(text).not.toContain('JUNK');
    hub.close();
  });

  it('shows shard books, recent trades and flags double counting', () => {
    const hub = new MetricsHub({ symbols: ['BTCUSD'], timer: false, defaultMetrics: false, shards: [0, 1] });
    const s = new ShardMetrics(0, ['BTCUSD']);
    s.sampleEngineBook(
      { symbol: 'BTCUSD', priceDecimals: 2, qtyDecimals: 6, tickSize: 1, lotSize: 100, minQty: 100, maxQty: 1e9, minPrice: 1, maxPrice: 1e10, bandBps: 1000, maxOrders: 1000 },
      { seq: 7, bids: [{ price: 4_999_000, qty: 250_000, orders: 2 }], asks: [{ price: 5_001_050, qty: 1_000_000, orders: 1 }] },
    );
    s.recordTrade('BTCUSD', 50_000, 0.25, 'buy');
    hub.ingestShard(0, s.snapshot());
    const p = hub.feedPoint(true);
    expect(p.books!.BTCUSD).toMatchObject({ best_bid: 49_990, best_ask: 50_010.5, spread: 20.5, bid_depth: 0.25, ask_depth: 1 });
    expect(p.trades!.BTCUSD).toHaveLength(1);
    expect(p.shards.map((x) => [x.id, x.up])).toEqual([[0, true], [1, false]]);
    expect(hub.health().status).toBe('degraded'); // shard 1 never reported
    hub.recordTrade('BTCUSD', 50_000, 0.1);
    expect(hub.health().reasons.join()).toContain('double counting');
    hub.close();
  });
});
