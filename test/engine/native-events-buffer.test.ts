/**
 * The addon grows its JS-owned event buffer inside a batch: a market order sweeping 100k
 * makers emits 200,001 events (ACCEPTED, 100k TRADE, 100k L2), far beyond the initial
 * 4096-event buffer. events() must return the grown buffer with every event intact, and the
 * buffer keeps its size afterwards.
 */
import { describe, expect, it } from 'vitest';
import { CommandWriter, readEvents, type TradeEvent } from '../../src/engine/codec.js';
import { EventType, EVT_SIZE, OrdType, Side, Tif } from '../../src/engine/layout.js';
import { loadNativeEngine } from '../../src/engine/native.js';
import type { InstrumentSpec } from '../../src/engine/types.js';

const native = loadNativeEngine();
const SPEC: InstrumentSpec = {
  symbol: 'TEST', priceDecimals: 2, qtyDecimals: 0, tickSize: 1, lotSize: 1, minQty: 1,
  maxQty: 1_000_000_000, minPrice: 1, maxPrice: 1_000_000_000, bandBps: 0, maxOrders: 1 << 20,
};

describe.skipIf(!native.ok)('native event buffer growth', () => {
  it('a sweep of 100k makers returns all 200,001 events in order', () => {
    if (!native.ok) return;
    const engine = native.create();
    const book = engine.addBook(SPEC);
    const before = engine.events();
    const n = 100_000;
    const w = new CommandWriter(1024);
    for (let i = 0; i < n; i += 1000) {  // small batches: the buffer does not grow yet
      w.reset();
      for (let k = i; k < i + 1000; k++) w.newOrder({ book, orderId: k + 1, owner: 1, side: Side.SELL, price: 1000 + k, qty: 2 });
      expect(engine.process(w.bytes(), w.count)).toBe(2000);
    }
    expect(engine.events()).toBe(before); // same view: no growth so far
    expect(before.byteLength).toBeLessThan((2 * n + 1) * EVT_SIZE);

    w.reset();
    w.newOrder({ book, orderId: n + 1, owner: 2, side: Side.BUY, ordType: OrdType.MARKET, tif: Tif.IOC, price: 0, qty: 2 * n, ts: 42 });
    const count = engine.process(w.bytes(), w.count);
    expect(count).toBe(2 * n + 1);
    const buf = engine.events();
    expect(buf).not.toBe(before);
    expect(buf.byteLength).toBeGreaterThanOrEqual(count * EVT_SIZE);
    const ev = readEvents(buf, count);
    expect(ev[0]!.type).toBe(EventType.ACCEPTED);
    let bad = 0;
    for (let k = 0; k < n; k++) {
      const t = ev[1 + k]! as TradeEvent;
      if (t.type !== EventType.TRADE || t.makerId !== k + 1 || t.price !== 1000 + k || t.matchId !== k + 1) bad++;
    }
    expect(bad).toBe(0);
    const last = ev[count - 1]!;
    expect(last.type).toBe(EventType.L2);
    expect(last.seq).toBe(engine.stats(book).seq);
    expect(last.ts).toBe(42);
    expect(engine.stats(book).orders).toBe(0);

    // The grown buffer is kept: a small batch reuses it.
    w.reset();
    w.newOrder({ book, orderId: n + 2, owner: 2, side: Side.BUY, price: 500, qty: 1 });
    expect(engine.process(w.bytes(), w.count)).toBe(2);
    expect(engine.events()).toBe(buf);
  });
});
