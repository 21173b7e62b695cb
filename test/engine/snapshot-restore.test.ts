// L3 snapshot / restore: round trip, same future events after restore, malformed images throw
// and leave the book unchanged, images are identical across implementations.
import { describe, expect, it } from 'vitest';
import { CommandWriter } from '../../src/engine/codec.js';
import { EVT_SIZE, SNAP_HEADER_SIZE, SNAP_ORDER_SIZE } from '../../src/engine/layout.js';
import type { Engine } from '../../src/engine/types.js';
import { implementations } from './helpers/impls.js';
import { STREAM_SPECS, StreamGen } from './helpers/stream.js';

function runBatches(e: Engine, gen: StreamGen, batches: number, size: number, out?: Uint8Array[]): void {
  const w = new CommandWriter();
  for (let i = 0; i < batches; i++) {
    w.reset();
    gen.fill(w, size);
    const n = e.process(w.bytes(), w.count);
    out?.push(e.events().slice(0, n * EVT_SIZE));
  }
}

const impls = await implementations();

describe.each(impls)('$name engine: snapshot and restore', (impl) => {
  const fresh = () => { const e = impl.create(); for (const s of STREAM_SPECS) e.addBook(s); return e; };

  it('restoring a snapshot and continuing the stream gives the same events as never stopping', () => {
    const a = fresh();
    const gen = new StreamGen(77);
    runBatches(a, gen, 40, 500);
    const images = STREAM_SPECS.map((_, b) => a.snapshot(b));
    expect(images.some((img) => img.length > SNAP_HEADER_SIZE)).toBe(true);
    const b = fresh();
    images.forEach((img, i) => b.restore(i, img));
    images.forEach((img, i) => expect(b.snapshot(i)).toEqual(img));
    for (let i = 0; i < STREAM_SPECS.length; i++) {
      expect(b.stats(i)).toEqual(a.stats(i));
      expect(b.depth(i, 1000)).toEqual(a.depth(i, 1000));
    }
    // Same continuation stream for both: clone the generator state by replaying the seed.
    const genA = new StreamGen(77); runBatches(fresh(), genA, 40, 500);
    const evA: Uint8Array[] = []; const evB: Uint8Array[] = [];
    runBatches(a, gen, 30, 500, evA);
    runBatches(b, genA, 30, 500, evB);
    expect(evB.length).toBe(evA.length);
    for (let i = 0; i < evA.length; i++) expect(Buffer.from(evB[i]!).equals(Buffer.from(evA[i]!))).toBe(true);
    for (let i = 0; i < STREAM_SPECS.length; i++) expect(b.snapshot(i)).toEqual(a.snapshot(i));
  });

  it('restore replaces the contents of a non-empty book', () => {
    const a = fresh();
    runBatches(a, new StreamGen(5), 10, 300);
    const img = a.snapshot(0);
    const b = fresh();
    runBatches(b, new StreamGen(6), 10, 300);
    b.restore(0, img);
    expect(b.snapshot(0)).toEqual(img);
  });

  it('malformed images throw and leave the book unchanged', () => {
    const a = fresh();
    runBatches(a, new StreamGen(9), 20, 500);
    const img = a.snapshot(0);
    expect(img.length).toBeGreaterThan(SNAP_HEADER_SIZE + SNAP_ORDER_SIZE);
    const before = a.snapshot(0);
    const bad: [string, (x: Uint8Array, dv: DataView) => Uint8Array | void][] = [
      ['bad magic', (x) => { x[0] ^= 1; }],
      ['bad version', (_x, dv) => { dv.setUint16(4, 99, true); }],
      ['version 1 (no filled quantities)', (_x, dv) => { dv.setUint16(4, 1, true); }],
      ['negative filled', (_x, dv) => { dv.setBigInt64(SNAP_HEADER_SIZE + 40, -1n, true); }],
      ['wrong book', (_x, dv) => { dv.setUint16(6, 1, true); }],
      ['truncated', (x) => x.subarray(0, x.length - 1)],
      ['too short', (x) => x.subarray(0, 10)],
      ['count too high', (_x, dv) => { dv.setBigInt64(32, dv.getBigInt64(32, true) + 1n, true); }],
      ['negative count', (_x, dv) => { dv.setBigInt64(32, -1n, true); }],
      ['zero leaves', (_x, dv) => { dv.setBigInt64(SNAP_HEADER_SIZE + 24, 0n, true); }],
      ['bad side', (x) => { x[SNAP_HEADER_SIZE + 12] = 7; }],
      ['duplicate id', (_x, dv) => { dv.setBigInt64(SNAP_HEADER_SIZE + SNAP_ORDER_SIZE, dv.getBigInt64(SNAP_HEADER_SIZE, true), true); }],
      ['crossed', (_x, dv) => {
        // Move the last ask below the first bid.
        const n = Number(dv.getBigInt64(32, true));
        const last = SNAP_HEADER_SIZE + (n - 1) * SNAP_ORDER_SIZE;
        dv.setUint8(last + 12, 1);
        dv.setBigInt64(last + 16, dv.getBigInt64(SNAP_HEADER_SIZE + 16, true) - 5n, true);
      }],
    ];
    for (const [name, mutate] of bad) {
      const x = img.slice();
      const dv = new DataView(x.buffer);
      const y = mutate(x, dv) ?? x;
      expect(() => a.restore(0, y), name).toThrow();
      expect(Buffer.from(a.snapshot(0)).equals(Buffer.from(before)), name).toBe(true);
    }
  });

  it('an empty book round-trips and keeps seq / match ids', () => {
    const a = fresh();
    runBatches(a, new StreamGen(3), 5, 200);
    const w = new CommandWriter();
    w.massCancel({ book: 2, owner: 1 });
    a.process(w.bytes(), w.count);
    const img = a.snapshot(1);
    const b = fresh();
    b.restore(1, img);
    expect(b.stats(1)).toEqual(a.stats(1));
  });
});

describe.skipIf(impls.length < 2)('snapshot images are identical across implementations', () => {
  it('same history -> same snapshot bytes', () => {
    const [x, y] = impls.map((i) => { const e = i.create(); for (const s of STREAM_SPECS) e.addBook(s); return e; });
    runBatches(x!, new StreamGen(11), 30, 700);
    runBatches(y!, new StreamGen(11), 30, 700);
    for (let b = 0; b < STREAM_SPECS.length; b++) expect(Buffer.from(x!.snapshot(b)).equals(Buffer.from(y!.snapshot(b)))).toBe(true);
    // Cross-restore: a TS image into native and back.
    const img = x!.snapshot(0);
    y!.restore(0, img);
    expect(Buffer.from(y!.snapshot(0)).equals(Buffer.from(img))).toBe(true);
  });
});
