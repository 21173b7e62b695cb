// The hot-path rewrite of MetricsHub (label cells, columnar recent trades, deferred HDR
// recording) must expose exactly what the string-keyed hub of commit a4e49fe exposed: the
// same call sequence into both gives byte-identical /metrics text and equal /api/metrics,
// feed points, history, recent trades and health.
import { describe, expect, it } from 'vitest';
import { MetricsHub, ShardMetrics } from '../../src/metrics/index.js';
import { ACK_BUCKETS_S } from '../../src/metrics/latency.js';
import { MetricsHub as ReferenceHub } from './fixtures/reference-hub.js';

function clock(start: number) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** xorshift32: the sequence is fixed by the seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Event-loop delay figures come from perf_hooks at each hub's own tick: not comparable. */
function withoutEld(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('simex_event_loop_delay_'))
    .join('\n');
}
function stripPoint<T extends object>(p: T): T {
  const q = { ...p } as Record<string, unknown>;
  delete q.event_loop;
  return q as T;
}

type Hub = Pick<MetricsHub, 'recordOrder' | 'recordRequest' | 'recordTrade' | 'recordE2E' | 'ingestShard' | 'tick' | 'apiMetrics' | 'feedPoint' | 'historyPoints' | 'recentTrades' | 'rates' | 'health' | 'prometheusText' | 'close' | 'setConnections' | 'recordDrop'>;

describe('MetricsHub equals the reference (pre-rewrite) hub', () => {
  it('random calls with odd labels, bound-exact latencies, shard snapshots and ticks', async () => {
    const c = clock(1_700_000_000_250);
    const symbols = ['BTCUSD', 'ETHUSD', 'ADAUSD'];
    const opts = { symbols, shards: [0, 1], timer: false, defaultMetrics: false, now: c.now, historyPoints: 20 };
    const hubs: Hub[] = [new MetricsHub(opts), new ReferenceHub(opts) as unknown as Hub];
    const r = prng(42);
    const syms = [...symbols, 'XYZUSD', 'other', '', 'btcusd'];
    const sides = ['buy', 'sell', 'BUY', 'other'];
    const types = ['limit', 'market', 'stop'];
    const results = ['accepted', 'accepted', 'accepted', 'rejected', 'error', 'weird'];
    const ops = ['cancel', 'amend', 'mass_cancel', 'replace'];
    const boundsNs = ACK_BUCKETS_S.map((s) => Math.round(s * 1e9));
    const latency = (): number => {
      const x = r();
      if (x < 0.15) return pick(r, boundsNs) + pick(r, [-1, 0, 0, 1, 0.4, -0.6]);
      if (x < 0.17) return pick(r, [0, -5, 0.3, 1, 2047, 2048, 4294967295, 4294967296, 5e9, 7e10, 1e12]);
      return Math.exp(Math.log(500) + r() * (Math.log(3e7) - Math.log(500))) + r();
    };
    const shard = new ShardMetrics(1, ['ETHUSD']);
    for (let sec = 0; sec < 40; sec++) {
      const n = Math.floor(r() * 400);
      for (let i = 0; i < n; i++) {
        const x = r();
        let call: (h: Hub) => void;
        if (x < 0.45) {
          const a = [pick(r, syms), pick(r, sides), pick(r, types), pick(r, results)] as const;
          const ns = latency();
          call = (h) => {
            h.recordOrder(...a);
            h.recordE2E(ns);
          };
        } else if (x < 0.6) {
          const a = [pick(r, ops), pick(r, syms), pick(r, results)] as const;
          call = (h) => h.recordRequest(...a);
        } else if (x < 0.9) {
          const price = r() < 0.03 ? pick(r, [0, -1, Infinity, NaN]) : Math.round(r() * 1e6) / 100;
          const qty = r() < 0.03 ? pick(r, [0, -1]) : Math.round(r() * 1e4) / 1e4;
          const side = pick(r, ['buy', 'sell', undefined] as const);
          const ts = r() < 0.5 ? c.now() - 3 : undefined;
          const s = pick(r, syms);
          call = (h) => h.recordTrade(s, price, qty, side, ts);
        } else if (x < 0.95) {
          const ns = latency();
          call = (h) => h.recordE2E(ns);
        } else {
          const kind = pick(r, ['trading', 'feed', 'Bad Kind']);
          const v = Math.floor(r() * 10);
          call = (h) => {
            h.setConnections(kind, v);
            h.recordDrop(kind);
          };
        }
        for (const h of hubs) call(h);
        if (r() < 0.01) c.advance(Math.floor(r() * 300)); // calls spread inside the second
      }
      if (sec % 5 === 2) {
        shard.recordBatch(20_000 + sec * 100, 4, 9);
        shard.recordOrder('ETHUSD', 'buy', 'limit', sec % 2 ? 'accepted' : 'error');
        shard.recordRequest('cancel', 'ETHUSD', 'rejected');
        shard.recordTrade('ETHUSD', 3000.5, 0.25, 'sell', c.now());
        const snap = shard.snapshot();
        // A delta with n = 0 and an unknown symbol: series appear with value 0 / as "other".
        snap.counters.requests.push(['amend', 'NOPE', 'accepted', 0]);
        snap.counters.orders.push(['NOPE', 'sell', 'market', 'rejected', 2]);
        for (const h of hubs) h.ingestShard(1, structuredClone(snap));
      }
      if (sec % 7 === 3) {
        expect(withoutEld(await hubs[0]!.prometheusText())).toBe(withoutEld(await hubs[1]!.prometheusText()));
        expect(hubs[0]!.apiMetrics()).toEqual(hubs[1]!.apiMetrics());
      }
      c.advance(1000 - (c.now() % 1000) + Math.floor(r() * 50));
      const [p0, p1] = hubs.map((h) => stripPoint(h.tick()));
      expect(p0).toEqual(p1);
    }
    const t0 = withoutEld(await hubs[0]!.prometheusText());
    expect(t0).toBe(withoutEld(await hubs[1]!.prometheusText()));
    expect(t0).toContain('simex_orders_total{symbol="other",side="other",type="other",result="other"}');
    expect(t0).toMatch(/^simex_order_requests_total\{op="amend",symbol="other",result="accepted"\} \d+$/m);
    expect(t0).toMatch(/^simex_order_ack_duration_seconds_bucket\{le="0.001"\} \d+$/m);
    expect(hubs[0]!.apiMetrics()).toEqual(hubs[1]!.apiMetrics());
    expect(stripPoint(hubs[0]!.feedPoint(true))).toEqual(stripPoint(hubs[1]!.feedPoint(true)));
    expect(hubs[0]!.historyPoints().map(stripPoint)).toEqual(hubs[1]!.historyPoints().map(stripPoint));
    expect(hubs[0]!.rates()).toEqual(hubs[1]!.rates());
    expect(hubs[0]!.health()).toEqual(hubs[1]!.health());
    for (const s of [...syms, 'nothing']) expect(hubs[0]!.recentTrades(s)).toEqual(hubs[1]!.recentTrades(s));
    const m = hubs[0]!.apiMetrics() as { order_count: number; latency_samples: number };
    expect(m.order_count).toBeGreaterThan(1000);
    expect(m.latency_samples).toBeGreaterThan(1000);
    for (const h of hubs) h.close();
  });
});
