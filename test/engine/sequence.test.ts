// Sequence numbers, timestamps and cmdType: every event of a book gets seq = ++book.seq.
import { describe, expect, it } from 'vitest';
import { CMD_SIZE, EVT_SIZE } from '../../src/engine/layout.js';
import { CommandWriter, readEvents } from '../../src/engine/codec.js';
import { Harness, SPEC } from './helpers/harness.js';
import { implementations } from './helpers/impls.js';

describe.each(await implementations())('$name engine: sequence numbers', (impl) => {
  it('seq is 1, 2, 3 ... per book across batches and event types; books are independent', () => {
    const e = impl.create();
    const a = e.addBook(SPEC);
    const b = e.addBook({ ...SPEC, symbol: 'BBBUSD' });
    const w = new CommandWriter();
    const seen = new Map<number, number[]>([[a, []], [b, []]]);
    for (let batch = 0; batch < 5; batch++) {
      w.reset();
      for (let i = 0; i < 20; i++) {
        const id = batch * 100 + i + 1;
        const book = i % 3 === 0 ? b : a;
        w.newOrder({ book, orderId: id, owner: 1 + (i % 3), side: i % 2, price: 100 + (i % 2 === 0 ? -5 : 5) * (1 + (i % 4)), qty: 10, ts: id });
        if (i % 5 === 0) w.cancel({ book, orderId: id, owner: 9, ts: id }); // NOT_OWNER reject
        if (i % 7 === 0) w.newOrder({ book, orderId: id, owner: 1, side: 1 - (i % 2), price: 100, qty: 30, tif: 1, ts: id });
      }
      const n = e.process(w.bytes(), w.count);
      for (const ev of readEvents(e.events(), n)) seen.get(ev.book)!.push(ev.seq);
    }
    for (const [book, seqs] of seen) {
      expect(seqs.length).toBeGreaterThan(20);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      expect(e.stats(book).seq).toBe(seqs.length);
      expect(e.depth(book, 5).seq).toBe(seqs.length);
    }
  });

  it('every event carries the command ts (raw 64 bits) and type byte', () => {
    const h = new Harness(impl.create());
    h.limit(1, 1, 100, 10, 1);
    const evs = h.run((w, book) => {
      w.newOrder({ book, orderId: 2, owner: 2, side: 0, price: 100, qty: 20, ts: -5n });
      w.cancel({ book, orderId: 2, owner: 2, ts: 2n ** 62n + 3n });
    });
    expect(evs.map((e) => [e.type, e.cmdType])).toEqual([[1, 1], [3, 1], [6, 1], [6, 1], [1, 2], [4, 2], [6, 2]]);
    const raw = h.engine.events();
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const ts = evs.map((_, i) => dv.getBigInt64(i * EVT_SIZE + 16, true));
    expect(ts).toEqual([-5n, -5n, -5n, -5n, 2n ** 62n + 3n, 2n ** 62n + 3n, 2n ** 62n + 3n]);
  });

  it('events are written from byte 0 on each call; an empty batch gives 0 events', () => {
    const h = new Harness(impl.create());
    h.limit(1, 0, 100, 10);
    const evs = h.limit(2, 0, 95, 10);
    expect(evs[0]!.seq).toBe(3);
    expect(h.engine.process(new Uint8Array(0), 0)).toBe(0);
    // Unaligned input (byteOffset 1) is read correctly too.
    const w = new CommandWriter();
    w.newOrder({ book: h.book, orderId: 3, owner: 1, side: 0, price: 90, qty: 10 });
    const buf = new Uint8Array(CMD_SIZE + 1);
    buf.set(w.bytes(), 1);
    const n = h.engine.process(buf.subarray(1), 1);
    expect(readEvents(h.engine.events(), n).map((e) => e.type)).toEqual([1, 6]);
  });
});
