// ShardPool inline mode (SHARD_MODE=inline): the shard's work runs on the calling thread at
// flush(). Same seeded command stream through a worker-mode pool and an inline pool: the
// same per-command results (event bytes, split per command, FINAL once, in order), results
// delivered before flush() returns, and the outbound-ring-full path (overflow) exercised.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShardPool, type ShardSink } from '../../src/shard/pool.js';
import { InOff } from '../../src/shard/types.js';
import { CommandWriter } from '../../src/engine/codec.js';
import { CMD_SIZE, EVT_SIZE, OrdType, Side, Tif } from '../../src/engine/layout.js';
import { DEFAULT_INSTRUMENTS } from '../../src/engine/instruments.js';
import { mulberry32 } from '../../src/util/prng.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

function recorder(): { sink: ShardSink; results: Map<number, number[][]>; finals: number[] } {
  const results = new Map<number, number[][]>();
  const finals: number[] = [];
  const sink: ShardSink = {
    onResult(_s, token, _d, u8, off, n, final) {
      let r = results.get(token);
      if (!r) results.set(token, (r = []));
      // event bytes without the engine timestamp (bytes 16..23 hold ts)
      for (let i = 0; i < n; i++) {
        const e = Array.from(u8.subarray(off + i * EVT_SIZE, off + (i + 1) * EVT_SIZE));
        e.fill(0, 16, 24);
        r.push(e);
      }
      if (final) finals.push(token);
    },
    onDrainEnd() {},
    onShardDown() {},
    onShardMetrics() {},
  };
  return { sink, results, finals };
}

/** Seeded stream on book 0: resting orders, cancels, and sweeps that fill many levels. */
function stream(n: number): CommandWriter[] {
  const r = mulberry32(5);
  const out: CommandWriter[] = [];
  let id = 1;
  const live: number[] = [];
  for (let i = 0; i < n; i++) {
    const w = new CommandWriter(1);
    const x = r();
    if (x < 0.55 || live.length === 0) {
      const side = r() < 0.5 ? Side.BUY : Side.SELL;
      const price = side === Side.BUY ? 4_990_000 - Math.floor(r() * 300) : 5_010_000 + Math.floor(r() * 300);
      w.newOrder({ book: 0, orderId: BigInt(id), owner: 1 + (id % 3), side, price, qty: 100 * (1 + Math.floor(r() * 5)) });
      live.push(id++);
    } else if (x < 0.93) {
      const k = Math.floor(r() * live.length);
      w.cancel({ book: 0, orderId: BigInt(live[k]!), owner: 1 });
      live.splice(k, 1);
    } else {
      w.newOrder({ book: 0, orderId: BigInt(id++), owner: 9, side: r() < 0.5 ? Side.BUY : Side.SELL, ordType: OrdType.MARKET, tif: Tif.IOC, price: 0, qty: 100 * (5 + Math.floor(r() * 40)) });
    }
    out.push(w);
  }
  return out;
}

function submitAll(pool: ShardPool, ws: CommandWriter[], from: number, to: number): void {
  const h = pool.shards[0]!;
  for (let i = from; i < to; i++) {
    const off = pool.reserveCommand(0);
    expect(off).toBeGreaterThanOrEqual(0);
    h.inRing.u8.set(ws[i]!.bytes().subarray(0, CMD_SIZE), off + InOff.cmd);
    h.inRing.dv.setUint32(off + InOff.token, pool.lastToken, true);
  }
  pool.flush();
}

describe('shard pool inline mode', () => {
  const ws = stream(6000);
  const a = recorder();
  const b = recorder();
  let worker: ShardPool;
  let inline: ShardPool;
  beforeAll(async () => {
    // Small rings: 16 KiB in, 64 KiB out, so sweeps overflow the outbound ring inline too.
    worker = new ShardPool({ shards: 1, instruments: DEFAULT_INSTRUMENTS, engineKind: 'auto', ringBytes: 16384, logger: quiet, sink: a.sink });
    inline = new ShardPool({ mode: 'inline', shards: 1, instruments: DEFAULT_INSTRUMENTS, engineKind: 'auto', ringBytes: 16384, logger: quiet, sink: b.sink });
    await worker.start();
    await inline.start();
  });
  afterAll(async () => {
    await worker?.stop();
    await inline?.stop();
  });

  it('gives the worker mode results, synchronously at flush()', async () => {
    for (let i = 0; i < ws.length; i += 150) {
      const to = Math.min(ws.length, i + 150);
      submitAll(inline, ws, i, to);
      // inline: every command of the wave is complete when flush() returns
      expect(b.finals.length).toBe(to);
      expect(inline.shards[0]!.inflight).toBe(0);
      submitAll(worker, ws, i, to);
      expect(await worker.quiesce(10_000)).toBe(true);
    }
    // Sweeps in the stream outran the 64 KiB outbound ring within one drain: the overflow
    // path ran inline too.
    expect(inline.shards[0]!.core!.overflowed).toBeGreaterThan(0);
    expect(a.finals).toEqual(Array.from({ length: ws.length }, (_, i) => i));
    expect(b.finals).toEqual(a.finals);
    let events = 0;
    for (let t = 0; t < ws.length; t++) {
      expect(b.results.get(t)).toEqual(a.results.get(t));
      events += a.results.get(t)!.length;
    }
    expect(events).toBeGreaterThan(ws.length * 1.5); // trades and L2 updates, not only acks
    expect(inline.mode).toBe('inline');
    expect(inline.shards[0]!.state).toBe('up');
  });
});
