/**
 * BookBuilder: an L2 book for one instrument, kept from MD_L2/MD_TRADE updates and SNAPSHOT
 * parts, with gap detection and snapshot recovery (docs/PROTOCOL.md section 4; the Binance /
 * ITCH+GLIMPSE procedure):
 *
 *   syncing  --all SNAPSHOT parts in--> install, drop buffered mdSeq <= snap.mdSeq,
 *            replay the rest (first must be snap.mdSeq+1, else gap)       --> live
 *   live     --mdSeq == last+1--> apply;  mdSeq <= last --> duplicate, ignored;
 *            mdSeq > last+1 --> gap: buffer it, request a snapshot       --> syncing
 *
 * Independent of any socket: the owner feeds messages in (`onMessage`) and supplies
 * `requestSnapshot`, so it is unit-testable and usable over any transport.
 *
 * Cost: apply is O(log L) to find a level plus O(L) array splice when a level appears or
 * disappears (L = levels on that side; books here have hundreds, not millions, of levels).
 * Memory while syncing: up to `maxBuffered` buffered updates (then the buffer is dropped and
 * a fresh snapshot requested).
 */
import { EventEmitter } from 'node:events';
import { MsgType, SnapshotFlags, type MdL2, type MdTrade, type Snapshot } from '../protocol/messages.js';

export interface BookLevel {
  price: number;
  qty: number;
  orders: number;
}

export type BookState = 'syncing' | 'live';

export interface BookBuilderOptions {
  /** Called when the builder needs a snapshot (gap, overflow, bad snapshot). The owner
   *  sends SNAPSHOT_REQUEST; the builder calls this at most once per sync attempt. */
  requestSnapshot: (instrument: number) => void;
  /** Buffered updates allowed while syncing (default 100_000). */
  maxBuffered?: number;
}

export interface BookBuilderEvents {
  /** After a live update was applied (`endOfEvent`: the book is a state that existed). */
  update: [msg: MdL2, endOfEvent: boolean];
  trade: [msg: MdTrade];
  /** The book is in sync (after a snapshot was installed and buffered updates replayed). */
  synced: [mdSeq: number];
  /** A gap was detected: expected `expected`, got `got` (the builder resyncs by itself). */
  gap: [expected: number, got: number];
}

export interface BookStats {
  gaps: number;
  snapshots: number;
  duplicates: number;
  applied: number;
  overflows: number;
}

export class BookBuilder extends EventEmitter<BookBuilderEvents> {
  readonly instrument: number;
  /** 'syncing' until a snapshot is installed; 'live' afterwards until a gap. */
  state: BookState = 'syncing';
  /** mdSeq of the last update applied (or of the installed snapshot). */
  lastMdSeq = 0;
  /** Last trade seen live: price, qty, matchId (0 = none). */
  lastTrade: { price: number; qty: number; matchId: number; aggressorSide: number } | null = null;
  readonly stats: BookStats = { gaps: 0, snapshots: 0, duplicates: 0, applied: 0, overflows: 0 };

  private readonly opts: Required<BookBuilderOptions>;
  /** Prices sorted best first: bids descending, asks ascending. */
  private readonly prices: [number[], number[]] = [[], []];
  private readonly levels: [Map<number, BookLevel>, Map<number, BookLevel>] = [new Map(), new Map()];
  private buffered: (MdL2 | MdTrade)[] = [];
  private awaitingSnapshot = false;
  /** Parts of the snapshot being assembled. */
  private parts: Snapshot[] = [];

  constructor(instrument: number, opts: BookBuilderOptions) {
    super();
    this.instrument = instrument;
    this.opts = { maxBuffered: 100_000, ...opts };
  }

  /**
   * Start (or restart) syncing. `request` false when a snapshot is already on its way (e.g.
   * SUBSCRIBE with the SNAPSHOT flag was just sent).
   */
  resync(request = true): void {
    this.state = 'syncing';
    this.buffered = [];
    this.parts = [];
    this.awaitingSnapshot = true;
    if (request) this.opts.requestSnapshot(this.instrument);
  }

  /** Feed any market-data message for this instrument. */
  onMessage(m: MdL2 | MdTrade | Snapshot): void {
    if (m.type === MsgType.SNAPSHOT) this.onSnapshot(m);
    else this.onUpdate(m);
  }

  private onUpdate(m: MdL2 | MdTrade): void {
    if (this.state === 'syncing') {
      if (this.buffered.length >= this.opts.maxBuffered) {
        this.stats.overflows++;
        this.resync(true);
      }
      this.buffered.push(m);
      return;
    }
    if (m.mdSeq <= this.lastMdSeq) {
      this.stats.duplicates++;
      return;
    }
    if (m.mdSeq !== this.lastMdSeq + 1) {
      this.stats.gaps++;
      this.emit('gap', this.lastMdSeq + 1, m.mdSeq);
      this.resync(true);
      this.buffered.push(m);
      return;
    }
    this.applyLive(m);
  }

  private applyLive(m: MdL2 | MdTrade): void {
    this.lastMdSeq = m.mdSeq;
    this.stats.applied++;
    if (m.type === MsgType.MD_L2) {
      this.setLevel(m.side, m.price, m.qty, m.orders);
      this.emit('update', m, (m.flags & 1) !== 0);
    } else {
      this.lastTrade = { price: m.price, qty: m.qty, matchId: m.matchId, aggressorSide: m.aggressorSide };
      this.emit('trade', m);
    }
  }

  private onSnapshot(s: Snapshot): void {
    if (!this.awaitingSnapshot) {
      // Unrequested (e.g. a second answer): a live book ignores it; a syncing one uses it.
      if (this.state === 'live') return;
      this.awaitingSnapshot = true;
    }
    const first = this.parts[0];
    if (s.part === 0) this.parts = [s];
    else if (first && s.part === this.parts.length && s.mdSeq === first.mdSeq) this.parts.push(s);
    else {
      // a part is missing or from another snapshot: start over
      this.parts = [];
      this.resync(true);
      return;
    }
    if (!(s.flags & SnapshotFlags.LAST)) return;
    this.install(this.parts);
  }

  private install(parts: Snapshot[]): void {
    const seq = parts[0]!.mdSeq;
    this.parts = [];
    this.awaitingSnapshot = false;
    this.stats.snapshots++;
    for (const side of [0, 1]) {
      this.prices[side]!.length = 0;
      this.levels[side]!.clear();
    }
    for (const p of parts) for (const l of p.levels) if (l.qty > 0) this.setLevel(l.side, l.price, l.qty, l.orders);
    this.lastMdSeq = seq;
    const pending = this.buffered;
    this.buffered = [];
    this.state = 'live';
    for (const m of pending) {
      if (m.mdSeq <= seq) continue;
      this.onUpdate(m);
      if (this.state !== 'live') {
        // gap inside the buffer: onUpdate already restarted syncing and buffered m; keep the rest
        const i = pending.indexOf(m);
        for (const rest of pending.slice(i + 1)) this.buffered.push(rest);
        return;
      }
    }
    this.emit('synced', this.lastMdSeq);
  }

  /** Set a level's absolute quantity (0 removes). side 0 bid, 1 ask. */
  private setLevel(side: number, price: number, qty: number, orders: number): void {
    const s = side === 0 ? 0 : 1;
    const map = this.levels[s]!;
    const arr = this.prices[s]!;
    const lvl = map.get(price);
    if (qty <= 0) {
      if (lvl) {
        map.delete(price);
        arr.splice(this.find(arr, price, s), 1);
      }
      return;
    }
    if (lvl) {
      lvl.qty = qty;
      lvl.orders = orders;
      return;
    }
    map.set(price, { price, qty, orders });
    arr.splice(this.find(arr, price, s), 0, price);
  }

  /** Index of `price` in a best-first array (or where it would be inserted). */
  private find(arr: number[], price: number, side: number): number {
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const better = side === 0 ? arr[mid]! > price : arr[mid]! < price;
      if (better) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  bestBid(): BookLevel | null {
    const p = this.prices[0][0];
    return p === undefined ? null : { ...this.levels[0].get(p)! };
  }

  bestAsk(): BookLevel | null {
    const p = this.prices[1][0];
    return p === undefined ? null : { ...this.levels[1].get(p)! };
  }

  /** Top `n` levels per side (default all), best first; copies. */
  depth(n = Infinity): { bids: BookLevel[]; asks: BookLevel[]; mdSeq: number } {
    const take = (s: 0 | 1) => this.prices[s].slice(0, Math.min(n, this.prices[s].length)).map((p) => ({ ...this.levels[s].get(p)! }));
    return { bids: take(0), asks: take(1), mdSeq: this.lastMdSeq };
  }

  /** Number of levels per side. */
  get levelCount(): { bids: number; asks: number } {
    return { bids: this.prices[0].length, asks: this.prices[1].length };
  }

  /** Updates buffered while syncing. */
  get bufferedCount(): number {
    return this.buffered.length;
  }
}
