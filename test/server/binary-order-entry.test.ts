// Order entry and market data over the binary protocol (docs/PROTOCOL.md), with the
// protocol team's SimexClient against the real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient, Side, OrdType } from '../../src/client/index.js';
import { api, startTestServer, type TestServer } from './helpers/server.js';

const waitFor = async (pred: () => boolean, ms = 5000) => {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('binary protocol: order entry and market data', () => {
  let srv: TestServer;
  let a: SimexClient;
  let b: SimexClient;
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '2' });
    a = await SimexClient.connect(srv.wsUrl, { account: 7 });
    b = await SimexClient.connect(srv.wsUrl, { account: 8 });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await srv?.stop();
  });

  it('announces the instruments with their scales', () => {
    const btc = a.instrument('BTCUSD');
    expect(btc).toMatchObject({ instrument: 0, priceDecimals: 2, qtyDecimals: 6, tickSize: 1, lotSize: 100 });
    expect(a.instruments.map((i) => i.symbol)).toEqual(['BTCUSD', 'ETHUSD', 'ADAUSD']);
  });

  it('limit rests, a crossing order fills both sides, the book follows by mdSeq', async () => {
    const btc = a.instrument('BTCUSD');
    const book = b.subscribe(btc.instrument);
    await waitFor(() => book.state === 'live');
    const makerFills: number[] = [];
    a.on('fill', (f) => makerFills.push(f.qty));

    const r1 = await a.newOrder({ instrument: btc.instrument, side: Side.BUY, price: a.price(btc, '49990.00'), qty: a.qty(btc, '0.5') });
    expect(r1.status).toBe('active');
    expect(r1.orderId).toBeGreaterThan(0);
    await waitFor(() => book.bestBid()?.price === 4_999_000);
    expect(book.bestBid()).toEqual({ price: 4_999_000, qty: 500_000, orders: 1 });

    const r2 = await b.newOrder({ instrument: btc.instrument, side: Side.SELL, price: b.price(btc, '49990.00'), qty: b.qty(btc, '0.2') });
    expect(r2.status).toBe('filled');
    expect(r2.fills).toHaveLength(1);
    expect(r2.fills[0]).toMatchObject({ price: 4_999_000, qty: 200_000, leaves: 0, liquidity: 2 });
    await waitFor(() => makerFills.length === 1);
    expect(makerFills).toEqual([200_000]);
    await waitFor(() => book.bestBid()?.qty === 300_000);

    // /health counts binary frames both ways: at least a login, a subscribe and two orders
    // in; a login ack, reports and a snapshot out.
    const h = await api(srv.base, 'GET', '/health');
    expect(h.body.frames.received).toBeGreaterThanOrEqual(4);
    expect(h.body.frames.sent).toBeGreaterThanOrEqual(4);

    // Same view over REST (main-thread mirror) and the same sequence number.
    const rest = await api(srv.base, 'GET', '/api/orderbook/BTCUSD');
    expect(rest.body.bids).toEqual([{ price: 49990, quantity: 0.3, orders: 1 }]);
    expect(rest.body.sequence).toBe(book.lastMdSeq);

    // Cancel by clOrdId, then the level disappears.
    const c = await a.cancel({ instrument: btc.instrument, origClOrdId: r1.clOrdId });
    expect(c.status).toBe('cancelled');
    expect(c.cancelled).toMatchObject({ clOrdId: r1.clOrdId, orderId: r1.orderId, leaves: 300_000, reason: 1 });
    await waitFor(() => book.bestBid() === null);
  });

  it('amend, market order sweep and mass cancel on another shard', async () => {
    const eth = a.instrument('ETHUSD');
    const o1 = await a.newOrder({ instrument: eth.instrument, side: Side.SELL, price: a.price(eth, '3000'), qty: a.qty(eth, '1') });
    const o2 = await a.newOrder({ instrument: eth.instrument, side: Side.SELL, price: a.price(eth, '3002'), qty: a.qty(eth, '1') });
    expect([o1.status, o2.status]).toEqual(['active', 'active']);
    const am = await a.amend({ instrument: eth.instrument, orderId: o2.orderId, newPrice: a.price(eth, '3001'), newQty: a.qty(eth, '2') });
    expect(am.status).toBe('amended');
    expect(am.amended).toMatchObject({ newPrice: 300_100, newLeaves: 200_000, oldPrice: 300_200 });
    const m = await b.newOrder({ instrument: eth.instrument, side: Side.BUY, ordType: OrdType.MARKET, qty: b.qty(eth, '1.5') });
    expect(m.status).toBe('filled');
    expect(m.fills.map((f) => [f.price, f.qty])).toEqual([[300_000, 100_000], [300_100, 50_000]]);
    const mc = await a.massCancel();
    expect(mc.status).toBe('done');
    expect(mc.count).toBe(1);
    const rest = await api(srv.base, 'GET', '/api/orderbook/ETHUSD');
    expect(rest.body.asks).toEqual([]);
  });

  it('rejects with numeric reasons: off-tick, unknown order, unknown instrument', async () => {
    const btc = a.instrument('BTCUSD');
    const off = await a.newOrder({ instrument: btc.instrument, side: Side.BUY, price: 5_000_000, qty: 150 });
    expect(off.status).toBe('rejected');
    expect(off.reasonName).toBe('BAD_LOT');
    const unk = await a.cancel({ instrument: btc.instrument, orderId: 123456789 });
    expect(unk.status).toBe('rejected');
    expect(unk.reasonName).toBe('UNKNOWN_ORDER');
    const noInst = await a.newOrder({ instrument: 77, side: Side.BUY, price: 100, qty: 100 });
    expect(noInst.status).toBe('rejected');
    expect(noInst.reasonName).toBe('UNKNOWN_INSTRUMENT');
  });

  it('sequences reports per session with no gaps', async () => {
    const seqs: number[] = [];
    const c = await SimexClient.connect(srv.wsUrl, { account: 9 });
    c.on('report', (r) => seqs.push(r.seq));
    const btc = c.instrument('BTCUSD');
    const ps = [];
    for (let i = 0; i < 50; i++) {
      ps.push(c.newOrder({ instrument: btc.instrument, side: Side.BUY, price: 4_900_000 + i, qty: 100 }));
    }
    await Promise.all(ps);
    await c.massCancel(btc.instrument);
    await waitFor(() => seqs.length >= 50 + 1 + 50);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    await c.close();
  });
});
