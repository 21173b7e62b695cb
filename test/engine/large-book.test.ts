// One book with 1M+ resting orders (2^20 + extra): counts, best levels, a deep-queue cancel,
// a sweep, mass cancel of one owner, and the snapshot size. Commands are generated in 64k
// chunks into one reused writer (memory-conscious: ~3 MB of command bytes at a time).
import { describe, expect, it } from 'vitest';
import { CommandWriter } from '../../src/engine/codec.js';
import { SNAP_HEADER_SIZE, SNAP_ORDER_SIZE, Tif } from '../../src/engine/layout.js';
import { implementations } from './helpers/impls.js';
import { SPEC } from './helpers/harness.js';

const N = (1 << 20) + 1000;
const LEVELS = 1000;
const CHUNK = 65_536;

describe.each(await implementations())('$name engine: 1M+ resting orders', (impl) => {
  it(`holds ${N} resting orders in one book`, () => {
    const e = impl.create();
    const book = e.addBook({ ...SPEC, maxOrders: 1 << 21, maxPrice: 10_000_000 });
    const w = new CommandWriter(CHUNK);
    const mid = 5_000_000;
    for (let start = 0; start < N; start += CHUNK) {
      w.reset();
      for (let i = start; i < Math.min(N, start + CHUNK); i++) {
        const side = i & 1;
        const lvl = 1 + ((i >>> 1) % LEVELS);
        w.newOrder({ book, orderId: i + 1, owner: 1 + (i % 50), side, price: side === 0 ? mid - 5 * lvl : mid + 5 * lvl, qty: 10, ts: i });
      }
      const n = e.process(w.bytes(), w.count);
      expect(n).toBe(2 * w.count); // ACCEPTED + L2 each, no rejects
    }
    const st = e.stats(book);
    expect(st).toMatchObject({ orders: N, bidLevels: LEVELS, askLevels: LEVELS });
    const perLevel = Math.ceil(N / 2 / LEVELS);
    expect(e.bestBid(book)).toMatchObject({ price: mid - 5 });
    expect(e.bestBid(book)!.orders).toBeGreaterThanOrEqual(perLevel - 1);
    expect(e.bestAsk(book)).toMatchObject({ price: mid + 5 });
    // Cancel an order deep inside a ~525-order queue.
    w.reset();
    w.cancel({ book, orderId: 2 * LEVELS * 300 + 1, owner: 1 + ((2 * LEVELS * 300) % 50) });
    let n = e.process(w.bytes(), w.count);
    expect(n).toBe(3);
    expect(e.order(book, 2 * LEVELS * 300 + 1)).toBeNull();
    // Sweep the two best ask levels with one IOC.
    const top2 = e.depth(book, 2).asks;
    const q = top2[0]!.qty + top2[1]!.qty;
    w.reset();
    w.newOrder({ book, orderId: N + 10, owner: 999, side: 0, tif: Tif.IOC, price: mid + 10, qty: q });
    n = e.process(w.bytes(), w.count);
    expect(n).toBe(1 + top2[0]!.orders + top2[1]!.orders + 2);
    expect(e.bestAsk(book)).toMatchObject({ price: mid + 15 });
    const left = e.stats(book).orders;
    expect(left).toBe(N - 1 - top2[0]!.orders - top2[1]!.orders);
    // Mass cancel of one owner (~2% of the book).
    w.reset();
    w.massCancel({ book, owner: 7 });
    n = e.process(w.bytes(), w.count);
    const cancelled = e.events()[0] === 1 ? new DataView(e.events().buffer, e.events().byteOffset).getUint32(48, true) : -1;
    expect(cancelled).toBeGreaterThan(20_000);
    expect(e.stats(book).orders).toBe(left - cancelled);
    const img = e.snapshot(book);
    expect(img.length).toBe(SNAP_HEADER_SIZE + SNAP_ORDER_SIZE * (left - cancelled));
    const mem = process.memoryUsage();
    console.log(`[large-book] ${impl.name}: ${N} orders, rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, arrayBuffers ${(mem.arrayBuffers / 2 ** 20).toFixed(0)} MiB`);
  });
});
