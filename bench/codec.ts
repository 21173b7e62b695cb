/**
 * Protocol codec micro-benchmark (owner: protocol). Run after `npx tsc -p tsconfig.json`:
 *   node dist/bench/codec.js [--time MS] [--json]
 * or from bench/run-all.ts: `import { runCodecBench } from './codec.js'`.
 *
 * Each tinybench iteration handles one frame of FRAME_MSGS messages, so the two clock reads
 * per iteration (~50 ns) are < 1% of an iteration; messages/s = FRAME_MSGS / mean latency.
 * Inputs (orders, encoded frames, JSON text) are built before timing, from a fixed seed.
 * Baseline beside every figure: the same messages as JSON (JSON.stringify / JSON.parse of
 * equivalent objects), i.e. what a text protocol would cost on the same machine.
 *
 * Tasks:
 *   encode NEW_ORDER      FrameWriter.newOrder x N into a reused buffer, then bytes()
 *   decode NEW_ORDER      FrameReader over the frame, typed objects out (server's hot path)
 *   encode FILL           FrameWriter.fill x N (server -> client reports)
 *   decode FILL           FrameReader (client's hot path)
 *   book apply MD_L2      BookBuilder.onMessage x N on a live book of ~200 levels
 *   json stringify / parse NEW_ORDER   baseline
 */
import { Bench } from 'tinybench';
import { FrameReader, FrameWriter } from '../src/protocol/codec.js';
import { MsgType, type Fill, type MdL2, type NewOrder } from '../src/protocol/messages.js';
import { BookBuilder } from '../src/client/book.js';
import { Prng } from './lib/prng.js';

export const FRAME_MSGS = 1000;

export interface CodecBenchRow {
  task: string;
  msgsPerSec: number;
  nsPerMsg: number;
  p99NsPerMsg: number;
  samples: number;
}

export async function runCodecBench(opts: { timeMs?: number } = {}): Promise<CodecBenchRow[]> {
  const prng = new Prng(1);
  const r = (): number => prng.float();
  const orders: NewOrder[] = Array.from({ length: FRAME_MSGS }, (_, i) => ({
    type: MsgType.NEW_ORDER, instrument: i % 3, side: (i & 1) as 0 | 1, ordType: 0, tif: 0, flags: 0, stp: 0,
    clOrdId: i + 1, price: 4_900_000 + Math.floor(r() * 200_000), qty: 100 * (1 + Math.floor(r() * 100)),
  }));
  const fills: Fill[] = orders.map((o, i) => ({
    type: MsgType.FILL, instrument: o.instrument, side: o.side, liquidity: 2, seq: i + 1, ts: 1_700_000_000_000_000 + i,
    clOrdId: o.clOrdId, orderId: 10_000 + i, matchId: 500 + i, price: o.price, qty: o.qty, leaves: 0,
  }));
  const l2: MdL2[] = Array.from({ length: FRAME_MSGS }, (_, i) => ({
    type: MsgType.MD_L2, instrument: 0, side: (i & 1) as 0 | 1, flags: 1, mdSeq: i + 1, ts: 0,
    price: (i & 1 ? 5_000_100 : 4_999_900) + (i & 1 ? 1 : -1) * Math.floor(r() * 100), qty: r() < 0.2 ? 0 : 1 + Math.floor(r() * 1e6),
    orders: 1 + Math.floor(r() * 9),
  }));

  const w = new FrameWriter(64 * 1024);
  for (const o of orders) w.newOrder(o);
  const orderFrame = w.take();
  for (const f of fills) w.fill(f);
  const fillFrame = w.take();
  const json = JSON.stringify(orders);
  const reader = new FrameReader();
  let sink = 0;

  let mdSeq = 0;
  const book = new BookBuilder(0, { requestSnapshot: () => { throw new Error('bench book must not gap'); } });
  book.resync(false);
  book.onMessage({ type: MsgType.SNAPSHOT, instrument: 0, flags: 1, mdSeq: 0, ts: 0, part: 0, levels: [] });

  const bench = new Bench({ time: opts.timeMs ?? 500, warmupTime: 100 });
  bench
    .add('encode NEW_ORDER (FrameWriter)', () => {
      w.reset();
      for (let i = 0; i < FRAME_MSGS; i++) w.newOrder(orders[i]!);
      sink += w.bytes().length;
    })
    .add('decode NEW_ORDER (FrameReader)', () => {
      reader.reset(orderFrame);
      for (let m = reader.next(); m !== null; m = reader.next()) sink += m.type;
    })
    .add('encode FILL (FrameWriter)', () => {
      w.reset();
      for (let i = 0; i < FRAME_MSGS; i++) w.fill(fills[i]!);
      sink += w.bytes().length;
    })
    .add('decode FILL (FrameReader)', () => {
      reader.reset(fillFrame);
      for (let m = reader.next(); m !== null; m = reader.next()) sink += m.type;
    })
    .add('book apply MD_L2 (BookBuilder)', () => {
      for (let i = 0; i < FRAME_MSGS; i++) {
        const m = l2[i]!;
        m.mdSeq = ++mdSeq;
        book.onMessage(m);
      }
    })
    .add('baseline: JSON.stringify NEW_ORDER', () => {
      sink += JSON.stringify(orders).length;
    })
    .add('baseline: JSON.parse NEW_ORDER', () => {
      sink += (JSON.parse(json) as unknown[]).length;
    });
  await bench.run();
  if (sink === -1) console.log(sink); // keep results observable
  return bench.tasks.map((t) => {
    const res = t.result;
    const lat = res?.latency;
    const meanMs = lat?.mean ?? NaN;
    return {
      task: t.name,
      msgsPerSec: Math.round(FRAME_MSGS / (meanMs / 1000)),
      nsPerMsg: Number(((meanMs * 1e6) / FRAME_MSGS).toFixed(1)),
      p99NsPerMsg: Number((((lat?.p99 ?? NaN) * 1e6) / FRAME_MSGS).toFixed(1)),
      samples: lat?.samples?.length ?? 0,
    };
  });
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const args = process.argv.slice(2);
  const ti = args.indexOf('--time');
  const timeMs = ti >= 0 ? Number(args[ti + 1]) : undefined;
  const rows = await runCodecBench(timeMs === undefined ? {} : { timeMs });
  if (args.includes('--json')) console.log(JSON.stringify({ node: process.version, frameMsgs: FRAME_MSGS, rows }, null, 2));
  else {
    console.log(`codec bench: node ${process.version}, ${FRAME_MSGS} messages per frame`);
    console.table(rows);
  }
}
