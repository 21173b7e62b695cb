// ShardPool bounds commands in flight per shard at maxInflight (the size of the edge's
// token-indexed pending tables), not only by inbound ring space: results that wait in the
// outbound ring still count. Past the cap reserveCommand returns -1 (the edge answers
// OVERLOADED) and every accepted command still completes exactly once, in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShardPool, type ShardSink } from '../../src/shard/pool.js';
import { InOff } from '../../src/shard/types.js';
import { CommandWriter } from '../../src/engine/codec.js';
import { CMD_SIZE, Side } from '../../src/engine/layout.js';
import { DEFAULT_INSTRUMENTS } from '../../src/engine/instruments.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

describe('shard in-flight cap', () => {
  const finals: number[] = [];
  let pool: ShardPool;
  const sink: ShardSink = {
    onResult(_s, token, _d, _u8, _o, _n, final) {
      if (final) finals.push(token);
    },
    onDrainEnd() {},
    onShardDown() {},
    onShardMetrics() {},
  };

  beforeAll(async () => {
    pool = new ShardPool({ shards: 1, instruments: DEFAULT_INSTRUMENTS, engineKind: 'auto', ringBytes: 16384, logger: quiet, sink });
    await pool.start();
  });
  afterAll(async () => {
    await pool?.stop();
  });

  it('refuses commands past maxInflight even when the inbound ring has room', async () => {
    const cap = pool.maxInflight;
    const h = pool.shards[0]!;
    const w = new CommandWriter(4);
    let accepted = 0;
    let refusedAt = -1;
    // Waves of 64, each published and drained by the shard while this thread does not poll
    // results (synchronous wait): in flight only grows.
    for (let wave = 0; wave < 20 && refusedAt < 0; wave++) {
      for (let i = 0; i < 64; i++) {
        w.reset();
        w.newOrder({ book: 0, orderId: BigInt(1 + accepted), owner: 3, side: Side.BUY, price: 4_000_000 - accepted, qty: 100 });
        const off = pool.reserveCommand(0);
        if (off < 0) {
          refusedAt = accepted;
          expect(off).toBe(-1);
          break;
        }
        h.inRing.u8.set(w.bytes().subarray(0, CMD_SIZE), off + InOff.cmd);
        h.inRing.dv.setUint32(off + InOff.token, pool.lastToken, true);
        accepted++;
      }
      pool.flush();
      const until = Date.now() + 2000;
      while (h.inRing.used() > 0 && Date.now() < until) { /* let the shard drain; no polling here */ }
      expect(h.inRing.used()).toBe(0);
    }
    expect(refusedAt).toBe(cap);
    expect(h.inflight).toBe(cap);
    expect(await pool.quiesce(10_000)).toBe(true);
    expect(finals).toEqual(Array.from({ length: cap }, (_, i) => i));
    // Room again once the results were delivered.
    w.reset();
    w.cancel({ book: 0, orderId: 1n, owner: 3 });
    const off = pool.reserveCommand(0);
    expect(off).toBeGreaterThanOrEqual(0);
    h.inRing.u8.set(w.bytes().subarray(0, CMD_SIZE), off + InOff.cmd);
    h.inRing.dv.setUint32(off + InOff.token, pool.lastToken, true);
    pool.flush();
    expect(await pool.quiesce(10_000)).toBe(true);
    expect(finals[finals.length - 1]).toBe(cap);
  });
});
