// Market data backpressure and gap recovery (PROTOCOL.md sections 4 and 6): a consumer that
// stops reading loses market data (detectable by mdSeq), recovers with a snapshot that
// matches the book, and its execution reports are not lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SimexClient, Side } from '../../src/client/index.js';
import { FrameWriter, FrameReader } from '../../src/protocol/codec.js';
import { MsgType, PROTOCOL_VERSION, type Decoded } from '../../src/protocol/messages.js';
import { EdgeReason } from '../../src/protocol/reasons.js';
import { api, startTestServer, type TestServer } from './helpers/server.js';

const waitFor = async (pred: () => boolean, ms = 10_000) => {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('binary protocol: slow consumer, gap, snapshot recovery', () => {
  let srv: TestServer;
  beforeAll(async () => {
    // Tiny thresholds so a paused reader trips them quickly.
    srv = await startTestServer({ MD_BACKPRESSURE_BYTES: '65536', SLOW_CONSUMER_BYTES: '67108864' });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('drops market data for a paused reader, then a snapshot restores the exact book', async () => {
    const ws = new WebSocket(srv.wsUrl);
    await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
    const msgs: Decoded[] = [];
    const reader = new FrameReader();
    ws.on('message', (d: Buffer) => {
      reader.reset(new Uint8Array(d));
      for (let m = reader.next(); m; m = reader.next()) msgs.push(m);
    });
    const w = new FrameWriter();
    w.login({ protocolVersion: PROTOCOL_VERSION, sessionId: 0, nextExpectedSeq: 0, account: 41 });
    w.subscribe({ flags: 1, instruments: [0] });
    ws.send(w.take());
    await waitFor(() => msgs.some((m) => m.type === MsgType.SNAPSHOT));

    // Stop reading: the kernel buffers fill, then the server's send buffer.
    const sock = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    sock.pause();

    // Keep the session alive while not reading (the server times out silent peers).
    const hb = setInterval(() => {
      w.clientHeartbeat({ ts: Date.now() * 1000, lastSeqSeen: 0 });
      ws.send(w.take());
    }, 300);

    // Market data volume: rounds of 2000 resting asks swept by one market buy
    // (per round ~6000 MD messages, ~288 KB). Loopback kernel buffers absorb ~4 MB of a
    // paused reader before uWS starts buffering; 20 rounds (~5.7 MB) go past that.
    const gen = await SimexClient.connect(srv.wsUrl, { account: 42 });
    const btc = gen.instrument('BTCUSD');
    for (let round = 0; round < 20; round++) {
      const ps = [];
      for (let i = 0; i < 2000; i++) {
        ps.push(gen.newOrder({ instrument: btc.instrument, side: Side.SELL, price: 5_000_000 + i, qty: 100 }));
      }
      await Promise.all(ps);
      const sweep = await gen.newOrder({ instrument: btc.instrument, side: Side.BUY, ordType: 1, qty: 2000 * 100 });
      expect(sweep.status).toBe('filled');
    }
    // Some resting state for the snapshot to carry.
    const rest0 = [];
    for (let i = 0; i < 300; i++) rest0.push(gen.newOrder({ instrument: btc.instrument, side: i % 2 ? Side.BUY : Side.SELL, price: i % 2 ? 4_990_000 - i : 5_010_000 + i, qty: 100 }));
    await Promise.all(rest0);
    // The server paused this connection's market data (visible in /health counters later).
    sock.resume();
    clearInterval(hb);
    await waitFor(() => msgs.some((m) => m.type === MsgType.NOTICE && m.reason === EdgeReason.MARKET_DATA_DROPPED), 15_000);
    // One more update after the pause: the first MD message after a drop shows the gap.
    const nMd = () => msgs.filter((m) => m.type === MsgType.MD_L2).length;
    const mdBefore = nMd();
    await gen.newOrder({ instrument: btc.instrument, side: Side.BUY, price: 4_980_000, qty: 100 });
    await waitFor(() => nMd() > mdBefore);
    const md = msgs.filter((m) => m.type === MsgType.MD_L2 || m.type === MsgType.MD_TRADE) as { mdSeq: number }[];
    const snap0 = msgs.find((m) => m.type === MsgType.SNAPSHOT) as { mdSeq: number };
    let gaps = 0;
    let last = snap0.mdSeq;
    for (const m of md) {
      if (m.mdSeq !== last + 1) gaps++;
      last = m.mdSeq;
    }
    expect(gaps).toBeGreaterThan(0); // drops are visible as mdSeq gaps

    // Recovery: request a snapshot; it must equal the REST view at the same sequence.
    const before = msgs.length;
    w.snapshotRequest({ instrument: 0, maxLevels: 0 });
    ws.send(w.take());
    await waitFor(() => msgs.slice(before).some((m) => m.type === MsgType.SNAPSHOT && (m.flags & 1) === 1));
    const parts = msgs.slice(before).filter((m) => m.type === MsgType.SNAPSHOT) as { mdSeq: number; levels: { side: number; price: number; qty: number }[] }[];
    const levels = parts.flatMap((p) => p.levels);
    const rest = await api(srv.base, 'GET', '/api/orderbook/BTCUSD?depth=5000');
    expect(rest.body.sequence).toBe(parts[0]!.mdSeq);
    expect(levels.filter((l) => l.side === 0).length).toBe(rest.body.bids.length);
    expect(levels.filter((l) => l.side === 1).length).toBe(rest.body.asks.length);
    expect(levels.filter((l) => l.side === 1).length).toBe(150);
    expect(levels.filter((l) => l.side === 0).length).toBe(151);

    // A BookBuilder on a fresh client converges to the same book.
    const viewer = await SimexClient.connect(srv.wsUrl, { account: 43 });
    const book = viewer.subscribe(0);
    await waitFor(() => book.state === 'live');
    expect(book.depth().bids.length).toBe(rest.body.bids.length);
    await gen.massCancel();
    await waitFor(() => book.bestBid() === null && book.bestAsk() === null);
    expect(book.stats.gaps).toBe(0);
    const h = await api(srv.base, 'GET', '/health');
    expect(h.body.backpressure.md_pauses_total).toBeGreaterThan(0);
    expect(h.body.backpressure.slow_consumer_disconnects_total).toBe(0);
    ws.terminate();
    await gen.close();
    await viewer.close();
  }, 180_000);
});
