/**
 * Seeded random command streams for the differential and snapshot tests. Deterministic for a
 * seed; covers every command type, order type, TIF, flag, STP mode and a wide range of bad
 * input (bad enum bytes, zero/negative/huge quantities including raw int64 > 2^53, off-tick
 * and out-of-range prices, unknown/duplicate/out-of-range ids, unknown books, garbage records).
 */
import { CommandWriter } from '../../../src/engine/codec.js';
import { AmendCmdFlags, CMD_SIZE, CmdOff, Flags, OrdType, StpMode, Tif } from '../../../src/engine/layout.js';
import type { InstrumentSpec } from '../../../src/engine/types.js';
import { mulberry32 } from '../../../src/util/prng.js';

/** Seeded uniform [0, 1) source for test streams. */
export const prng = mulberry32;

/** Books used by the streams: a plain one, a banded one, a tiny one (BOOK_FULL). */
export const STREAM_SPECS: InstrumentSpec[] = [
  { symbol: 'AAAUSD', priceDecimals: 2, qtyDecimals: 0, tickSize: 5, lotSize: 10, minQty: 10, maxQty: 100_000, minPrice: 5, maxPrice: 1_000_000, bandBps: 0, maxOrders: 5000 },
  { symbol: 'BBBUSD', priceDecimals: 2, qtyDecimals: 0, tickSize: 1, lotSize: 1, minQty: 1, maxQty: 5_000, minPrice: 1, maxPrice: 100_000, bandBps: 300, maxOrders: 5000 },
  { symbol: 'CCCUSD', priceDecimals: 0, qtyDecimals: 0, tickSize: 10, lotSize: 100, minQty: 100, maxQty: 10_000, minPrice: 10, maxPrice: 10_000, bandBps: 0, maxOrders: 40 },
  // Prices above 2^32 and an odd tick/lot: exercises the 64-bit paths and non-int32 modulo.
  { symbol: 'DDDUSD', priceDecimals: 2, qtyDecimals: 0, tickSize: 3, lotSize: 7, minQty: 7, maxQty: 7_000_000, minPrice: 3, maxPrice: 3 * 2 ** 37, bandBps: 50, maxOrders: 3000 },
];

interface BookGen {
  spec: InstrumentSpec;
  mid: number;
  ids: number[]; // ids sent (live or not); cancels/amends pick from the recent part
  owners: number[]; // owner, price and qty each id was sent with (parallel to ids)
  prices: number[];
  qtys: number[];
}

export class StreamGen {
  private readonly r: () => number;
  private readonly books: BookGen[];
  private nextId = 1;
  private ts = 1_700_000_000_000_000;

  constructor(seed: number, specs: InstrumentSpec[] = STREAM_SPECS) {
    this.r = prng(seed);
    this.books = specs.map((spec) => ({
      spec,
      mid: spec.maxPrice > 1e9
        ? Math.round(spec.maxPrice / 8 / spec.tickSize) * spec.tickSize
        : Math.round((spec.minPrice * 50 + 1000) / spec.tickSize) * spec.tickSize,
      ids: [], owners: [], prices: [], qtys: [],
    }));
  }

  private int(n: number): number { return Math.floor(this.r() * n); }
  private pick<T>(a: readonly T[]): T { return a[this.int(a.length)]!; }

  private price(b: BookGen, side: number, aggressive: boolean): number {
    const t = b.spec.tickSize;
    // Random walk of the mid keeps trades happening across the band.
    if (this.r() < 0.01) b.mid = Math.max(b.spec.minPrice + 40 * t, b.mid + (this.int(5) - 2) * t);
    const off = 1 + Math.floor(-Math.log(1 - this.r()) * 6);
    const sign = side === 0 ? -1 : 1;
    return b.mid + (aggressive ? -sign : sign) * off * t;
  }

  private qty(b: BookGen): number {
    return b.spec.lotSize * Math.max(b.spec.minQty / b.spec.lotSize, 1 + this.int(8));
  }

  /** Index into b.ids of a previously sent id: mostly recent ones (likely live). */
  private knownIdx(b: BookGen): number {
    const n = b.ids.length;
    return this.r() < 0.85 ? n - 1 - this.int(Math.min(n, 60)) : this.int(n);
  }

  private knownId(b: BookGen): number {
    if (b.ids.length === 0) return 1 + this.int(this.nextId);
    return b.ids[this.knownIdx(b)]!;
  }

  /** Appends `count` commands to w. */
  fill(w: CommandWriter, count: number): void {
    for (let i = 0; i < count; i++) this.one(w);
  }

  private one(w: CommandWriter): void {
    const bi = this.int(this.books.length);
    const b = this.books[bi]!;
    const owner = this.pick([0, 1, 2, 3, 4, 5, 6, 1, 2, 3]);
    const ts = (this.ts += 1 + this.int(3));
    const x = this.r();
    if (x < 0.5) {
      const side = this.int(2);
      const roll = this.r();
      let ordType: number = OrdType.LIMIT, tif: number = Tif.GTC, flags = 0;
      let aggressive = this.r() < 0.25;
      if (roll < 0.12) tif = Tif.IOC;
      else if (roll < 0.18) tif = Tif.FOK;
      else if (roll < 0.25) { ordType = OrdType.MARKET; tif = this.r() < 0.7 ? Tif.IOC : Tif.FOK; aggressive = true; }
      else if (roll < 0.32) { flags = Flags.POST_ONLY; }
      let price = this.price(b, side, aggressive);
      if (ordType === OrdType.MARKET && this.r() < 0.5) price = 0;
      const stp = this.r() < 0.5 ? StpMode.NONE : 1 + this.int(4);
      const id = this.r() < 0.02 && b.ids.length > 0 ? this.knownId(b) : this.nextId++; // some duplicates
      let qty = this.qty(b);
      if (roll > 0.95) qty *= 5 + this.int(20); // big sweeps
      if (roll > 0.99 && b.spec.lotSize > 1) qty += 1; // off lot
      // Ids that can rest (GTC) are remembered for later cancels/amends; IOC/FOK/market ids
      // only sometimes (they make UNKNOWN_ORDER cases).
      if (tif === Tif.GTC || this.r() < 0.1) { b.ids.push(id); b.owners.push(owner); b.prices.push(price); b.qtys.push(qty); }
      w.newOrder({ book: bi, orderId: id, owner, side, ordType, tif, flags, stp, price, qty, ts });
    } else if (x < 0.72 && b.ids.length > 0) {
      const j = this.knownIdx(b);
      w.cancel({ book: bi, orderId: b.ids[j]!, owner: this.r() < 0.93 ? b.owners[j]! : this.int(7), ts });
      if (this.r() < 0.9) {
        // Forget it (swap-remove), so later picks find live orders more often.
        const last = b.ids.length - 1;
        b.ids[j] = b.ids[last]!; b.owners[j] = b.owners[last]!; b.prices[j] = b.prices[last]!; b.qtys[j] = b.qtys[last]!;
        b.ids.pop(); b.owners.pop(); b.prices.pop(); b.qtys.pop();
      }
    } else if (x < 0.86 && b.ids.length > 0) {
      const j = this.knownIdx(b);
      const k = this.r();
      const own = this.r() < 0.93 ? b.owners[j]! : this.int(7);
      const side = this.int(2);
      let price = b.prices[j]!;
      let qty = b.qtys[j]!;
      if (k < 0.25) price = this.price(b, side, k < 0.1); // may cross
      else if (k < 0.5) price = b.mid + (this.int(21) - 10) * b.spec.tickSize;
      else if (k < 0.75) qty = Math.max(b.spec.minQty, qty - b.spec.lotSize * (1 + this.int(3))); // down
      else if (k < 0.95) qty += b.spec.lotSize * (1 + this.int(3)); // up
      // else: unchanged (AMEND_NO_CHANGE when untouched since)
      if (price <= 0 || price > b.spec.maxPrice) price = b.mid;
      // TOTAL_QTY amends: qty is then a total, often at or below what partially filled orders
      // traded (AMEND_TO_FILLED), sometimes just a few lots (small totals); 1% bad flag bits.
      const t = this.r();
      let flags = 0;
      if (t < 0.35) {
        flags = AmendCmdFlags.TOTAL_QTY;
        if (t < 0.12) qty = b.spec.lotSize * Math.max(b.spec.minQty / b.spec.lotSize, 1 + this.int(4));
      } else if (t < 0.36) flags = this.pick([1, 4, 3, 0x80, 0xff]);
      w.amend({ book: bi, orderId: b.ids[j]!, owner: own, price, qty, ts, flags });
      b.prices[j] = price; b.qtys[j] = qty;
    } else if (x < 0.88) {
      w.massCancel({ book: bi, owner: this.r() < 0.95 ? owner : 0, ts });
    } else {
      this.bad(w, bi, b, owner, ts);
    }
  }

  /** Malformed or invalid commands. */
  private bad(w: CommandWriter, bi: number, b: BookGen, owner: number, ts: number): void {
    const base = { book: bi, orderId: this.nextId++, owner, side: this.int(2), price: this.price(b, 0, false), qty: this.qty(b), ts };
    const k = this.int(20);
    switch (k) {
      case 0: w.newOrder({ ...base, qty: 0 }); break;
      case 1: w.newOrder({ ...base, qty: -b.spec.lotSize * (1 + this.int(5)) }); break;
      case 2: w.newOrder({ ...base, qty: 2n ** 53n + BigInt(this.int(1000)) }); break;
      case 3: w.newOrder({ ...base, qty: -(2n ** 63n) + BigInt(this.int(1000)) }); break;
      case 4: w.newOrder({ ...base, qty: b.spec.maxQty + b.spec.lotSize }); break;
      case 5: w.newOrder({ ...base, price: base.price + (b.spec.tickSize > 1 ? 1 : 0) + 0 }); break; // off tick
      case 6: w.newOrder({ ...base, price: 2n ** 62n + 5n }); break;
      case 7: w.newOrder({ ...base, price: -base.price }); break;
      case 8: w.newOrder({ ...base, side: 2 + this.int(254) }); break;
      case 9: w.newOrder({ ...base, ordType: 2 + this.int(254) }); break;
      case 10: w.newOrder({ ...base, tif: 3 + this.int(253) }); break;
      case 11: w.newOrder({ ...base, flags: 2 + this.int(254) }); break;
      case 12: w.newOrder({ ...base, stp: 5 + this.int(251) }); break;
      case 13: w.newOrder({ ...base, orderId: this.pick([0, -1, -(2 ** 40)]) }); break;
      case 14: w.newOrder({ ...base, orderId: 2n ** 53n + BigInt(this.int(5)) }); break;
      case 15: w.newOrder({ ...base, book: this.books.length + this.int(65536 - this.books.length) }); break;
      case 16: w.cancel({ book: bi, orderId: 2n ** 63n - 1n, owner, ts }); break;
      case 17: w.amend({ book: bi, orderId: this.knownId(b), owner, price: base.price, qty: 2n ** 60n, ts }); break;
      case 18: {
        // A fully random record with a valid book, then a random type byte.
        const rec = new Uint8Array(CMD_SIZE);
        for (let i = 0; i < CMD_SIZE; i++) rec[i] = this.int(256);
        rec[CmdOff.type] = this.pick([0, 1, 2, 3, 4, 5, 200]);
        rec[CmdOff.book] = this.int(this.books.length + 1);
        rec[CmdOff.book + 1] = 0;
        w.writeRaw(rec);
        break;
      }
      default: {
        // Valid-looking NEW with random (often bad) enum bytes and a random int64 price.
        const rec = new Uint8Array(CMD_SIZE);
        const dv = new DataView(rec.buffer);
        rec[0] = 1; rec[1] = this.int(3); rec[2] = this.int(3); rec[3] = this.int(4); rec[4] = this.int(3); rec[5] = this.int(6);
        dv.setUint16(CmdOff.book, bi, true);
        dv.setUint32(CmdOff.owner, owner, true);
        dv.setBigInt64(CmdOff.ts, BigInt(ts), true);
        dv.setBigInt64(CmdOff.orderId, BigInt(this.nextId++), true);
        dv.setBigInt64(CmdOff.price, BigInt(base.price) + BigInt(this.int(3) - 1), true);
        dv.setBigInt64(CmdOff.qty, BigInt(base.qty) * BigInt(this.int(3)), true);
        w.writeRaw(rec);
      }
    }
  }
}
