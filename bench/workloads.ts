/**
 * Seeded engine workloads, generated before any timing starts.
 *
 * A workload is a flat struct-of-arrays list of abstract operations (NEW / CANCEL with all
 * fields decided), identical for every implementation. Each implementation encodes it into its
 * own input form outside the timed region: engine command records via `CommandWriter`
 * (writeCommands), plain option objects and id strings for nodejs-order-book (bench/lib/peer.ts).
 *
 * To emit cancels of orders that are really live and marketable orders whose size is known, the
 * generator runs a shadow book (price-time FIFO per level, lazy deletion) of the orders it has
 * sent. It replays the same matching rule the engines apply to this subset of order types (limit
 * GTC resting, market IOC, limit IOC at the touch, sizes in whole lots, no STP, no self-trade
 * effects because every order has stp NONE). `restingAfter[i]` is the number of resting orders
 * it expects after op i; the benchmark compares it with each engine's own count at the end, so
 * a workload that drifted out of sync with an engine (rejects, unexpected fills) is reported.
 *
 * Workload `mix` (all prices in BTCUSD engine units: tick $0.01, lot 100 units = 0.0001 BTC):
 * - prefill: `resting` GTC limit orders, alternating sides, at distance 1 + Exp(D) ticks from a
 *   fixed reference P0 = $50,000.00 (bids below, asks above), 1..10 lots.
 * - then per op (nominal mix): 55% passive adds, GTC limit at 1 + Exp(D) ticks behind the
 *   opposite touch (never marketable, so "near the touch"); 40% cancels of a uniformly chosen
 *   live order; 5% marketable, half MARKET IOC (may sweep several levels), half LIMIT IOC at the
 *   opposite touch price, each sized to fill k ~ U{1..5} resting orders (the k-th partially
 *   with probability ~1/2), so on average ~3 resting orders leave per marketable order and the
 *   add / (cancel + fill) flows balance.
 * - depth is held within ±2% of `resting`: an add that would push the book above +2% becomes a
 *   cancel, a cancel that would take it below -2% becomes an add (counted in `mix.converted`).
 * - D = clamp(resting / 500, 20, 2000) ticks: the book's price span grows with its size, so
 *   about resting / (2D) orders share a level near the touch (25 at 1k, 250 at 100k and 1M).
 *   A book of 1M orders over 10 levels would be a different (and unrealistic) workload.
 * - owners: 1..1000 uniformly, stp NONE (owner lists maintained, no STP effects).
 */
import { CmdType, OrdType, Side, Tif } from '../src/engine/layout.js';
import type { CommandWriter } from '../src/engine/codec.js';
import { Prng } from './lib/prng.js';

export const P0 = 5_000_000; // $50,000.00 in BTCUSD price units
export const LOT = 100; // BTCUSD lot size, quantity units
const WINDOW = 400_000; // shadow book spans P0 ± $4,000 (inside the ±10% band)

export type WorkloadName = 'mix' | 'mix-recent';
export const WORKLOADS: readonly WorkloadName[] = ['mix', 'mix-recent'];

export interface WorkloadSpec {
  /** 'mix' as described above. 'mix-recent' (diagnostic): the same, except that a cancel
   *  picks one of the ~1000 most recently added live orders instead of any live order, so
   *  cancels hit cache-warm records; comparing it with 'mix' at the same depth isolates what
   *  the uniformly random cancels cost in cache misses. */
  name: WorkloadName;
  seed: number;
  /** Resting orders after the prefill, held roughly stable afterwards. */
  resting: number;
  /** Ops after the prefill (warm-up + measured phases all come from this sequence). */
  ops: number;
}

export interface MixCounts {
  adds: number;
  cancels: number;
  market: number;
  iocLimit: number;
  /** Resting orders fully filled by marketable ops. */
  makerFills: number;
  /** Resting orders partially filled (stay on the book). */
  makerPartials: number;
  /** Adds turned into cancels or cancels turned into adds by the depth controller. */
  converted: number;
}

export interface Workload {
  spec: WorkloadSpec;
  /** Number of leading ops that are the prefill (all resting GTC limits). */
  prefill: number;
  /** Total ops = prefill + spec.ops. */
  count: number;
  type: Uint8Array; // CmdType.NEW | CmdType.CANCEL
  side: Uint8Array; // Side
  ordType: Uint8Array; // OrdType
  tif: Uint8Array; // Tif
  owner: Uint16Array;
  orderId: Float64Array; // NEW: fresh id; CANCEL: target id
  price: Float64Array; // LIMIT price; MARKET: 0 (no protection price)
  qty: Float64Array; // NEW only
  ts: Float64Array; // µs, strictly increasing
  /** Resting orders the shadow book expects after op i. */
  restingAfter: Int32Array;
  /** Mix of the post-prefill ops. */
  mix: MixCounts;
  meanOffsetTicks: number;
}

/** Builds a workload. Cost: ~0.3-1 µs per op (shadow book), memory ~60 bytes per op. */
export function generateMix(spec: WorkloadSpec): Workload {
  const rng = new Prng(spec.seed);
  const N = spec.resting;
  const count = N + spec.ops;
  const D = Math.min(2000, Math.max(20, N / 500));
  const recent = spec.name === 'mix-recent';

  const type = new Uint8Array(count);
  const side = new Uint8Array(count);
  const ordType = new Uint8Array(count);
  const tif = new Uint8Array(count);
  const owner = new Uint16Array(count);
  const orderId = new Float64Array(count);
  const price = new Float64Array(count);
  const qty = new Float64Array(count);
  const ts = new Float64Array(count);
  const restingAfter = new Int32Array(count);

  // Shadow book. Ids are 1..count (every NEW gets the next id, marketable ones included).
  const maxId = count + 1;
  const idLeaves = new Float64Array(maxId); // 0 = not live
  const idLevel = new Int32Array(maxId); // price - lo
  const idSide = new Uint8Array(maxId);
  const idOwner = new Uint16Array(maxId);
  const livePos = new Int32Array(maxId).fill(-1);
  const liveIds = new Int32Array(maxId);
  let live = 0;
  const lo = P0 - WINDOW;
  const nLevels = 2 * WINDOW + 1;
  const queues: (number[] | undefined)[] = new Array(nLevels);
  const qHead = new Int32Array(nLevels);
  const levelLive = new Int32Array(nLevels);
  let bestBid = -1; // level index, -1 = no bids
  let bestAsk = nLevels; // nLevels = no asks
  let nextId = 1;

  const addResting = (id: number, s: number, lvl: number, q: number, own: number): void => {
    idLeaves[id] = q;
    idLevel[id] = lvl;
    idSide[id] = s;
    idOwner[id] = own;
    livePos[id] = live;
    liveIds[live++] = id;
    let qu = queues[lvl];
    if (qu === undefined) { qu = []; queues[lvl] = qu; }
    qu.push(id);
    levelLive[lvl]!++;
    if (s === Side.BUY) { if (lvl > bestBid) bestBid = lvl; } else if (lvl < bestAsk) bestAsk = lvl;
  };

  const fixBest = (s: number): void => {
    if (s === Side.BUY) { while (bestBid >= 0 && levelLive[bestBid] === 0) bestBid--; }
    else { while (bestAsk < nLevels && levelLive[bestAsk] === 0) bestAsk++; }
  };

  /** Removes a live order (cancel or full fill); the queue entry dies lazily. */
  const removeLive = (id: number): void => {
    const lvl = idLevel[id]!;
    idLeaves[id] = 0;
    levelLive[lvl]!--;
    const p = livePos[id]!;
    const last = liveIds[--live]!;
    liveIds[p] = last;
    livePos[last] = p;
    livePos[id] = -1;
    const qu = queues[lvl]!;
    // Compact when dead entries dominate, so queues stay O(live) in memory.
    const h = qHead[lvl]!;
    if (qu.length - h > 2 * levelLive[lvl]! + 32) {
      const keep: number[] = [];
      for (let j = h; j < qu.length; j++) if (idLeaves[qu[j]!]! > 0) keep.push(qu[j]!);
      queues[lvl] = keep;
      qHead[lvl] = 0;
    }
    if (levelLive[lvl] === 0) { queues[lvl] = undefined; qHead[lvl] = 0; }
    fixBest(idSide[id]!);
  };

  /** Head live order of a level (advancing past dead entries), or 0. */
  const headOf = (lvl: number): number => {
    const qu = queues[lvl];
    if (qu === undefined) return 0;
    let h = qHead[lvl]!;
    while (h < qu.length && idLeaves[qu[h]!]! === 0) h++;
    qHead[lvl] = h;
    return h < qu.length ? qu[h]! : 0;
  };

  const mix: MixCounts = { adds: 0, cancels: 0, market: 0, iocLimit: 0, makerFills: 0, makerPartials: 0, converted: 0 };
  const lots = (): number => (1 + rng.int(10)) * LOT;
  const tick = (): number => 1 + Math.floor(rng.exp(D));
  const ownerDraw = (): number => 1 + rng.int(1000);

  let i = 0;
  const emitNew = (s: number, ot: number, tf: number, p: number, q: number, own: number): number => {
    const id = nextId++;
    type[i] = CmdType.NEW; side[i] = s; ordType[i] = ot; tif[i] = tf;
    owner[i] = own; orderId[i] = id; price[i] = p; qty[i] = q;
    return id;
  };

  const clampLvl = (lvl: number): number => Math.min(nLevels - 1, Math.max(0, lvl));

  // --- prefill ---
  for (; i < N; i++) {
    const s = (i & 1) === 0 ? Side.BUY : Side.SELL;
    const lvl = clampLvl(s === Side.BUY ? WINDOW - tick() : WINDOW + tick());
    const q = lots();
    const own = ownerDraw();
    const id = emitNew(s, OrdType.LIMIT, Tif.GTC, lo + lvl, q, own);
    addResting(id, s, lvl, q, own);
    ts[i] = 1_700_000_000_000_000 + i;
    restingAfter[i] = live;
  }

  // --- measured sequence ---
  const hi = Math.ceil(N * 1.02);
  const low = Math.floor(N * 0.98);
  for (; i < count; i++) {
    ts[i] = 1_700_000_000_000_000 + i;
    const r = rng.float();
    let kind: 0 | 1 | 2 = r < 0.05 ? 2 : r < 0.45 ? 1 : 0; // 0 add, 1 cancel, 2 marketable
    if (kind === 0 && live >= hi && live > 0) { kind = 1; mix.converted++; }
    else if (kind === 1 && (live <= low || live === 0)) { kind = 0; mix.converted++; }
    if (kind === 2) {
      const s = rng.float() < 0.5 ? Side.BUY : Side.SELL; // taker side
      const oppBest = s === Side.BUY ? bestAsk : bestBid;
      if (oppBest < 0 || oppBest >= nLevels) kind = 0;
      else {
        const market = rng.float() < 0.5;
        let k = 1 + rng.int(5);
        let total = 0;
        const touch = oppBest;
        // Walk the opposite side FIFO from the touch, consuming as the engine will.
        while (k > 0) {
          const lvl = s === Side.BUY ? bestAsk : bestBid;
          if (lvl < 0 || lvl >= nLevels) break;
          if (!market && lvl !== touch) break; // LIMIT IOC at the touch price: one level
          const maker = headOf(lvl);
          const leaves = idLeaves[maker]!;
          let take = leaves;
          if (k === 1 && leaves > LOT && rng.float() < 0.5) take = (1 + rng.int(leaves / LOT - 1)) * LOT;
          total += take;
          if (take === leaves) { removeLive(maker); mix.makerFills++; }
          else { idLeaves[maker] = leaves - take; mix.makerPartials++; }
          k--;
        }
        const own = ownerDraw();
        if (market) { emitNew(s, OrdType.MARKET, Tif.IOC, 0, total, own); mix.market++; }
        else { emitNew(s, OrdType.LIMIT, Tif.IOC, lo + touch, total, own); mix.iocLimit++; }
      }
    }
    if (kind === 1) {
      // liveIds is append-at-end with swap-remove, so its tail holds mostly recent orders.
      const id = liveIds[recent ? live - 1 - rng.int(Math.min(live, 1000)) : rng.int(live)]!;
      type[i] = CmdType.CANCEL; owner[i] = idOwner[id]!; orderId[i] = id;
      removeLive(id);
      mix.cancels++;
    } else if (kind === 0) {
      const s = rng.float() < 0.5 ? Side.BUY : Side.SELL;
      let lvl: number;
      if (s === Side.BUY) lvl = (bestAsk < nLevels ? bestAsk : bestBid >= 0 ? bestBid + 1 : WINDOW + 1) - tick();
      else lvl = (bestBid >= 0 ? bestBid : bestAsk < nLevels ? bestAsk - 1 : WINDOW - 1) + tick();
      lvl = clampLvl(lvl);
      const q = lots();
      const own = ownerDraw();
      const id = emitNew(s, OrdType.LIMIT, Tif.GTC, lo + lvl, q, own);
      addResting(id, s, lvl, q, own);
      mix.adds++;
    }
    restingAfter[i] = live;
  }

  return {
    spec, prefill: N, count, type, side, ordType, tif, owner, orderId, price, qty, ts,
    restingAfter, mix, meanOffsetTicks: D,
  };
}

/** Appends ops [from, to) to `w` as engine command records for book `book`. Untimed. */
export function writeCommands(wl: Workload, from: number, to: number, w: CommandWriter, book: number): void {
  for (let i = from; i < to; i++) {
    if (wl.type[i] === CmdType.CANCEL) {
      w.cancel({ book, orderId: wl.orderId[i]!, owner: wl.owner[i]!, ts: wl.ts[i]! });
    } else {
      w.newOrder({
        book, orderId: wl.orderId[i]!, owner: wl.owner[i]!, side: wl.side[i]!,
        ordType: wl.ordType[i]!, tif: wl.tif[i]!, price: wl.price[i]!, qty: wl.qty[i]!, ts: wl.ts[i]!,
      });
    }
  }
}

/** Human summary of the post-prefill mix, e.g. "adds 55.0% cancels 40.0% ...". */
export function describeMix(wl: Workload): string {
  const m = wl.mix;
  const n = wl.count - wl.prefill || 1;
  const pct = (x: number): string => `${((100 * x) / n).toFixed(1)}%`;
  return `adds ${pct(m.adds)}, cancels ${pct(m.cancels)}, market ${pct(m.market)}, ` +
    `limit-IOC ${pct(m.iocLimit)} (maker fills ${m.makerFills}, partials ${m.makerPartials}), ` +
    `depth-controller conversions ${m.converted}, mean offset ${wl.meanOffsetTicks} ticks`;
}
