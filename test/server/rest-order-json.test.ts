// restOrderText (the template-built 201 body of POST /api/orders) is byte-identical to
// JSON.stringify(exchange.restOrderJson(rec)) for every order state it builds, and declines
// (null) the shapes it does not build.
import { describe, expect, it } from 'vitest';
import { offlineExchange } from './helpers/offline-exchange.js';
import { OrdType, Side, StpMode, Tif } from '../../src/engine/layout.js';
import type { RestOrder } from '../../src/server/exchange.js';
import { restOrderText } from '../../src/server/routes.js';

describe('restOrderText', () => {
  const ex = offlineExchange();
  const same = (rec: RestOrder): void => {
    expect(restOrderText(ex, rec)).toBe(JSON.stringify(ex.restOrderJson(rec)));
  };

  it('matches JSON.stringify(restOrderJson) for new, partially filled and filled orders of every instrument', () => {
    for (const b of ex.books) {
      const s = b.spec;
      const px = s.minPrice + s.tickSize * 12345;
      const q = s.minQty + s.lotSize * 7;
      const buy = ex.createRestOrder(b, Side.BUY, OrdType.LIMIT, Tif.GTC, false, StpMode.NONE, q, px, null);
      same(buy);
      const post = ex.createRestOrder(b, Side.SELL, OrdType.LIMIT, Tif.GTC, true, StpMode.CANCEL_BOTH, q, px, 'bot-1 "quoted" \\ é \u2028 \ud800');
      same(post);
      const mkt = ex.createRestOrder(b, Side.SELL, OrdType.MARKET, Tif.IOC, false, StpMode.NONE, q, 0, 'c');
      mkt.status = 'partially_filled';
      mkt.filled = s.lotSize * 3;
      mkt.leaves = q - mkt.filled;
      mkt.notional = px * mkt.filled;
      mkt.fillCount = 1;
      mkt.fills.push({ trade_id: 17, price: px / 10 ** s.priceDecimals, quantity: mkt.filled / 10 ** s.qtyDecimals, liquidity: 'taker', timestamp: new Date(0).toISOString() });
      mkt.updatedAt = new Date(1).toISOString();
      same(mkt);
      mkt.status = 'filled';
      mkt.filled = q;
      mkt.leaves = 0;
      mkt.notional = px * q - s.tickSize * s.lotSize; // an average price off the tick
      mkt.fills.push({ trade_id: 18, price: px / 10 ** s.priceDecimals, quantity: 0.1, liquidity: 'maker', timestamp: new Date(2).toISOString() });
      same(mkt);
      const fok = ex.createRestOrder(b, Side.BUY, OrdType.LIMIT, Tif.FOK, false, StpMode.NONE, s.maxQty, s.maxPrice, null);
      same(fok);
      const ioc = ex.createRestOrder(b, Side.BUY, OrdType.LIMIT, Tif.IOC, false, StpMode.NONE, s.minQty, s.minPrice, null);
      same(ioc);
    }
  });

  it('matches for every side, type, time in force, post_only, status and timestamp pair, in any order', () => {
    const b = ex.books[1]!;
    const s = b.spec;
    const recs: RestOrder[] = [];
    for (const side of [Side.BUY, Side.SELL]) {
      for (const type of [OrdType.LIMIT, OrdType.MARKET]) {
        for (const tif of [Tif.GTC, Tif.IOC, Tif.FOK]) {
          for (const postOnly of [false, true]) {
            for (const status of ['active', 'partially_filled', 'filled'] as const) {
              const r = ex.createRestOrder(b, side, type, tif, postOnly, StpMode.NONE, s.minQty * 3, type === OrdType.MARKET ? 0 : s.minPrice, recs.length % 3 ? null : `c${recs.length}`);
              r.status = status;
              if (status !== 'active') {
                r.filled = status === 'filled' ? r.qty : s.minQty;
                r.leaves = r.qty - r.filled;
                r.notional = r.filled * (s.minPrice + s.tickSize);
                r.fillCount = recs.length % 2;
              }
              r.updatedAt = new Date(recs.length % 4 === 0 ? 5 : 6).toISOString();
              recs.push(r);
            }
          }
        }
      }
    }
    for (const r of recs) same(r);
    for (let i = recs.length - 1; i >= 0; i -= 7) same(recs[i]!); // cached runs reused out of order
  });

  it('declines rejected and cancelled orders (their JSON carries reject_reason / cancel_reason)', () => {
    const b = ex.books[0]!;
    const r = ex.createRestOrder(b, Side.BUY, OrdType.LIMIT, Tif.GTC, false, StpMode.NONE, b.spec.minQty, b.spec.minPrice, null);
    r.status = 'rejected';
    expect(restOrderText(ex, r)).toBeNull();
    r.status = 'cancelled';
    expect(restOrderText(ex, r)).toBeNull();
  });
});
