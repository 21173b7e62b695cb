// CounterHistory (src/server/admin/window.ts): "since start, capped at 24 h" windows over
// cumulative counters, with a synthetic clock: exact since start while uptime <= span, the
// real (shorter) span after that, never a window longer than what was observed.
import { describe, expect, it } from 'vitest';
import { CounterHistory, DAY_MS, secondAgg } from '../../src/server/admin/window.js';

const T0 = 1_700_000_000_000;

describe('CounterHistory windows', () => {
  it('is since start while the uptime is shorter than the span', () => {
    const h = new CounterHistory({ startMs: T0 });
    h.addSecond(secondAgg(10, 2, 500, 900));
    h.addSecond(secondAgg(30, 1, null, null));
    h.push(T0 + 5000, { orders: 40 });
    h.addSecond(secondAgg(5, 0, 1500, 2000));
    const w = h.window(DAY_MS, T0 + 7000, { orders: 45 });
    expect(w.sinceStart).toBe(true);
    expect(w.startMs).toBe(T0);
    expect(w.spanS).toBe(7);
    expect(w.deltas.orders).toBe(45);
    expect(w.agg.seconds).toBe(3);
    expect(w.agg.p95N).toBe(2); // the second without acks is not averaged in
    expect(w.agg.p95SumUs).toBe(2000);
    expect(w.agg.peakOrders1s).toBe(30);
    expect(w.agg.maxP99Us).toBe(2000);
  });

  it('caps at 24 h after a day of uptime: deltas from the coarse sample at the window start', () => {
    const h = new CounterHistory({ startMs: T0 });
    // 25 h of samples every 5 s, 1 order per second; a 100-order second at hour 0.5 (outside
    // the last 24 h) and a 50-order second at hour 20 (inside).
    let orders = 0;
    for (let t = 5000; t <= 25 * 3_600_000; t += 5000) {
      for (let s = 0; s < 5; s++) {
        const burst = t === 1_800_000 && s === 0 ? 100 : t === 72_000_000 && s === 0 ? 50 : 1;
        orders += burst;
        h.addSecond(secondAgg(burst, 0, 100, 200));
      }
      h.push(T0 + t, { orders });
    }
    const now = T0 + 25 * 3_600_000;
    const w = h.window(DAY_MS, now, { orders });
    expect(w.sinceStart).toBe(false);
    expect(w.spanS).toBeLessThanOrEqual(DAY_MS / 1000);
    expect(w.spanS).toBeGreaterThan(DAY_MS / 1000 - 60); // coarse granularity: 60 s
    // one order per second over the span, plus the burst inside it (49 extra)
    expect(w.deltas.orders).toBe(w.spanS + 49);
    expect(w.agg.peakOrders1s).toBe(50);
    expect(w.agg.seconds).toBe(w.spanS);
    // memory stays bounded: 1 h of fine samples, 24 h of coarse ones (+1 each)
    expect(h.sizes().fine).toBeLessThanOrEqual(3600 / 5 + 1);
    expect(h.sizes().coarse).toBeLessThanOrEqual(24 * 60 + 1);

    const five = h.window(300_000, now, { orders });
    expect(five.spanS).toBe(300);
    expect(five.deltas.orders).toBe(300);
  });
});
