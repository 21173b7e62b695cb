import { describe, expect, it } from 'vitest';
import { FrameWriter, decodeFrame, encodeFrame } from '../../src/protocol/codec.js';
import { LAYOUTS, LAYOUT_BY_TYPE, MsgType, type Decoded, type DecodeError, type Message } from '../../src/protocol/messages.js';
import { EdgeReason, RejectReason } from '../../src/protocol/reasons.js';
import { randomMessage, randomMessageOf, rng, int } from './gen.js';

const LOGOUT = encodeFrame([{ type: MsgType.LOGOUT }]);

function isErr(d: Decoded): d is DecodeError {
  return d.type === MsgType.DECODE_ERROR;
}

/** Decode must not throw; at most one fatal error, and only as the last element. */
function safeDecode(bytes: Uint8Array): Decoded[] {
  let out: Decoded[] = [];
  expect(() => { out = decodeFrame(bytes); }).not.toThrow();
  out.forEach((d, i) => {
    if (isErr(d) && d.fatal) expect(i).toBe(out.length - 1);
  });
  return out;
}

/** A frame holding `msg` bytes then a LOGOUT: checks the error is non-fatal and skipping works. */
function withTrailer(msg: Uint8Array): Uint8Array {
  const f = new Uint8Array(msg.length + LOGOUT.length);
  f.set(msg);
  f.set(LOGOUT, msg.length);
  return f;
}

describe('decoder never throws and reports bad input', () => {
  it('random byte frames (8k, 0..300 bytes): no throw; decoded messages re-encode and re-decode identically', () => {
    const r = rng(7);
    for (let i = 0; i < 8000; i++) {
      const n = int(r, 0, 300);
      const b = new Uint8Array(n);
      for (let j = 0; j < n; j++) b[j] = int(r, 0, 255);
      // half the time give it a plausible header so bodies get exercised
      if (n >= 4 && r() < 0.5) {
        const l = LAYOUTS[int(r, 0, LAYOUTS.length - 1)]!;
        b[0] = Math.min(n, l.size + int(r, -2, 2)) & 0xff;
        b[1] = 0;
        b[2] = l.type;
      }
      for (const d of safeDecode(b)) {
        if (!isErr(d)) expect(decodeFrame(encodeFrame([d as Message]))).toEqual([d]);
      }
    }
  });

  it('valid frames truncated at every byte: complete messages decode, then one fatal MALFORMED_MESSAGE', () => {
    const r = rng(11);
    for (let k = 0; k < 15; k++) {
      const msgs = Array.from({ length: int(r, 1, 6) }, () => randomMessage(r));
      const frame = encodeFrame(msgs);
      const ends: number[] = [];
      let o = 0;
      for (const m of msgs) { o += encodeFrame([m]).length; ends.push(o); }
      for (let cut = 1; cut < frame.length; cut++) {
        const out = safeDecode(frame.subarray(0, cut));
        const whole = ends.filter((e) => e <= cut).length;
        expect(out.slice(0, whole)).toEqual(msgs.slice(0, whole));
        if (!ends.includes(cut)) {
          expect(out.length).toBe(whole + 1);
          const last = out[whole]!;
          expect(isErr(last) && last.fatal && last.code === EdgeReason.MALFORMED_MESSAGE).toBe(true);
        }
      }
    }
  });

  it('lengths below 4 or beyond the frame are fatal; an empty frame is no messages', () => {
    expect(safeDecode(new Uint8Array(0))).toEqual([]);
    for (const len of [0, 1, 2, 3, 41, 65535]) {
      const b = encodeFrame([{ type: MsgType.NEW_ORDER, instrument: 0, side: 0, ordType: 0, tif: 0, flags: 0, stp: 0, clOrdId: 1, price: 1, qty: 1 }]);
      new DataView(b.buffer).setUint16(0, len, true);
      const out = safeDecode(withTrailer(b).subarray(0, b.length));
      expect(out).toHaveLength(1);
      expect(out[0]).toMatchObject({ type: 0, code: EdgeReason.MALFORMED_MESSAGE, fatal: true, field: 'length', offset: 0 });
    }
    // the fatal error reports its offset inside a multi-message frame
    const f = withTrailer(new Uint8Array([2, 0, 10, 0]));
    const out = safeDecode(withTrailer(f));
    expect(out[0]).toMatchObject({ fatal: true, offset: 0 });
  });

  it('every type shorter than its layout is a non-fatal MALFORMED_MESSAGE and the next message still decodes', () => {
    for (const l of LAYOUTS) {
      for (let len = 4; len < l.size; len++) {
        const b = new Uint8Array(len);
        new DataView(b.buffer).setUint16(0, len, true);
        b[2] = l.type;
        const out = safeDecode(withTrailer(b));
        expect(out[0], `${l.name} len ${len}`).toMatchObject({ type: 0, code: EdgeReason.MALFORMED_MESSAGE, fatal: false, msgType: l.type });
        expect(out[1]).toEqual({ type: MsgType.LOGOUT });
      }
    }
  });

  it('every unknown type is skipped by its length (UNKNOWN_MESSAGE_TYPE, non-fatal)', () => {
    for (let t = 0; t < 256; t++) {
      if (LAYOUT_BY_TYPE.has(t)) continue;
      const b = new Uint8Array(12);
      new DataView(b.buffer).setUint16(0, 12, true);
      b[2] = t;
      const out = safeDecode(withTrailer(b));
      expect(out).toEqual([
        { type: 0, code: EdgeReason.UNKNOWN_MESSAGE_TYPE, msgType: t, offset: 0, field: 'type', fatal: false, clOrdId: 0, instrument: 0xffff },
        { type: MsgType.LOGOUT },
      ]);
    }
  });

  // Every out-of-range value of every enum/flag field, per type, with the expected code.
  const ENGINE_CODE: Record<string, number> = {
    side: RejectReason.BAD_SIDE, ordType: RejectReason.BAD_ORDER_TYPE, tif: RejectReason.BAD_TIF,
    flags: RejectReason.BAD_FLAGS, stp: RejectReason.BAD_STP_MODE,
  };
  const ORDER_TYPES: Set<number> = new Set([MsgType.NEW_ORDER, MsgType.ACCEPTED, MsgType.AMEND]);
  function validSet(type: number, name: string): number[] | undefined {
    const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
    switch (name) {
      case 'side': case 'aggressorSide': case 'ordType': case 'status': return range(0, 1);
      case 'tif': return range(0, 2);
      case 'stp': return range(0, 4);
      case 'liquidity': return range(1, 2);
      case 'requestType': return range(10, 13);
      case 'flags': return type === MsgType.UNSUBSCRIBE ? [0] : range(0, 1);
      case 'reason': return type === MsgType.CANCELLED || type === MsgType.REDUCED ? range(1, 5) : undefined;
    }
    return undefined;
  }
  it('every enum/flag field out of range, for every type, is a non-fatal error naming the field', () => {
    const r = rng(3);
    let checked = 0;
    for (const l of LAYOUTS) {
      for (const f of l.fields) {
        const valid = validSet(l.type, f.name);
        if (!valid || f.kind !== 'u8') continue;
        const m = randomMessageOf(r, l);
        const base = encodeFrame([m]);
        for (let v = 0; v < 256; v++) {
          if (valid.includes(v)) continue;
          const b = base.slice();
          b[f.off] = v;
          const out = safeDecode(withTrailer(b));
          // side/ordType/tif/stp: engine code anywhere; flags: BAD_FLAGS only for order flags
          // (NEW_ORDER/ACCEPTED post-only, AMEND QTY_TOTAL)
          const expectCode = f.name === 'flags' && !ORDER_TYPES.has(l.type)
            ? EdgeReason.BAD_FIELD_VALUE : (ENGINE_CODE[f.name] ?? EdgeReason.BAD_FIELD_VALUE);
          expect(out[0], `${l.name}.${f.name}=${v}`).toMatchObject({ type: 0, code: expectCode, field: f.name, fatal: false, msgType: l.type });
          expect(out[1]).toEqual({ type: MsgType.LOGOUT });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(3000);
  });

  it('NEW_ORDER errors carry the clOrdId and instrument so the server can answer REJECTED', () => {
    const w = new FrameWriter();
    w.newOrder({ instrument: 9, side: 0, ordType: 0, tif: 0, flags: 0, stp: 0, clOrdId: 123456789012, price: 1, qty: 1 });
    const b = w.take();
    b[8] = 7; // tif
    expect(safeDecode(b)[0]).toMatchObject({ code: RejectReason.BAD_TIF, clOrdId: 123456789012, instrument: 9 });
    w.cancel({ instrument: 4, clOrdId: 77, origClOrdId: 0, orderId: 0 });
    const c = w.take();
    c[31] = 0xff; // orderId high byte
    expect(safeDecode(c)[0]).toMatchObject({ code: EdgeReason.VALUE_OUT_OF_RANGE, field: 'orderId', clOrdId: 77, instrument: 4 });
  });

  it('every 64-bit field beyond 2^53-1 is VALUE_OUT_OF_RANGE (non-fatal)', () => {
    const r = rng(5);
    for (const l of LAYOUTS) {
      for (const f of l.fields) {
        if (f.kind !== 'u64' && f.kind !== 'i64') continue;
        const base = encodeFrame([randomMessageOf(r, l)]);
        for (const hi of [0x00200000, 0x7fffffff, 0x80000000, 0xffdfffff]) {
          const b = base.slice();
          const dv = new DataView(b.buffer);
          dv.setUint32(f.off, 0, true);
          dv.setUint32(f.off + 4, hi, true);
          const out = safeDecode(withTrailer(b));
          // 0xffdfffff00000000 as i64 is -(2^53 + 2^32): out of range too
          expect(out[0], `${l.name}.${f.name} hi=${hi.toString(16)}`).toMatchObject({ type: 0, code: EdgeReason.VALUE_OUT_OF_RANGE, field: f.name, fatal: false });
          expect(out[1]).toEqual({ type: MsgType.LOGOUT });
        }
        if (f.kind === 'i64') {
          const b = base.slice();
          new DataView(b.buffer).setBigInt64(f.off, -(2n ** 53n), true);
          expect(safeDecode(b)[0]).toMatchObject({ code: EdgeReason.VALUE_OUT_OF_RANGE });
          const c = base.slice();
          new DataView(c.buffer).setBigInt64(f.off, -(2n ** 53n) + 1n, true);
          expect(isErr(safeDecode(c)[0]!)).toBe(false);
        }
      }
    }
  });

  it('variable parts: count/levelCount inconsistent with length, count 0 or > 1024, bad symbol', () => {
    const sub = encodeFrame([{ type: MsgType.SUBSCRIBE, flags: 0, instruments: [1, 2, 3] }]);
    const dv = new DataView(sub.buffer);
    dv.setUint16(6, 4, true);
    expect(safeDecode(withTrailer(sub))[0]).toMatchObject({ code: EdgeReason.MALFORMED_MESSAGE, field: 'count', fatal: false });
    dv.setUint16(6, 0, true);
    expect(safeDecode(sub)[0]).toMatchObject({ code: EdgeReason.BAD_FIELD_VALUE, field: 'count' });
    dv.setUint16(6, 1025, true);
    expect(safeDecode(sub)[0]).toMatchObject({ code: EdgeReason.BAD_FIELD_VALUE, field: 'count' });

    const w = new FrameWriter();
    w.snapshot({ instrument: 1, flags: 1, mdSeq: 5, ts: 0, part: 0, levels: [{ side: 0, orders: 1, price: 5, qty: 5 }] });
    const snap = w.take();
    new DataView(snap.buffer).setUint16(26, 2, true);
    expect(safeDecode(withTrailer(snap))[0]).toMatchObject({ code: EdgeReason.MALFORMED_MESSAGE, field: 'levelCount' });
    new DataView(snap.buffer).setUint16(26, 3000, true);
    expect(safeDecode(snap)[0]).toMatchObject({ code: EdgeReason.BAD_FIELD_VALUE, field: 'levelCount' });
    new DataView(snap.buffer).setUint16(26, 1, true);
    snap[32] = 2;
    expect(safeDecode(snap)[0]).toMatchObject({ code: RejectReason.BAD_SIDE, field: 'levels.side' });

    w.instrument({ instrument: 1, priceDecimals: 2, qtyDecimals: 6, status: 0, symbol: 'BTCUSD', tickSize: 1, lotSize: 1, minQty: 1, maxQty: 9, minPrice: 1, maxPrice: 9, bandBps: 0 });
    const ins = w.take();
    ins[17] = 0x20; // space inside the symbol
    expect(safeDecode(ins)[0]).toMatchObject({ code: EdgeReason.BAD_FIELD_VALUE, field: 'symbol' });
    ins.fill(0, 16, 32); // empty symbol
    expect(safeDecode(ins)[0]).toMatchObject({ code: EdgeReason.BAD_FIELD_VALUE, field: 'symbol' });
  });
});
