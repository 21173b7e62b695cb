// Session authentication (SESSION_KEYS_FILE, PROTOCOL.md "Session authentication"): a LOGIN of
// a non-zero account needs authTs + HMAC; every failure is LOGIN_REJECT BAD_CREDENTIALS with
// the cause logged at info (no MAC, no secret); account 0 needs none; resume needs a fresh
// credential; simex_session_logins_total counts the outcomes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient, SimexClientError, Side } from '../../src/client/index.js';
import { loginMac } from '../../src/protocol/auth.js';
import { MsgType, PROTOCOL_VERSION, type Decoded, type Login } from '../../src/protocol/messages.js';
import { EdgeReason } from '../../src/protocol/reasons.js';
import { api, startTestServer, type TestServer } from './helpers/server.js';
import { rawLogin, writeKeysFile } from './helpers/session-auth.js';

const SECRET_7 = 'seven-'.padEnd(48, '7');
const SECRET_8 = 'eight-'.padEnd(40, '8');

/** The server's answer to one LOGIN. */
const login = async (url: string, m: Omit<Login, 'type'>): Promise<Decoded> => (await rawLogin(url, m)).first;

const signed = (secret: string, account: number, authTs: number, sessionId = 0): Omit<Login, 'type'> => ({
  protocolVersion: PROTOCOL_VERSION, sessionId, nextExpectedSeq: 0, account, authTs, authMac: loginMac(secret, sessionId, account, authTs),
});
const nowUs = () => Date.now() * 1000;

async function loginCounts(base: string): Promise<Record<string, number>> {
  const r = await fetch(`${base}/metrics`);
  const text = await r.text();
  const out: Record<string, number> = { ok: 0, bad_credentials: 0, rejected_other: 0 };
  for (const m of text.matchAll(/^simex_session_logins_total\{result="(\w+)"\} (\d+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

describe('binary LOGIN with SESSION_KEYS_FILE', () => {
  let srv: TestServer;
  beforeAll(async () => {
    const file = writeKeysFile({ 7: SECRET_7, 8: SECRET_8 });
    srv = await startTestServer({ SHARDS: '1', SIMULATION_ENABLED: 'false', SESSION_KEYS_FILE: file });
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
  });

  const expectBad = async (m: Omit<Login, 'type'>, cause: string) => {
    const before = srv.lines.length;
    const r = await login(srv.wsUrl, m);
    expect(r.type).toBe(MsgType.LOGIN_REJECT);
    expect((r as { reason: number }).reason).toBe(EdgeReason.BAD_CREDENTIALS);
    // the refusal's log line, written after this LOGIN was sent
    const until = Date.now() + 10_000;
    const mine = () => srv.lines.slice(before).map((x) => { try { return JSON.parse(x) as Record<string, unknown>; } catch { return {}; } })
      .find((x) => x.msg === 'Login refused: BAD_CREDENTIALS' && x.account === m.account);
    while (!mine() && Date.now() < until) await new Promise((res) => setTimeout(res, 10));
    expect(mine()?.cause).toBe(cause);
    // the cause line (and nothing logged since) carries neither MAC nor secret
    const since = srv.lines.slice(before).join('\n');
    if (m.authMac) expect(since).not.toContain(Buffer.from(m.authMac).toString('hex'));
    expect(since).not.toContain(SECRET_7);
    expect(since).not.toContain(SECRET_8);
  };

  it('logs the start-up line without secrets', async () => {
    const l = await srv.waitForLog((x) => x.msg === 'Session authentication on: binary LOGIN of a non-zero account needs a credential');
    expect(l.accounts).toBe(2);
    expect(srv.lines.join('\n')).not.toContain(SECRET_7);
    expect(srv.logs().some((x) => String(x.msg).includes('readable by every user'))).toBe(false);
  });

  it('no credential (32-byte LOGIN) -> BAD_CREDENTIALS (cause no_credential)', async () => {
    await expectBad({ protocolVersion: PROTOCOL_VERSION, sessionId: 0, nextExpectedSeq: 0, account: 7 }, 'no_credential');
  });

  it('wrong secret, and another account\'s secret -> BAD_CREDENTIALS (bad_mac)', async () => {
    await expectBad(signed('not-the-secret-'.padEnd(40, 'x'), 7, nowUs()), 'bad_mac');
    await expectBad(signed(SECRET_8, 7, nowUs()), 'bad_mac');
  });

  it('account absent from the file -> BAD_CREDENTIALS (unknown_account), also via SimexClient', async () => {
    await expectBad(signed(SECRET_7, 9, nowUs()), 'unknown_account');
    const err = await SimexClient.connect(srv.wsUrl, { account: 10, secret: SECRET_7, maxReconnectAttempts: 0 }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SimexClientError);
    expect((err as SimexClientError).reason).toBe(EdgeReason.BAD_CREDENTIALS);
  });

  it('authTs more than 30 s from the server clock -> BAD_CREDENTIALS (clock_skew), both ways', async () => {
    await expectBad(signed(SECRET_7, 7, nowUs() - 31_000_000), 'clock_skew');
    await expectBad(signed(SECRET_7, 7, nowUs() + 31_000_000), 'clock_skew');
  });

  it('a replayed LOGIN, or one with an older authTs, -> BAD_CREDENTIALS (replay)', async () => {
    const ts = nowUs() - 1_000_000;
    const first = signed(SECRET_8, 8, ts);
    const ok = await login(srv.wsUrl, first);
    expect(ok.type).toBe(MsgType.LOGIN_ACK);
    await expectBad(first, 'replay'); // the same bytes again
    await expectBad(signed(SECRET_8, 8, ts - 1), 'replay');
    const later = await login(srv.wsUrl, signed(SECRET_8, 8, ts + 1));
    expect(later.type).toBe(MsgType.LOGIN_ACK);
  });

  it('valid credential -> LOGIN_ACK, and the session trades', async () => {
    const c = await SimexClient.connect(srv.wsUrl, { account: 7, secret: SECRET_7 });
    expect(c.account).toBe(7);
    const btc = c.instrument('BTCUSD');
    const r = await c.newOrder({ instrument: btc.instrument, side: Side.BUY, price: c.price(btc, '40000.00'), qty: c.qty(btc, '0.01') });
    expect(r.status).toBe('active');
    const m = await c.massCancel(btc.instrument);
    expect(m.status).not.toBe('rejected');
    await c.close();
  });

  it('a Uint8Array secret works the same as its string', async () => {
    const c = await SimexClient.connect(srv.wsUrl, { account: 7, secret: new TextEncoder().encode(SECRET_7) });
    await c.close();
  });

  it('anonymous account 0 still logs in without a credential (and a credential on it is ignored)', async () => {
    const r = await login(srv.wsUrl, { protocolVersion: PROTOCOL_VERSION, sessionId: 0, nextExpectedSeq: 0, account: 0 });
    expect(r.type).toBe(MsgType.LOGIN_ACK);
    const r2 = await login(srv.wsUrl, { ...signed('whatever-'.padEnd(40, 'w'), 0, 0) });
    expect(r2.type).toBe(MsgType.LOGIN_ACK);
    const c = await SimexClient.connect(srv.wsUrl, { account: 0 });
    const btc = c.instrument('BTCUSD');
    const o = await c.newOrder({ instrument: btc.instrument, side: Side.BUY, price: c.price(btc, '40000.00'), qty: c.qty(btc, '0.01') });
    expect(o.status).toBe('active');
    await c.cancel({ instrument: btc.instrument, origClOrdId: o.clOrdId });
    await c.close();
  });

  it('reserved ids stay RESERVED_ACCOUNT (checked before the credential)', async () => {
    const r = await login(srv.wsUrl, signed(SECRET_7, 1, nowUs()));
    expect((r as { reason: number }).reason).toBe(EdgeReason.RESERVED_ACCOUNT);
  });

  it('resume: the client library re-signs after a dropped connection; a resume without a credential is refused', async () => {
    const c = await SimexClient.connect(srv.wsUrl, { account: 7, secret: SECRET_7 });
    const sid = c.sessionId;
    const btc = c.instrument('BTCUSD');
    const first = await c.newOrder({ instrument: btc.instrument, side: Side.BUY, price: c.price(btc, '40000.00'), qty: c.qty(btc, '0.01') });
    expect(first.status).toBe('active');
    const relogin = new Promise<void>((r) => c.once('login', () => r()));
    c.dropConnection();
    await relogin;
    expect(c.sessionId).toBe(sid);
    const second = await c.newOrder({ instrument: btc.instrument, side: Side.BUY, price: c.price(btc, '40000.00'), qty: c.qty(btc, '0.01') });
    expect(second.status).toBe('active');
    const log = await srv.waitForLog((x) => x.msg === 'Session resumed' && x.session === sid);
    expect(log.account).toBe(7);
    // the same session id, unsigned: refused, the session untouched
    const bare = await login(srv.wsUrl, { protocolVersion: PROTOCOL_VERSION, sessionId: sid, nextExpectedSeq: 0, account: 7 });
    expect((bare as { reason: number }).reason).toBe(EdgeReason.BAD_CREDENTIALS);
    // signed with a fresh authTs (the MAC covers the session id): resumes
    const fresh = await login(srv.wsUrl, signed(SECRET_7, 7, nowUs() + 1000, sid));
    expect(fresh.type).toBe(MsgType.LOGIN_ACK);
    expect((fresh as { sessionId: number }).sessionId).toBe(sid);
    // a MAC made for a new session (sessionId 0) does not resume this one
    const ts = nowUs() + 2000;
    const swapped = { ...signed(SECRET_7, 7, ts, 0), sessionId: sid };
    expect(((await login(srv.wsUrl, swapped)) as { reason: number }).reason).toBe(EdgeReason.BAD_CREDENTIALS);
    await c.close();
  });

  it('simex_session_logins_total counts ok / bad_credentials / rejected_other', async () => {
    const a = await loginCounts(srv.base);
    expect(a.ok).toBeGreaterThan(0);
    expect(a.bad_credentials).toBeGreaterThan(0);
    await login(srv.wsUrl, { protocolVersion: PROTOCOL_VERSION, sessionId: 0, nextExpectedSeq: 0, account: 8 });
    await login(srv.wsUrl, signed(SECRET_8, 8, nowUs() - 60_000_000));
    await login(srv.wsUrl, signed(SECRET_8, 8, nowUs() + 5000));
    await login(srv.wsUrl, { protocolVersion: 9, sessionId: 0, nextExpectedSeq: 0, account: 8 });
    const b = await loginCounts(srv.base);
    expect(b.bad_credentials - a.bad_credentials).toBe(2);
    expect(b.ok - a.ok).toBe(1);
    expect(b.rejected_other - a.rejected_other).toBe(1);
  });

  it('REST keeps working (unaffected)', async () => {
    const r = await api(srv.base, 'GET', '/api/symbols');
    expect(r.status).toBe(200);
  });
});
