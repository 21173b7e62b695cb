// GTC / IOC / FOK, post-only, market orders with and without a protection price.
import { describe, expect, it } from 'vitest';
import { OrdType, RejectReason, Tif, Flags, CancelReason } from '../../src/engine/layout.js';
import { Harness, strip, types } from './helpers/harness.js';
import { implementations } from './helpers/impls.js';

const BUY = 0, SELL = 1;

describe.each(await implementations())('$name engine: time in force and order types', (impl) => {
  it('IOC fills what it can and cancels the rest (IOC_REMAINDER, never rests)', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 10);
    h.limit(2, SELL, 110, 10);
    const evs = h.limit(3, BUY, 105, 50, 1, { tif: Tif.IOC });
    expect(types(evs)).toEqual(['ACCEPTED', 'TRADE', 'CANCELLED', 'L2']);
    expect(strip(evs[2]!)).toEqual({ type: 4, side: BUY, reason: CancelReason.IOC_REMAINDER, flags: 0, orderId: 3, owner: 1, price: 105, leaves: 40, code: 'IOC_REMAINDER' });
    expect(h.engine.order(h.book, 3)).toBeNull();
    expect(h.engine.bestBid(h.book)).toBeNull();
    expect(h.engine.bestAsk(h.book)).toEqual({ price: 110, qty: 10, orders: 1 });
  });

  it('IOC with nothing to match is accepted then fully cancelled', () => {
    const h = new Harness(impl.create());
    const evs = h.limit(1, SELL, 100, 10, 1, { tif: Tif.IOC });
    expect(types(evs)).toEqual(['ACCEPTED', 'CANCELLED']);
    expect(evs[1]).toMatchObject({ reason: CancelReason.IOC_REMAINDER, leaves: 10, price: 100 });
    expect(h.engine.stats(h.book).orders).toBe(0);
  });

  it('FOK fills completely across levels when it can', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 10); h.limit(2, SELL, 105, 10); h.limit(3, SELL, 110, 10);
    const evs = h.limit(4, BUY, 105, 20, 2, { tif: Tif.FOK });
    expect(types(evs)).toEqual(['ACCEPTED', 'TRADE', 'TRADE', 'L2', 'L2']);
    expect(evs[2]).toMatchObject({ takerLeaves: 0, price: 105 });
  });

  it('FOK that cannot fill within its limit is rejected and changes nothing', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 10); h.limit(2, SELL, 105, 10); h.limit(3, SELL, 110, 10);
    const before = h.engine.snapshot(h.book);
    const evs = h.limit(4, BUY, 105, 30, 2, { tif: Tif.FOK });
    expect(types(evs)).toEqual(['REJECTED']);
    expect(evs[0]!.reason).toBe(RejectReason.FOK_NOT_FILLABLE);
    const after = h.engine.snapshot(h.book);
    // Only the sequence number moved (the REJECTED event itself).
    expect(after.subarray(16)).toEqual(before.subarray(16));
  });

  it('market FOK and market IOC: FOK checks the whole book, IOC sweeps it', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 10); h.limit(2, SELL, 200, 10);
    expect(h.limit(3, BUY, 0, 30, 2, { ordType: OrdType.MARKET, tif: Tif.FOK })[0]!.reason).toBe(RejectReason.FOK_NOT_FILLABLE);
    const evs = h.limit(4, BUY, 0, 30, 2, { ordType: OrdType.MARKET, tif: Tif.IOC });
    expect(types(evs)).toEqual(['ACCEPTED', 'TRADE', 'TRADE', 'CANCELLED', 'L2', 'L2']);
    expect(evs[0]).toMatchObject({ price: 0, qty: 30 });
    expect(evs[3]).toMatchObject({ reason: CancelReason.IOC_REMAINDER, price: 0, leaves: 10 });
  });

  it('market with a protection price stops at it and reports it in the remainder', () => {
    const h = new Harness(impl.create());
    h.limit(1, BUY, 100, 10); h.limit(2, BUY, 90, 10); h.limit(3, BUY, 80, 10);
    const evs = h.limit(4, SELL, 90, 100, 2, { ordType: OrdType.MARKET, tif: Tif.IOC });
    expect(types(evs)).toEqual(['ACCEPTED', 'TRADE', 'TRADE', 'CANCELLED', 'L2', 'L2']);
    expect(evs.filter((e) => e.type === 3).map((e) => (e as { price: number }).price)).toEqual([100, 90]);
    expect(evs[3]).toMatchObject({ price: 90, leaves: 80 });
    expect(h.engine.bestBid(h.book)).toEqual({ price: 80, qty: 10, orders: 1 });
  });

  it('market orders cannot be GTC; market protection price is checked for range and tick', () => {
    const h = new Harness(impl.create());
    expect(h.limit(1, BUY, 0, 10, 1, { ordType: OrdType.MARKET, tif: Tif.GTC })[0]!.reason).toBe(RejectReason.BAD_TIF);
    expect(h.limit(1, BUY, 7, 10, 1, { ordType: OrdType.MARKET, tif: Tif.IOC })[0]!.reason).toBe(RejectReason.OFF_TICK);
    expect(h.limit(1, BUY, -5, 10, 1, { ordType: OrdType.MARKET, tif: Tif.IOC })[0]!.reason).toBe(RejectReason.BAD_PRICE);
  });

  it('post-only rests when it does not cross and is rejected when it would', () => {
    const h = new Harness(impl.create());
    h.limit(1, SELL, 100, 10);
    const ok = h.limit(2, BUY, 95, 10, 1, { flags: Flags.POST_ONLY });
    expect(types(ok)).toEqual(['ACCEPTED', 'L2']);
    expect(h.engine.order(h.book, 2)).toMatchObject({ flags: Flags.POST_ONLY });
    const bad = h.limit(3, BUY, 100, 10, 1, { flags: Flags.POST_ONLY });
    expect(types(bad)).toEqual(['REJECTED']);
    expect(bad[0]!.reason).toBe(RejectReason.POST_ONLY_WOULD_CROSS);
    const sellBad = h.limit(4, SELL, 95, 10, 1, { flags: Flags.POST_ONLY });
    expect(sellBad[0]!.reason).toBe(RejectReason.POST_ONLY_WOULD_CROSS);
    // Post-only is only for GTC limit orders.
    expect(h.limit(5, BUY, 50, 10, 1, { flags: Flags.POST_ONLY, tif: Tif.IOC })[0]!.reason).toBe(RejectReason.BAD_FLAGS);
    expect(h.limit(5, BUY, 0, 10, 1, { flags: Flags.POST_ONLY, ordType: OrdType.MARKET, tif: Tif.IOC })[0]!.reason).toBe(RejectReason.BAD_FLAGS);
  });

  it('GTC limit that does not cross rests and reports its level', () => {
    const h = new Harness(impl.create());
    const evs = h.limit(1, BUY, 100, 10, 3);
    expect(evs.map(strip)).toEqual([
      { type: 1, side: BUY, reason: 0, flags: 0, orderId: 1, owner: 3, price: 100, qty: 10 },
      { type: 6, side: BUY, reason: 0, flags: 0, price: 100, totalQty: 10, orders: 1 },
    ]);
    expect(h.engine.order(h.book, 1)).toEqual({ orderId: 1, owner: 3, side: BUY, price: 100, leaves: 10, flags: 0, stp: 0, filled: 0 });
  });
});
