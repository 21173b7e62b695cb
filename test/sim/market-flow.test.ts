// At the default 10 orders/s the simulated market looks real: depth on both sides of every
// book, trades in every symbol, cancels and amends at their ratios, prices near the anchors.
import { afterEach, describe, expect, it } from 'vitest';
import { Simulator } from '../../src/sim/index.js';
import { FakeExchange } from './fixtures/fake-exchange.js';

const flush = () => new Promise((r) => setImmediate(r));
let sims: Simulator[] = [];
afterEach(async () => {
  for (const s of sims) await s.stop();
  sims = [];
});

async function run(ex: FakeExchange, seconds: number, opts: { ordersPerSecond?: number; volatilityFactor?: number; seed?: number } = {}) {
  const sim = new Simulator({ transport: ex, symbols: ['BTCUSD', 'ETHUSD', 'ADAUSD'], seed: opts.seed ?? 42, tickMs: 1e9, ...opts });
  sims.push(sim);
  await sim.start();
  const t0 = performance.now();
  for (let ms = 50; ms <= seconds * 1000; ms += 50) {
    sim.tick(t0 + ms);
    await flush();
  }
  return sim;
}

describe('simulated market flow', () => {
  it('builds two-sided books with trades in every symbol at 10 orders/s', async () => {
    const ex = new FakeExchange();
    const sim = await run(ex, 120);
    const st = sim.status();
    expect(st.status).toBe('healthy');
    // ~10 NEW orders/s (Poisson): 1200 expected over 120 s.
    expect(ex.requests.new).toBeGreaterThan(1000);
    expect(ex.requests.new).toBeLessThan(1400);
    expect(ex.requests.cancel / ex.requests.new).toBeGreaterThan(0.2);
    expect(ex.requests.amend / ex.requests.new).toBeGreaterThan(0.08);
    for (const [sym, anchor] of [['BTCUSD', 50_000], ['ETHUSD', 3_000], ['ADAUSD', 1.5]] as const) {
      const book = ex.books.get(sym)!;
      expect(book.bids.length, `${sym} bids`).toBeGreaterThanOrEqual(3);
      expect(book.asks.length, `${sym} asks`).toBeGreaterThanOrEqual(3);
      const { bid, ask } = ex.best(sym);
      expect(bid!).toBeLessThan(ask!);
      expect(Math.abs((bid! + ask!) / 2 / anchor - 1)).toBeLessThan(0.01);
      const trades = ex.trades.filter((t) => t.symbol === sym);
      expect(trades.length, `${sym} trades`).toBeGreaterThan(20);
      for (const t of trades) expect(Math.abs(t.price / anchor - 1)).toBeLessThan(0.01);
    }
    // The simulator's view of its resting orders matches the exchange's.
    for (const sym of ['BTCUSD', 'ETHUSD', 'ADAUSD']) {
      const book = ex.books.get(sym)!;
      const mine = book.bids.filter((o) => o.account === 9001).length + book.asks.filter((o) => o.account === 9001).length;
      expect(st.resting[sym]!.bids + st.resting[sym]!.asks).toBe(mine);
    }
  });

  it('the spread breathes: it takes several distinct values over time', async () => {
    const ex = new FakeExchange();
    const sim = new Simulator({ transport: ex, symbols: ['BTCUSD', 'ETHUSD', 'ADAUSD'], seed: 7, tickMs: 1e9 });
    sims.push(sim);
    await sim.start();
    const t0 = performance.now();
    const spreads = new Set<number>();
    for (let ms = 50; ms <= 90_000; ms += 50) {
      sim.tick(t0 + ms);
      await flush();
      if (ms % 5000 === 0) {
        const { bid, ask } = ex.best('BTCUSD');
        if (bid !== null && ask !== null) spreads.add(Math.round((ask - bid) * 100));
      }
    }
    expect(spreads.size).toBeGreaterThan(5);
  });

  it('orders_per_second changes the flow at run time', async () => {
    const ex = new FakeExchange();
    const sim = await run(ex, 20);
    const before = ex.requests.new;
    sim.setConfig({ orders_per_second: 50 });
    const t0 = performance.now();
    for (let ms = 50; ms <= 20_000; ms += 50) {
      sim.tick(t0 + ms);
      await flush();
    }
    const after = ex.requests.new - before;
    expect(after).toBeGreaterThan(before * 3);
    expect(sim.status().config.orders_per_second).toBe(50);
  });
});
