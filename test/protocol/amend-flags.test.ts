// AMEND.flags (byte 6, reserved 0 before): bit0 QTY_TOTAL = newQty is the order's total
// quantity. 0 keeps the original meaning, so frames of existing clients decode unchanged;
// unknown bits are a non-fatal BAD_FLAGS (6) naming the field, with the clOrdId and
// instrument the server needs for its REJECTED answer.
import { describe, expect, it } from 'vitest';
import { FrameWriter, decodeFrame } from '../../src/protocol/codec.js';
import { AmendQtyFlags, LAYOUTS, MsgType } from '../../src/protocol/messages.js';
import { RejectReason } from '../../src/protocol/reasons.js';

const base = { instrument: 3, clOrdId: 77, origClOrdId: 0, orderId: 2 ** 40 + 5, newPrice: 5_000_000, newQty: 500 };

describe('AMEND flags', () => {
  it('QTY_TOTAL is written at byte 6 and decoded; absent flags write 0', () => {
    const w = new FrameWriter();
    w.amend({ ...base, flags: AmendQtyFlags.QTY_TOTAL });
    const b = w.take();
    expect(b[6]).toBe(1);
    expect([b[3], b[7]]).toEqual([0, 0]);
    expect(decodeFrame(b)).toEqual([{ type: MsgType.AMEND, ...base, flags: 1 }]);
    w.amend(base);
    const b0 = w.take();
    expect(b0[6]).toBe(0);
    expect(decodeFrame(b0)).toEqual([{ type: MsgType.AMEND, ...base, flags: 0 }]);
  });

  it('the layout table names byte 6 flags (docs/PROTOCOL.md is generated from it)', () => {
    const amend = LAYOUTS.find((l) => l.name === 'AMEND')!;
    expect(amend.fields.find((f) => f.off === 6)).toMatchObject({ kind: 'u8', name: 'flags', size: 1 });
    expect(amend.fields.find((f) => f.off === 7)).toMatchObject({ kind: 'pad', size: 1 });
  });

  it.each([2, 3, 0x80, 0xff])('unknown bits %i: non-fatal BAD_FLAGS with clOrdId and instrument', (v) => {
    const w = new FrameWriter();
    w.amend(base);
    w.logout();
    const b = w.take();
    b[6] = v;
    expect(decodeFrame(b)).toEqual([
      { type: MsgType.DECODE_ERROR, code: RejectReason.BAD_FLAGS, msgType: MsgType.AMEND, offset: 0, field: 'flags', fatal: false, clOrdId: 77, instrument: 3 },
      { type: MsgType.LOGOUT },
    ]);
  });
});
