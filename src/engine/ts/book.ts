/**
 * One order book of the TypeScript engine: the executable form of
 * /work/team/ENGINE-SEMANTICS.md (copied into docs/ENGINE.md). Section names in comments
 * ("step 7", "Matching") refer to that text.
 *
 * State (all struct-of-arrays in typed arrays; no per-order objects):
 * - order pool: one 64-byte record per slot (one cache line: a cancel in a 1M-order book
 *   costs a few cache misses, not one per field), read through a Float64Array `of` and an
 *   Int32Array `oi` over the same ArrayBuffer:
 *     of[8o+0] id   of[8o+1] price   of[8o+2] leaves   of[8o+7] filled (traded so far)
 *     oi[16o+6] owner (raw u32 bits)  oi[16o+7] level node  oi[16o+8] prev  oi[16o+9] next
 *     oi[16o+10] owner-list prev  oi[16o+11] owner-list next  oi[16o+12] side|flags<<8|stp<<16
 *     oi[16o+13] owner record index (owner != 0)
 *   Free slots are chained through `next`. Grows by 1.5x.
 * - ids: order id -> slot (IdIndex: open addressing, 8-byte entries, id confirmed from the
 *   order record).
 * - bids/asks: PriceTree (red-black tree of levels + price hash + cached best).
 * - owners: owner -> owner record (head, tail, count of that owner's resting orders).
 * - pending L2 touches of the current command (side, price, level node hint).
 *
 * One writer: a Book is driven only by TsEngine.process, one command at a time.
 */
import {
  CancelReason, EventType, Flags, OrdType, RejectReason, SNAP_HEADER_SIZE, SNAP_MAGIC,
  SNAP_ORDER_SIZE, StpMode, Tif, ENGINE_ABI_VERSION, CmdType, AmendFlags, AmendCmdFlags, MAX_SAFE,
} from '../layout.js';
import type { InstrumentSpec, Level, RestingOrder } from '../types.js';
import type { EventOut } from './events.js';
import { IdIndex, IntMap } from './hash.js';
import { PriceTree } from './price-tree.js';

const TWO_32 = 4294967296;
const MAX_ID_HI = 0x1fffff; // orderId hi word of 2^53 - 1
const BUY = 0;
const SELL = 1;

// Order record field offsets (see the header): doubles in `of` (8 per slot), int32 words in
// `oi` (16 per slot, same bytes).
const F_ID = 0;
const F_PRICE = 1;
const F_LEAVES = 2;
/** Quantity the order has traded over its life (taker on entry and on crossing amends, maker),
 *  saturating at MAX_SAFE; what an AMEND with TOTAL_QTY subtracts. Words 14-15 of the record. */
const F_FILLED = 7;
const I_OWNER = 6;
const I_LEVEL = 7;
const I_PREV = 8;
const I_NEXT = 9;
const I_OPREV = 10;
const I_ONEXT = 11;
const I_META = 12; // side | flags << 8 | stp << 16
const I_OREC = 13; // owner record index

/** int64 at words (w, w+1) as a double; rounded (monotonically) beyond 2^53. */
function rd(ci: Int32Array, w: number): number {
  return ci[w + 1]! * TWO_32 + (ci[w]! >>> 0);
}

/** v is a multiple of m (v >= 0 already range-checked, m >= 1). Integer modulo when v fits
 *  in int32 (fmod costs several times more), exact double modulo otherwise. */
function multipleOf(v: number, m: number): boolean {
  if (m === 1) return true;
  if (v <= 0x7fffffff) return (v | 0) % m === 0;
  return v % m === 0;
}

// Enum values as module constants: the hot paths read constants, not object properties.
const AMEND_PRIORITY_KEPT = AmendFlags.PRIORITY_KEPT;
const AMEND_TOTAL_QTY = AmendCmdFlags.TOTAL_QTY;
const CR_AMEND_TO_FILLED = CancelReason.AMEND_TO_FILLED;
const CR_IOC_REMAINDER = CancelReason.IOC_REMAINDER;
const CR_MASS_CANCEL = CancelReason.MASS_CANCEL;
const CR_SELF_TRADE = CancelReason.SELF_TRADE;
const CR_USER = CancelReason.USER;
const EV_ACCEPTED = EventType.ACCEPTED;
const EV_AMENDED = EventType.AMENDED;
const EV_CANCELLED = EventType.CANCELLED;
const EV_DECREMENTED = EventType.DECREMENTED;
const EV_TRADE = EventType.TRADE;
const FLAG_POST_ONLY = Flags.POST_ONLY;
const ORD_LIMIT = OrdType.LIMIT;
const ORD_MARKET = OrdType.MARKET;
const R_AMEND_NO_CHANGE = RejectReason.AMEND_NO_CHANGE;
const R_BAD_FLAGS = RejectReason.BAD_FLAGS;
const R_BAD_LOT = RejectReason.BAD_LOT;
const R_BAD_ORDER_ID = RejectReason.BAD_ORDER_ID;
const R_BAD_ORDER_TYPE = RejectReason.BAD_ORDER_TYPE;
const R_BAD_OWNER = RejectReason.BAD_OWNER;
const R_BAD_PRICE = RejectReason.BAD_PRICE;
const R_BAD_QUANTITY = RejectReason.BAD_QUANTITY;
const R_BAD_SIDE = RejectReason.BAD_SIDE;
const R_BAD_STP_MODE = RejectReason.BAD_STP_MODE;
const R_BAD_TIF = RejectReason.BAD_TIF;
const R_BOOK_FULL = RejectReason.BOOK_FULL;
const R_DUPLICATE_ORDER_ID = RejectReason.DUPLICATE_ORDER_ID;
const R_FOK_NOT_FILLABLE = RejectReason.FOK_NOT_FILLABLE;
const R_NOT_OWNER = RejectReason.NOT_OWNER;
const R_OFF_TICK = RejectReason.OFF_TICK;
const R_POST_ONLY_WOULD_CROSS = RejectReason.POST_ONLY_WOULD_CROSS;
const R_PRICE_OUT_OF_BAND = RejectReason.PRICE_OUT_OF_BAND;
const R_UNKNOWN_ORDER = RejectReason.UNKNOWN_ORDER;
const STP_CANCEL_BOTH = StpMode.CANCEL_BOTH;
const STP_CANCEL_NEWEST = StpMode.CANCEL_NEWEST;
const STP_CANCEL_OLDEST = StpMode.CANCEL_OLDEST;
const STP_DECREMENT_AND_CANCEL = StpMode.DECREMENT_AND_CANCEL;
const STP_NONE = StpMode.NONE;
const TIF_FOK = Tif.FOK;
const TIF_GTC = Tif.GTC;

export class Book {
  readonly index: number;
  readonly spec: InstrumentSpec;
  private readonly out: EventOut;

  // Book counters (ENGINE-SEMANTICS "Book state").
  seq = 0;
  nextMatchId = 1;
  lastTradePrice = 0;
  /** Live (resting) orders. */
  live = 0;

  // Order pool (see the header for the record layout).
  private cap: number;
  of: Float64Array;
  oi: Int32Array;
  private freeSlot = -1;
  private usedSlots = 0;

  ids: IdIndex;
  bids: PriceTree;
  asks: PriceTree;

  // Owner lists: owner -> record r; records hold head/tail slot and count.
  private owners: IntMap;
  private ownHead: Int32Array;
  private ownTail: Int32Array;
  private ownCount: Int32Array;
  private ownKey: Float64Array;
  private ownFree = -1;
  private ownUsed = 0;

  // Pending L2 touches of the current command.
  private pSide: Uint8Array;
  private pPrice: Float64Array;
  private pNode: Int32Array;
  private pN = 0;

  // Matching outcome side channels: set when STP cancelled the taker; quantity the taker
  // traded (TRADE events only: STP decrements are not fills).
  private stpStopped = false;
  private takerFilled = 0;

  constructor(index: number, spec: InstrumentSpec, out: EventOut, capacity = 1024) {
    this.index = index;
    this.spec = { ...spec };
    this.out = out;
    this.cap = capacity;
    this.of = new Float64Array(capacity * 8);
    this.oi = new Int32Array(this.of.buffer);
    this.ids = new IdIndex(capacity);
    this.bids = new PriceTree(-1);
    this.asks = new PriceTree(1);
    this.owners = new IntMap(64);
    this.ownHead = new Int32Array(64);
    this.ownTail = new Int32Array(64);
    this.ownCount = new Int32Array(64);
    this.ownKey = new Float64Array(64);
    this.pSide = new Uint8Array(256);
    this.pPrice = new Float64Array(256);
    this.pNode = new Int32Array(256);
  }

  // -------------------------------------------------------------------------------------
  // Event helpers
  // -------------------------------------------------------------------------------------

  reject(reason: number, ci: Int32Array, w: number): void {
    this.out.putRejected(reason, this.index, ++this.seq, (ci[w]! >>> 8) & 0xff, ci[w + 6]!, ci[w + 7]!, ci[w + 2]!);
  }

  private emit(type: number, side: number, reason: number, flags: number,
    s0: number, s1: number, s2: number, s3: number, s4: number, s5: number, s6: number): void {
    this.out.put(type, side, reason, this.index, flags, ++this.seq, s0, s1, s2, s3, s4, s5, s6);
  }

  /** Records a change of level (side, price); coalesces with the LAST pending entry only. */
  private touch(side: number, price: number, node: number): void {
    const n = this.pN;
    if (n > 0 && this.pPrice[n - 1] === price && this.pSide[n - 1] === side) return;
    if (n === this.pSide.length) this.growPending();
    this.pSide[n] = side;
    this.pPrice[n] = price;
    this.pNode[n] = node;
    this.pN = n + 1;
  }

  private growPending(): void {
    const m = this.pSide.length * 2;
    const s = new Uint8Array(m); s.set(this.pSide); this.pSide = s;
    const p = new Float64Array(m); p.set(this.pPrice); this.pPrice = p;
    const d = new Int32Array(m); d.set(this.pNode); this.pNode = d;
  }

  /** End of command: one L2 per pending entry with the level's current (total, count). */
  flushL2(): void {
    const n = this.pN;
    for (let i = 0; i < n; i++) {
      const side = this.pSide[i]!;
      const price = this.pPrice[i]!;
      const t = side === BUY ? this.bids : this.asks;
      let node = this.pNode[i]!;
      // The hint is valid if that node still holds this price; else ask the hash.
      if (t.price[node] !== price) node = t.find(price);
      if (node !== 0) this.emit(EventType.L2, side, 0, 0, price, t.total[node]!, t.count[node]!, 0, 0, 0, 0);
      else this.emit(EventType.L2, side, 0, 0, price, 0, 0, 0, 0, 0, 0);
    }
    this.pN = 0;
  }

  // -------------------------------------------------------------------------------------
  // Pools
  // -------------------------------------------------------------------------------------

  private allocSlot(): number {
    const f = this.freeSlot;
    if (f >= 0) {
      this.freeSlot = this.oi[16 * f + I_NEXT]!;
      return f;
    }
    if (this.usedSlots === this.cap) this.growOrders();
    return this.usedSlots++;
  }

  /** Grows the pool by 1.5x (not 2x: a 1M-order book then wastes <= 1/3 of its pool, and
   *  the O(n) copy stays amortized O(1) per order). */
  private growOrders(): void {
    this.allocOrders(Math.min(this.cap + (this.cap >> 1) + 16, 2 ** 27), true);
  }

  /** Replaces the pool with one of n slots (copying the old records when `keep`). */
  private allocOrders(n: number, keep = false): void {
    const f = new Float64Array(n * 8);
    if (keep) f.set(this.of);
    this.of = f;
    this.oi = new Int32Array(f.buffer);
    this.cap = n;
  }

  /** Appends slot o at the back of owner's list (owner != 0). O(1). */
  private ownerAppend(o: number, owner: number): void {
    let r = this.owners.get(owner);
    if (r < 0) {
      if (this.ownFree >= 0) {
        r = this.ownFree;
        this.ownFree = this.ownHead[r]!;
      } else {
        if (this.ownUsed === this.ownHead.length) this.growOwners();
        r = this.ownUsed++;
      }
      this.ownHead[r] = -1;
      this.ownTail[r] = -1;
      this.ownCount[r] = 0;
      this.ownKey[r] = owner;
      this.owners.set(owner, r);
    }
    this.oi[16 * o + I_OREC] = r;
    const t = this.ownTail[r]!;
    this.oi[16 * o + I_OPREV] = t;
    this.oi[16 * o + I_ONEXT] = -1;
    if (t >= 0) this.oi[16 * t + I_ONEXT] = o;
    else this.ownHead[r] = o;
    this.ownTail[r] = o;
    this.ownCount[r]++;
  }

  private ownerUnlink(o: number, owner: number): void {
    const r = this.oi[16 * o + I_OREC]!;
    const p = this.oi[16 * o + I_OPREV]!;
    const nx = this.oi[16 * o + I_ONEXT]!;
    if (p >= 0) this.oi[16 * p + I_ONEXT] = nx;
    else this.ownHead[r] = nx;
    if (nx >= 0) this.oi[16 * nx + I_OPREV] = p;
    else this.ownTail[r] = p;
    if (--this.ownCount[r]! === 0) {
      this.owners.delete(owner);
      this.ownHead[r] = this.ownFree;
      this.ownFree = r;
    }
  }

  private growOwners(): void {
    const n = this.ownHead.length * 2;
    const i32 = (a: Int32Array) => { const b = new Int32Array(n); b.set(a); return b; };
    this.ownHead = i32(this.ownHead);
    this.ownTail = i32(this.ownTail);
    this.ownCount = i32(this.ownCount);
    const k = new Float64Array(n); k.set(this.ownKey); this.ownKey = k;
  }

  /** Appends slot o (price/leaves/side set) at the back of its price level. O(1) on an
   *  existing level, O(log L) when the level is new. Touches the level. */
  private rest(o: number): void {
    const side = (this.oi[16 * o + I_META]! & 0xff);
    const t = side === BUY ? this.bids : this.asks;
    const price = this.of[8 * o + F_PRICE]!;
    let lv = t.find(price);
    if (lv === 0) lv = t.insert(price);
    const tail = t.tail[lv]!;
    this.oi[16 * o + I_PREV] = tail;
    this.oi[16 * o + I_NEXT] = -1;
    if (tail >= 0) this.oi[16 * tail + I_NEXT] = o;
    else t.head[lv] = o;
    t.tail[lv] = o;
    t.count[lv]++;
    t.total[lv] += this.of[8 * o + F_LEAVES]!;
    this.oi[16 * o + I_LEVEL] = lv;
    this.touch(side, price, lv);
  }

  /** Unlinks slot o from its level (subtracting its current leaves), deletes the level when
   *  it empties, touches it. O(1), or O(log L) when the level goes. */
  private unlinkFromLevel(o: number): void {
    const side = (this.oi[16 * o + I_META]! & 0xff);
    const t = side === BUY ? this.bids : this.asks;
    const lv = this.oi[16 * o + I_LEVEL]!;
    const p = this.oi[16 * o + I_PREV]!;
    const nx = this.oi[16 * o + I_NEXT]!;
    if (p >= 0) this.oi[16 * p + I_NEXT] = nx;
    else t.head[lv] = nx;
    if (nx >= 0) this.oi[16 * nx + I_PREV] = p;
    else t.tail[lv] = p;
    const price = t.price[lv]!;
    if (--t.count[lv]! === 0) t.remove(lv);
    else t.total[lv] -= this.of[8 * o + F_LEAVES]!;
    this.touch(side, price, lv);
  }

  /** Order o leaves the book for good: id index, owner list, slot freed. O(1). */
  private drop(o: number): void {
    this.ids.remove(this.of[8 * o + F_ID]!, o);
    const owner = (this.oi[16 * o + I_OWNER]! >>> 0);
    if (owner !== 0) this.ownerUnlink(o, owner);
    this.oi[16 * o + I_NEXT] = this.freeSlot;
    this.freeSlot = o;
    this.live--;
  }

  // -------------------------------------------------------------------------------------
  // Validation helpers
  // -------------------------------------------------------------------------------------

  /** Step 10 for a limit price (also AMEND): 0 if fine, else the reject reason. */
  private checkLimitPrice(price: number): number {
    const s = this.spec;
    if (price < s.minPrice || price > s.maxPrice) return R_BAD_PRICE;
    if (!multipleOf(price, s.tickSize)) return R_OFF_TICK;
    const last = this.lastTradePrice;
    if (s.bandBps > 0 && last > 0 && Math.abs(price - last) * 10000 > s.bandBps * last) {
      return R_PRICE_OUT_OF_BAND;
    }
    return 0;
  }

  /** Would a post-only order at `price` on `side` cross the opposite best? */
  private crosses(side: number, price: number): boolean {
    if (side === BUY) {
      const b = this.asks.best;
      return b !== 0 && price >= this.asks.price[b]!;
    }
    const b = this.bids.best;
    return b !== 0 && price <= this.bids.price[b]!;
  }

  /** FOK fillability walk (no state change). O(orders walked); O(levels walked) when STP
   *  cannot trigger (anonymous taker or STP NONE) since level totals then suffice. */
  private fokFillable(side: number, limited: boolean, limit: number, qty: number, owner: number, stp: number): boolean {
    const t = side === BUY ? this.asks : this.bids;
    const useStp = owner !== 0 && stp !== STP_NONE;
    let need = qty;
    for (let lv = t.best; lv !== 0; lv = t.next(lv)) {
      const lp = t.price[lv]!;
      if (limited && (side === BUY ? lp > limit : lp < limit)) return false;
      if (!useStp) {
        if (t.total[lv]! >= need) return true;
        need -= t.total[lv]!;
        continue;
      }
      for (let o = t.head[lv]!; o >= 0; o = this.oi[16 * o + I_NEXT]!) {
        if ((this.oi[16 * o + I_OWNER]! >>> 0) === owner) {
          if (stp === STP_CANCEL_OLDEST) continue;
          return false;
        }
        const l = this.of[8 * o + F_LEAVES]!;
        if (l >= need) return true;
        need -= l;
      }
    }
    return false;
  }

  // -------------------------------------------------------------------------------------
  // Matching
  // -------------------------------------------------------------------------------------

  /**
   * Matches taker (side, limit or none, id, owner, stp, leaves) against the opposite side.
   * `cxlPrice` is the price reported in the taker's CANCELLED events, `decPrice` the one in
   * its DECREMENTED events. Returns the taker's remaining leaves; sets `stpStopped` when STP
   * cancelled the taker. Cost O(fills + STP removals + emptied levels * log L).
   */
  private match(side: number, limited: boolean, limit: number, takerId: number, owner: number,
    stp: number, leaves: number, cxlPrice: number, decPrice: number): number {
    this.stpStopped = false;
    this.takerFilled = 0;
    const t = side === BUY ? this.asks : this.bids;
    const mside = side ^ 1;
    const useStp = owner !== 0 && stp !== STP_NONE;
    while (leaves > 0) {
      const lv = t.best;
      if (lv === 0) break;
      const lp = t.price[lv]!;
      if (limited && (side === BUY ? lp > limit : lp < limit)) break;
      let o = t.head[lv]!;
      while (o >= 0 && leaves > 0) {
        const nx = this.oi[16 * o + I_NEXT]!;
        const ml = this.of[8 * o + F_LEAVES]!;
        if (useStp && (this.oi[16 * o + I_OWNER]! >>> 0) === owner) {
          if (stp === STP_CANCEL_NEWEST) {
            this.emit(EV_CANCELLED, side, CR_SELF_TRADE, 0, takerId, owner, cxlPrice, leaves, 0, 0, 0);
            this.stpStopped = true;
            return 0;
          }
          if (stp === STP_DECREMENT_AND_CANCEL) {
            const d = leaves < ml ? leaves : ml;
            if (ml === d) {
              this.emit(EV_CANCELLED, mside, CR_SELF_TRADE, 0, this.of[8 * o + F_ID]!, owner, lp, ml, 0, 0, 0);
              this.unlinkFromLevel(o);
              this.drop(o);
            } else {
              this.of[8 * o + F_LEAVES] = ml - d;
              t.total[lv] -= d;
              this.emit(EV_DECREMENTED, mside, 0, 0, this.of[8 * o + F_ID]!, owner, lp, ml - d, d, 0, 0);
              this.touch(mside, lp, lv);
            }
            if (leaves === d) {
              this.emit(EV_CANCELLED, side, CR_SELF_TRADE, 0, takerId, owner, cxlPrice, d, 0, 0, 0);
              this.stpStopped = true;
              return 0;
            }
            leaves -= d;
            this.emit(EV_DECREMENTED, side, 0, 0, takerId, owner, decPrice, leaves, d, 0, 0);
            o = nx;
            continue;
          }
          // CANCEL_OLDEST and CANCEL_BOTH remove the maker first.
          this.emit(EV_CANCELLED, mside, CR_SELF_TRADE, 0, this.of[8 * o + F_ID]!, owner, lp, ml, 0, 0, 0);
          this.unlinkFromLevel(o);
          this.drop(o);
          if (stp === STP_CANCEL_BOTH) {
            this.emit(EV_CANCELLED, side, CR_SELF_TRADE, 0, takerId, owner, cxlPrice, leaves, 0, 0, 0);
            this.stpStopped = true;
            return 0;
          }
          o = nx;
          continue;
        }
        const q = leaves < ml ? leaves : ml;
        leaves -= q;
        this.takerFilled += q;
        const mf = this.of[8 * o + F_FILLED]! + q;
        this.of[8 * o + F_FILLED] = mf > MAX_SAFE ? MAX_SAFE : mf;
        this.emit(EV_TRADE, side, 0, 0, takerId, this.of[8 * o + F_ID]!, lp, q, leaves, ml - q, this.nextMatchId++);
        this.lastTradePrice = lp;
        if (ml === q) {
          this.unlinkFromLevel(o);
          this.drop(o);
        } else {
          this.of[8 * o + F_LEAVES] = ml - q;
          t.total[lv] -= q;
          this.touch(mside, lp, lv);
        }
        o = nx;
      }
    }
    return leaves;
  }

  // -------------------------------------------------------------------------------------
  // Commands. `ci` holds the command records as int32 words, `w` = first word of this one.
  // -------------------------------------------------------------------------------------

  onNew(ci: Int32Array, w: number): void {
    const w0 = ci[w]!;
    const w1 = ci[w + 1]!;
    const side = (w0 >>> 8) & 0xff;
    const ordType = (w0 >>> 16) & 0xff;
    const tif = w0 >>> 24;
    const flags = w1 & 0xff;
    const stp = (w1 >>> 8) & 0xff;
    const s = this.spec;
    if (side > 1) return this.reject(R_BAD_SIDE, ci, w);
    if (ordType > 1) return this.reject(R_BAD_ORDER_TYPE, ci, w);
    if (tif > 2 || (ordType === ORD_MARKET && tif === TIF_GTC)) return this.reject(R_BAD_TIF, ci, w);
    const postOnly = (flags & FLAG_POST_ONLY) !== 0;
    if ((flags & ~FLAG_POST_ONLY) !== 0 || (postOnly && (ordType === ORD_MARKET || tif !== TIF_GTC))) {
      return this.reject(R_BAD_FLAGS, ci, w);
    }
    if (stp > 4) return this.reject(R_BAD_STP_MODE, ci, w);
    const idHi = ci[w + 7]!;
    const idLo = ci[w + 6]!;
    if (idHi < 0 || idHi > MAX_ID_HI || (idHi === 0 && idLo === 0)) return this.reject(R_BAD_ORDER_ID, ci, w);
    const id = idHi * TWO_32 + (idLo >>> 0);
    if (this.ids.get(id, this.of) >= 0) return this.reject(R_DUPLICATE_ORDER_ID, ci, w);
    const qty = rd(ci, w + 10);
    if (qty < s.minQty || qty > s.maxQty) return this.reject(R_BAD_QUANTITY, ci, w);
    if (!multipleOf(qty, s.lotSize)) return this.reject(R_BAD_LOT, ci, w);
    const price = rd(ci, w + 8);
    if (ordType === ORD_LIMIT) {
      const r = this.checkLimitPrice(price);
      if (r !== 0) return this.reject(r, ci, w);
    } else if (price !== 0) {
      if (price < s.minPrice || price > s.maxPrice) return this.reject(R_BAD_PRICE, ci, w);
      if (!multipleOf(price, s.tickSize)) return this.reject(R_OFF_TICK, ci, w);
    }
    if (postOnly && this.crosses(side, price)) return this.reject(R_POST_ONLY_WOULD_CROSS, ci, w);
    const owner = ci[w + 2]! >>> 0;
    const limited = ordType === ORD_LIMIT || price !== 0;
    if (tif === TIF_FOK && !this.fokFillable(side, limited, price, qty, owner, stp)) {
      return this.reject(R_FOK_NOT_FILLABLE, ci, w);
    }
    const gtc = tif === TIF_GTC; // implies LIMIT (MARKET + GTC was rejected)
    if (gtc && this.live >= s.maxOrders) return this.reject(R_BOOK_FULL, ci, w);

    this.emit(EV_ACCEPTED, side, 0, 0, id, owner, price, qty, 0, 0, 0);
    const decPrice = ordType === ORD_MARKET ? 0 : price;
    const leaves = this.match(side, limited, price, id, owner, stp, qty, price, decPrice);
    if (leaves === 0 || this.stpStopped) return;
    if (gtc) {
      const o = this.allocSlot();
      this.of[8 * o + F_ID] = id;
      this.of[8 * o + F_PRICE] = price;
      this.of[8 * o + F_LEAVES] = leaves;
      this.of[8 * o + F_FILLED] = this.takerFilled;
      this.oi[16 * o + I_OWNER] = owner;
      this.oi[16 * o + I_META] = side | (flags << 8) | (stp << 16);
      this.ids.add(id, o);
      if (owner !== 0) this.ownerAppend(o, owner);
      this.live++;
      this.rest(o);
    } else {
      this.emit(EV_CANCELLED, side, CR_IOC_REMAINDER, 0, id, owner, price, leaves, 0, 0, 0);
    }
  }

  /** Common id / liveness / owner checks of CANCEL and AMEND: slot, or -1 after a reject. */
  private lookupOwned(ci: Int32Array, w: number): number {
    const idHi = ci[w + 7]!;
    const idLo = ci[w + 6]!;
    if (idHi < 0 || idHi > MAX_ID_HI || (idHi === 0 && idLo === 0)) {
      this.reject(R_BAD_ORDER_ID, ci, w);
      return -1;
    }
    const o = this.ids.get(idHi * TWO_32 + (idLo >>> 0), this.of);
    if (o < 0) {
      this.reject(R_UNKNOWN_ORDER, ci, w);
      return -1;
    }
    if ((this.oi[16 * o + I_OWNER]! >>> 0) !== ci[w + 2]! >>> 0) {
      this.reject(R_NOT_OWNER, ci, w);
      return -1;
    }
    return o;
  }

  onCancel(ci: Int32Array, w: number): void {
    const o = this.lookupOwned(ci, w);
    if (o < 0) return;
    const id = this.of[8 * o + F_ID]!;
    const owner = (this.oi[16 * o + I_OWNER]! >>> 0);
    const side = (this.oi[16 * o + I_META]! & 0xff);
    const price = this.of[8 * o + F_PRICE]!;
    const leaves = this.of[8 * o + F_LEAVES]!;
    this.emit(EV_ACCEPTED, side, 0, 0, id, owner, price, leaves, 0, 0, 0);
    this.emit(EV_CANCELLED, side, CR_USER, 0, id, owner, price, leaves, 0, 0, 0);
    this.unlinkFromLevel(o);
    this.drop(o);
  }

  /** AMEND (docs/ENGINE.md "CANCEL, AMEND, MASS_CANCEL"): flags (6) -> orderId / live /
   *  owner (8, 10, 11) -> qty range / lot (12, 13; with TOTAL_QTY of the total) -> price
   *  (14-16) -> TOTAL_QTY at or below filled: cancel (AMEND_TO_FILLED) -> no change (20) ->
   *  post-only cross (17). */
  onAmend(ci: Int32Array, w: number): void {
    const flags = ci[w + 1]! & 0xff;
    if ((flags & ~AMEND_TOTAL_QTY) !== 0) return this.reject(R_BAD_FLAGS, ci, w);
    const o = this.lookupOwned(ci, w);
    if (o < 0) return;
    const s = this.spec;
    const qty = rd(ci, w + 10);
    if (qty < s.minQty || qty > s.maxQty) return this.reject(R_BAD_QUANTITY, ci, w);
    if (!multipleOf(qty, s.lotSize)) return this.reject(R_BAD_LOT, ci, w);
    const price = rd(ci, w + 8);
    const r = this.checkLimitPrice(price);
    if (r !== 0) return this.reject(r, ci, w);
    const oldPrice = this.of[8 * o + F_PRICE]!;
    const oldLeaves = this.of[8 * o + F_LEAVES]!;
    const side = (this.oi[16 * o + I_META]! & 0xff);
    const id = this.of[8 * o + F_ID]!;
    const owner = (this.oi[16 * o + I_OWNER]! >>> 0);
    let nq = qty;
    if (flags !== 0) {
      // TOTAL_QTY: qty is the new total; what already traded counts against it.
      const filled = this.of[8 * o + F_FILLED]!;
      if (qty <= filled) {
        this.emit(EV_ACCEPTED, side, 0, 0, id, owner, price, qty, 0, 0, 0);
        this.emit(EV_CANCELLED, side, CR_AMEND_TO_FILLED, 0, id, owner, oldPrice, oldLeaves, 0, 0, 0);
        this.unlinkFromLevel(o);
        this.drop(o);
        return;
      }
      nq = qty - filled;
    }
    if (price === oldPrice && nq === oldLeaves) return this.reject(R_AMEND_NO_CHANGE, ci, w);
    if ((((this.oi[16 * o + I_META]! >>> 8) & 0xff) & FLAG_POST_ONLY) !== 0 && this.crosses(side, price)) {
      return this.reject(R_POST_ONLY_WOULD_CROSS, ci, w);
    }
    // ACCEPTED echoes the request (qty as sent: leaves, or the total with TOTAL_QTY).
    this.emit(EV_ACCEPTED, side, 0, 0, id, owner, price, qty, 0, 0, 0);
    if (price === oldPrice && nq < oldLeaves) {
      // Reduce in place: keeps time priority.
      this.of[8 * o + F_LEAVES] = nq;
      const t = side === BUY ? this.bids : this.asks;
      const lv = this.oi[16 * o + I_LEVEL]!;
      t.total[lv] -= oldLeaves - nq;
      this.emit(EV_AMENDED, side, 0, AMEND_PRIORITY_KEPT, id, owner, price, nq, oldPrice, oldLeaves, 0);
      this.touch(side, price, lv);
      return;
    }
    // Loses priority: out of the level, then re-enters as a GTC limit taker.
    this.unlinkFromLevel(o);
    this.of[8 * o + F_PRICE] = price;
    this.of[8 * o + F_LEAVES] = nq;
    this.emit(EV_AMENDED, side, 0, 0, id, owner, price, nq, oldPrice, oldLeaves, 0);
    const leaves = this.match(side, true, price, id, owner, (this.oi[16 * o + I_META]! >>> 16), nq, price, price);
    if (leaves === 0 || this.stpStopped) {
      this.drop(o);
      return;
    }
    const f = this.of[8 * o + F_FILLED]! + this.takerFilled;
    this.of[8 * o + F_FILLED] = f > MAX_SAFE ? MAX_SAFE : f;
    this.of[8 * o + F_LEAVES] = leaves;
    this.rest(o);
  }

  onMassCancel(ci: Int32Array, w: number): void {
    const owner = ci[w + 2]! >>> 0;
    if (owner === 0) return this.reject(R_BAD_OWNER, ci, w);
    const r = this.owners.get(owner);
    const n = r < 0 ? 0 : this.ownCount[r]!;
    this.emit(EV_ACCEPTED, 0, 0, 0, 0, owner, 0, n, 0, 0, 0);
    if (n === 0) return;
    let o = this.ownHead[r]!;
    while (o >= 0) {
      const nx = this.oi[16 * o + I_ONEXT]!;
      this.emit(EV_CANCELLED, (this.oi[16 * o + I_META]! & 0xff), CR_MASS_CANCEL, 0, this.of[8 * o + F_ID]!, owner,
        this.of[8 * o + F_PRICE]!, this.of[8 * o + F_LEAVES]!, 0, 0, 0);
      this.unlinkFromLevel(o);
      this.drop(o);
      o = nx;
    }
  }

  // -------------------------------------------------------------------------------------
  // Queries
  // -------------------------------------------------------------------------------------

  bestLevel(side: number): Level | null {
    const t = side === BUY ? this.bids : this.asks;
    const b = t.best;
    return b === 0 ? null : { price: t.price[b]!, qty: t.total[b]!, orders: t.count[b]! };
  }

  levels(side: number, n: number): Level[] {
    const t = side === BUY ? this.bids : this.asks;
    const out: Level[] = [];
    for (let lv = t.best; lv !== 0 && out.length < n; lv = t.next(lv)) {
      out.push({ price: t.price[lv]!, qty: t.total[lv]!, orders: t.count[lv]! });
    }
    return out;
  }

  order(id: number): RestingOrder | null {
    if (!Number.isSafeInteger(id) || id < 1) return null;
    const o = this.ids.get(id, this.of);
    if (o < 0) return null;
    return {
      orderId: id, owner: (this.oi[16 * o + I_OWNER]! >>> 0), side: (this.oi[16 * o + I_META]! & 0xff), price: this.of[8 * o + F_PRICE]!,
      leaves: this.of[8 * o + F_LEAVES]!, flags: ((this.oi[16 * o + I_META]! >>> 8) & 0xff), stp: (this.oi[16 * o + I_META]! >>> 16),
      filled: this.of[8 * o + F_FILLED]!,
    };
  }

  /** Visits resting order slots: bids best first, then asks best first, FIFO in a level. */
  forEachResting(fn: (slot: number) => void): void {
    for (const t of [this.bids, this.asks]) {
      for (let lv = t.best; lv !== 0; lv = t.next(lv)) {
        for (let o = t.head[lv]!; o >= 0; o = this.oi[16 * o + I_NEXT]!) fn(o);
      }
    }
  }

  // -------------------------------------------------------------------------------------
  // Snapshot / restore (layout.ts "L3 snapshot"). O(N) both ways.
  // -------------------------------------------------------------------------------------

  snapshot(): Uint8Array {
    const n = this.live;
    const img = new Uint8Array(SNAP_HEADER_SIZE + n * SNAP_ORDER_SIZE);
    const dv = new DataView(img.buffer);
    dv.setUint32(0, SNAP_MAGIC, true);
    dv.setUint16(4, ENGINE_ABI_VERSION, true);
    dv.setUint16(6, this.index, true);
    dv.setBigInt64(8, BigInt(this.seq), true);
    dv.setBigInt64(16, BigInt(this.nextMatchId), true);
    dv.setBigInt64(24, BigInt(this.lastTradePrice), true);
    dv.setBigInt64(32, BigInt(n), true);
    // ownerRank per slot: walk each owner list once.
    const rank = new Float64Array(this.usedSlots);
    for (let r = 0; r < this.ownUsed; r++) {
      if (this.ownCount[r] === 0 || this.owners.get(this.ownKey[r]!) !== r) continue;
      let k = 0;
      for (let o = this.ownHead[r]!; o >= 0; o = this.oi[16 * o + I_ONEXT]!) rank[o] = k++;
    }
    const i32 = new Int32Array(img.buffer);
    let p = SNAP_HEADER_SIZE;
    const put = (w: number, v: number) => { i32[w] = v >>> 0; i32[w + 1] = (v / TWO_32) | 0; };
    this.forEachResting((o) => {
      const w = p >>> 2;
      put(w, this.of[8 * o + F_ID]!);
      i32[w + 2] = (this.oi[16 * o + I_OWNER]! >>> 0);
      img[p + 12] = (this.oi[16 * o + I_META]! & 0xff);
      img[p + 13] = ((this.oi[16 * o + I_META]! >>> 8) & 0xff);
      img[p + 14] = (this.oi[16 * o + I_META]! >>> 16);
      img[p + 15] = 0;
      put(w + 4, this.of[8 * o + F_PRICE]!);
      put(w + 6, this.of[8 * o + F_LEAVES]!);
      put(w + 8, (this.oi[16 * o + I_OWNER]! >>> 0) === 0 ? 0 : rank[o]!);
      put(w + 10, this.of[8 * o + F_FILLED]!);
      p += SNAP_ORDER_SIZE;
    });
    return img;
  }

  /** Replaces this book's contents with `img`; validates fully first, so a throw leaves
   *  the book unchanged. Rules: /work/team/SPEC-CHANGES.md (engine-ts #8), docs/ENGINE.md. */
  restore(img: Uint8Array): void {
    const fail = (why: string): never => { throw new Error(`snapshot restore (book ${this.index}): ${why}`); };
    if (!(img instanceof Uint8Array)) fail('image must be a Uint8Array');
    if (img.byteLength < SNAP_HEADER_SIZE) fail('image shorter than the header');
    const dv = new DataView(img.buffer, img.byteOffset, img.byteLength);
    if (dv.getUint32(0, true) !== SNAP_MAGIC) fail('bad magic');
    const version = dv.getUint16(4, true);
    if (version === 1) fail('version 1 image (no per-order filled quantity) is not supported: take the snapshot again with this engine (version 2)');
    if (version !== ENGINE_ABI_VERSION) fail(`unsupported version ${version}`);
    if (dv.getUint16(6, true) !== this.index) fail(`image is for book ${dv.getUint16(6, true)}`);
    const i64 = (off: number, what: string): number => {
      const v = dv.getBigInt64(off, true);
      if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} out of range`);
      return Number(v);
    };
    const seq = i64(8, 'seq');
    const nextMatchId = i64(16, 'nextMatchId');
    if (nextMatchId < 1) fail('nextMatchId < 1');
    const lastTradePrice = i64(24, 'lastTradePrice');
    const n = i64(32, 'orderCount');
    if (n > this.spec.maxOrders) fail('orderCount exceeds maxOrders');
    if (img.byteLength !== SNAP_HEADER_SIZE + n * SNAP_ORDER_SIZE) fail('length does not match orderCount');
    const s = this.spec;
    const ids = new Float64Array(n);
    const owners = new Uint32Array(n);
    const sides = new Uint8Array(n);
    const flags = new Uint8Array(n);
    const stps = new Uint8Array(n);
    const prices = new Float64Array(n);
    const leaves = new Float64Array(n);
    const ranks = new Float64Array(n);
    const filledQ = new Float64Array(n);
    const seen = new IntMap(Math.max(16, n));
    let phase = 0; // 0 bids, 1 asks
    let prev = NaN;
    let bestBid = NaN;
    let bestAsk = NaN;
    for (let i = 0; i < n; i++) {
      const off = SNAP_HEADER_SIZE + i * SNAP_ORDER_SIZE;
      const id = i64(off, 'orderId');
      if (id < 1) fail('orderId < 1');
      if (seen.get(id) >= 0) fail(`duplicate orderId ${id}`);
      seen.set(id, i);
      const side = dv.getUint8(off + 12);
      if (side > 1) fail('bad side');
      const fl = dv.getUint8(off + 13);
      if ((fl & ~FLAG_POST_ONLY) !== 0) fail('bad flags');
      const stp = dv.getUint8(off + 14);
      if (stp > 4) fail('bad stp');
      const price = i64(off + 16, 'price');
      if (price < s.minPrice || price > s.maxPrice || price % s.tickSize !== 0) fail(`bad price ${price}`);
      const lv = i64(off + 24, 'leaves');
      if (lv < 1 || lv > s.maxQty) fail('bad leaves');
      const rk = i64(off + 32, 'ownerRank');
      const fq = i64(off + 40, 'filled');
      if (side < phase) fail('bids must precede asks');
      if (side !== phase) { phase = side; prev = NaN; }
      if (prev === prev && (side === BUY ? price > prev : price < prev)) fail('levels out of order');
      prev = price;
      if (side === BUY) { if (bestBid !== bestBid) bestBid = price; } else if (bestAsk !== bestAsk) bestAsk = price;
      ids[i] = id; owners[i] = dv.getUint32(off + 8, true); sides[i] = side; flags[i] = fl;
      stps[i] = stp; prices[i] = price; leaves[i] = lv; ranks[i] = rk; filledQ[i] = fq;
    }
    if (bestBid === bestBid && bestAsk === bestAsk && bestBid >= bestAsk) fail('book is crossed');
    // Owner lists: per owner, ranks must be exactly 0..k-1.
    const ownerIdx = new IntMap(64);
    const counts: number[] = [];
    for (let i = 0; i < n; i++) {
      const ow = owners[i]!;
      if (ow === 0) continue;
      let r = ownerIdx.get(ow);
      if (r < 0) { r = counts.length; counts.push(0); ownerIdx.set(ow, r); }
      counts[r]!++;
    }
    const start = new Int32Array(counts.length + 1);
    for (let r = 0; r < counts.length; r++) start[r + 1] = start[r]! + counts[r]!;
    const byRank = new Int32Array(start[counts.length]!).fill(-1);
    for (let i = 0; i < n; i++) {
      const ow = owners[i]!;
      if (ow === 0) continue;
      const r = ownerIdx.get(ow);
      const rk = ranks[i]!;
      if (rk >= counts[r]!) fail(`ownerRank ${rk} out of range for owner ${ow}`);
      const pos = start[r]! + rk;
      if (byRank[pos] !== -1) fail(`duplicate ownerRank ${rk} for owner ${ow}`);
      byRank[pos] = i;
    }

    // Valid: rebuild from scratch.
    this.reset(Math.max(1024, n));
    this.seq = seq;
    this.nextMatchId = nextMatchId;
    this.lastTradePrice = lastTradePrice;
    const slotOf = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const o = this.allocSlot();
      slotOf[i] = o;
      this.of[8 * o + F_ID] = ids[i]!;
      this.of[8 * o + F_PRICE] = prices[i]!;
      this.of[8 * o + F_LEAVES] = leaves[i]!;
      this.of[8 * o + F_FILLED] = filledQ[i]!;
      this.oi[16 * o + I_OWNER] = owners[i]!;
      this.oi[16 * o + I_META] = sides[i]! | (flags[i]! << 8) | (stps[i]! << 16);
      this.ids.add(ids[i]!, o);
      this.live++;
      this.rest(o);
    }
    this.pN = 0;
    for (let k = 0; k < byRank.length; k++) {
      const i = byRank[k]!;
      this.ownerAppend(slotOf[i]!, owners[i]!);
    }
  }

  /** Empties the book (pools keep at least `capacity` slots). */
  private reset(capacity: number): void {
    let cap = 1024;
    while (cap < capacity) cap *= 2;
    if (cap !== this.cap) this.allocOrders(cap);
    this.freeSlot = -1;
    this.usedSlots = 0;
    this.live = 0;
    this.ids = new IdIndex(cap);
    this.bids.clear();
    this.asks.clear();
    this.owners = new IntMap(64);
    this.ownFree = -1;
    this.ownUsed = 0;
    this.pN = 0;
    this.seq = 0;
    this.nextMatchId = 1;
    this.lastTradePrice = 0;
  }

  /** Test/debug: checks every structural invariant; throws with a description. O(N). */
  checkInvariants(): void {
    let orders = 0;
    for (const [t, side] of [[this.bids, BUY], [this.asks, SELL]] as const) {
      t.validate();
      let levels = 0;
      for (let lv = t.best; lv !== 0; lv = t.next(lv)) {
        levels++;
        let sum = 0;
        let cnt = 0;
        let prev = -1;
        for (let o = t.head[lv]!; o >= 0; o = this.oi[16 * o + I_NEXT]!) {
          if (this.oi[16 * o + I_PREV] !== prev) throw new Error('level FIFO back link broken');
          if (this.oi[16 * o + I_LEVEL] !== lv || (this.oi[16 * o + I_META]! & 0xff) !== side || this.of[8 * o + F_PRICE] !== t.price[lv]) {
            throw new Error(`order ${this.of[8 * o + F_ID]} is filed under the wrong level`);
          }
          const l = this.of[8 * o + F_LEAVES]!;
          if (!(l > 0) || !Number.isSafeInteger(l)) throw new Error(`order ${this.of[8 * o + F_ID]} has leaves ${l}`);
          const fq = this.of[8 * o + F_FILLED]!;
          if (!(fq >= 0) || !Number.isSafeInteger(fq)) throw new Error(`order ${this.of[8 * o + F_ID]} has filled ${fq}`);
          if (this.ids.get(this.of[8 * o + F_ID]!, this.of) !== o) throw new Error(`order ${this.of[8 * o + F_ID]} missing from the id index`);
          sum += l;
          cnt++;
          prev = o;
        }
        if (t.tail[lv] !== prev) throw new Error('level tail link broken');
        if (cnt === 0) throw new Error('empty level kept in the tree');
        if (cnt !== t.count[lv] || sum !== t.total[lv]) {
          throw new Error(`level ${t.price[lv]} totals (${t.total[lv]}, ${t.count[lv]}) != sum of orders (${sum}, ${cnt})`);
        }
        if (t.find(t.price[lv]!) !== lv) throw new Error('price hash out of sync');
        orders += cnt;
      }
      if (levels !== t.size) throw new Error('level count out of sync');
    }
    if (orders !== this.live || this.ids.size !== this.live) {
      throw new Error(`order counts differ: levels ${orders}, live ${this.live}, ids ${this.ids.size}`);
    }
    const bb = this.bids.best;
    const ba = this.asks.best;
    if (bb !== 0 && ba !== 0 && this.bids.price[bb]! >= this.asks.price[ba]!) throw new Error('book rests crossed');
    let owned = 0;
    for (let r = 0; r < this.ownUsed; r++) {
      const key = this.ownKey[r]!;
      if (this.owners.get(key) !== r) continue;
      let k = 0;
      for (let o = this.ownHead[r]!; o >= 0; o = this.oi[16 * o + I_ONEXT]!) {
        if ((this.oi[16 * o + I_OWNER]! >>> 0) !== key) throw new Error('owner list holds a foreign order');
        k++;
      }
      if (k !== this.ownCount[r]) throw new Error('owner count out of sync');
      owned += k;
    }
    let anon = 0;
    this.forEachResting((o) => { if ((this.oi[16 * o + I_OWNER]! >>> 0) === 0) anon++; });
    if (owned + anon !== this.live) throw new Error('owner lists do not cover the owned orders');
  }
}

export { BUY, SELL, CmdType };
