// The C subscriber fleet (bench/fanout/subscriber.c) against the real server: every
// subscriber gets every mdSeq from its snapshot to the stream's final mdSeq, heartbeats keep
// it alive past the server's heartbeat timeout, and a planted gap is reported as one.
// Needs a C compiler: skipped locally without one (printed reason), fails in CI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient, Side, OrdType } from '../../src/client/index.js';
import { startTestServer, type TestServer } from '../server/helpers/server.js';
import { buildFleet, startFleet, type FleetResult } from '../../bench/fanout/fleet.js';
import { compilerOrSkip } from './fixtures/c-tools.js';

const HEARTBEAT_MS = 200; // server timeout: 3 x 200 ms, well inside the run below
const SUBS = 20;

const cc = compilerOrSkip('the fanout subscriber fleet');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function mdSeq(base: string): Promise<number> {
  const r = await fetch(`${base}/api/orderbook/BTCUSD?depth=1`);
  return Number(((await r.json()) as { sequence: number }).sequence);
}

/** The server's mdSeq once it stops moving. */
async function finalSeq(base: string): Promise<number> {
  let s = await mdSeq(base);
  for (;;) {
    await sleep(100);
    const t = await mdSeq(base);
    if (t === s) return s;
    s = t;
  }
}

describe.skipIf(!cc)('C fan-out subscriber fleet', () => {
  let srv: TestServer;
  let binary: string;
  beforeAll(async () => {
    binary = buildFleet().binary;
    srv = await startTestServer({ HEARTBEAT_MS: String(HEARTBEAT_MS) });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('counts every mdSeq from each snapshot, survives heartbeats, and reports planted gaps', async () => {
    const gen = await SimexClient.connect(srv.wsUrl, { account: 42 });
    const btc = gen.instrument('BTCUSD').instrument;
    let i = 0;
    /** Resting orders on both sides and a market order every 10th: L2 adds, trades, removals. */
    const trade = async (ms: number): Promise<void> => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        i++;
        if (i % 10 === 0) await gen.newOrder({ instrument: btc, side: i % 20 === 0 ? Side.BUY : Side.SELL, ordType: OrdType.MARKET, qty: 300 });
        else if (i % 2 === 0) await gen.newOrder({ instrument: btc, side: Side.SELL, price: 5_000_001 + (i % 40), qty: 100 });
        else await gen.newOrder({ instrument: btc, side: Side.BUY, price: 4_999_999 - (i % 40), qty: 100 });
      }
    };

    // Fleet A from an empty book; fleet B joins mid-stream (snapshot mdSeq > 0) and drops
    // every 7th message before accounting (planted gaps: never two in a row).
    const a = startFleet({ url: srv.wsUrl, connections: SUBS, perConn: true, binary, accountBase: 1000 });
    const readyA = await a.ready;
    expect(readyA).toMatchObject({ live: SUBS, failed: 0 });
    await trade(500);
    const K = 7;
    const b = startFleet({ url: srv.wsUrl, connections: SUBS, perConn: true, binary, accountBase: 2000, testSkipEvery: K });
    expect(await b.ready).toMatchObject({ live: SUBS, failed: 0 });
    await trade(1500); // A runs > 2 s in all: several heartbeat timeouts' worth
    await gen.close();
    const final = await finalSeq(srv.base);
    expect(final).toBeGreaterThan(100);
    const [ra, rb]: FleetResult[] = await Promise.all([a.until(final, 20_000), b.until(final, 20_000)]);

    // A: no gaps, every subscriber at the final mdSeq with exactly final - snapshot messages.
    expect(ra).toMatchObject({ requested: SUBS, connected: SUBS, failed: 0, open_at_end: SUBS, gaps: 0, missed: 0, skipped: 0,
      drop_notices: 0, protocol_errors: 0, disconnects: {}, last_seq: { min: final, max: final } });
    expect(ra.wall_ms).toBeGreaterThan(3 * HEARTBEAT_MS); // run outlived the heartbeat timeout
    expect(ra.heartbeats_sent).toBeGreaterThan(0);
    expect(ra.server_heartbeats).toBeGreaterThan(0);
    expect(ra.messages).toBe(ra.expected_from_snapshots);
    for (const c of ra.conns!) {
      expect(c).toMatchObject({ live: true, open: true, last: final, gaps: 0, disconnect: 0 });
      expect(c.msgs).toBe(final - c.snap);
    }
    expect(ra.latency_us.count).toBe(ra.messages);

    // B: joined late, and every planted gap was seen as a gap of one message.
    expect(rb).toMatchObject({ connected: SUBS, failed: 0, open_at_end: SUBS, drop_notices: 0, protocol_errors: 0, disconnects: {} });
    expect(rb.snapshot_seq.min).toBeGreaterThan(0);
    for (const c of rb.conns!) {
      const planted = Math.floor((final - c.snap) / K);
      expect(c.skipped).toBe(planted);
      expect(c.gaps).toBeGreaterThan(0);
      // A skipped final message leaves the subscriber one short instead of making a gap.
      expect(c.missed + (final - c.last)).toBe(c.skipped);
      expect(c.gaps).toBe(c.missed);
      expect(c.msgs + c.skipped).toBe(final - c.snap);
    }
  });

  it('a fleet against a closed port connects nobody and says why', async () => {
    const f = startFleet({ url: 'ws://127.0.0.1:1/ws/v1', connections: 3, binary, connectTimeoutMs: 2000 });
    expect(await f.ready).toMatchObject({ live: 0, failed: 3 });
    const r = await f.stop();
    expect(r).toMatchObject({ connected: 0, failed: 3 });
    expect(r.first_error).not.toBe('');
  });
});
