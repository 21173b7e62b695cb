// The shard worker runs every drained command batch through ONE engine call and splits the
// event stream back per command. Behaviour checked: each command gets its own events (its
// outcome event first, carrying its own orderId), exactly one FINAL record, in submission
// order — also when the outbound ring fills up (overflow queue) and a command's events span
// several records (chunking).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShardPool, type ShardSink } from '../../src/shard/pool.js';
import { InOff } from '../../src/shard/types.js';
import { CommandWriter } from '../../src/engine/codec.js';
import { CMD_SIZE, EVT_SIZE, EventType, OrdType, Side, Tif } from '../../src/engine/layout.js';
import { DEFAULT_INSTRUMENTS } from '../../src/engine/instruments.js';

interface Got { types: number[]; firstOrderId: bigint; finals: number; records: number }

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

describe('shard batch results', () => {
  const got = new Map<number, Got>();
  const finalOrder: number[] = [];
  let pool: ShardPool;

  const sink: ShardSink = {
    onResult(_shard, token, _tDone, u8, evOff, n, final) {
      const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
      let g = got.get(token);
      if (!g) {
        g = { types: [], firstOrderId: n > 0 ? dv.getBigInt64(evOff + 24, true) : -1n, finals: 0, records: 0 };
        got.set(token, g);
      }
      g.records++;
      for (let i = 0; i < n; i++) g.types.push(u8[evOff + i * EVT_SIZE]!);
      if (final) {
        g.finals++;
        finalOrder.push(token);
      }
    },
    onDrainEnd() {},
    onShardDown() {},
    onShardMetrics() {},
  };

  beforeAll(async () => {
    // 16 KiB inbound (~220 commands), 64 KiB outbound: one wave overflows the outbound ring.
    pool = new ShardPool({ shards: 1, instruments: DEFAULT_INSTRUMENTS, engineKind: 'auto', ringBytes: 16384, logger: quiet, sink });
    await pool.start();
  });
  afterAll(async () => {
    await pool?.stop();
  });

  function submit(w: CommandWriter, firstToken: number): number[] {
    const h = pool.shards[0]!;
    const bytes = w.bytes();
    const tokens: number[] = [];
    for (let i = 0; i < w.count; i++) {
      const off = pool.reserveCommand(0);
      expect(off).toBeGreaterThanOrEqual(0);
      h.inRing.u8.set(bytes.subarray(i * CMD_SIZE, (i + 1) * CMD_SIZE), off + InOff.cmd);
      h.inRing.dv.setUint32(off + InOff.token, pool.lastToken, true);
      h.inRing.dv.setUint32(off + InOff.tag, 0, true);
      h.inRing.dv.setFloat64(off + InOff.t0, 0, true);
      tokens.push(pool.lastToken);
    }
    expect(tokens[0]).toBe(firstToken);
    pool.flush();
    return tokens;
  }

  it('splits one engine batch per command, in order, through overflow and chunking', async () => {
    // Wave 0: one resting sell per level (so the sweep below meets two orders per level).
    const LEVELS = 200;
    const w0 = new CommandWriter(256);
    for (let i = 0; i < LEVELS; i++) w0.newOrder({ book: 0, orderId: BigInt(100_000 + i), owner: 6, side: Side.SELL, price: 5_000_000 + i, qty: 100 });
    const tokens0 = submit(w0, 0);
    expect(await pool.quiesce(10_000)).toBe(true);
    expect(finalOrder).toEqual(tokens0);
    finalOrder.length = 0;

    const w = new CommandWriter(256);
    const orderIds: bigint[] = [];
    const expectOutcome: number[] = [];
    for (let i = 0; i < LEVELS; i++) {
      const id = BigInt(1000 + i);
      w.newOrder({ book: 0, orderId: id, owner: 7, side: Side.SELL, price: 5_000_000 + i, qty: 100 });
      orderIds.push(id);
      expectOutcome.push(EventType.ACCEPTED);
      if (i % 50 === 25) {
        // Bad side: REJECTED, and nothing else for this command.
        w.newOrder({ book: 0, orderId: BigInt(9000 + i), owner: 7, side: 9, price: 5_000_000, qty: 100 });
        orderIds.push(BigInt(9000 + i));
        expectOutcome.push(EventType.REJECTED);
      }
    }
    // One taker sweeping every level: ~LEVELS trades + LEVELS L2 updates in one command.
    w.newOrder({ book: 0, orderId: 5000n, owner: 8, side: Side.BUY, ordType: OrdType.LIMIT, tif: Tif.IOC, price: 5_000_000 + LEVELS, qty: 2 * 100 * LEVELS });
    orderIds.push(5000n);
    expectOutcome.push(EventType.ACCEPTED);

    const tokens = submit(w, LEVELS);
    // Keep the main thread from polling so the worker fills the outbound ring (~90 KB of
    // results for 64 KiB) and queues the rest (its overflow path); all must still arrive.
    const until = Date.now() + 300;
    while (Date.now() < until) { /* block the event loop on purpose */ }
    expect(await pool.quiesce(10_000)).toBe(true);

    expect(finalOrder).toEqual(tokens);
    tokens.forEach((t, i) => {
      const g = got.get(t)!;
      expect(g.finals).toBe(1);
      expect(g.types[0]).toBe(expectOutcome[i]);
      expect(g.firstOrderId).toBe(orderIds[i]);
      // Exactly one outcome event per command.
      expect(g.types.filter((x) => x === EventType.ACCEPTED || x === EventType.REJECTED).length).toBe(1);
      if (expectOutcome[i] === EventType.REJECTED) expect(g.types.length).toBe(1);
    });
    const sweep = got.get(tokens[tokens.length - 1]!)!;
    expect(sweep.types.filter((x) => x === EventType.TRADE).length).toBe(2 * LEVELS);
    expect(sweep.records).toBeGreaterThan(1); // > one record's worth of events: chunked

    // A second wave after the overflow: still one result per command, in order.
    const w2 = new CommandWriter(16);
    for (let i = 0; i < 10; i++) w2.newOrder({ book: 1, orderId: BigInt(20_000 + i), owner: 9, side: Side.BUY, price: 300_000 - i, qty: 100 });
    const tokens2 = submit(w2, LEVELS + tokens.length);
    expect(await pool.quiesce(10_000)).toBe(true);
    expect(finalOrder.slice(tokens.length)).toEqual(tokens2);
    tokens2.forEach((t, i) => {
      expect(got.get(t)!.types[0]).toBe(EventType.ACCEPTED);
      expect(got.get(t)!.firstOrderId).toBe(BigInt(20_000 + i));
    });
  });
});
