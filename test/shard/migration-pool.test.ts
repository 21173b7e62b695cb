// Live engine migration through the real ShardPool, worker and inline mode: migration
// controls are sent while commands are still in flight in the rings (not awaited between
// submit and control), so in worker mode they reach the shard thread between drain slices
// at arbitrary points of the stream. Every token's events (bytes, in order, one FINAL) must
// equal a never-migrated pool's. And in worker mode a control pending when its shard dies,
// or when the pool stops, is answered at once (SHARD_UNAVAILABLE), not after its timeout.
import { afterAll, describe, expect, it } from 'vitest';
import { ShardPool, type MigrationAnswer, type ShardSink } from '../../src/shard/pool.js';
import { InOff } from '../../src/shard/types.js';
import type { MigrationRequest } from '../../src/shard/migration.js';
import { CommandWriter } from '../../src/engine/codec.js';
import { CMD_SIZE, EVT_SIZE, Side, Tif } from '../../src/engine/layout.js';
import { DEFAULT_INSTRUMENTS } from '../../src/engine/instruments.js';
import { loadNativeEngine } from '../../src/engine/native.js';

const NATIVE = loadNativeEngine().ok;
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

/** Tokens are per shard (ShardPool: each shard numbers its commands), and the two shards'
 *  results interleave in arrival order, which worker mode does not fix: results are keyed
 *  and ordered per shard. */
const key = (shard: number, token: number): number => shard * 2 ** 32 + token;

class Run {
  readonly events = new Map<number, number[]>();
  /** Per shard: tokens in the order their FINAL result arrived. */
  readonly finals: number[][] = [[], []];
  pool!: ShardPool;
  readonly sink: ShardSink = {
    onResult: (shard, token, _tDone, u8, evOff, n, final) => {
      const k = key(shard, token);
      let e = this.events.get(k);
      if (!e) this.events.set(k, e = []);
      for (let b = 0; b < n * EVT_SIZE; b++) e.push(u8[evOff + b]!);
      if (final) this.finals[shard]!.push(token);
    },
    onDrainEnd() {},
    onShardDown() {},
    onShardMetrics() {},
  };

  async start(mode: 'worker' | 'inline', allowCrash = false): Promise<void> {
    // 2 shards: BTCUSD + ADAUSD on shard 0 (books 0, 1), ETHUSD on shard 1
    this.pool = new ShardPool({ shards: 2, instruments: DEFAULT_INSTRUMENTS, engineKind: 'native', ringBytes: 1 << 20, logger: quiet, sink: this.sink, mode, allowCrash });
    await this.pool.start();
  }

  /** Submit commands [from, to) of `cmds` (instrument index in the book field). */
  submit(cmds: Uint8Array, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const inst = cmds[i * CMD_SIZE + 6]!;
      const shard = inst % 2;
      const off = this.pool.reserveCommand(shard);
      expect(off).toBeGreaterThanOrEqual(0);
      const h = this.pool.shards[shard]!;
      h.inRing.u8.set(cmds.subarray(i * CMD_SIZE, (i + 1) * CMD_SIZE), off + InOff.cmd);
      h.inRing.u8[off + InOff.cmd + 6] = Math.floor(inst / 2); // shard-local book
      h.inRing.dv.setUint32(off + InOff.token, this.pool.lastToken, true);
      h.inRing.dv.setUint32(off + InOff.tag, 0, true);
      h.inRing.dv.setFloat64(off + InOff.t0, 0, true);
    }
    this.pool.flush();
  }
}

function stream(n: number, seed: number): Uint8Array {
  let s = seed;
  const rnd = (m: number) => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s % m; };
  const w = new CommandWriter(n);
  const mid = [5_000_000, 300_000, 5_000];
  const live: number[][] = [[], [], []];
  for (let i = 0; i < n; i++) {
    const book = rnd(3);
    const spec = DEFAULT_INSTRUMENTS[book]!;
    const r = rnd(10);
    const side = rnd(2);
    if (r < 5) {
      live[book]!.push(i + 1);
      w.newOrder({ book, orderId: i + 1, owner: 1 + rnd(3), side, price: mid[book]! + (side === Side.BUY ? -1 : 1) * spec.tickSize * (1 + rnd(20)), qty: spec.lotSize * (1 + rnd(9)), ts: i });
    } else if (r < 7) {
      w.newOrder({ book, orderId: i + 1, owner: 1 + rnd(3), side, tif: Tif.IOC, price: mid[book]! + (side === Side.BUY ? 1 : -1) * spec.tickSize * (1 + rnd(20)), qty: spec.lotSize * (1 + rnd(20)), ts: i });
    } else if (r < 9) {
      const l = live[book]!;
      w.cancel({ book, orderId: l.length ? l.splice(rnd(l.length), 1)[0]! : 1, owner: 1 + rnd(3), ts: i });
    } else {
      w.massCancel({ book, owner: 1 + rnd(3), ts: i });
    }
  }
  return w.bytes().slice();
}

const runs: Run[] = [];
afterAll(async () => {
  for (const r of runs) await r.pool?.stop();
});

describe.skipIf(!NATIVE).each(['worker', 'inline'] as const)('migration through the pool (%s mode)', (mode) => {
  it('controls sent while commands are in flight: every token gets the never-migrated events', async () => {
    const N = 12_000;
    const cmds = stream(N, 7);
    const ref = new Run();
    const mig = new Run();
    runs.push(ref, mig);
    await ref.start(mode);
    await mig.start(mode);
    const schedule: [number, number, MigrationRequest][] = [
      [1000, 0, { op: 'percentage', book: 0, percentage: 40, verifyCommands: 1e9 }],
      [2500, 1, { op: 'percentage', book: 0, percentage: 100, verifyCommands: 300 }],
      [3000, 0, { op: 'percentage', book: 1, percentage: 100, verifyCommands: 1e9 }],
      [5000, 0, { op: 'percentage', book: 0, percentage: 100, verifyCommands: 200 }],
      [6500, 0, { op: 'complete', book: 1 }],
      [8000, 0, { op: 'percentage', book: 0, percentage: 0, verifyCommands: 0 }],
      [9000, 1, { op: 'stop-all', reason: 'test' }],
      [10_000, 0, { op: 'percentage', book: 1, percentage: 0, verifyCommands: 0 }],
    ];
    const pending: Promise<MigrationAnswer>[] = [];
    let at = 0;
    for (const [until, shard, req] of schedule) {
      for (; at < until; at += 250) {
        ref.submit(cmds, at, at + 250);
        mig.submit(cmds, at, at + 250);
      }
      pending.push(mig.pool.migrate(shard, req)); // not awaited: commands are in the rings
    }
    for (; at < N; at += 250) {
      ref.submit(cmds, at, at + 250);
      mig.submit(cmds, at, at + 250);
    }
    const answers = await Promise.all(pending);
    for (const a of answers) expect(a.ok || (!a.ok && a.error.code === 'NOT_SHADOWING')).toBe(true);
    expect(await ref.pool.quiesce(20_000)).toBe(true);
    expect(await mig.pool.quiesce(20_000)).toBe(true);
    expect(mig.finals[0]!.length + mig.finals[1]!.length).toBe(N);
    expect(mig.finals).toEqual(ref.finals);
    for (const [shard, tokens] of ref.finals.entries()) {
      for (const t of tokens) {
        const k = key(shard, t);
        if (!Buffer.from(mig.events.get(k)!).equals(Buffer.from(ref.events.get(k)!))) {
          expect({ shard, token: t, events: mig.events.get(k)!.length }).toEqual({ shard, token: t, events: ref.events.get(k)!.length });
        }
      }
    }
    const st = await mig.pool.migrate(0, { op: 'status' });
    expect(st.ok).toBe(true);
    if (st.ok) {
      expect(st.result.rows.map((r) => r.state)).toEqual(['rolled_back', 'rolled_back']);
      expect(st.result.rows.every((r) => r.mismatches_total === 0 && r.migrations_started >= 1)).toBe(true);
    }
  }, 60_000);
});

describe.skipIf(!NATIVE)('migration control and shard lifetime (worker mode)', () => {
  it('a control pending when its shard dies is answered SHARD_UNAVAILABLE at once', async () => {
    const r = new Run();
    runs.push(r);
    await r.start('worker', true);
    expect(r.pool.crash(1, 'exit')).toBe(true);
    // posted after the crash message: the worker exits before it reads this one
    const a = await r.pool.migrate(1, { op: 'status' }, 30_000);
    expect(a.ok).toBe(false);
    if (!a.ok) {
      expect(a.error).toMatchObject({ code: 'SHARD_UNAVAILABLE', status: 503 });
      expect(a.error.message).toMatch(/went down/);
    }
    expect((await r.pool.migrate(0, { op: 'status' })).ok).toBe(true);
  }, 40_000);

  it('a control pending when the pool stops is answered SHARD_UNAVAILABLE', async () => {
    const r = new Run();
    await r.start('worker');
    const stopping = r.pool.stop();
    const a = await r.pool.migrate(0, { op: 'status' }, 30_000);
    await stopping;
    expect(a.ok).toBe(false);
    if (!a.ok) expect(a.error.code).toBe('SHARD_UNAVAILABLE');
  }, 40_000);
});
