// Property-style ledger check through the real server (review of seed 003 accounts): a
// seeded random order flow between three accounts only (limit GTC/IOC/FOK, post-only,
// market buys with and without a protection price, market sells, every STP mode, amends up
// and down, cancels, and bursts sent concurrently so amends and cancels race fills), then:
//   - every asset's total over the accounts equals what was deposited (trades between
//     accounts move value, never create or destroy it);
//   - no total, available or reserved is negative;
//   - per account and asset, reserved = the sum of the holds of its open orders, each hold
//     being exactly leaves x limit (buy, USD) or leaves (sell, base), read from the order;
//   - after cancelling everything, nothing is reserved and the totals are still conserved.
// CONS_SEED / CONS_ROUNDS override the seed and the number of rounds (exploration).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/util/prng.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { call, signUp, type Resp } from './helpers/accounts.js';

const SCALE: Record<string, number> = { USD: 8, BTC: 6, ETH: 5, ADA: 1 };
const units = (s: string): bigint => BigInt(s.replace('.', '')); // fixed-scale decimal text
/** A JS number of `d` decimals (REST order fields) -> integer units. */
const num = (v: number, d: number): bigint => BigInt(v.toFixed(d).replace('.', ''));

interface Sym { symbol: string; base: string; pd: number; qd: number; mid: number; tick: number; lot: number }
const SYMS: Sym[] = [
  { symbol: 'BTCUSD', base: 'BTC', pd: 2, qd: 6, mid: 50000, tick: 0.01, lot: 0.0001 },
  { symbol: 'ETHUSD', base: 'ETH', pd: 2, qd: 5, mid: 3000, tick: 0.01, lot: 0.001 },
];
const DEPOSIT: Record<string, string> = { USD: '200000', BTC: '4', ETH: '60' };

describe.each(['inline', 'worker'])('accounts: value is conserved by random trading between accounts (SHARD_MODE=%s)', (mode) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARD_MODE: mode, SHARDS: '2', RATE_LIMIT_ACCOUNT_RPS: '0' });
  }, 30_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('conserves totals and keeps reserved = the sum of open holds', async () => {
    const B = srv.base;
    const rand = mulberry32(Number(process.env.CONS_SEED ?? (mode === 'inline' ? 3 : 4)));
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
    /** Mostly one of the newest orders (likely still open), sometimes any. */
    const recent = <T>(a: readonly T[]): T => (rand() < 0.8 ? a[Math.max(0, a.length - 1 - Math.floor(rand() * 6))]! : pick(a));
    const users = [await signUp(B, 'user0'), await signUp(B, 'user1'), await signUp(B, 'user2')];
    for (const u of users) {
      for (const [asset, amount] of Object.entries(DEPOSIT)) {
        expect((await call(B, 'POST', '/api/account/deposit', { asset, amount }, u.token)).status).toBe(200);
      }
    }
    const orders: { id: string; u: number; sym: Sym }[] = [];
    const statuses = new Map<number, number>();
    const note = (r: Resp) => {
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      // Every refusal has the one error shape.
      if (r.status >= 400) expect(typeof r.body.code === 'string' && typeof r.body.error === 'string', JSON.stringify(r.body)).toBe(true);
      expect([200, 201, 400, 409, 422], JSON.stringify(r.body)).toContain(r.status);
    };
    const price = (s: Sym) => (s.mid * (1 + (rand() - 0.5) * 0.02)).toFixed(2);
    const qty = (s: Sym) => (s.lot * (1 + Math.floor(rand() * (s.symbol === 'BTCUSD' ? 3000 : 4000)))).toFixed(s.qd);
    const op = async (): Promise<void> => {
      const ui = Math.floor(rand() * users.length);
      const u = users[ui]!;
      const s = pick(SYMS);
      const x = rand();
      if (x < 0.55 || orders.length === 0) {
        const body: Record<string, unknown> = { symbol: s.symbol, side: rand() < 0.5 ? 'buy' : 'sell', quantity: qty(s) };
        const y = rand();
        if (y < 0.12) {
          body.type = 'market';
          if (body.side === 'buy' && rand() < 0.5) body.price = (s.mid * 1.01).toFixed(2); // protection price
        } else {
          body.price = price(s);
          if (y < 0.22) body.time_in_force = 'IOC';
          else if (y < 0.3) body.time_in_force = 'FOK';
          else if (y < 0.36) body.post_only = true;
        }
        if (rand() < 0.3) body.stp = pick(['none', 'cancel_newest', 'cancel_oldest', 'cancel_both', 'decrement_and_cancel']);
        const r = await call(B, 'POST', '/api/orders', body, u.token);
        note(r);
        if (r.status === 201) orders.push({ id: r.body.order_id, u: ui, sym: s });
      } else if (x < 0.8) {
        const o = recent(orders);
        const body: Record<string, unknown> = {};
        if (rand() < 0.5) body.price = price(o.sym);
        else body.quantity = qty(o.sym);
        note(await call(B, 'PATCH', `/api/orders/${o.id}`, body, users[o.u]!.token));
      } else {
        const o = recent(orders);
        note(await call(B, 'DELETE', `/api/orders/${o.id}`, undefined, users[o.u]!.token));
      }
    };
    for (let round = 0; round < Number(process.env.CONS_ROUNDS ?? 60); round++) {
      // 1 to 4 requests in flight at once: amends/cancels race the fills of other requests.
      const n = 1 + Math.floor(rand() * 4);
      await Promise.all(Array.from({ length: n }, () => op()));
    }

    const check = async (): Promise<void> => {
      const sum: Record<string, bigint> = {};
      const holds = users.map(() => ({} as Record<string, bigint>));
      for (const o of orders) {
        const r = await call(B, 'GET', `/api/orders/${o.id}`, undefined, users[o.u]!.token);
        expect(r.status).toBe(200);
        const j = r.body;
        if (j.status !== 'active' && j.status !== 'partially_filled') continue;
        const leaves = num(j.remaining_quantity, o.sym.qd);
        const h = holds[o.u]!;
        if (j.side === 'buy') h.USD = (h.USD ?? 0n) + leaves * num(j.price, o.sym.pd) * 10n ** BigInt(8 - o.sym.pd - o.sym.qd);
        else h[o.sym.base] = (h[o.sym.base] ?? 0n) + leaves;
      }
      for (let i = 0; i < users.length; i++) {
        const r = await call(B, 'GET', '/api/account/balance', undefined, users[i]!.token);
        expect(r.status).toBe(200);
        for (const b of r.body.balances as { asset: string; total: string; available: string; reserved: string }[]) {
          const [t, a, res] = [units(b.total), units(b.available), units(b.reserved)];
          expect(t >= 0n && a >= 0n && res >= 0n, `u${i} ${JSON.stringify(b)}`).toBe(true);
          expect(a + res, `u${i} ${b.asset}`).toBe(t);
          expect(res, `u${i} ${b.asset} reserved vs open holds`).toBe(holds[i]![b.asset] ?? 0n);
          sum[b.asset] = (sum[b.asset] ?? 0n) + t;
        }
      }
      for (const [asset, amount] of Object.entries(DEPOSIT)) {
        expect(sum[asset], asset).toBe(units(Number(amount).toFixed(SCALE[asset]!)) * BigInt(users.length));
      }
      expect(sum.ADA).toBe(0n);
    };
    await check();
    // Something actually traded (the flow is not all rejects).
    const t = await call(B, 'GET', '/api/trades?limit=1000');
    expect(t.body.count).toBeGreaterThan(10);
    expect(statuses.get(201) ?? 0).toBeGreaterThan(50);

    for (const o of orders) {
      const r = await call(B, 'DELETE', `/api/orders/${o.id}`, undefined, users[o.u]!.token);
      expect([200, 409]).toContain(r.status);
    }
    await check();
    for (const u of users) {
      const r = await call(B, 'GET', '/api/account/balance', undefined, u.token);
      for (const b of r.body.balances) expect(units(b.reserved), b.asset).toBe(0n);
    }
  }, 120_000);
});
