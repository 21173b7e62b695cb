// Every reject reason, the validation order, the REJECTED payload, and that a reject changes
// nothing but the sequence number (L3 snapshot bytes equal before/after).
import { describe, expect, it } from 'vitest';
import { CMD_SIZE, CmdOff, Flags, OrdType, RejectReason as R, StpMode, Tif, rejectCodeName } from '../../src/engine/layout.js';
import type { CommandWriter } from '../../src/engine/codec.js';
import { Harness, SPEC } from './helpers/harness.js';
import { implementations } from './helpers/impls.js';

const BUY = 0, SELL = 1;

interface Case {
  name: string;
  reason: number;
  cmd: (w: CommandWriter, book: number) => void;
  spec?: Partial<typeof SPEC>;
}

const base = { owner: 1, side: BUY, price: 50, qty: 10 };
const raw = (mutate: (r: Uint8Array, dv: DataView) => void) => (w: CommandWriter, book: number) => {
  const r = new Uint8Array(CMD_SIZE);
  const dv = new DataView(r.buffer);
  r[CmdOff.type] = 1; dv.setUint16(CmdOff.book, book, true); dv.setUint32(CmdOff.owner, 1, true);
  dv.setBigInt64(CmdOff.orderId, 500n, true); dv.setBigInt64(CmdOff.price, 50n, true); dv.setBigInt64(CmdOff.qty, 10n, true);
  mutate(r, dv);
  w.writeRaw(r);
};

const cases: Case[] = [
  { name: 'type byte 0', reason: R.UNKNOWN_COMMAND, cmd: raw((r) => { r[0] = 0; }) },
  { name: 'type byte 5', reason: R.UNKNOWN_COMMAND, cmd: raw((r) => { r[0] = 5; }) },
  { name: 'type 255', reason: R.UNKNOWN_COMMAND, cmd: raw((r) => { r[0] = 255; }) },
  { name: 'side 2', reason: R.BAD_SIDE, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, side: 2 }) },
  { name: 'side 2 beats bad tif', reason: R.BAD_SIDE, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, side: 2, tif: 9 }) },
  { name: 'ordType 2', reason: R.BAD_ORDER_TYPE, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, ordType: 2 }) },
  { name: 'tif 3', reason: R.BAD_TIF, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, tif: 3 }) },
  { name: 'market GTC', reason: R.BAD_TIF, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, ordType: OrdType.MARKET, tif: Tif.GTC }) },
  { name: 'flags bit 1', reason: R.BAD_FLAGS, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, flags: 2 }) },
  { name: 'post-only IOC', reason: R.BAD_FLAGS, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, flags: Flags.POST_ONLY, tif: Tif.IOC }) },
  { name: 'stp 5', reason: R.BAD_STP_MODE, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, stp: 5 }) },
  { name: 'order id 0', reason: R.BAD_ORDER_ID, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 0 }) },
  { name: 'order id -1', reason: R.BAD_ORDER_ID, cmd: (w, book) => w.newOrder({ ...base, book, orderId: -1 }) },
  { name: 'order id 2^53', reason: R.BAD_ORDER_ID, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 2n ** 53n }) },
  { name: 'order id 2^63-1', reason: R.BAD_ORDER_ID, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 2n ** 63n - 1n }) },
  { name: 'duplicate id', reason: R.DUPLICATE_ORDER_ID, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 1 }) },
  { name: 'qty 0', reason: R.BAD_QUANTITY, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, qty: 0 }) },
  { name: 'qty -10', reason: R.BAD_QUANTITY, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, qty: -10 }) },
  { name: 'qty > maxQty', reason: R.BAD_QUANTITY, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, qty: 1_000_010 }) },
  { name: 'qty 2^53+1 raw', reason: R.BAD_QUANTITY, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, qty: 2n ** 53n + 1n }) },
  { name: 'qty -2^63 raw', reason: R.BAD_QUANTITY, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, qty: -(2n ** 63n) }) },
  { name: 'qty below minQty', reason: R.BAD_QUANTITY, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, qty: 5 }), spec: { lotSize: 5 } },
  { name: 'qty off lot', reason: R.BAD_LOT, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, qty: 15 }) },
  { name: 'limit price 0', reason: R.BAD_PRICE, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, price: 0 }) },
  { name: 'limit price > max', reason: R.BAD_PRICE, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, price: 1_000_005 }) },
  { name: 'price 2^62 raw', reason: R.BAD_PRICE, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, price: 2n ** 62n }) },
  { name: 'off tick', reason: R.OFF_TICK, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, price: 52 }) },
  { name: 'out of band', reason: R.PRICE_OUT_OF_BAND, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, price: 150 }), spec: { bandBps: 2000 } },
  { name: 'post-only crosses', reason: R.POST_ONLY_WOULD_CROSS, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, price: 100, flags: Flags.POST_ONLY }) },
  { name: 'FOK not fillable', reason: R.FOK_NOT_FILLABLE, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, price: 100, qty: 1000, tif: Tif.FOK }) },
  { name: 'book full', reason: R.BOOK_FULL, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, price: 50 }), spec: { maxOrders: 3 } },
  { name: 'book full even if it would fill', reason: R.BOOK_FULL, cmd: (w, book) => w.newOrder({ ...base, book, orderId: 500, price: 100, qty: 10 }), spec: { maxOrders: 3 } },
  { name: 'cancel id 0', reason: R.BAD_ORDER_ID, cmd: (w, book) => w.cancel({ book, orderId: 0, owner: 1 }) },
  { name: 'cancel unknown', reason: R.UNKNOWN_ORDER, cmd: (w, book) => w.cancel({ book, orderId: 404, owner: 1 }) },
  { name: 'cancel not owner', reason: R.NOT_OWNER, cmd: (w, book) => w.cancel({ book, orderId: 1, owner: 2 }) },
  { name: 'amend not owner', reason: R.NOT_OWNER, cmd: (w, book) => w.amend({ book, orderId: 1, owner: 2, price: 90, qty: 10 }) },
  { name: 'amend qty 2^60', reason: R.BAD_QUANTITY, cmd: (w, book) => w.amend({ book, orderId: 1, owner: 1, price: 90, qty: 2n ** 60n }) },
  { name: 'amend lot', reason: R.BAD_LOT, cmd: (w, book) => w.amend({ book, orderId: 1, owner: 1, price: 90, qty: 11 }) },
  { name: 'amend price', reason: R.BAD_PRICE, cmd: (w, book) => w.amend({ book, orderId: 1, owner: 1, price: -5, qty: 10 }) },
  { name: 'amend off tick', reason: R.OFF_TICK, cmd: (w, book) => w.amend({ book, orderId: 1, owner: 1, price: 91, qty: 10 }) },
  { name: 'amend band', reason: R.PRICE_OUT_OF_BAND, cmd: (w, book) => w.amend({ book, orderId: 1, owner: 1, price: 10, qty: 10 }), spec: { bandBps: 2000 } },
  { name: 'amend no change', reason: R.AMEND_NO_CHANGE, cmd: (w, book) => w.amend({ book, orderId: 1, owner: 1, price: 90, qty: 10 }) },
  { name: 'amend post-only cross', reason: R.POST_ONLY_WOULD_CROSS, cmd: (w, book) => w.amend({ book, orderId: 3, owner: 1, price: 100, qty: 10 }) },
  { name: 'mass cancel owner 0', reason: R.BAD_OWNER, cmd: (w, book) => w.massCancel({ book, owner: 0 }) },
];

describe.each(await implementations())('$name engine: rejects', (impl) => {
  /** Book: bid 1 @90 x10 (owner 1), ask 2 @100 x10 (owner 2), post-only bid 3 @85 (owner 1), and
   *  one trade at 100 so lastTradePrice = 100 (band tests). */
  const setup = (spec: Partial<typeof SPEC> = {}) => {
    const h = new Harness(impl.create(), { ...SPEC, ...spec });
    h.limit(9, SELL, 100, 10, 5);
    h.limit(10, BUY, 100, 10, 6);
    h.limit(1, BUY, 90, 10, 1);
    h.limit(2, SELL, 100, 10, 2);
    h.limit(3, BUY, 85, 10, 1, { flags: Flags.POST_ONLY });
    expect(h.engine.stats(h.book)).toMatchObject({ orders: 3, lastTradePrice: 100 });
    return h;
  };

  it.each(cases)('$name -> reason $reason, book unchanged', (c) => {
    const h = setup(c.spec);
    const before = h.engine.snapshot(h.book);
    const seq = h.engine.stats(h.book).seq;
    const evs = h.run(c.cmd);
    expect(evs.map((e) => [e.type, rejectCodeName(e.reason)])).toEqual([[2, rejectCodeName(c.reason)]]);
    expect(evs[0]!.seq).toBe(seq + 1);
    const after = h.engine.snapshot(h.book);
    expect(after.length).toBe(before.length);
    expect(after.subarray(0, 8)).toEqual(before.subarray(0, 8));
    expect(after.subarray(16)).toEqual(before.subarray(16));
    expect(h.engine.stats(h.book).seq).toBe(seq + 1);
  });

  it('REJECTED echoes raw orderId bytes, owner, raw side and type bytes; other fields 0', () => {
    const h = setup();
    const w = h.run(raw((r, dv) => {
      r[0] = 3; r[1] = 0xee; // AMEND with a garbage side byte
      dv.setUint32(CmdOff.owner, 0xfffffff0, true);
      dv.setBigInt64(CmdOff.orderId, -7n, true);
      dv.setBigInt64(CmdOff.ts, -123456789n, true);
    }));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ type: 2, side: 0xee, reason: R.BAD_ORDER_ID, cmdType: 3, owner: 0xfffffff0, orderIdRaw: -7n, ts: -123456789, flags: 0 });
    const bytes = h.engine.events().slice(0, 80);
    expect([...bytes.subarray(40, 80)].every((b) => b === 0)).toBe(true);
  });

  it('an unknown book rejects with seq 0 and the raw book index; unknown type wins over unknown book', () => {
    const h = setup();
    const evs = h.run((w) => w.newOrder({ ...base, book: 4242, orderId: 500 }));
    expect(evs[0]).toMatchObject({ type: 2, reason: R.UNKNOWN_BOOK, book: 4242, seq: 0 });
    const evs2 = h.run(raw((r, dv) => { r[0] = 7; dv.setUint16(CmdOff.book, 65535, true); }));
    expect(evs2[0]).toMatchObject({ type: 2, reason: R.UNKNOWN_COMMAND, book: 65535, seq: 0, cmdType: 7 });
    const evs3 = h.run(raw((r) => { r[0] = 7; }));
    expect(evs3[0]).toMatchObject({ reason: R.UNKNOWN_COMMAND, book: h.book, seq: h.engine.stats(h.book).seq });
  });

  it('the band follows the last trade price and is off before the first trade', () => {
    const h = new Harness(impl.create(), { ...SPEC, bandBps: 1000 });
    expect(h.limit(1, BUY, 5, 10)[0]!.type).toBe(1);
    expect(h.limit(2, SELL, 1_000_000, 10)[0]!.type).toBe(1);
    h.limit(3, SELL, 100, 10, 2);
    h.limit(4, BUY, 100, 10, 3); // trade at 100
    expect(h.limit(5, BUY, 90, 10)[0]!.type).toBe(1); // |90-100|*10000 = 100000 = 1000*100: inside
    expect(h.limit(6, BUY, 85, 10)[0]!.reason).toBe(R.PRICE_OUT_OF_BAND);
    expect(h.limit(7, SELL, 110, 10)[0]!.type).toBe(1);
    expect(h.limit(8, SELL, 115, 10)[0]!.reason).toBe(R.PRICE_OUT_OF_BAND);
    // Market protection prices are not banded.
    expect(h.limit(9, SELL, 5, 10, 1, { ordType: OrdType.MARKET, tif: Tif.IOC, stp: StpMode.NONE })[0]!.type).toBe(1);
  });

  it('a batch mixing rejects and accepts keeps going after each reject', () => {
    const h = setup();
    const evs = h.run((w, book) => {
      w.newOrder({ ...base, book, orderId: 0 });
      w.newOrder({ ...base, book, orderId: 600, price: 60 });
      w.cancel({ book, orderId: 600, owner: 9 });
      w.cancel({ book, orderId: 600, owner: 1 });
    });
    expect(evs.map((e) => [e.type, e.reason])).toEqual([[2, R.BAD_ORDER_ID], [1, 0], [6, 0], [2, R.NOT_OWNER], [1, 0], [4, 1], [6, 0]]);
  });
});
