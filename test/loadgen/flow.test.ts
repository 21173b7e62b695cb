import { describe, expect, it } from 'vitest';
import { OrderFlow, OP_CANCEL, OP_LIMIT, OP_MARKET, defaultParams } from '../../src/loadgen/flow.js';

const params = defaultParams(['BTCUSD', 'ETHUSD', 'ADAUSD']);

describe('order flow', () => {
  it('is reproducible for a seed', () => {
    const a = new OrderFlow(params, { limit: 55, cancel: 40, market: 5 }, 7);
    const b = new OrderFlow(params, { limit: 55, cancel: 40, market: 5 }, 7);
    for (let id = 1; id <= 1000; id++) expect({ ...a.next(id) }).toEqual({ ...b.next(id) });
  });

  it('follows the mix, prices on tick, never crossing the reference, lots respected', () => {
    const f = new OrderFlow(params, { limit: 55, cancel: 40, market: 5 }, 1);
    const n = { [OP_LIMIT]: 0, [OP_CANCEL]: 0, [OP_MARKET]: 0 };
    const live = new Set<number>();
    for (let id = 1; id <= 20_000; id++) {
      const o = f.next(id);
      n[o.op as 0 | 1 | 2]++;
      const p = params[o.symbolIndex]!;
      if (o.op === OP_LIMIT) {
        expect(o.price % p.tick).toBe(0);
        if (o.side === 0) expect(o.price).toBeLessThan(p.refPrice);
        else expect(o.price).toBeGreaterThan(p.refPrice);
        expect(o.qty % p.lot).toBe(0);
        expect(o.qty).toBeGreaterThanOrEqual(p.minQty);
        f.rested(id, o.symbolIndex); // as if ACCEPTED came back at once
        live.add(id);
      } else if (o.op === OP_CANCEL) {
        // Cancels target a live limit order of this flow, each at most once.
        expect(live.has(o.cancelId)).toBe(true);
        live.delete(o.cancelId);
      }
    }
    expect(n[OP_LIMIT] / 20_000).toBeGreaterThan(0.5);
    expect(n[OP_CANCEL] / 20_000).toBeGreaterThan(0.35);
    expect(n[OP_MARKET] / 20_000).toBeGreaterThan(0.03);
  });

  it('does not cancel orders reported gone', () => {
    // Cancel-heavy: every order tries to cancel, falling back to a limit when nothing is live.
    const h = new OrderFlow(params.slice(0, 1), { limit: 1, cancel: 1000, market: 0 }, 3);
    expect(h.next(1).op).toBe(OP_LIMIT);
    expect(h.next(2).op).toBe(OP_LIMIT); // 1 not accepted yet: nothing to cancel
    h.rested(1, 0);
    h.gone(1); // e.g. filled
    expect(h.next(3).op).toBe(OP_LIMIT); // 1 is gone: nothing to cancel
    h.rested(2, 0);
    const o = h.next(4);
    expect(o.op).toBe(OP_CANCEL);
    expect(o.cancelId).toBe(2);
  });
});
