// wire.ts sendView: the bytes uWS send/publish get are exactly the OutBuf's first `len`
// bytes, for every length (word copy + byte tail), through one reused view per length, and
// a plain view beyond the shared buffer's size.
import { describe, expect, it } from 'vitest';
import { OutBuf, sendView } from '../../src/server/wire.js';

function filled(len: number, seed: number): OutBuf {
  const b = new OutBuf(16);
  b.ensure(len);
  for (let i = 0; i < len; i++) b.u8[i] = (i * 31 + seed) & 0xff;
  b.len = len;
  return b;
}

describe('sendView', () => {
  it('returns the OutBuf bytes for lengths 0..300 (any remainder mod 4)', () => {
    for (let len = 0; len <= 300; len++) {
      const b = filled(len, len);
      const v = sendView(b);
      expect(v.byteLength).toBe(len);
      expect(Buffer.from(v).equals(Buffer.from(b.view()))).toBe(true);
    }
  });

  it('reuses one view per length; its bytes are those of the latest call', () => {
    const a = sendView(filled(72, 1));
    const b = sendView(filled(72, 2));
    expect(b).toBe(a);
    expect(Buffer.from(b).equals(Buffer.from(filled(72, 2).view()))).toBe(true);
  });

  it('a buffer above the shared size is sent as its own view', () => {
    const big = filled(64 * 1024, 3);
    const v = sendView(big);
    expect(v.buffer).toBe(big.u8.buffer);
    expect(v.byteLength).toBe(64 * 1024);
  });
});
