// The REST order stores of the exchange (RestOrderStore: orders by ULID, RestLiveOrders: open
// orders by exchange order id) behave like the Maps they replaced: same lookups, sizes and
// creation-order iteration under random set/delete/evict sequences, including ids that do not
// arrive in increasing order and ids reused after a delete.
import { describe, expect, it } from 'vitest';
import { REST_SLOT, RestLiveOrders, RestOrderStore, TWO32, type RestOrder } from '../../src/server/exchange.js';
import { mulberry32 } from '../../src/util/prng.js';

const rec = (id: string, status: RestOrder['status'] = 'active'): RestOrder => ({ id, status } as RestOrder);
const isDone = (r: RestOrder): boolean => r.status === 'filled' || r.status === 'cancelled' || r.status === 'rejected';

describe('RestOrderStore', () => {
  // One random run against a Map. `increasing`: ids only ever grow (the exchange's ULIDs):
  // then iteration and eviction order match the Map's too. Otherwise (ids below the last
  // one, ids set again after a delete) lookups and sizes still match.
  const run = (seed: number, increasing: boolean): void => {
    const r = mulberry32(seed);
    const store = new RestOrderStore();
    const map = new Map<string, RestOrder>();
    const ids: string[] = [];
    let next = 100_000;
    for (let step = 0; step < 60_000; step++) {
      const x = r();
      if (x < 0.6) {
        const id = !increasing && r() < 0.05 ? `ID${String(Math.floor(r() * next)).padStart(8, '0')}` : `ID${String(next++).padStart(8, '0')}`;
        const o = rec(id, r() < 0.5 ? 'filled' : 'active');
        store.set(id, o);
        map.set(id, o);
        ids.push(id);
      } else if (x < 0.85) {
        const id = ids[Math.floor(r() * ids.length)] ?? 'none';
        expect(store.delete(id)).toBe(map.delete(id));
      } else if (x < 0.9995) {
        const id = r() < 0.9 ? (ids[Math.floor(r() * ids.length)] ?? 'none') : `ID${String(Math.floor(r() * next * 2)).padStart(8, '0')}`;
        expect(store.get(id)).toBe(map.get(id));
        expect(store.has(id)).toBe(map.has(id));
      } else if (increasing) {
        // the exchange's eviction: oldest completed first down to a target
        const target = Math.floor(map.size * 0.8);
        store.dropOldest(target, isDone);
        for (const [id, o] of map) {
          if (map.size <= target) break;
          if (isDone(o)) map.delete(id);
        }
        expect([...store.keys()]).toEqual([...map.keys()]);
      }
      expect(store.size).toBe(map.size);
    }
    if (increasing) {
      expect([...store]).toEqual([...map]);
      expect([...store.valuesNewestFirst()]).toEqual([...map.values()].reverse());
    }
    else expect(new Map(store)).toEqual(map);
  };

  it('matches a Map (lookups, sizes, creation-order iteration, eviction) for increasing ids', () => run(7, true));
  it('matches a Map (lookups, sizes, contents) for ids out of order and set again after a delete', () => run(11, false));

  it('keeps the last value of an id set twice and finds an id again after it was deleted and set back', () => {
    const s = new RestOrderStore();
    const a = rec('A'); const b = rec('B'); const b2 = rec('B');
    s.set('A', a).set('B', b).set('B', b2);
    expect(s.size).toBe(2);
    expect(s.get('B')).toBe(b2);
    expect(s.delete('A')).toBe(true);
    expect(s.delete('A')).toBe(false);
    expect(s.get('A')).toBeUndefined();
    s.set('A', a);
    expect(s.get('A')).toBe(a);
    expect(s.size).toBe(2);
    expect(new Map(s)).toEqual(new Map([['A', a], ['B', b2]]));
  });
});

describe('RestLiveOrders', () => {
  it('matches a Map for REST order ids, across chunk releases', () => {
    const r = mulberry32(3);
    const live = new RestLiveOrders();
    const map = new Map<number, RestOrder>();
    let n = 1;
    const open: number[] = [];
    for (let step = 0; step < 100_000; step++) {
      const x = r();
      if (x < 0.5) {
        const id = REST_SLOT * TWO32 + n++;
        const o = rec(String(id));
        live.set(id, o);
        map.set(id, o);
        open.push(id);
      } else if (x < 0.95 && open.length > 0) {
        // fills and cancels hit recent orders more often than old ones
        const k = r() < 0.8 ? open.length - 1 - Math.floor(r() * Math.min(open.length, 50)) : Math.floor(r() * open.length);
        const id = open[k]!;
        open.splice(k, 1);
        expect(live.delete(id)).toBe(map.delete(id));
        expect(live.delete(id)).toBe(false);
      } else {
        const id = REST_SLOT * TWO32 + 1 + Math.floor(r() * (n + 10));
        expect(live.get(id)).toBe(map.get(id));
      }
      expect(live.size).toBe(map.size);
    }
    for (const [id, o] of map) expect(live.get(id)).toBe(o);
  });

  it('refuses an id that is not a REST order id', () => {
    const live = new RestLiveOrders();
    expect(() => live.set(2 * TWO32 + 5, rec('x'))).toThrow(RangeError);
    expect(live.get(2 * TWO32 + 5)).toBeUndefined();
  });
});
