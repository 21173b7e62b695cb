// FrameReader({ reuseOrderEntry: true }) (the server's hot path) decodes exactly what the
// allocating reader decodes — every field of every message, including decode errors and
// random garbage — while order-entry messages come back as one reused object.
import { describe, expect, it } from 'vitest';
import { FrameReader, encodeFrame } from '../../src/protocol/codec.js';
import { MsgType, type Decoded } from '../../src/protocol/messages.js';
import { randomMessage, rng, int } from './gen.js';

const ORDER_ENTRY = new Set<number>([MsgType.NEW_ORDER, MsgType.CANCEL, MsgType.AMEND, MsgType.MASS_CANCEL]);

/** The fields the allocating decoder produced, read from the reused object. */
function project(plain: Decoded, reused: Decoded): Record<string, unknown> {
  const r = reused as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.keys(plain).map((k) => [k, r[k]]));
}

describe('FrameReader reuseOrderEntry', () => {
  it('matches the allocating decoder on 20k random frames of valid and corrupted messages', () => {
    const r = rng(11);
    const plain = new FrameReader();
    const reuse = new FrameReader({ reuseOrderEntry: true });
    let reusedSeen = 0;
    let scratch: Decoded | null = null;
    for (let i = 0; i < 20_000; i++) {
      const msgs = Array.from({ length: int(r, 1, 6) }, () => randomMessage(r));
      const f = encodeFrame(msgs);
      // a third of the frames get one byte flipped (bad field values, lengths, types)
      if (r() < 0.33 && f.length > 0) f[int(r, 0, f.length - 1)] = int(r, 0, 255);
      plain.reset(f);
      reuse.reset(f);
      for (;;) {
        const a = plain.next();
        const b = reuse.next();
        if (a === null || b === null) {
          expect(b).toBe(a);
          break;
        }
        expect(project(a, b)).toEqual(a);
        if (ORDER_ENTRY.has(a.type)) {
          reusedSeen++;
          if (scratch === null) scratch = b;
          expect(b).toBe(scratch); // the same object every time
        } else {
          expect(b).not.toBe(scratch);
        }
      }
    }
    expect(reusedSeen).toBeGreaterThan(5000);
  });
});
