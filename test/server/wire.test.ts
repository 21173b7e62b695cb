// The server's hot-path encoders (src/server/wire.ts) write exactly what protocol's
// FrameReader decodes, field by field, including values near 2^53 and negative prices.
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/protocol/codec.js';
import { MsgType, MSG_SIZE } from '../../src/protocol/messages.js';
import {
  OutBuf, encAccepted, encAmended, encCancelled, encFill, encMassCancelAck, encMdL2, encMdTrade,
  encReduced, encRejected, putI64,
} from '../../src/server/wire.js';

const BIG = Number.MAX_SAFE_INTEGER;

describe('server wire encoders', () => {
  it('every encoder round-trips through FrameReader', () => {
    const o = new OutBuf(16);
    const add = (f: (u8: Uint8Array, dv: DataView, off: number) => number) => {
      o.ensure(80);
      o.len += f(o.u8, o.dv, o.len);
    };
    add((u, d, x) => encAccepted(u, d, x, 2, 1, 0, 7, 1_700_000_000_000_000, BIG, 8_589_934_593, 5_000_000, 100, 2, 1, 4));
    add((u, d, x) => encRejected(u, d, x, 1, MsgType.CANCEL, 8, 1, 42, 77, 114));
    add((u, d, x) => encFill(u, d, x, 0, 1, 2, 9, 2, 3, 4, BIG - 1, 6, 7, 0));
    add((u, d, x) => encCancelled(u, d, x, 0, 4, 0, 10, 3, 5, 6, 7, 8, 9));
    add((u, d, x) => encAmended(u, d, x, 0, 1, 1, 11, 4, 5, 6, 7, 8, 9, 10, 11));
    add((u, d, x) => encReduced(u, d, x, 0, 3, 0, 12, 5, 6, 7, 8, 9, 10));
    add((u, d, x) => encMassCancelAck(u, d, x, 65534, 13, 6, 7, 123456));
    add((u, d, x) => encMdL2(u, d, x, 1, 1, 1, 14, 7, 300_000, 0, 0));
    add((u, d, x) => encMdTrade(u, d, x, 1, 0, 0, 15, 8, 99, 300_100, 5));
    const msgs = decodeFrame(o.view());
    expect(msgs.map((m) => m.type)).toEqual([80, 81, 82, 83, 84, 85, 86, 100, 101]);
    expect(msgs[0]).toEqual({ type: 80, instrument: 2, side: 1, ordType: 0, seq: 7, ts: 1_700_000_000_000_000, clOrdId: BIG,
      orderId: 8_589_934_593, price: 5_000_000, qty: 100, tif: 2, flags: 1, stp: 4 });
    expect(msgs[1]).toEqual({ type: 81, instrument: 1, requestType: MsgType.CANCEL, seq: 8, ts: 1, clOrdId: 42, orderId: 77, reason: 114 });
    expect(msgs[2]).toEqual({ type: 82, instrument: 0, side: 1, liquidity: 2, seq: 9, ts: 2, clOrdId: 3, orderId: 4, matchId: BIG - 1, price: 6, qty: 7, leaves: 0 });
    expect(msgs[3]).toEqual({ type: 83, instrument: 0, reason: 4, side: 0, seq: 10, ts: 3, clOrdId: 5, orderId: 6, requestClOrdId: 7, leaves: 8, price: 9 });
    expect(msgs[4]).toEqual({ type: 84, instrument: 0, flags: 1, side: 1, seq: 11, ts: 4, clOrdId: 5, orderId: 6, requestClOrdId: 7, newPrice: 8, newLeaves: 9, oldPrice: 10, oldLeaves: 11 });
    expect(msgs[5]).toEqual({ type: 85, instrument: 0, reason: 3, side: 0, seq: 12, ts: 5, clOrdId: 6, orderId: 7, price: 8, newLeaves: 9, decrement: 10 });
    expect(msgs[6]).toEqual({ type: 86, instrument: 65534, seq: 13, ts: 6, clOrdId: 7, count: 123456 });
    expect(msgs[7]).toEqual({ type: 100, instrument: 1, side: 1, flags: 1, mdSeq: 14, ts: 7, price: 300_000, qty: 0, orders: 0 });
    expect(msgs[8]).toEqual({ type: 101, instrument: 1, aggressorSide: 0, flags: 0, mdSeq: 15, ts: 8, matchId: 99, price: 300_100, qty: 5 });
    expect(o.len).toBe(MSG_SIZE.ACCEPTED + MSG_SIZE.REJECTED + MSG_SIZE.FILL + MSG_SIZE.CANCELLED + MSG_SIZE.AMENDED
      + MSG_SIZE.REDUCED + MSG_SIZE.MASS_CANCEL_ACK + MSG_SIZE.MD_L2 + MSG_SIZE.MD_TRADE);
  });

  it('putI64 writes two\'s complement for negative values', () => {
    const dv = new DataView(new ArrayBuffer(8));
    for (const v of [-1, -(2 ** 32), -(2 ** 53 - 1), 0, 2 ** 53 - 1, 123_456_789_012]) {
      putI64(dv, 0, v);
      expect(Number(dv.getBigInt64(0, true))).toBe(v);
    }
  });

  it('OutBuf grows without losing bytes and shrinks after a burst', () => {
    const o = new OutBuf(8);
    for (let i = 0; i < 5000; i++) o.append(new Uint8Array([i & 255]));
    expect(o.len).toBe(5000);
    expect(o.view()[4999]).toBe(4999 & 255);
    o.ensure(2 << 20);
    o.reset(64);
    expect(o.u8.byteLength).toBe(64);
  });
});
