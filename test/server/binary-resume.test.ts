// Resume after reconnect (PROTOCOL.md section 3): no report lost, none duplicated, a resent
// clOrdId is not executed twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SimexClient, Side } from '../../src/client/index.js';
import { FrameWriter, decodeFrame } from '../../src/protocol/codec.js';
import { MsgType, PROTOCOL_VERSION, type Decoded } from '../../src/protocol/messages.js';
import { EdgeReason } from '../../src/protocol/reasons.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const waitFor = async (pred: () => boolean, ms = 5000) => {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** Minimal raw client: collects every decoded message. */
async function raw(url: string) {
  const ws = new WebSocket(url);
  ws.binaryType = 'nodebuffer';
  const msgs: Decoded[] = [];
  ws.on('message', (d: Buffer) => msgs.push(...decodeFrame(new Uint8Array(d))));
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const w = new FrameWriter();
  return {
    ws, msgs, w,
    send() { ws.send(w.take()); },
  };
}

describe('binary protocol: resume', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('a dropped connection resumes with every report exactly once (SimexClient)', async () => {
    const maker = await SimexClient.connect(srv.wsUrl, { account: 21 });
    const taker = await SimexClient.connect(srv.wsUrl, { account: 22 });
    const seqs: number[] = [];
    maker.on('report', (r) => seqs.push(r.seq));
    const ada = maker.instrument('ADAUSD');
    const resting = [];
    for (let i = 0; i < 5; i++) resting.push(await maker.newOrder({ instrument: ada.instrument, side: Side.SELL, price: 15_000 + i, qty: 10 }));
    await waitFor(() => seqs.length === 5);
    // While the maker is disconnected, its orders are filled: those reports must be replayed.
    maker.dropConnection();
    const t = await taker.newOrder({ instrument: ada.instrument, side: Side.BUY, price: 15_004, qty: 50 });
    expect(t.status).toBe('filled');
    await waitFor(() => seqs.length === 10, 10_000);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(maker.lastSeq).toBe(10);
    await maker.close();
    await taker.close();
  });

  it('replays from nextExpectedSeq, rejects a resent clOrdId, refuses an out-of-range resume', async () => {
    const c1 = await raw(srv.wsUrl);
    c1.w.login({ protocolVersion: PROTOCOL_VERSION, sessionId: 0, nextExpectedSeq: 0, account: 31 });
    c1.send();
    await waitFor(() => c1.msgs.some((m) => m.type === MsgType.LOGIN_ACK));
    const ack = c1.msgs.find((m) => m.type === MsgType.LOGIN_ACK)!;
    if (ack.type !== MsgType.LOGIN_ACK) throw new Error('no ack');
    expect(ack.lastSeq).toBe(0);
    expect(ack.nextClOrdId).toBe(1);
    expect(c1.msgs.filter((m) => m.type === MsgType.INSTRUMENT)).toHaveLength(3);
    c1.w.newOrder({ instrument: 2, side: 0, ordType: 0, tif: 0, flags: 0, stp: 0, clOrdId: 5, price: 14_000, qty: 10 });
    c1.w.newOrder({ instrument: 2, side: 0, ordType: 0, tif: 0, flags: 0, stp: 0, clOrdId: 6, price: 14_001, qty: 10 });
    c1.send();
    await waitFor(() => c1.msgs.filter((m) => m.type === MsgType.ACCEPTED).length === 2);
    c1.ws.terminate();

    const c2 = await raw(srv.wsUrl);
    // Resume from seq 2: only the second ACCEPTED is replayed; then resend clOrdId 6.
    c2.w.login({ protocolVersion: PROTOCOL_VERSION, sessionId: ack.sessionId, nextExpectedSeq: 2, account: 31 });
    c2.w.newOrder({ instrument: 2, side: 0, ordType: 0, tif: 0, flags: 0, stp: 0, clOrdId: 6, price: 14_001, qty: 10 });
    c2.w.newOrder({ instrument: 2, side: 0, ordType: 0, tif: 0, flags: 0, stp: 0, clOrdId: 4, price: 14_001, qty: 10 });
    c2.send();
    await waitFor(() => c2.msgs.filter((m) => m.type === MsgType.REJECTED).length === 2);
    const ack2 = c2.msgs.find((m) => m.type === MsgType.LOGIN_ACK)!;
    if (ack2.type !== MsgType.LOGIN_ACK) throw new Error('no ack');
    expect(ack2).toMatchObject({ sessionId: ack.sessionId, lastSeq: 2, nextClOrdId: 7, flags: 0 });
    const reports = c2.msgs.filter((m) => m.type >= 80 && m.type < 100) as { type: number; seq: number; clOrdId: number; reason?: number }[];
    expect(reports.map((r) => [r.type, r.seq, r.clOrdId])).toEqual([
      [MsgType.ACCEPTED, 2, 6],
      [MsgType.REJECTED, 3, 6],
      [MsgType.REJECTED, 4, 4],
    ]);
    expect(reports[1]!.reason).toBe(EdgeReason.DUPLICATE_CLIENT_ORDER_ID);
    expect(reports[2]!.reason).toBe(EdgeReason.CLIENT_ORDER_ID_NOT_INCREASING);

    // A third connection taking over the session disconnects the second; a resume beyond
    // lastSeq + 1 is refused.
    const c3 = await raw(srv.wsUrl);
    c3.w.login({ protocolVersion: PROTOCOL_VERSION, sessionId: ack.sessionId, nextExpectedSeq: 99, account: 31 });
    c3.send();
    await waitFor(() => c3.msgs.some((m) => m.type === MsgType.LOGIN_REJECT));
    expect(c3.msgs.find((m) => m.type === MsgType.LOGIN_REJECT)).toMatchObject({ reason: EdgeReason.RESUME_SEQ_OUT_OF_RANGE });
    const c4 = await raw(srv.wsUrl);
    c4.w.login({ protocolVersion: PROTOCOL_VERSION, sessionId: ack.sessionId, nextExpectedSeq: 0, account: 31 });
    c4.send();
    await waitFor(() => c2.msgs.some((m) => m.type === MsgType.DISCONNECT));
    expect(c2.msgs.find((m) => m.type === MsgType.DISCONNECT)).toMatchObject({ reason: EdgeReason.SESSION_TAKEN_OVER });
    const c5 = await raw(srv.wsUrl);
    c5.w.login({ protocolVersion: PROTOCOL_VERSION, sessionId: ack.sessionId, nextExpectedSeq: 0, account: 32 });
    c5.send();
    await waitFor(() => c5.msgs.some((m) => m.type === MsgType.LOGIN_REJECT));
    expect(c5.msgs.find((m) => m.type === MsgType.LOGIN_REJECT)).toMatchObject({ reason: EdgeReason.SESSION_ACCOUNT_MISMATCH });
    for (const c of [c2, c3, c4, c5]) c.ws.terminate();
  });
});
