import { describe, expect, it } from 'vitest';
import * as wsmod from 'ws';
import { CANCEL_BYTES, NEW_ORDER_BYTES, PAYLOAD_AT, finishMaskedFrame, maskedBinaryFrame, newFrameBuffer, putCancel, putNewOrder } from '../../src/loadgen/order-frame.js';
import { mulberry32 } from '../../src/util/prng.js';
import { FrameWriter } from '../../src/protocol/codec.js';

// ws's own framer and parser (exported by the package, untyped in @types/ws).
const { Sender, Receiver } = wsmod as unknown as {
  Sender: { frame(data: Buffer, o: Record<string, unknown>): Buffer[] };
  Receiver: new (o: Record<string, unknown>) => NodeJS.EventEmitter & { write(b: Buffer): void };
};

function payload(n: number, seed: number): Uint8Array {
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = (i * 31 + seed) & 0xff;
  return p;
}

const SIZES = [0, 1, 3, 4, 5, 40, 124, 125, 126, 127, 200, 2560, 65535, 65536, 70001];

describe('order encoder (putNewOrder / putCancel)', () => {
  it('writes the same bytes as the protocol FrameWriter, over garbage-filled buffers', () => {
    const rnd = mulberry32(11);
    const big = (): number => Math.floor(rnd() * 2 ** 53);
    for (let frame = 0; frame < 200; frame++) {
      const n = 1 + Math.floor(rnd() * 64);
      const w = new FrameWriter(4096);
      const b = newFrameBuffer(n * NEW_ORDER_BYTES);
      b.fill(0xa5); // stale pool bytes must not leak into padding
      const dv = new DataView(b.buffer, b.byteOffset, b.length);
      let p = PAYLOAD_AT;
      for (let i = 0; i < n; i++) {
        const inst = Math.floor(rnd() * 65536);
        const clOrdId = rnd() < 0.5 ? 1 + Math.floor(rnd() * 1e6) : big();
        if (rnd() < 0.4) {
          const orig = rnd() < 0.5 ? Math.floor(rnd() * 1e6) : big();
          w.cancel({ instrument: inst, clOrdId, origClOrdId: orig, orderId: 0 });
          p = putCancel(dv, p, inst, clOrdId, orig);
        } else {
          const side = rnd() < 0.5 ? 0 : 1;
          const market = rnd() < 0.1;
          const price = market ? 0 : rnd() < 0.5 ? Math.floor(rnd() * 1e9) : big() - 2 ** 52; // negatives too (i64)
          const qty = rnd() < 0.5 ? 1 + Math.floor(rnd() * 1e6) : big();
          w.newOrder({ instrument: inst, side, ordType: market ? 1 : 0, tif: market ? 1 : 0, flags: 0, stp: 0, clOrdId, price, qty });
          p = putNewOrder(b, dv, p, inst, side, market ? 1 : 0, market ? 1 : 0, clOrdId, price, qty);
        }
      }
      expect(Buffer.from(b.subarray(PAYLOAD_AT, p)).equals(Buffer.from(w.bytes())), `frame ${frame}`).toBe(true);
    }
    expect(CANCEL_BYTES).toBe(32);
  });

  it('finishMaskedFrame frames the encoded payload in place like maskedBinaryFrame frames a copy', () => {
    const key = Uint8Array.from([9, 8, 7, 6]);
    for (const n of [1, 3, 4, 64]) {
      const b = newFrameBuffer(n * NEW_ORDER_BYTES);
      const dv = new DataView(b.buffer, b.byteOffset, b.length);
      let p = PAYLOAD_AT;
      for (let i = 0; i < n; i++) p = putNewOrder(b, dv, p, 2, i & 1, 0, 0, i + 1, 1000 + i, 5);
      const plain = Buffer.from(b.subarray(PAYLOAD_AT, p));
      expect(finishMaskedFrame(b, p - PAYLOAD_AT, key).equals(maskedBinaryFrame(plain, key))).toBe(true);
    }
  });
});

describe('maskedBinaryFrame', () => {
  it('is byte-identical to ws Sender.frame with the same masking key', () => {
    const key = Uint8Array.from([0x12, 0x34, 0x56, 0x78]);
    for (const n of SIZES) {
      // Offsets 0 and 1: the word-wise and the byte-wise masking paths.
      for (const shift of [0, 1]) {
        const backing = payload(n + shift, n);
        const p = backing.subarray(shift);
        const mine = maskedBinaryFrame(p, key);
        const ref = Buffer.concat(Sender.frame(Buffer.from(p), { fin: true, opcode: 2, mask: true, readOnly: false, generateMask: (m: Buffer) => m.set(key) }));
        expect(mine.equals(ref), `size ${n} shift ${shift}`).toBe(true);
      }
    }
  });

  it('decodes with ws Receiver (server side) to the original payload, random keys', async () => {
    const got: Buffer[] = [];
    const rx = new Receiver({ isServer: true, binaryType: 'nodebuffer', skipUTF8Validation: true, maxPayload: 1 << 20 });
    rx.on('message', (d: Buffer, isBinary: boolean) => {
      expect(isBinary).toBe(true);
      got.push(Buffer.from(d));
    });
    const sent = SIZES.map((n) => payload(n, n + 7));
    const keys = new Set<string>();
    for (const p of sent) {
      const f = maskedBinaryFrame(p);
      keys.add(f.subarray(f.length - p.length - 4, f.length - p.length).toString('hex'));
      rx.write(f);
    }
    await new Promise((r) => setImmediate(r));
    expect(got.map((b) => b.toString('hex'))).toEqual(sent.map((p) => Buffer.from(p).toString('hex')));
    expect(keys.size).toBeGreaterThan(SIZES.length - 2); // fresh key per frame
  });

  it('frames a protocol frame as the server reads it, and copies (the writer may be reused)', () => {
    const w = new FrameWriter(4096);
    for (let i = 0; i < 64; i++) w.newOrder({ instrument: 1, side: (i & 1) as 0 | 1, ordType: 0, tif: 0, flags: 0, stp: 0, clOrdId: i + 1, price: 5_000_000 + i, qty: 100 });
    const bytes = Buffer.from(w.bytes());
    const f = maskedBinaryFrame(w.bytes());
    w.reset();
    w.newOrder({ instrument: 9, side: 1, ordType: 1, tif: 1, flags: 0, stp: 0, clOrdId: 999, price: 0, qty: 1 });
    const key = f.subarray(4, 8);
    const unmasked = Buffer.from(f.subarray(8)).map((b, i) => b ^ key[i & 3]!);
    expect(Buffer.from(unmasked).equals(bytes)).toBe(true);
  });
});
