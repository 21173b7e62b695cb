import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimexClient } from '../../src/client/index.js';
import { MsgType, type Notice } from '../../src/protocol/messages.js';
import { EdgeReason } from '../../src/protocol/reasons.js';
import { FakeServer } from './fake-server.js';

let server: FakeServer;
let client: SimexClient;
beforeEach(async () => {
  server = await FakeServer.start();
  client = await SimexClient.connect(server.url);
});
afterEach(async () => {
  await client.close();
  await server.stop();
});

const until = (pred: () => boolean) => new Promise<void>((resolve) => {
  const t = setInterval(() => { if (pred()) { clearInterval(t); resolve(); } }, 2);
});

describe('SimexClient market data', () => {
  it('subscribe syncs from the snapshot, then follows live updates and trades', async () => {
    server.publishL2(0, 0, 4999900, 100, 1);
    server.publishL2(0, 1, 5000100, 200, 2);
    const book = client.subscribe('BTCUSD');
    expect(client.subscribe(0)).toBe(book);
    await new Promise<void>((r) => book.once('synced', () => r()));
    expect(book.lastMdSeq).toBe(2);
    const trades: number[] = [];
    book.on('trade', (t) => trades.push(t.qty));
    server.publishL2(0, 0, 4999900, 0, 0);
    server.publishTrade(0, 5000100, 50);
    server.publishL2(0, 1, 5000100, 150, 2);
    await until(() => book.lastMdSeq === 5);
    expect(book.depth()).toEqual({ bids: [], asks: [{ price: 5000100, qty: 150, orders: 2 }], mdSeq: 5 });
    expect(trades).toEqual([50]);
  });

  it('dropped updates are detected by mdSeq and repaired by a SNAPSHOT_REQUEST', async () => {
    const book = client.subscribe(1);
    await new Promise<void>((r) => book.once('synced', () => r()));
    for (let i = 0; i < 20; i++) server.publishL2(1, (i % 2) as 0 | 1, 1000 + i, i + 1, 1, i % 7 === 3);
    await until(() => book.state === 'live' && book.lastMdSeq === 20);
    expect(server.snapshotRequests).toBeGreaterThanOrEqual(1);
    expect(book.stats.gaps).toBeGreaterThanOrEqual(1);
    const want = server.bookOf(1);
    expect(book.depth()).toEqual({ ...want, mdSeq: 20 });
  });

  it('unknown instrument in SUBSCRIBE comes back as a NOTICE', async () => {
    const notices: Notice[] = [];
    client.on('notice', (n) => notices.push(n));
    client.subscribe(77);
    await until(() => notices.length > 0);
    expect(notices[0]).toMatchObject({ type: MsgType.NOTICE, reason: EdgeReason.UNKNOWN_INSTRUMENT, instrument: 77 });
  });

  it('unsubscribe stops routing to the book', async () => {
    const book = client.subscribe(0);
    await new Promise<void>((r) => book.once('synced', () => r()));
    client.unsubscribe(0);
    expect(client.book(0)).toBeUndefined();
  });
});
