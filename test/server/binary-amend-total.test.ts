// Regression (review: "AMEND sets absolute leaves"): a binary client amends a resting sell of
// 10 lots "down to 5" while a fill of 3 is already queued ahead of the amend. With absolute
// leaves it ends with 3 filled + 5 open = 8; with AMEND flags QTY_TOTAL the engine subtracts
// what the order has traded when the AMEND executes: 3 filled + 2 open = 5. A total at or
// below the filled quantity cancels the rest: CANCELLED AMEND_TO_FILLED carrying the AMEND's
// clOrdId as requestClOrdId. Both requests go in ONE frame (the client batches a tick's
// requests), so the fill is in the shard's queue before the amend runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient, Side } from '../../src/client/index.js';
import WebSocket from 'ws';
import { FrameWriter, decodeFrame } from '../../src/protocol/codec.js';
import { MsgType, type Accepted, type Decoded } from '../../src/protocol/messages.js';
import { CancelReason, RejectReason } from '../../src/protocol/reasons.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('binary AMEND with QTY_TOTAL: a fill racing the amend counts against the total', () => {
  let srv: TestServer;
  let a: SimexClient;
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '1' });
    a = await SimexClient.connect(srv.wsUrl, { account: 7 });
  });
  afterAll(async () => {
    await a?.close();
    await srv?.stop();
  });

  /** Rests a sell of 10 lots (each call at a lower price, so it is the best ask), then sends in one frame a buy of 3 lots (fills 3 of it) and an
   *  amend of the sell to `newQty` (total with qtyTotal). */
  const race = async (price: string, newQty: number, qtyTotal: boolean) => {
    const btc = a.instrument('BTCUSD');
    const lot = btc.lotSize;
    const px = a.price(btc, price);
    const sell = await a.newOrder({ instrument: btc.instrument, side: Side.SELL, price: px, qty: 10 * lot });
    expect(sell.status).toBe('active');
    const buy = a.newOrder({ instrument: btc.instrument, side: Side.BUY, price: px, qty: 3 * lot });
    const am = a.amend({ instrument: btc.instrument, orderId: sell.orderId, newPrice: px, newQty: newQty * lot, qtyTotal });
    expect(am.clOrdId).toBe(buy.clOrdId + 1);
    const [b, r] = await Promise.all([buy, am]);
    expect(b).toMatchObject({ status: 'filled', filledQty: 3 * lot });
    return { sell, r, lot };
  };

  it('total 5 after a fill of 3: leaves 2 (without the flag: leaves 5, 8 in all)', async () => {
    const { sell, r, lot } = await race('50000.00', 5, true);
    expect(r.status).toBe('amended');
    expect(r.amended).toMatchObject({ orderId: sell.orderId, newLeaves: 2 * lot, oldLeaves: 7 * lot, flags: 1 });
    expect(a.openOrders.get(sell.clOrdId)).toMatchObject({ leaves: 2 * lot, filledQty: 3 * lot });

    const old = await race('49999.00', 5, false); // below the first: each race's sell is the best ask
    expect(old.r.amended).toMatchObject({ newLeaves: 5 * lot, oldLeaves: 7 * lot });
  });

  it.each([3, 2])('total %i lots, at or below the 3 filled: CANCELLED AMEND_TO_FILLED answers the amend', async (total) => {
    const { sell, r, lot } = await race(total === 3 ? '49998.00' : '49997.00', total, true);
    expect(r.status).toBe('cancelled');
    expect(r.amended).toBeUndefined();
    expect(r.cancelled).toMatchObject({
      reason: CancelReason.AMEND_TO_FILLED, orderId: sell.orderId, clOrdId: sell.clOrdId, requestClOrdId: r.clOrdId, leaves: 7 * lot,
    });
    expect(a.openOrders.has(sell.clOrdId)).toBe(false);
  });

  it('unknown AMEND flag bits are REJECTED BAD_FLAGS (6) and the order is unchanged', async () => {
    const ws = new WebSocket(srv.wsUrl);
    ws.binaryType = 'nodebuffer';
    const msgs: Decoded[] = [];
    ws.on('message', (d: Buffer) => msgs.push(...decodeFrame(new Uint8Array(d))));
    await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
    const until = async (pred: () => boolean) => {
      for (let t = Date.now(); !pred(); await new Promise((r) => setTimeout(r, 10))) {
        if (Date.now() - t > 5000) throw new Error(`timeout; got ${JSON.stringify(msgs.map((m) => m.type))}`);
      }
    };
    const w = new FrameWriter();
    w.login({ protocolVersion: 1, sessionId: 0, nextExpectedSeq: 0, account: 9 });
    ws.send(w.take());
    await until(() => msgs.some((m) => m.type === MsgType.LOGIN_ACK));
    w.newOrder({ instrument: 0, side: Side.SELL, ordType: 0, tif: 0, flags: 0, stp: 0, clOrdId: 1, price: 5_100_000, qty: 1000 });
    ws.send(w.take());
    await until(() => msgs.some((m) => m.type === MsgType.ACCEPTED));
    const acc = msgs.find((m) => m.type === MsgType.ACCEPTED) as Accepted;
    w.amend({ instrument: 0, clOrdId: 2, origClOrdId: 0, orderId: acc.orderId, newPrice: 5_100_000, newQty: 500, flags: 1 });
    const frame = w.take();
    frame[6] = 3; // QTY_TOTAL plus an unknown bit
    ws.send(frame);
    await until(() => msgs.some((m) => m.type === MsgType.REJECTED));
    expect(msgs.find((m) => m.type === MsgType.REJECTED)).toMatchObject({ requestType: MsgType.AMEND, clOrdId: 2, reason: RejectReason.BAD_FLAGS });
    w.amend({ instrument: 0, clOrdId: 3, origClOrdId: 0, orderId: acc.orderId, newPrice: 5_100_000, newQty: 1000, flags: 1 });
    ws.send(w.take()); // total 1000 with nothing filled: the same leaves
    await until(() => msgs.filter((m) => m.type === MsgType.REJECTED).length === 2);
    expect(msgs.filter((m) => m.type === MsgType.REJECTED)[1]).toMatchObject({ clOrdId: 3, reason: RejectReason.AMEND_NO_CHANGE });
    ws.close();
  });
});
