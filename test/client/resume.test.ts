import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimexClient, Side, OrdType } from '../../src/client/index.js';
import type { ExecReport } from '../../src/protocol/messages.js';
import { FakeServer } from './fake-server.js';

let server: FakeServer;
let client: SimexClient;
let reports: ExecReport[];
beforeEach(async () => {
  server = await FakeServer.start();
  client = await SimexClient.connect(server.url, { account: 3 });
  reports = [];
  client.on('report', (r) => reports.push(r));
});
afterEach(async () => {
  await client.close();
  await server.stop();
});

const nextLogin = (c: SimexClient) => new Promise<void>((r) => c.once('login', () => r()));

describe('SimexClient reconnect + resume', () => {
  it('reports lost in flight are replayed after reconnect: every promise resolves once, no duplicate reports', async () => {
    await client.newOrder({ instrument: 0, side: Side.BUY, price: 100, qty: 100 }); // seq 1
    server.loseResponses = 3; // the next 3 report batches are journaled but never sent
    const ps = [
      client.newOrder({ instrument: 0, side: Side.BUY, price: 101, qty: 100 }),
      client.newOrder({ instrument: 0, side: Side.SELL, ordType: OrdType.MARKET, qty: 200 }),
      client.newOrder({ instrument: 1, side: Side.BUY, price: 5, qty: 100 }),
    ];
    await new Promise((r) => setTimeout(r, 50));
    expect(reports).toHaveLength(1);
    const relogged = nextLogin(client);
    server.dropAll();
    await relogged;
    const rs = await Promise.all(ps);
    expect(rs.map((r) => r.status)).toEqual(['active', 'filled', 'active']);
    expect(server.logins.at(-1)).toEqual({ sessionId: client.sessionId, nextExpectedSeq: 2 });
    expect(reports.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect([...server.executed.values()].every((n) => n === 1)).toBe(true);
  });

  it('reports replayed twice (overlapping replay) are dropped by seq: each emitted once', async () => {
    for (let i = 0; i < 3; i++) await client.newOrder({ instrument: 0, side: Side.BUY, price: 100 + i, qty: 100 });
    server.replayOverlap = 3;
    server.loseResponses = 1;
    const p = client.newOrder({ instrument: 0, side: Side.SELL, ordType: OrdType.MARKET, qty: 100 });
    await new Promise((r) => setTimeout(r, 30));
    const relogged = nextLogin(client);
    server.dropAll();
    await relogged;
    expect((await p).status).toBe('filled');
    expect(reports.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('requests never received by the server are re-sent with the same clOrdIds after resume (exactly once)', async () => {
    server.ignoreRequests = true; // lost before arrival
    const p1 = client.newOrder({ instrument: 0, side: Side.BUY, price: 100, qty: 100 });
    const p2 = client.newOrder({ instrument: 0, side: Side.BUY, price: 101, qty: 100 });
    await new Promise((r) => setTimeout(r, 30));
    server.ignoreRequests = false;
    const relogged = nextLogin(client);
    server.dropAll();
    await relogged;
    const [r1, r2] = await Promise.all([p1, p2]);
    expect([r1.clOrdId, r2.clOrdId, r1.status, r2.status]).toEqual([1, 2, 'active', 'active']);
    expect(server.executed.get(`${client.sessionId}:1`)).toBe(1);
    expect(server.executed.get(`${client.sessionId}:2`)).toBe(1);
  });

  it('requests made while disconnected are queued and sent after the resume', async () => {
    client.dropConnection();
    await new Promise((r) => setTimeout(r, 5));
    expect(client.connected).toBe(false);
    const p = client.newOrder({ instrument: 1, side: Side.SELL, price: 9, qty: 100 });
    const r = await p;
    expect(r.status).toBe('active');
    expect(client.connected).toBe(true);
  });

  it('a new client process resumes a session by id + lastSeq and gets only what it missed', async () => {
    for (let i = 0; i < 4; i++) await client.newOrder({ instrument: 0, side: Side.BUY, price: 100 + i, qty: 100 });
    const sid = client.sessionId;
    server.dropAll();
    await client.close();
    const c2 = await SimexClient.connect(server.url, { account: 3, sessionId: sid, lastSeq: 2 });
    const got: number[] = [];
    c2.on('report', (r) => got.push(r.seq));
    await new Promise((r) => setTimeout(r, 50));
    // the replay arrived in the login frame, before listeners could be added: check state
    expect(c2.lastSeq).toBe(4);
    expect(c2.nextClOrdId).toBe(5); // server's high-water mark + 1
    const r = await c2.newOrder({ instrument: 0, side: Side.BUY, price: 1, qty: 100 });
    expect(r.clOrdId).toBe(5);
    expect(got).toEqual([5]);
    await c2.close();
  });

  it('resubscribes after reconnect and resyncs the book from a fresh snapshot', async () => {
    server.publishL2(0, 0, 100, 5, 1);
    const book = client.subscribe(0);
    await new Promise<void>((r) => book.once('synced', () => r()));
    const relogged = nextLogin(client);
    server.dropAll();
    server.publishL2(0, 0, 101, 7, 2); // while disconnected
    await relogged;
    await new Promise<void>((r) => book.once('synced', () => r()));
    expect(book.depth()).toEqual({ bids: [{ price: 101, qty: 7, orders: 2 }, { price: 100, qty: 5, orders: 1 }], asks: [], mdSeq: 2 });
  });
});
