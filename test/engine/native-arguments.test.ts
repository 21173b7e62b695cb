/**
 * Programmer errors at the addon boundary throw clear TypeError/RangeError and leave the
 * engine usable; command contents never throw (they become REJECTED events).
 */
import { describe, expect, it } from 'vitest';
import { CommandWriter } from '../../src/engine/codec.js';
import { DEFAULT_INSTRUMENTS } from '../../src/engine/instruments.js';
import { CMD_SIZE, EventType, RejectReason } from '../../src/engine/layout.js';
import { loadNativeEngine } from '../../src/engine/native.js';

const native = loadNativeEngine();

describe.skipIf(!native.ok)('native engine argument errors', () => {
  const make = () => {
    if (!native.ok) throw new Error('unreachable');
    const engine = native.create();
    const book = engine.addBook(DEFAULT_INSTRUMENTS[0]!);
    return { engine, book };
  };

  it('process rejects non-Uint8Array commands and bad counts', () => {
    const { engine } = make();
    const p = engine.process.bind(engine) as (...a: unknown[]) => number;
    expect(() => p(new Int32Array(12), 1)).toThrow(TypeError);
    expect(() => p([1, 2, 3], 1)).toThrow(/cmds must be a Uint8Array/);
    expect(() => p(new Uint8Array(48), '1')).toThrow(TypeError);
    expect(() => p(new Uint8Array(48), 2)).toThrow(RangeError);
    expect(() => p(new Uint8Array(48), -1)).toThrow(RangeError);
    expect(() => p(new Uint8Array(48), 0.5)).toThrow(RangeError);
    expect(() => p(new Uint8Array(48))).toThrow(TypeError);
    expect(p(new Uint8Array(0), 0)).toBe(0);
  });

  it('an unaligned subarray and a Buffer are accepted', () => {
    const { engine, book } = make();
    const w = new CommandWriter();
    w.newOrder({ book, orderId: 1, owner: 1, side: 0, price: 5_000_000, qty: 100 });
    const shifted = new Uint8Array(CMD_SIZE + 3);
    shifted.set(w.bytes(), 3);
    expect(engine.process(shifted.subarray(3), 1)).toBe(2);
    expect(engine.process(Buffer.from(w.bytes()), 1)).toBe(1); // duplicate id now
    expect(engine.events()[2]).toBe(RejectReason.DUPLICATE_ORDER_ID);
  });

  it('bad book indices and spec errors are RangeError/TypeError', () => {
    const { engine } = make();
    expect(() => engine.bestBid(5)).toThrow(RangeError);
    expect(() => engine.stats(-1)).toThrow(RangeError);
    expect(() => engine.depth(1.5, 3)).toThrow(TypeError);
    expect(() => engine.snapshot(9)).toThrow(/book 9 does not exist/);
    expect(() => engine.addBook({ ...DEFAULT_INSTRUMENTS[0]!, tickSize: 0 })).toThrow(RangeError);
    expect(() => engine.addBook({ ...DEFAULT_INSTRUMENTS[0]!, lotSize: 1.5 })).toThrow(TypeError);
    expect(() => engine.restore(0, new Uint8Array(3))).toThrow(Error);
    expect(() => (engine.restore as (...a: unknown[]) => void)(0, 'x')).toThrow(TypeError);
    expect(engine.order(0, 1.5)).toBeNull();
    expect(engine.order(0, 12345)).toBeNull();
  });

  it('garbage command bytes become REJECTED events, never exceptions', () => {
    const { engine } = make();
    const junk = new Uint8Array(CMD_SIZE * 64);
    let x = 7;
    for (let i = 0; i < junk.length; i++) junk[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    const n = engine.process(junk, 64);
    expect(n).toBeGreaterThanOrEqual(64);
    expect(engine.events()[0]).toBe(EventType.REJECTED);
    expect(engine.stats(0).orders).toBe(0);
  });
});
