import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimexClient, Side } from '../../src/client/index.js';
import { MsgType, type DecodeError } from '../../src/protocol/messages.js';
import { FakeServer } from './fake-server.js';

let server: FakeServer;
let client: SimexClient;
beforeEach(async () => {
  server = await FakeServer.start(40);
  client = await SimexClient.connect(server.url, { account: 1 });
});
afterEach(async () => {
  await client.close();
  await server.stop();
});

describe('SimexClient against a misbehaving server', () => {
  it('garbage and truncated frames are reported as protocolError, never thrown; the session goes on', async () => {
    const errors: (DecodeError | Error)[] = [];
    client.on('protocolError', (e) => errors.push(e));
    const [ws] = [...server.wss.clients];
    ws!.send(Buffer.from([1, 2, 3]));                   // truncated header
    ws!.send(Buffer.from([8, 0, 250, 0, 0, 0, 0, 0]));  // unknown type: silently skipped
    ws!.send(Buffer.from([8, 0, 82, 0, 0, 0, 0, 0]));   // FILL shorter than its layout
    ws!.send('text frame');
    const r = await client.newOrder({ instrument: 0, side: Side.BUY, price: 1, qty: 100 });
    expect(r.status).toBe('active');
    expect(errors.map((e) => ('code' in e && typeof e.code === 'number' ? [e.code, e.fatal] : 'error'))).toEqual([[103, true], [103, false], 'error']);
    expect(client.connected).toBe(true);
  });

  it('a report lost without a disconnect is noticed from SERVER_HEARTBEAT.lastSeq and fetched by resuming', async () => {
    server.loseResponses = 1;
    const p = client.newOrder({ instrument: 0, side: Side.BUY, price: 1, qty: 100 });
    const r = await p; // resolves only through the heartbeat-triggered resume + replay
    expect(r.status).toBe('active');
    expect(server.logins.at(-1)).toEqual({ sessionId: client.sessionId, nextExpectedSeq: 1 });
  });

  it('a request the server never answers rejects with TIMEOUT after requestTimeoutMs; later ones still work', async () => {
    const c = await SimexClient.connect(server.url, { account: 2, requestTimeoutMs: 60 });
    server.ignoreRequests = true;
    const lost = c.newOrder({ instrument: 0, side: Side.BUY, price: 1, qty: 100 });
    await expect(lost).rejects.toMatchObject({ code: 'TIMEOUT' });
    server.ignoreRequests = false;
    expect((await c.newOrder({ instrument: 0, side: Side.BUY, price: 1, qty: 100 })).status).toBe('active');
    await c.close();
  });

  it('LOGIN_REJECT on resume stops reconnecting and rejects pending requests', async () => {
    const sid = client.sessionId;
    server.sessions.get(sid)!.account = 999; // the session now belongs to someone else
    server.ignoreRequests = true;
    const p = client.newOrder({ instrument: 0, side: Side.BUY, price: 1, qty: 100 });
    const closes: boolean[] = [];
    client.on('close', (_c, again) => closes.push(again));
    server.dropAll();
    await expect(p).rejects.toMatchObject({ code: 'LOGIN_REJECTED' });
    expect(client.connected).toBe(false);
    expect(MsgType.LOGIN_REJECT).toBe(65);
  });
});
