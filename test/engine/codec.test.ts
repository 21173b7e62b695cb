// codec.ts: int64 helpers, CommandWriter record layout, event decoding.
import { describe, expect, it } from 'vitest';
import {
  CommandWriter, EventView, decodeCommand, decodeEvent, forEachEvent, readEvents, readI64, readI64Big,
  writeI64, writeI64Big, writeU53,
} from '../../src/engine/codec.js';
import { CMD_SIZE, CmdOff, EVT_SIZE } from '../../src/engine/layout.js';

describe('codec: int64 helpers', () => {
  it('round-trips safe integers of both signs exactly, as two\'s complement', () => {
    const i32 = new Int32Array(2);
    const dv = new DataView(i32.buffer);
    for (const v of [0, 1, -1, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 32 + 1, -(2 ** 32) - 1, 2 ** 53 - 1, -(2 ** 53 - 1), 123456789012345]) {
      writeI64(i32, 0, v);
      expect(dv.getBigInt64(0, true)).toBe(BigInt(v));
      expect(readI64(i32, 0)).toBe(v);
      if (v >= 0) { writeU53(i32, 0, v); expect(dv.getBigInt64(0, true)).toBe(BigInt(v)); }
    }
  });
  it('bigint path covers the full int64 range; doubles round monotonically beyond 2^53', () => {
    const i32 = new Int32Array(2);
    for (const v of [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, -5n]) {
      writeI64Big(i32, 0, v);
      expect(readI64Big(i32, 0)).toBe(v);
    }
    writeI64Big(i32, 0, 2n ** 53n + 1n);
    expect(readI64(i32, 0)).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    writeI64Big(i32, 0, -(2n ** 63n));
    expect(readI64(i32, 0)).toBeLessThan(-Number.MAX_SAFE_INTEGER);
  });
});

describe('codec: CommandWriter', () => {
  it('writes every field at its layout offset and grows', () => {
    const w = new CommandWriter(1);
    w.newOrder({ book: 513, orderId: 2 ** 40 + 7, owner: 0xfffffffe, side: 1, ordType: 1, tif: 2, flags: 1, stp: 4, price: -3, qty: 2n ** 60n, ts: 1_700_000_000_000_000 });
    w.cancel({ book: 2, orderId: 9, owner: 3, ts: 4 });
    w.amend({ book: 2, orderId: 9, owner: 3, price: 100, qty: 20 });
    w.massCancel({ book: 2, owner: 3 });
    expect(w.count).toBe(4);
    const b = w.bytes();
    expect(b.length).toBe(4 * CMD_SIZE);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    expect([b[CmdOff.type], b[CmdOff.side], b[CmdOff.ordType], b[CmdOff.tif], b[CmdOff.flags], b[CmdOff.stp]]).toEqual([1, 1, 1, 2, 1, 4]);
    expect(dv.getUint16(CmdOff.book, true)).toBe(513);
    expect(dv.getUint32(CmdOff.owner, true)).toBe(0xfffffffe);
    expect(dv.getBigInt64(CmdOff.ts, true)).toBe(1_700_000_000_000_000n);
    expect(dv.getBigInt64(CmdOff.orderId, true)).toBe(2n ** 40n + 7n);
    expect(dv.getBigInt64(CmdOff.price, true)).toBe(-3n);
    expect(dv.getBigInt64(CmdOff.qty, true)).toBe(2n ** 60n);
    expect(decodeCommand(b, 1)).toMatchObject({ type: 2, book: 2, orderId: 9, owner: 3, ts: 4 });
    expect(decodeCommand(b, 2)).toMatchObject({ type: 3, price: 100, qty: 20 });
    expect(decodeCommand(b, 3)).toMatchObject({ type: 4, owner: 3, orderId: 0 });
    const raw = new Uint8Array(CMD_SIZE).fill(0xab);
    w.reset();
    w.writeRaw(raw);
    expect(w.bytes()).toEqual(raw);
    expect(() => w.writeRaw(new Uint8Array(47))).toThrow(RangeError);
  });
});

describe('codec: events', () => {
  it('decodes each event type with named fields; EventView reads the same values in place', () => {
    const buf = new Uint8Array(3 * EVT_SIZE);
    const dv = new DataView(buf.buffer);
    const put = (i: number, type: number, side: number, reason: number, cmd: number, book: number, flags: number, seq: bigint, ts: bigint, s: bigint[]) => {
      const o = i * EVT_SIZE;
      buf[o] = type; buf[o + 1] = side; buf[o + 2] = reason; buf[o + 3] = cmd;
      dv.setUint16(o + 4, book, true); dv.setUint16(o + 6, flags, true);
      dv.setBigInt64(o + 8, seq, true); dv.setBigInt64(o + 16, ts, true);
      s.forEach((v, k) => dv.setBigInt64(o + 24 + 8 * k, v, true));
    };
    put(0, 3, 1, 0, 1, 2, 0, 10n, 99n, [5n, 6n, 700n, 30n, 0n, 10n, 42n]);
    put(1, 2, 9, 12, 3, 7, 0, 11n, 99n, [2n ** 63n - 1n, 4n]);
    put(2, 5, 0, 0, 3, 2, 1, 12n, -1n, [5n, 6n, 700n, 10n, 700n, 20n]);
    expect(decodeEvent(buf, 0)).toEqual({ type: 3, side: 1, reason: 0, cmdType: 1, book: 2, flags: 0, seq: 10, ts: 99, takerId: 5, makerId: 6, price: 700, qty: 30, takerLeaves: 0, makerLeaves: 10, matchId: 42 });
    expect(decodeEvent(buf, 1)).toMatchObject({ type: 2, reason: 12, code: 'BAD_QUANTITY', orderIdRaw: 2n ** 63n - 1n, owner: 4, side: 9 });
    expect(decodeEvent(buf, 2)).toMatchObject({ type: 5, flags: 1, newLeaves: 10, oldLeaves: 20, ts: -1 });
    expect(readEvents(buf, 3)).toHaveLength(3);
    const seen: number[] = [];
    forEachEvent(buf, 3, (v) => seen.push(v.type, v.seq, v.s(0)));
    expect(seen).toEqual([3, 10, 5, 2, 11, 2 ** 63, 5, 12, 5]);
    const v = new EventView(buf).at(2);
    expect([v.side, v.reason, v.cmdType, v.book, v.flags, v.ts]).toEqual([0, 0, 3, 2, 1, -1]);
  });
});
