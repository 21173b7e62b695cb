// Without SESSION_KEYS_FILE binary LOGIN is what it was: a 32-byte LOGIN logs any account in,
// and a signed 72-byte LOGIN too, its credential ignored (not verified: even a wrong MAC or a
// stale authTs logs in), so a client that always signs works against every server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient, Side } from '../../src/client/index.js';
import { loginMac } from '../../src/protocol/auth.js';
import { MsgType, PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { rawLogin } from './helpers/session-auth.js';

describe('binary LOGIN without SESSION_KEYS_FILE (default)', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '1', SIMULATION_ENABLED: 'false', SESSION_KEYS_FILE: '' });
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('a 32-byte LOGIN of a non-zero account gets LOGIN_ACK', async () => {
    const r = await rawLogin(srv.wsUrl, { protocolVersion: PROTOCOL_VERSION, sessionId: 0, nextExpectedSeq: 0, account: 7 });
    expect(r.bytes).toBe(32);
    expect(r.first.type).toBe(MsgType.LOGIN_ACK);
  });

  it('a 72-byte signed LOGIN gets LOGIN_ACK; its credential is not verified', async () => {
    const ts = Date.now() * 1000;
    const good = await rawLogin(srv.wsUrl, { protocolVersion: PROTOCOL_VERSION, sessionId: 0, nextExpectedSeq: 0, account: 7, authTs: ts, authMac: loginMac('x'.repeat(32), 0, 7, ts) });
    expect(good.bytes).toBe(72);
    expect(good.first.type).toBe(MsgType.LOGIN_ACK);
    const junk = await rawLogin(srv.wsUrl, { protocolVersion: PROTOCOL_VERSION, sessionId: 0, nextExpectedSeq: 0, account: 7, authTs: 1, authMac: new Uint8Array(32) });
    expect(junk.first.type).toBe(MsgType.LOGIN_ACK);
  });

  it('SimexClient with a secret connects, trades and resumes', async () => {
    const c = await SimexClient.connect(srv.wsUrl, { account: 7, secret: 'y'.repeat(32) });
    const btc = c.instrument('BTCUSD');
    expect((await c.newOrder({ instrument: btc.instrument, side: Side.BUY, price: c.price(btc, '40000.00'), qty: c.qty(btc, '0.01') })).status).toBe('active');
    const relogin = new Promise<void>((r) => c.once('login', () => r()));
    c.dropConnection();
    await relogin;
    expect((await c.newOrder({ instrument: btc.instrument, side: Side.BUY, price: c.price(btc, '40000.00'), qty: c.qty(btc, '0.01') })).status).toBe('active');
    await c.close();
  });

  it('logs no session-authentication line; the metric counts logins as ok', async () => {
    expect(srv.logs().some((l) => String(l.msg).startsWith('Session authentication on'))).toBe(false);
    expect(srv.logs().some((l) => String(l.msg).includes('ephemeral session secrets'))).toBe(false);
    const text = await (await fetch(`${srv.base}/metrics`)).text();
    const ok = /^simex_session_logins_total\{result="ok"\} (\d+)$/m.exec(text);
    expect(Number(ok?.[1])).toBeGreaterThanOrEqual(5);
    expect(text).toMatch(/^simex_session_logins_total\{result="bad_credentials"\} 0$/m);
  });
});
