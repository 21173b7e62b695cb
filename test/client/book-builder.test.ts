import { describe, expect, it } from 'vitest';
import { BookBuilder } from '../../src/client/book.js';
import { MsgType, type MdL2, type MdTrade, type Snapshot, type SnapshotLevel } from '../../src/protocol/messages.js';
import { rng, int } from '../protocol/gen.js';

const l2 = (mdSeq: number, side: 0 | 1, price: number, qty: number, orders = 1): MdL2 =>
  ({ type: MsgType.MD_L2, instrument: 4, side, flags: 1, mdSeq, ts: 0, price, qty, orders });
const trade = (mdSeq: number, price: number, qty: number): MdTrade =>
  ({ type: MsgType.MD_TRADE, instrument: 4, aggressorSide: 0, flags: 1, mdSeq, ts: 0, matchId: mdSeq, price, qty });
const snap = (mdSeq: number, levels: SnapshotLevel[], part = 0, last = true): Snapshot =>
  ({ type: MsgType.SNAPSHOT, instrument: 4, flags: last ? 1 : 0, mdSeq, ts: 0, part, levels });

function builder() {
  const requests: number[] = [];
  const b = new BookBuilder(4, { requestSnapshot: (i) => requests.push(i), maxBuffered: 50 });
  return { b, requests };
}

describe('BookBuilder', () => {
  it('buffers while syncing, installs the snapshot, drops buffered updates <= snapshot mdSeq, applies the rest', () => {
    const { b, requests } = builder();
    b.resync();
    expect(requests).toEqual([4]);
    b.onMessage(l2(9, 0, 100, 1));
    b.onMessage(l2(10, 0, 100, 2));
    b.onMessage(l2(11, 1, 105, 3));
    b.onMessage(trade(12, 105, 1));
    expect(b.state).toBe('syncing');
    expect(b.bufferedCount).toBe(4);
    b.onMessage(snap(10, [{ side: 0, orders: 2, price: 100, qty: 2 }, { side: 0, orders: 1, price: 99, qty: 9 }]));
    expect(b.state).toBe('live');
    expect(b.lastMdSeq).toBe(12);
    expect(b.depth()).toEqual({ bids: [{ price: 100, qty: 2, orders: 2 }, { price: 99, qty: 9, orders: 1 }], asks: [{ price: 105, qty: 3, orders: 1 }], mdSeq: 12 });
    expect(b.lastTrade).toMatchObject({ price: 105, qty: 1 });
    expect(requests).toHaveLength(1);
  });

  it('absolute quantities replace levels, 0 removes, sides stay sorted best first', () => {
    const { b } = builder();
    b.resync();
    b.onMessage(snap(0, []));
    let s = 0;
    b.onMessage(l2(++s, 0, 100, 5)); b.onMessage(l2(++s, 0, 102, 5)); b.onMessage(l2(++s, 0, 101, 5));
    b.onMessage(l2(++s, 1, 110, 5)); b.onMessage(l2(++s, 1, 108, 5)); b.onMessage(l2(++s, 1, 109, 5));
    b.onMessage(l2(++s, 0, 101, 7, 3));
    b.onMessage(l2(++s, 1, 108, 0));
    expect(b.depth().bids.map((l) => [l.price, l.qty])).toEqual([[102, 5], [101, 7], [100, 5]]);
    expect(b.depth().asks.map((l) => l.price)).toEqual([109, 110]);
    expect(b.bestBid()).toEqual({ price: 102, qty: 5, orders: 1 });
    expect(b.bestAsk()?.price).toBe(109);
    expect(b.depth(1).bids).toHaveLength(1);
  });

  it('a gap triggers one snapshot request, buffering, and recovery; duplicates are ignored', () => {
    const { b, requests } = builder();
    const gaps: [number, number][] = [];
    b.on('gap', (e, g) => gaps.push([e, g]));
    b.resync(false);
    b.onMessage(snap(5, [{ side: 1, orders: 1, price: 50, qty: 1 }]));
    b.onMessage(l2(6, 1, 51, 1));
    b.onMessage(l2(6, 1, 51, 99)); // duplicate
    expect(b.stats.duplicates).toBe(1);
    b.onMessage(l2(9, 1, 52, 1)); // 7, 8 lost
    expect(gaps).toEqual([[7, 9]]);
    expect(b.state).toBe('syncing');
    expect(requests).toEqual([4]);
    b.onMessage(l2(10, 1, 53, 1));
    b.onMessage(snap(9, [{ side: 1, orders: 1, price: 50, qty: 1 }, { side: 1, orders: 1, price: 51, qty: 1 }, { side: 1, orders: 1, price: 52, qty: 1 }]));
    expect(b.state).toBe('live');
    expect(b.depth().asks.map((l) => l.price)).toEqual([50, 51, 52, 53]);
    expect(b.lastMdSeq).toBe(10);
  });

  it('a snapshot older than the first buffered update leaves a gap: it requests another snapshot', () => {
    const { b, requests } = builder();
    b.resync();
    b.onMessage(l2(20, 0, 1, 1));
    b.onMessage(snap(15, []));
    expect(b.state).toBe('syncing');
    expect(requests).toEqual([4, 4]);
    b.onMessage(snap(20, [{ side: 0, orders: 1, price: 1, qty: 1 }]));
    expect(b.state).toBe('live');
  });

  it('multi-part snapshots are assembled in order; a missing part restarts the sync', () => {
    const { b, requests } = builder();
    b.resync();
    b.onMessage(snap(3, [{ side: 0, orders: 1, price: 10, qty: 1 }], 0, false));
    b.onMessage(snap(3, [{ side: 1, orders: 1, price: 11, qty: 1 }], 1, true));
    expect(b.state).toBe('live');
    expect(b.levelCount).toEqual({ bids: 1, asks: 1 });
    b.resync();
    b.onMessage(snap(4, [], 0, false));
    b.onMessage(snap(4, [], 2, true)); // part 1 missing
    expect(b.state).toBe('syncing');
    expect(requests).toEqual([4, 4, 4]);
  });

  it('buffer overflow while syncing drops the buffer and asks for a fresh snapshot', () => {
    const { b, requests } = builder();
    b.resync();
    for (let i = 1; i <= 51; i++) b.onMessage(l2(i, 0, i, 1));
    expect(b.stats.overflows).toBe(1);
    expect(b.bufferedCount).toBe(1);
    expect(requests).toEqual([4, 4]);
  });

  it('random streams with random drops: after recovery the book equals the true book', () => {
    const r = rng(2024);
    const truth = new Map<string, { side: 0 | 1; price: number; qty: number; orders: number }>();
    const { b, requests } = builder();
    b.resync();
    let seq = 0;
    const snapshotNow = () => snap(seq, [...truth.values()].map((l) => ({ side: l.side, orders: l.orders, price: l.price, qty: l.qty })));
    b.onMessage(snapshotNow());
    for (let i = 0; i < 5000; i++) {
      const side = int(r, 0, 1) as 0 | 1;
      const price = int(r, 1, 40);
      const qty = r() < 0.3 ? 0 : int(r, 1, 1000);
      const m = l2(++seq, side, price, qty, int(r, 1, 9));
      if (qty === 0) truth.delete(`${side}:${price}`);
      else truth.set(`${side}:${price}`, { side, price, qty, orders: m.orders });
      if (r() > 0.02) b.onMessage(m); // 2% dropped
      if (requests.length > 0 && r() < 0.2) {
        requests.length = 0;
        b.onMessage(snapshotNow());
      }
    }
    if (b.state !== 'live') b.onMessage(snapshotNow());
    const want = (s: 0 | 1) => [...truth.values()].filter((l) => l.side === s)
      .sort((a, c) => (s === 0 ? c.price - a.price : a.price - c.price)).map((l) => ({ price: l.price, qty: l.qty, orders: l.orders }));
    expect(b.depth()).toEqual({ bids: want(0), asks: want(1), mdSeq: seq });
    expect(b.stats.gaps).toBeGreaterThan(10);
  });
});
