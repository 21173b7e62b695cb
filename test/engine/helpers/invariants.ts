/**
 * Book invariants checked through the public Engine API only (so they apply to the native
 * engine too): parse the L3 snapshot and compare it with depth() and stats().
 * Throws an Error naming the first broken invariant. Cost O(N log N) per call.
 */
import { SNAP_HEADER_SIZE, SNAP_ORDER_SIZE, SNAP_MAGIC } from '../../../src/engine/layout.js';
import type { Engine } from '../../../src/engine/types.js';

export interface SnapOrder { orderId: number; owner: number; side: number; flags: number; stp: number; price: number; leaves: number; ownerRank: number; filled: number }

export function parseSnapshot(img: Uint8Array): { seq: number; nextMatchId: number; lastTradePrice: number; orders: SnapOrder[] } {
  const dv = new DataView(img.buffer, img.byteOffset, img.byteLength);
  if (dv.getUint32(0, true) !== SNAP_MAGIC) throw new Error('snapshot: bad magic');
  const n = Number(dv.getBigInt64(32, true));
  const orders: SnapOrder[] = [];
  for (let i = 0; i < n; i++) {
    const o = SNAP_HEADER_SIZE + i * SNAP_ORDER_SIZE;
    orders.push({
      orderId: Number(dv.getBigInt64(o, true)), owner: dv.getUint32(o + 8, true), side: dv.getUint8(o + 12),
      flags: dv.getUint8(o + 13), stp: dv.getUint8(o + 14), price: Number(dv.getBigInt64(o + 16, true)),
      leaves: Number(dv.getBigInt64(o + 24, true)), ownerRank: Number(dv.getBigInt64(o + 32, true)),
      filled: Number(dv.getBigInt64(o + 40, true)),
    });
  }
  return { seq: Number(dv.getBigInt64(8, true)), nextMatchId: Number(dv.getBigInt64(16, true)), lastTradePrice: Number(dv.getBigInt64(24, true)), orders };
}

/** `orderStride` > 1 checks order() for every n-th resting order only (large books). */
export function checkBook(engine: Engine, book: number, orderStride = 1): void {
  const snap = parseSnapshot(engine.snapshot(book));
  const st = engine.stats(book);
  const where = `${engine.implementation} book ${book} seq ${st.seq}`;
  if (snap.orders.length !== st.orders) throw new Error(`${where}: snapshot has ${snap.orders.length} orders, stats ${st.orders}`);
  if (snap.seq !== st.seq) throw new Error(`${where}: snapshot seq ${snap.seq} != stats seq`);
  const levels = [new Map<number, [number, number]>(), new Map<number, [number, number]>()];
  const ids = new Set<number>();
  const ranks = new Map<number, number[]>();
  let k = 0;
  for (const o of snap.orders) {
    if (!(o.leaves > 0)) throw new Error(`${where}: order ${o.orderId} has leaves ${o.leaves}`);
    if (o.side > 1) throw new Error(`${where}: order ${o.orderId} side ${o.side}`);
    if (ids.has(o.orderId)) throw new Error(`${where}: duplicate resting id ${o.orderId}`);
    ids.add(o.orderId);
    const m = levels[o.side]!;
    const l = m.get(o.price) ?? [0, 0];
    l[0] += o.leaves; l[1]++;
    m.set(o.price, l);
    if (o.owner !== 0) { const r = ranks.get(o.owner) ?? []; r.push(o.ownerRank); ranks.set(o.owner, r); }
    if (k++ % orderStride !== 0) continue;
    const ro = engine.order(book, o.orderId);
    if (!(o.filled >= 0)) throw new Error(`${where}: order ${o.orderId} has filled ${o.filled}`);
    if (!ro || ro.leaves !== o.leaves || ro.price !== o.price || ro.side !== o.side || ro.filled !== o.filled) throw new Error(`${where}: order(${o.orderId}) disagrees with the snapshot`);
  }
  for (const [owner, r] of ranks) {
    r.sort((a, b) => a - b);
    if (r.some((v, i) => v !== i)) throw new Error(`${where}: owner ${owner} ranks are not 0..k-1`);
  }
  const d = engine.depth(book, 1 << 30);
  if (d.bids.length !== st.bidLevels || d.asks.length !== st.askLevels) throw new Error(`${where}: level counts differ from stats`);
  for (const [side, list] of [[0, d.bids], [1, d.asks]] as const) {
    const m = levels[side]!;
    if (list.length !== m.size) throw new Error(`${where}: side ${side} has ${list.length} levels, orders span ${m.size}`);
    for (let i = 0; i < list.length; i++) {
      const lv = list[i]!;
      if (i > 0 && (side === 0 ? lv.price >= list[i - 1]!.price : lv.price <= list[i - 1]!.price)) throw new Error(`${where}: side ${side} levels out of order`);
      const s = m.get(lv.price);
      if (!s || s[0] !== lv.qty || s[1] !== lv.orders) throw new Error(`${where}: level ${side}@${lv.price} total (${lv.qty}, ${lv.orders}) != sum of orders ${JSON.stringify(s)}`);
    }
  }
  if (d.bids.length > 0 && d.asks.length > 0 && d.bids[0]!.price >= d.asks[0]!.price) throw new Error(`${where}: book rests crossed ${d.bids[0]!.price} >= ${d.asks[0]!.price}`);
}
