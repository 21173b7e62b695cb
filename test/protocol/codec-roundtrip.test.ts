import { describe, expect, it } from 'vitest';
import { FrameWriter, FrameReader, decodeFrame, encodeFrame } from '../../src/protocol/codec.js';
import { LAYOUTS, MsgType, type Message } from '../../src/protocol/messages.js';
import { randomMessage, randomMessageOf, rng, int } from './gen.js';

describe('codec round trip', () => {
  it.each(LAYOUTS.map((l) => [l.name, l] as const))('%s: 500 random valid messages decode to themselves', (_n, layout) => {
    const r = rng(layout.type * 7919);
    const w = new FrameWriter(16);
    for (let i = 0; i < 500; i++) {
      const m = randomMessageOf(r, layout);
      w.reset();
      w.write(m);
      const out = decodeFrame(w.bytes());
      expect(out).toEqual([m]);
    }
  });

  it('many messages per frame, random mixes, one reader reused across frames', () => {
    const r = rng(42);
    const w = new FrameWriter(64);
    const reader = new FrameReader();
    for (let frame = 0; frame < 300; frame++) {
      const msgs: Message[] = [];
      const n = int(r, 1, 40);
      for (let i = 0; i < n; i++) {
        const m = randomMessage(r);
        msgs.push(m);
        w.write(m);
      }
      expect(w.count).toBe(n);
      reader.reset(w.take());
      const got: unknown[] = [];
      for (let m = reader.next(); m !== null; m = reader.next()) got.push(m);
      expect(got).toEqual(msgs);
      expect(w.length).toBe(0);
    }
  });

  it('decodes from an ArrayBuffer and from a Buffer view at a non-zero offset', () => {
    const m: Message = { type: MsgType.MASS_CANCEL, instrument: 3, clOrdId: 2 ** 40 };
    const frame = encodeFrame([m]);
    expect(decodeFrame(frame.slice().buffer)).toEqual([m]);
    const big = Buffer.alloc(frame.length + 13);
    big.set(frame, 13);
    expect(decodeFrame(big.subarray(13))).toEqual([m]);
  });

  it('reserved bytes are written as zero even when the buffer is reused', () => {
    const w = new FrameWriter(64);
    w.fill({ instrument: 1, side: 0, liquidity: 1, seq: 2 ** 53 - 1, ts: -1, clOrdId: 2 ** 53 - 1, orderId: 2 ** 53 - 1, matchId: 2 ** 53 - 1, price: -1, qty: -1, leaves: -1 });
    w.reset();
    w.newOrder({ instrument: 0, side: 0, ordType: 0, tif: 0, flags: 0, stp: 0, clOrdId: 1, price: 1, qty: 1 });
    const b = w.bytes();
    expect(b[3]).toBe(0);
    expect([...b.subarray(11, 16)]).toEqual([0, 0, 0, 0, 0]);
  });

  it('snapshotParts splits deep books and flags only the last part', () => {
    const w = new FrameWriter();
    const bids = Array.from({ length: 5000 }, (_, i) => ({ price: 100000 - i, qty: i + 1, orders: 1 }));
    const asks = Array.from({ length: 10 }, (_, i) => ({ price: 100001 + i, qty: i + 1, orders: 2 }));
    expect(w.snapshotParts(7, 99, 5, bids, asks)).toBe(3);
    const parts = decodeFrame(w.bytes());
    expect(parts.map((p) => (p.type === MsgType.SNAPSHOT ? [p.part, p.flags, p.levels.length, p.mdSeq] : null)))
      .toEqual([[0, 0, 2048, 99], [1, 0, 2048, 99], [2, 1, 5010 - 4096, 99]]);
    w.reset();
    expect(w.snapshotParts(7, 0, 5, [], [])).toBe(1);
    expect(decodeFrame(w.bytes())).toEqual([{ type: MsgType.SNAPSHOT, instrument: 7, flags: 1, mdSeq: 0, ts: 5, part: 0, levels: [] }]);
  });

  it('notice text is cut at 512 bytes on a UTF-8 character boundary', () => {
    const w = new FrameWriter();
    w.notice({ reason: 1, instrument: 0, ref: 0, text: 'é'.repeat(400) }); // 800 bytes of UTF-8
    const [m] = decodeFrame(w.bytes());
    expect(m?.type === MsgType.NOTICE && m.text).toBe('é'.repeat(256));
  });

  it('a message longer than its layout (appended future fields) is read and skipped to its length', () => {
    const m: Message = { type: MsgType.CANCEL, instrument: 2, clOrdId: 5, origClOrdId: 4, orderId: 0 };
    const base = encodeFrame([m]);
    const ext = new Uint8Array(base.length + 8);
    ext.set(base);
    ext[0] = base.length + 8; // longer length, extra bytes 0xEE
    ext.fill(0xee, base.length);
    const frame = new Uint8Array(ext.length + 4);
    frame.set(ext);
    frame.set(encodeFrame([{ type: MsgType.LOGOUT }]), ext.length);
    expect(decodeFrame(frame)).toEqual([m, { type: MsgType.LOGOUT }]);
  });
});
