// Per-symbol circuit breakers (seed 004): the runbook's status array and history shapes,
// manual activate-all / reset/:pair (USDT alias, 404 for unknown) / reset-all, and an
// automatic volatility trip provoked by real crossing REST orders: the tripped pair's new
// orders and amends get 503 CIRCUIT_BREAKER_OPEN while cancels work and other pairs trade.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from './helpers/server.js';

type Breaker = { pair: string; open: boolean; reason: string | null; opened_at: string | null; [k: string]: unknown };

/** Poll `fn` until it returns a value (bounded: fails after `ms`). */
async function until<T>(fn: () => Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('circuit breakers', () => {
  let srv: TestServer;
  beforeAll(async () => {
    // 5 % in a 60 s window, no cool-down (the trip stays until reset), fast poll.
    srv = await startTestServer({
      CIRCUIT_BREAKER_THRESHOLD_BPS: '500', CIRCUIT_BREAKER_WINDOW_MS: '60000', CIRCUIT_BREAKER_COOLDOWN_MS: '0',
      CIRCUIT_BREAKER_POLL_MS: '20',
    });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  const order = (o: Record<string, unknown> = {}) =>
    api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: 1, ...o });
  const status = async (): Promise<Breaker[]> => (await api(srv.base, 'GET', '/admin/circuit-breaker/status')).body as Breaker[];
  const pair = async (p: string) => (await status()).find((b) => b.pair === p)!;
  const cross = async (symbol: string, price: number) => {
    expect((await order({ symbol, side: 'sell', price })).status).toBe(201);
    const b = await order({ symbol, side: 'buy', price });
    expect(b.status).toBe(201);
    expect(b.body.status).toBe('filled');
  };

  it('status is an array of every pair, closed at start; history is {last_24h: []}', async () => {
    const s = await status();
    expect(Array.isArray(s)).toBe(true);
    expect(s.map((b) => b.pair)).toEqual(['BTCUSD', 'ETHUSD', 'ADAUSD']);
    for (const b of s) expect(b).toMatchObject({ open: false, reason: null, opened_at: null, threshold_pct: 5, window_s: 60 });
    const h = await api(srv.base, 'GET', '/admin/circuit-breaker/history');
    expect(h.body.last_24h).toEqual([]);
    const health = await api(srv.base, 'GET', '/health');
    expect(health.body.services.circuit_breakers).toBe('closed');
  });

  it('activate-all opens every pair (manual), reset/:pair closes one (USDT alias), unknown pair 404, reset-all', async () => {
    const a = await api(srv.base, 'POST', '/admin/circuit-breaker/activate-all');
    expect(a.status).toBe(200);
    expect(a.body.opened).toBe(3);
    const s = await status();
    expect(s.filter((b) => b.open).map((b) => b.pair)).toEqual(['BTCUSD', 'ETHUSD', 'ADAUSD']);
    for (const b of s) {
      expect(b.reason).toBe('manual');
      expect(Number.isNaN(Date.parse(b.opened_at!))).toBe(false);
    }
    const r = await order({ symbol: 'ETHUSD', price: 3000 });
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('CIRCUIT_BREAKER_OPEN');
    const health = await api(srv.base, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.services.circuit_breakers).toBe('open');
    expect(health.body.trading_controls.open_circuit_breakers).toEqual(['BTCUSD', 'ETHUSD', 'ADAUSD']);
    const prom = await fetch(`${srv.base}/metrics`).then((x) => x.text());
    for (const sym of ['BTCUSD', 'ETHUSD', 'ADAUSD']) expect(prom).toMatch(new RegExp(`^simex_circuit_breaker_open\\{symbol="${sym}"\\} 1$`, 'm'));
    expect(prom).toMatch(/^simex_trading_control_rejected\{reason="circuit_breaker"\} 1$/m);

    const one = await api(srv.base, 'POST', '/admin/circuit-breaker/reset/BTCUSDT');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ pair: 'BTCUSD', open: false, closed: true, requested: 'BTCUSDT' });
    const again = await api(srv.base, 'POST', '/admin/circuit-breaker/reset/btcusd');
    expect(again.body).toMatchObject({ pair: 'BTCUSD', closed: false });
    const unknown = await api(srv.base, 'POST', '/admin/circuit-breaker/reset/XRPUSDT');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'UNKNOWN_SYMBOL', field: 'pair' });
    expect((await pair('ETHUSD')).open).toBe(true);

    const all = await api(srv.base, 'POST', '/admin/circuit-breaker/reset-all');
    expect(all.body.closed).toBe(2);
    expect((await status()).some((b) => b.open)).toBe(false);
    const h = await api(srv.base, 'GET', '/admin/circuit-breaker/history');
    expect(h.body.last_24h).toHaveLength(3);
    for (const e of h.body.last_24h) expect(e).toMatchObject({ trigger: 'manual', reason: 'manual', closed_by: expect.any(String) });
    expect((await api(srv.base, 'GET', '/health')).body.status).toBe('healthy');
  });

  it('a 7 % move within the window trips BTCUSD only; its orders/amends 503, cancels work; reset restores', async () => {
    await cross('BTCUSD', 50000);
    // Wait until the poller has seen 50000 as the reference (else both trades could fall
    // into one poll period and 53500 would become the reference).
    await until(async () => ((await pair('BTCUSD')).reference_price === 50000 ? true : undefined), 'reference 50000');
    const resting = await order({ price: 49000 });
    expect(resting.status).toBe(201);
    await cross('ETHUSD', 3000);
    await cross('BTCUSD', 53500);
    const tripped = await until(async () => {
      const b = await pair('BTCUSD');
      return b.open ? b : undefined;
    }, 'BTCUSD breaker to open');
    expect(tripped.reason).toMatch(/^volatility: price moved \+7\.00% in [\d.]+ s \(50000 -> 53500; limit 5\.00% in 60 s\)$/);
    expect(tripped).toMatchObject({ trigger: 'volatility', closes_at: null });
    expect((await pair('ETHUSD')).open).toBe(false);

    const r = await order({ price: 53500 });
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ code: 'CIRCUIT_BREAKER_OPEN', field: 'symbol' });
    const am = await api(srv.base, 'PATCH', `/api/orders/${resting.body.order_id}`, { price: 49500 });
    expect(am.status).toBe(503);
    expect(am.body.code).toBe('CIRCUIT_BREAKER_OPEN');
    expect((await order({ symbol: 'ETHUSD', price: 2990 })).status).toBe(201);
    const cx = await api(srv.base, 'DELETE', `/api/orders/${resting.body.order_id}`);
    expect(cx.status).toBe(200);
    expect(cx.body.status).toBe('cancelled');
    const sym = await api(srv.base, 'GET', '/api/symbols');
    expect(sym.body.symbols.map((s: { status: string }) => s.status)).toEqual(['circuit_breaker', 'trading', 'trading']);

    const h = await api(srv.base, 'GET', '/admin/circuit-breaker/history');
    const last = h.body.last_24h[0];
    expect(last).toMatchObject({ pair: 'BTCUSD', trigger: 'volatility', reference_price: 50000, trigger_price: 53500,
      move_pct: 7, closed_at: null, orders_rejected: 2 });
    await srv.waitForLog((l) => l.msg === 'Circuit breaker opened: new orders and amends rejected (CIRCUIT_BREAKER_OPEN), cancels work'
      && l.pair === 'BTCUSD' && l.trigger === 'volatility');

    expect((await api(srv.base, 'POST', '/admin/circuit-breaker/reset/BTCUSD')).body.closed).toBe(true);
    // The window restarts at 53500: trading at that price does not re-trip. ETHUSD's trip,
    // on a later trade, shows a poll has seen the BTCUSD trade (one poll visits every book).
    await cross('BTCUSD', 53500);
    await until(async () => ((await pair('ETHUSD')).reference_price === 3000 ? true : undefined), 'ETH reference 3000');
    await cross('ETHUSD', 3210);
    await until(async () => ((await pair('ETHUSD')).open ? true : undefined), 'ETHUSD breaker to open');
    expect((await pair('BTCUSD')).open).toBe(false);
    expect((await order({ price: 53500, side: 'sell' })).status).toBe(201);
  });
});
