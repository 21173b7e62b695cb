import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimexClient } from '../../src/client/index.js';
import { MsgType } from '../../src/protocol/messages.js';
import { decodeFrame } from '../../src/protocol/codec.js';
import { FakeServer } from './fake-server.js';

let server: FakeServer;
let client: SimexClient;
beforeEach(async () => {
  server = await FakeServer.start(40); // heartbeatMs announced in LOGIN_ACK
});
afterEach(async () => {
  await client?.close();
  await server.stop();
});

describe('SimexClient heartbeats', () => {
  it('uses the announced interval and sends CLIENT_HEARTBEAT when idle', async () => {
    const seen: number[] = [];
    server.wss.on('connection', (ws) => ws.on('message', (d: Buffer) => { for (const m of decodeFrame(d)) seen.push(m.type); }));
    client = await SimexClient.connect(server.url);
    expect(client.heartbeatMs).toBe(40);
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (seen.filter((x) => x === MsgType.CLIENT_HEARTBEAT).length >= 2) { clearInterval(t); resolve(); }
      }, 5);
    });
    expect(seen.filter((t) => t === MsgType.CLIENT_HEARTBEAT).length).toBeGreaterThanOrEqual(2);
  });

  it('a silent server is declared dead after 3 intervals and the client resumes on a new connection', async () => {
    client = await SimexClient.connect(server.url);
    const logins = server.logins.length;
    const reconnected = new Promise<void>((r) => client.once('login', () => r()));
    const closed = new Promise<boolean>((r) => client.once('close', (_code, again) => r(again)));
    server.silent = true; // no heartbeats, no answers, until the client gives up on the socket
    expect(await closed).toBe(true);
    server.silent = false;
    await reconnected;
    expect(server.logins.length).toBe(logins + 1);
    expect(server.logins.at(-1)?.sessionId).toBe(client.sessionId);
  });
});
