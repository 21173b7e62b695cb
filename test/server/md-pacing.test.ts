// Market-data pacing (ARCHITECTURE.md, backpressure policy): publishes of a topic with N
// subscribers are spaced >= N / MD_FANOUT_WRITES_PER_SEC apart, messages in between are
// batched into the next frame, and nothing is conflated or dropped: every subscriber sees
// every mdSeq, in order, with fewer frames than messages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SimexClient, Side } from '../../src/client/index.js';
import { FrameReader, FrameWriter } from '../../src/protocol/codec.js';
import { MsgType, PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const SUBS = 10;
const WRITES_PER_SEC = 1000; // 10 subscribers -> one frame per topic per >= 10 ms

interface Sub { ws: WebSocket; seqs: number[]; frames: number; snapshotSeq: number }

describe('market-data pacing', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ MD_FANOUT_WRITES_PER_SEC: String(WRITES_PER_SEC) });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('batches a topic into frames >= N / rate apart and loses no mdSeq', async () => {
    const subs: Sub[] = [];
    for (let i = 0; i < SUBS; i++) {
      const ws = new WebSocket(srv.wsUrl);
      await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
      const sub: Sub = { ws, seqs: [], frames: 0, snapshotSeq: -1 };
      const reader = new FrameReader();
      ws.on('message', (d: Buffer) => {
        reader.reset(new Uint8Array(d));
        let md = 0;
        for (let m = reader.next(); m; m = reader.next()) {
          if (m.type === MsgType.SNAPSHOT) sub.snapshotSeq = m.mdSeq;
          if ((m.type === MsgType.MD_L2 || m.type === MsgType.MD_TRADE) && m.instrument === 0) {
            sub.seqs.push(m.mdSeq);
            md++;
          }
        }
        if (md > 0) sub.frames++;
      });
      const w = new FrameWriter();
      w.login({ protocolVersion: PROTOCOL_VERSION, sessionId: 0, nextExpectedSeq: 0, account: 300 + i });
      w.subscribe({ flags: 1, instruments: [0] });
      ws.send(w.take());
      subs.push(sub);
    }
    const until = Date.now() + 10_000;
    while (subs.some((s) => s.snapshotSeq < 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(subs.every((s) => s.snapshotSeq >= 0)).toBe(true);

    // ~650 market-data messages: 300 resting orders one at a time (each its own frame and
    // drain: unpaced, each would be its own market-data frame), then one sweep.
    const gen = await SimexClient.connect(srv.wsUrl, { account: 42 });
    const btc = gen.instrument('BTCUSD');
    for (let i = 0; i < 300; i++) await gen.newOrder({ instrument: btc.instrument, side: Side.SELL, price: 5_000_000 + (i % 50), qty: 100 });
    await gen.newOrder({ instrument: btc.instrument, side: Side.BUY, ordType: 1, qty: 300 * 100 });
    // Wait for the paced tail everywhere: no new message for 300 ms (pacing gap: 10 ms).
    let total = -1;
    for (let t = 0; t < 100; t++) {
      await new Promise((r) => setTimeout(r, 300));
      const n = subs.reduce((a, s) => a + s.seqs.length, 0);
      if (n === total) break;
      total = n;
    }
    for (const s of subs) {
      const seqs = s.seqs.filter((q) => q > s.snapshotSeq);
      expect(seqs.length).toBe(650); // 300 L2 adds, 300 trades + 50 L2 level removals
      // Every mdSeq after the snapshot, in order, none missing, none repeated.
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[0]! + i);
      expect(seqs[0]).toBe(s.snapshotSeq + 1);
      // Batched: far fewer frames than messages (unpaced: about one frame per order).
      // Not asserted on receipt times: a client's event loop can bunch frames up.
      expect(s.frames * 5).toBeLessThan(seqs.length);
    }
    await gen.close();
    for (const s of subs) s.ws.close();
  });
});
