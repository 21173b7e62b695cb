// Abuse: garbage and truncated frames, text frames, huge payloads, unknown symbols and
// instruments, bad JSON, thousands of connections opened and closed. Afterwards the server
// is healthy and the books are exactly what the valid orders made them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import net from 'node:net';
import { SimexClient, Side } from '../../src/client/index.js';
import { FrameWriter, decodeFrame } from '../../src/protocol/codec.js';
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

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

async function open(url: string) {
  const ws = new WebSocket(url);
  const msgs: Decoded[] = [];
  let closed: { code: number } | null = null;
  ws.on('message', (d: Buffer) => msgs.push(...decodeFrame(new Uint8Array(d))));
  ws.on('close', (code) => { closed = { code }; });
  ws.on('error', () => undefined);
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  return { ws, msgs, closed: () => closed };
}

describe('abuse', () => {
  let srv: TestServer;
  let reference: SimexClient;
  beforeAll(async () => {
    srv = await startTestServer();
    // Known book state that abuse must not change.
    reference = await SimexClient.connect(srv.wsUrl, { account: 99 });
    await reference.newOrder({ instrument: 0, side: Side.BUY, price: 4_900_000, qty: 1000 });
    await reference.newOrder({ instrument: 0, side: Side.SELL, price: 5_100_000, qty: 2000 });
  });
  afterAll(async () => {
    await reference?.close();
    await srv?.stop();
  });

  it('garbage and truncated binary frames never crash and never trade', async () => {
    const r = rng(42);
    for (let k = 0; k < 20; k++) {
      const c = await open(srv.wsUrl);
      const w = new FrameWriter();
      if (k % 2 === 0) {
        w.login({ protocolVersion: PROTOCOL_VERSION, sessionId: 0, nextExpectedSeq: 0, account: 500 + k });
        c.ws.send(w.take());
      }
      for (let f = 0; f < 30 && !c.closed(); f++) {
        const len = 1 + Math.floor(r() * 300);
        const buf = new Uint8Array(len);
        for (let i = 0; i < len; i++) buf[i] = Math.floor(r() * 256);
        // Sometimes a valid-looking header with a client type and a short body.
        if (f % 3 === 0 && len >= 4) {
          buf[0] = len & 0xff;
          buf[1] = len >> 8;
          buf[2] = [10, 11, 12, 13, 20, 22, 1, 77, 90][f % 9]!;
        }
        c.ws.send(buf);
      }
      // A NEW_ORDER cut in the middle.
      w.newOrder({ instrument: 0, side: 0, ordType: 0, tif: 0, flags: 0, stp: 0, clOrdId: 1, price: 5_200_000, qty: 100 });
      const full = w.take();
      if (!c.closed()) c.ws.send(full.subarray(0, 20));
      await new Promise((res) => setTimeout(res, 20));
      c.ws.terminate();
    }
    const h = await api(srv.base, 'GET', '/health');
    expect(h.status).toBe(200);
    expect(h.body.backpressure.decode_errors_total).toBeGreaterThan(0);
    const book = await api(srv.base, 'GET', '/api/orderbook/BTCUSD');
    expect(book.body.bids).toEqual([{ price: 49000, quantity: 0.001, orders: 1 }]);
    expect(book.body.asks).toEqual([{ price: 51000, quantity: 0.002, orders: 1 }]);
  });

  it('answers protocol misuse with the documented codes', async () => {
    const c = await open(srv.wsUrl);
    const w = new FrameWriter();
    // Order before login: REJECTED NOT_LOGGED_IN (unsequenced).
    w.newOrder({ instrument: 0, side: 0, ordType: 0, tif: 0, flags: 0, stp: 0, clOrdId: 1, price: 5_000_000, qty: 100 });
    c.ws.send(w.take());
    await waitFor(() => c.msgs.some((m) => m.type === MsgType.REJECTED));
    expect(c.msgs.find((m) => m.type === MsgType.REJECTED)).toMatchObject({ reason: EdgeReason.NOT_LOGGED_IN, seq: 0 });
    w.login({ protocolVersion: PROTOCOL_VERSION, sessionId: 0, nextExpectedSeq: 0, account: 600 });
    // Unknown instrument, bad side, unknown message type, wrong direction.
    w.newOrder({ instrument: 999, side: 0, ordType: 0, tif: 0, flags: 0, stp: 0, clOrdId: 1, price: 5_000_000, qty: 100 });
    w.newOrder({ instrument: 0, side: 7 as 0, ordType: 0, tif: 0, flags: 0, stp: 0, clOrdId: 2, price: 5_000_000, qty: 100 });
    c.ws.send(w.take());
    const unknown = new Uint8Array([8, 0, 60, 0, 0, 0, 0, 0]); // type 60: unknown client type
    c.ws.send(unknown);
    w.serverHeartbeat({ ts: 0, lastSeq: 0 });
    c.ws.send(w.take());
    await waitFor(() => c.msgs.filter((m) => m.type === MsgType.REJECTED).length >= 3 && c.msgs.filter((m) => m.type === MsgType.NOTICE).length >= 2);
    const rej = c.msgs.filter((m) => m.type === MsgType.REJECTED) as { reason: number; seq: number; clOrdId: number }[];
    expect(rej[1]).toMatchObject({ reason: EdgeReason.UNKNOWN_INSTRUMENT, seq: 1, clOrdId: 1 });
    expect(rej[2]).toMatchObject({ reason: 3 /* BAD_SIDE */, seq: 2, clOrdId: 2 });
    const notices = c.msgs.filter((m) => m.type === MsgType.NOTICE) as { reason: number }[];
    expect(notices.map((n) => n.reason)).toEqual(expect.arrayContaining([EdgeReason.UNKNOWN_MESSAGE_TYPE, EdgeReason.WRONG_DIRECTION]));
    // Text frame: DISCONNECT TEXT_FRAME and close.
    c.ws.send('hello');
    await waitFor(() => c.closed() !== null);
    expect(c.msgs.find((m) => m.type === MsgType.DISCONNECT)).toMatchObject({ reason: EdgeReason.TEXT_FRAME });
  });

  it('oversized frames close the connection; oversized and bad REST bodies get 413/400', async () => {
    const c = await open(srv.wsUrl);
    c.ws.send(new Uint8Array(200_000));
    await waitFor(() => c.closed() !== null);
    const big = await api(srv.base, 'POST', '/api/orders', JSON.stringify({ symbol: 'BTCUSD', pad: 'x'.repeat(100_000) }));
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('PAYLOAD_TOO_LARGE');
    const bad = await api(srv.base, 'POST', '/api/orders', '{"symbol": "BTCUSD", ');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('INVALID_JSON');
    const arr = await api(srv.base, 'POST', '/api/orders', '[1,2]');
    expect(arr.body.code).toBe('BODY_NOT_OBJECT');
    const unk = await api(srv.base, 'POST', '/api/orders', { symbol: 'DOGEUSD', side: 'buy', type: 'limit', quantity: 1, price: 1 });
    expect(unk.status).toBe(404);
    expect(unk.body).toMatchObject({ code: 'UNKNOWN_SYMBOL', field: 'symbol' });
    const nob = await api(srv.base, 'GET', '/api/orderbook/NOPE');
    expect(nob.status).toBe(404);
    const noOrder = await api(srv.base, 'GET', '/api/orders/01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(noOrder.status).toBe(404);
    const noRoute = await api(srv.base, 'GET', '/api/nothing');
    expect(noRoute.status).toBe(404);
    // A raw HTTP request with a lying Content-Length and garbage: the server stays up.
    await new Promise<void>((resolve) => {
      const s = net.connect(srv.port, '127.0.0.1', () => {
        s.write('POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{"symbol":');
        setTimeout(() => { s.destroy(); resolve(); }, 50);
      });
      s.on('error', () => resolve());
    });
    await new Promise<void>((resolve) => {
      const s = net.connect(srv.port, '127.0.0.1', () => {
        s.write('\x00\x01\x02 GARBAGE\r\n\r\n');
        setTimeout(() => { s.destroy(); resolve(); }, 50);
      });
      s.on('error', () => resolve());
    });
  });

  it('survives a few thousand connections opened and closed', async () => {
    const N = 2000;
    let opened = 0;
    for (let batch = 0; batch < N / 200; batch++) {
      const socks = await Promise.all(Array.from({ length: 200 }, async (_, i) => {
        const ws = new WebSocket(srv.wsUrl);
        ws.on('error', () => undefined);
        await new Promise<void>((r) => { ws.once('open', () => r()); ws.once('error', () => r()); ws.once('close', () => r()); });
        if (ws.readyState === WebSocket.OPEN) opened++;
        if (i % 3 === 0) ws.send(new Uint8Array([4, 0, 2, 0])); // LOGOUT before login: NOTICE
        return ws;
      }));
      for (const [i, ws] of socks.entries()) {
        if (i % 2) ws.terminate();
        else ws.close();
      }
    }
    expect(opened).toBe(N);
    await waitFor(() => true);
    await new Promise((r) => setTimeout(r, 300));
    const h = await api(srv.base, 'GET', '/health');
    expect(h.status).toBe(200);
    expect(h.body.status).toBe('healthy');
    expect(h.body.connections.trading).toBeLessThanOrEqual(1); // the reference client
    // Still trading correctly.
    const t = await SimexClient.connect(srv.wsUrl, { account: 700 });
    const f = await t.newOrder({ instrument: 0, side: Side.BUY, price: 5_100_000, qty: 500 });
    expect(f.status).toBe('filled');
    const book = await api(srv.base, 'GET', '/api/orderbook/BTCUSD');
    expect(book.body.asks).toEqual([{ price: 51000, quantity: 0.0015, orders: 1 }]);
    expect(book.body.bids).toEqual([{ price: 49000, quantity: 0.001, orders: 1 }]);
    await t.close();
  }, 120_000);
});
