// Programmer errors at the API boundary throw clear errors (never on command contents);
// queries with odd arguments behave the same in both implementations.
import { describe, expect, it } from 'vitest';
import { CommandWriter } from '../../src/engine/codec.js';
import { CMD_SIZE } from '../../src/engine/layout.js';
import { Harness, SPEC } from './helpers/harness.js';
import { implementations } from './helpers/impls.js';

describe.each(await implementations())('$name engine: API misuse', (impl) => {
  it('process: count beyond the buffer is a RangeError; garbage bytes are not an error', () => {
    const h = new Harness(impl.create());
    expect(() => h.engine.process(new Uint8Array(CMD_SIZE), 2)).toThrow(RangeError);
    expect(() => h.engine.process(new Uint8Array(CMD_SIZE), -1)).toThrow(RangeError);
    const junk = new Uint8Array(CMD_SIZE * 64);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 2654435761) >>> 24;
    expect(() => h.engine.process(junk, 64)).not.toThrow();
    expect(h.engine.stats(h.book).orders).toBeGreaterThanOrEqual(0);
  });

  it('queries on an unknown book throw RangeError; addBook rejects a bad spec', () => {
    const e = impl.create();
    e.addBook(SPEC);
    expect(() => e.stats(1)).toThrow(RangeError);
    expect(() => e.depth(7, 5)).toThrow(RangeError);
    expect(() => e.snapshot(1)).toThrow(RangeError);
    expect(() => e.addBook({ ...SPEC, tickSize: 0 })).toThrow();
    expect(() => e.addBook({ ...SPEC, maxQty: 2 ** 40, maxOrders: 2 ** 20 })).toThrow();
  });

  it('order() of a non-integer or unknown id is null; depth() clamps its level count', () => {
    const h = new Harness(impl.create());
    h.limit(1, 0, 100, 10);
    h.limit(2, 0, 95, 10);
    expect(h.engine.order(h.book, 1.5)).toBeNull();
    expect(h.engine.order(h.book, 999)).toBeNull();
    expect(h.engine.order(h.book, -1)).toBeNull();
    expect(h.engine.depth(h.book, 0).bids).toEqual([]);
    expect(h.engine.depth(h.book, -3).bids).toEqual([]);
    expect(h.engine.depth(h.book, 1.9).bids).toHaveLength(1);
  });

  it('book indexes are assigned 0, 1, 2 ... in addBook order', () => {
    const e = impl.create();
    expect([e.addBook(SPEC), e.addBook({ ...SPEC, symbol: 'XUSD' }), e.addBook({ ...SPEC, symbol: 'YUSD' })]).toEqual([0, 1, 2]);
    const w = new CommandWriter();
    w.newOrder({ book: 2, orderId: 1, owner: 1, side: 0, price: 100, qty: 10 });
    expect(e.process(w.bytes(), w.count)).toBe(2);
    expect(e.stats(2).orders).toBe(1);
    expect(e.stats(0).orders).toBe(0);
  });
});
