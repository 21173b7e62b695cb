import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimexClient, SimexClientError, Side, OrdType, Tif } from '../../src/client/index.js';
import { EdgeReason, RejectReason, CancelReason } from '../../src/protocol/reasons.js';
import { FakeServer } from './fake-server.js';

let server: FakeServer;
let client: SimexClient;
beforeEach(async () => {
  server = await FakeServer.start();
  client = await SimexClient.connect(server.url, { account: 7 });
});
afterEach(async () => {
  await client.close();
  await server.stop();
});

describe('SimexClient order entry', () => {
  it('logs in, learns the instruments and converts decimals with their scales', () => {
    expect(client.sessionId).toBeGreaterThan(0);
    expect(client.instruments.map((i) => i.symbol)).toEqual(['BTCUSD', 'ETHUSD']);
    const btc = client.instrument('BTCUSD');
    expect(client.price(btc, '50000.00')).toBe(5000000);
    expect(client.qty('BTCUSD', 0.5)).toBe(500000);
    expect(() => client.price(btc, '1.001')).toThrow(/decimal places/);
    expect(() => client.instrument('NOPE')).toThrow(SimexClientError);
  });

  it('newOrder: resting limit is active; market fills; IOC partially fills then cancels; bad price is rejected', async () => {
    const p = client.newOrder({ instrument: 0, side: Side.BUY, price: 5000000, qty: 1000 });
    expect(p.clOrdId).toBe(1);
    const rest = await p;
    expect(rest).toMatchObject({ clOrdId: 1, status: 'active', leaves: 1000, filledQty: 0, fills: [] });
    expect(rest.orderId).toBeGreaterThan(0);

    const mkt = await client.newOrder({ instrument: 0, side: Side.SELL, ordType: OrdType.MARKET, qty: 300 });
    expect(mkt).toMatchObject({ clOrdId: 2, status: 'filled', leaves: 0, filledQty: 300 });
    expect(mkt.fills).toHaveLength(1);

    const ioc = await client.newOrder({ instrument: 0, side: Side.BUY, tif: Tif.IOC, price: 5000000, qty: 1000 });
    expect(ioc).toMatchObject({ status: 'cancelled', filledQty: 500, leaves: 0, cancelReason: CancelReason.IOC_REMAINDER });

    const bad = await client.newOrder({ instrument: 0, side: Side.BUY, price: -1, qty: 100 });
    expect(bad).toMatchObject({ status: 'rejected', reason: RejectReason.BAD_PRICE, reasonName: 'BAD_PRICE' });
    expect(client.openOrders.size).toBe(1);
  });

  it('cancel by orderId and by origClOrdId; unknown order is rejected', async () => {
    const a = await client.newOrder({ instrument: 0, side: Side.BUY, price: 100, qty: 100 });
    const b = await client.newOrder({ instrument: 0, side: Side.BUY, price: 101, qty: 100 });
    const ca = await client.cancel({ instrument: 0, orderId: a.orderId });
    expect(ca).toMatchObject({ status: 'cancelled' });
    expect(ca.cancelled).toMatchObject({ orderId: a.orderId, clOrdId: a.clOrdId, requestClOrdId: ca.clOrdId, reason: CancelReason.USER });
    const cb = await client.cancel({ instrument: 0, origClOrdId: b.clOrdId });
    expect(cb.status).toBe('cancelled');
    const again = await client.cancel({ instrument: 0, orderId: a.orderId });
    expect(again).toMatchObject({ status: 'rejected', reason: RejectReason.UNKNOWN_ORDER, reasonName: 'UNKNOWN_ORDER' });
    expect(client.openOrders.size).toBe(0);
  });

  it('amend updates the live order view; no-change amend is rejected', async () => {
    const a = await client.newOrder({ instrument: 1, side: Side.SELL, price: 300000, qty: 500 });
    const r = await client.amend({ instrument: 1, orderId: a.orderId, newPrice: 300000, newQty: 200 });
    expect(r.status).toBe('amended');
    expect(r.amended).toMatchObject({ newLeaves: 200, oldLeaves: 500, flags: 1 });
    expect(client.openOrders.get(a.clOrdId)).toMatchObject({ leaves: 200, price: 300000 });
    const same = await client.amend({ instrument: 1, orderId: a.orderId, newPrice: 300000, newQty: 200 });
    expect(same).toMatchObject({ status: 'rejected', reason: RejectReason.AMEND_NO_CHANGE });
  });

  it('amend with qtyTotal sends QTY_TOTAL: leaves = total - filled; at or below filled resolves cancelled (AMEND_TO_FILLED)', async () => {
    const a = await client.newOrder({ instrument: 1, side: Side.SELL, price: 300000, qty: 1000 });
    server.fillResting(client.sessionId, a.orderId, 300);
    await new Promise((r) => setTimeout(r, 50)); // the FILL arrives
    const r = await client.amend({ instrument: 1, orderId: a.orderId, newPrice: 300000, newQty: 500, qtyTotal: true });
    expect(r).toMatchObject({ status: 'amended' });
    expect(r.amended).toMatchObject({ newLeaves: 200, oldLeaves: 700 });
    expect(client.openOrders.get(a.clOrdId)).toMatchObject({ leaves: 200, filledQty: 300 });
    const c = await client.amend({ instrument: 1, orderId: a.orderId, newPrice: 300000, newQty: 300, qtyTotal: true });
    expect(c.status).toBe('cancelled');
    expect(c.cancelled).toMatchObject({ reason: CancelReason.AMEND_TO_FILLED, orderId: a.orderId, clOrdId: a.clOrdId, requestClOrdId: c.clOrdId, leaves: 200 });
    expect(c.amended).toBeUndefined();
    expect(client.openOrders.size).toBe(0);
    // The old call shape still means leaves (flags 0 on the wire).
    const b = await client.newOrder({ instrument: 1, side: Side.SELL, price: 300000, qty: 1000 });
    server.fillResting(client.sessionId, b.orderId, 300);
    await new Promise((r) => setTimeout(r, 50));
    expect((await client.amend({ instrument: 1, orderId: b.orderId, newPrice: 300000, newQty: 500 })).amended).toMatchObject({ newLeaves: 500 });
  });

  it('tolerates a lax server (ACCEPTED for cancel/amend, request clOrdId in CANCELLED/AMENDED)', async () => {
    server.lax = true;
    const a = await client.newOrder({ instrument: 0, side: Side.BUY, price: 100, qty: 500 });
    const am = await client.amend({ instrument: 0, orderId: a.orderId, newPrice: 100, newQty: 300 });
    expect(am.status).toBe('amended');
    expect(am.amended).toMatchObject({ newLeaves: 300 });
    expect(client.openOrders.get(a.clOrdId)).toMatchObject({ leaves: 300 });
    const cx = await client.cancel({ instrument: 0, origClOrdId: a.clOrdId });
    expect(cx.status).toBe('cancelled');
    expect(cx.cancelled).toMatchObject({ orderId: a.orderId, leaves: 300 });
    expect(client.openOrders.size).toBe(0);
  });

  it('massCancel over all instruments waits for one ack per instrument and counts the cancels', async () => {
    await client.newOrder({ instrument: 0, side: Side.BUY, price: 100, qty: 100 });
    await client.newOrder({ instrument: 0, side: Side.BUY, price: 101, qty: 100 });
    await client.newOrder({ instrument: 1, side: Side.BUY, price: 101, qty: 100 });
    const cancelled: number[] = [];
    client.on('cancelled', (c) => cancelled.push(c.clOrdId));
    const r = await client.massCancel();
    expect(r).toMatchObject({ status: 'done', count: 3 });
    expect(r.acks.map((a) => a.instrument)).toEqual([0, 1]);
    expect(cancelled.sort()).toEqual([1, 2, 3]);
    expect(client.openOrders.size).toBe(0);
  });

  it('maker fills arriving later update the order and are emitted as events', async () => {
    const a = await client.newOrder({ instrument: 0, side: Side.BUY, price: 100, qty: 1000 });
    const fills: number[] = [];
    client.on('fill', (f) => fills.push(f.qty));
    const done = new Promise<void>((r) => client.on('fill', (f) => { if (f.leaves === 0) r(); }));
    server.fillResting(client.sessionId, a.orderId, 400);
    server.fillResting(client.sessionId, a.orderId, 600);
    await done;
    expect(fills).toEqual([400, 600]);
    expect(client.openOrders.has(a.clOrdId)).toBe(false);
  });

  it('batches requests issued in one tick into one frame, with strictly increasing clOrdIds', async () => {
    const before = server.framesIn;
    const ps = Array.from({ length: 1000 }, (_, i) => client.newOrder({ instrument: 0, side: Side.BUY, price: 100 + i, qty: 100 }));
    expect(ps.map((p) => p.clOrdId)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    const rs = await Promise.all(ps);
    expect(rs.every((r) => r.status === 'active')).toBe(true);
    // 1000 x 40 bytes = 40 kB < 64 KiB: one frame
    expect(server.framesIn - before).toBe(1);
    // 3000 orders exceed one 64 KiB frame: split, still all answered once
    const before2 = server.framesIn;
    const ps2 = Array.from({ length: 3000 }, () => client.newOrder({ instrument: 1, side: Side.SELL, price: 500, qty: 100 }));
    await Promise.all(ps2);
    expect(server.framesIn - before2).toBe(2);
    expect([...server.executed.values()].every((n) => n === 1)).toBe(true);
    expect(server.executed.size).toBe(4000);
  });

  it('every execution report is emitted once in seq order', async () => {
    const seqs: number[] = [];
    client.on('report', (r) => seqs.push(r.seq));
    await client.newOrder({ instrument: 0, side: Side.SELL, ordType: OrdType.MARKET, qty: 100 });
    await client.newOrder({ instrument: 0, side: Side.BUY, tif: Tif.IOC, price: 1, qty: 100 });
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    expect(client.lastSeq).toBe(5);
  });

  it('a request before connect throws NOT_CONNECTED; after close, pending work is rejected', async () => {
    const c = new SimexClient(server.url);
    expect(() => c.newOrder({ instrument: 0, side: Side.BUY, price: 1, qty: 1 })).toThrow(/connect\(\) first/);
    server.ignoreRequests = true;
    const p = client.newOrder({ instrument: 0, side: Side.BUY, price: 1, qty: 100 });
    await new Promise((r) => setTimeout(r, 20));
    await client.close();
    await expect(p).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('login to a session of another account is rejected with the reason, no retry', async () => {
    const other = new SimexClient(server.url, { sessionId: client.sessionId, account: 99 });
    await expect(other.connect()).rejects.toMatchObject({ code: 'LOGIN_REJECTED', reason: EdgeReason.SESSION_ACCOUNT_MISMATCH });
  });
});
