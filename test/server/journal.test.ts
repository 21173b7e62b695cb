// Session journal (src/server/session.ts): every retained seq reads back its own report
// across growth (256 -> max slots, copied in runs) and wrap-around (oldest overwritten).
import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/server/session.js';

function put(j: Journal, tag: number): void {
  const off = j.next();
  j.dv.setUint16(off, 16, true); // length
  j.dv.setUint32(off + 4, tag, true);
  j.dv.setUint32(off + 8, j.last, true);
}

describe('Journal', () => {
  it('keeps every retained report across growth and wrap', () => {
    for (const [max, initial, total, startFirst] of [[1024, 16, 5000, 0], [1024, 256, 700, 0], [64, 16, 64, 0], [256, 16, 3000, 40]] as const) {
      const j = new Journal(max, initial);
      for (let i = 0; i < startFirst; i++) put(j, 0xdead0000 + i);
      for (let i = 1; i <= total; i++) {
        put(j, i);
        if (i % 97 === 0 || i === total) {
          expect(j.last - j.first + 1).toBe(Math.min(j.last, j.max));
          for (let s = j.first; s <= j.last; s++) {
            const r = j.get(s)!;
            expect(r.byteLength).toBe(16);
            const dv = new DataView(r.buffer, r.byteOffset, r.byteLength);
            expect(dv.getUint32(8, true)).toBe(s);
          }
          expect(j.get(j.first - 1)).toBeNull();
          expect(j.get(j.last + 1)).toBeNull();
        }
      }
    }
  });
});
