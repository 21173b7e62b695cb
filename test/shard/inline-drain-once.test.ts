// Inline mode ends a flush() that ran several shards with ONE onDrainEnd, after every
// shard's results: the edge then writes each connection once per flush, not once per shard.
// Worker mode keeps one onDrainEnd per shard poll batch.
import { afterEach, describe, expect, it } from 'vitest';
import { ShardPool, type ShardSink } from '../../src/shard/pool.js';
import { InOff } from '../../src/shard/types.js';
import { CommandWriter } from '../../src/engine/codec.js';
import { CMD_SIZE, Side } from '../../src/engine/layout.js';
import { DEFAULT_INSTRUMENTS } from '../../src/engine/instruments.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

function recorder(): { sink: ShardSink; log: string[] } {
  const log: string[] = [];
  const sink: ShardSink = {
    onResult(shard, token, _d, _u8, _off, _n, final) {
      if (final) log.push(`result ${shard}:${token}`);
    },
    onDrainEnd(shard) {
      log.push(`drainEnd ${shard}`);
    },
    onShardDown() {},
    onShardMetrics() {},
  };
  return { sink, log };
}

/** One resting limit order on each instrument (the instruments span both shards). */
function submitOnePerInstrument(pool: ShardPool, id0: number): void {
  let id = id0;
  for (const r of pool.routeList) {
    const w = new CommandWriter(1);
    w.newOrder({ book: r.book, orderId: BigInt(id++), owner: 1, side: Side.BUY, price: 1_000, qty: 100 });
    const off = pool.reserveCommand(r.shard);
    expect(off).toBeGreaterThanOrEqual(0);
    const h = pool.shards[r.shard]!;
    h.inRing.u8.set(w.bytes().subarray(0, CMD_SIZE), off + InOff.cmd);
    h.inRing.dv.setUint32(off + InOff.token, pool.lastToken, true);
  }
  pool.flush();
}

let pool: ShardPool | null = null;
afterEach(async () => {
  await pool?.stop();
  pool = null;
});

describe('inline flush over several shards', () => {
  it('delivers every shard\'s results, then calls onDrainEnd once', async () => {
    const r = recorder();
    pool = new ShardPool({ mode: 'inline', shards: 2, instruments: DEFAULT_INSTRUMENTS, engineKind: 'auto', logger: quiet, sink: r.sink });
    await pool.start();
    expect(new Set(pool.routeList.map((x) => x.shard)).size).toBe(2);
    for (let wave = 0; wave < 3; wave++) {
      r.log.length = 0;
      submitOnePerInstrument(pool, 1 + wave * 10);
      const n = pool.routeList.length;
      expect(r.log.filter((l) => l.startsWith('result')).length).toBe(n);
      expect(r.log.filter((l) => l.startsWith('drainEnd')).length).toBe(1);
      expect(r.log[r.log.length - 1]).toMatch(/^drainEnd [01]$/);
    }
    // nothing dirty: no drain end at all
    r.log.length = 0;
    pool.flush();
    expect(r.log).toEqual([]);
  });

  it('worker mode still ends each shard\'s poll batch on its own', async () => {
    const r = recorder();
    pool = new ShardPool({ shards: 2, instruments: DEFAULT_INSTRUMENTS, engineKind: 'auto', logger: quiet, sink: r.sink });
    await pool.start();
    submitOnePerInstrument(pool, 1);
    expect(await pool.quiesce(10_000)).toBe(true);
    await new Promise((res) => setTimeout(res, 20));
    const ends = r.log.filter((l) => l.startsWith('drainEnd'));
    expect(new Set(ends)).toEqual(new Set(['drainEnd 0', 'drainEnd 1']));
  });
});
