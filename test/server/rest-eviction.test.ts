// REST order store bound (Exchange.createRestOrder / evictRest): past REST_ORDERS_KEPT,
// completed orders are dropped oldest first down to 90%; open orders are never dropped;
// and while mostly open orders fill the store the eviction scan stays amortized (a scan
// per ~10% growth, not one per new order: a 100k-entry walk per POST was measured).
import { describe, expect, it } from 'vitest';
import { Exchange, REST_ORDERS_KEPT, type BookState } from '../../src/server/exchange.js';
import type { ShardPool } from '../../src/shard/pool.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {}, isLevelEnabled: () => false } as never;
const pool = { routeList: [], shards: [], maxInflight: 0 } as unknown as ShardPool;
const book = { inst: 0 } as BookState;

describe('REST order store eviction', () => {
  it('drops completed orders oldest first and never open ones; scans stay amortized', () => {
    const ex = new Exchange(pool, quiet, null);
    const ids: string[] = [];
    // 60k completed, then 60k open.
    for (let i = 0; i < 60_000; i++) {
      const r = ex.createRestOrder(book, 0, 0, 0, false, 0, 100, 5_000_000, null);
      r.status = 'filled';
      ids.push(r.id);
    }
    for (let i = 0; i < 60_000; i++) ids.push(ex.createRestOrder(book, 0, 0, 0, false, 0, 100, 5_000_000, null).id);
    // Past 100k the oldest filled went first: down to 90k, so 30k of the filled remain.
    expect(ex.restById.size).toBeLessThanOrEqual(REST_ORDERS_KEPT);
    expect(ex.restById.has(ids[0]!)).toBe(false);
    expect(ex.restById.has(ids[59_999]!)).toBe(true);
    for (let i = 60_000; i < 120_000; i += 997) expect(ex.restById.has(ids[i]!)).toBe(true);
    const scansAfterFill = ex.restEvictScans;
    // Now only open orders: 60k more cannot all be kept under the bound by eviction of
    // completed ones (30k left); open orders stay, and scans are rare.
    for (let i = 0; i < 60_000; i++) ex.createRestOrder(book, 0, 0, 0, false, 0, 100, 5_000_000, null);
    for (let i = 60_000; i < 120_000; i += 997) expect(ex.restById.has(ids[i]!)).toBe(true);
    expect(ex.restById.size).toBe(120_000 + 60_000 - 60_000); // all 120k open + 0 completed left
    expect(ex.restEvictScans - scansAfterFill).toBeLessThan(20);
  });
});
