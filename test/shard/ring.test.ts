// SPSC SharedArrayBuffer ring (src/shard/ring.ts): ordering, wrap-around, full ring,
// sleeping consumer wake-up, and a real cross-thread run.
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RingConsumer, RingProducer, createRingBuffer, HEADER_BYTES } from '../../src/shard/ring.js';
import { ROOT } from '../server/helpers/server.js';

function drainAll(c: RingConsumer): { kind: number; v: number; len: number }[] {
  const out: { kind: number; v: number; len: number }[] = [];
  c.poll((kind, off, len) => {
    out.push({ kind, v: len >= 4 ? c.dv.getUint32(off, true) : -1, len });
  });
  return out;
}

describe('SPSC ring', () => {
  it('rounds capacity up to a power of two and rejects oversized records', () => {
    const sab = createRingBuffer(3000);
    expect(sab.byteLength).toBe(HEADER_BYTES + 4096);
    const p = new RingProducer(sab);
    expect(() => p.reserve(1, 4096)).toThrow(RangeError);
  });

  it('delivers records in order, only after publish, across many wrap-arounds', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    let next = 0;
    let expectNext = 0;
    for (let round = 0; round < 500; round++) {
      const n = 1 + (round % 7);
      for (let i = 0; i < n; i++) {
        const len = 4 + ((round * 13 + i * 5) % 60); // variable sizes force wraps at odd offsets
        const off = p.reserve(7, len);
        if (off < 0) break;
        p.dv.setUint32(off, next++, true);
      }
      expect(drainAll(c)).toEqual([]); // nothing visible before publish
      p.publish();
      for (const r of drainAll(c)) {
        expect(r.kind).toBe(7);
        expect(r.v).toBe(expectNext++);
      }
    }
    expect(expectNext).toBe(next);
    expect(next).toBeGreaterThan(1000);
  });

  it('reports full (-1) without overwriting unread records', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    let n = 0;
    for (;;) {
      const off = p.reserve(1, 56);
      if (off < 0) break;
      p.dv.setUint32(off, n++, true);
    }
    p.publish();
    expect(n).toBe(1024 / 64);
    const got = drainAll(c).map((r) => r.v);
    expect(got).toEqual([...Array(n).keys()]);
    expect(p.reserve(1, 56)).toBeGreaterThanOrEqual(0); // space released
  });

  it('a poll callback returning false leaves the record for later', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    for (let i = 0; i < 3; i++) p.dv.setUint32(p.reserve(1, 8), i, true);
    p.publish();
    const seen: number[] = [];
    c.poll((_k, off) => {
      const v = c.dv.getUint32(off, true);
      if (v === 1) return false;
      seen.push(v);
    });
    expect(seen).toEqual([0]);
    expect(drainAll(c).map((r) => r.v)).toEqual([1, 2]);
  });

  it('wakes a sleeping consumer (Atomics.waitAsync) on publish', async () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    const t0 = Date.now();
    const waiting = c.waitReadable(10_000);
    setTimeout(() => {
      p.dv.setUint32(p.reserve(1, 4), 99, true);
      p.publish();
    }, 20);
    await waiting;
    expect(Date.now() - t0).toBeLessThan(5000); // woke on notify, not on the 10 s timeout
    expect(drainAll(c).map((r) => r.v)).toEqual([99]);
  });

  it('moves 200k records across threads in order (worker consumer)', async () => {
    const sab = createRingBuffer(1 << 16);
    const ringUrl = pathToFileURL(path.join(ROOT, 'dist', 'src', 'shard', 'ring.js')).href;
    const N = 200_000;
    const worker = new Worker(`
      const { workerData, parentPort } = require('node:worker_threads');
      import(workerData.ringUrl).then(async ({ RingConsumer }) => {
        const c = new RingConsumer(workerData.sab);
        let expect = 0, bad = 0;
        while (expect < workerData.N) {
          if (!c.readable) await c.waitReadable(1000);
          c.poll((k, off, len) => { if (c.dv.getUint32(off, true) !== expect++ || len !== 12) bad++; });
        }
        parentPort.postMessage({ expect, bad });
      });`, { eval: true, workerData: { sab, ringUrl, N } });
    const p = new RingProducer(sab);
    let i = 0;
    while (i < N) {
      const off = p.reserve(2, 12);
      if (off < 0) {
        p.publish();
        await p.waitForSpace(100);
        continue;
      }
      p.dv.setUint32(off, i++, true);
      if ((i & 255) === 0) p.publish();
    }
    p.publish();
    const res = await new Promise<{ expect: number; bad: number }>((r) => worker.once('message', r));
    await worker.terminate();
    expect(res).toEqual({ expect: N, bad: 0 });
  });
});
