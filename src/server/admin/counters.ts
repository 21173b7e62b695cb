/**
 * The hub's cumulative counters as one flat `name -> count` object (window.ts `Counters`),
 * read through the hub's public Prometheus registry: the same values `/metrics` exposes,
 * computed from the hub's own cells at read time. Nothing on the record path is touched.
 *
 * Keys (all monotonic since the hub started):
 *   res|<op>|<symbol>|<result>   answered requests; op new|cancel|amend|mass_cancel,
 *                                result accepted|rejected|error (new = simex_orders_total,
 *                                the others = simex_order_requests_total)
 *   trades|<symbol>              simex_trades_total
 *   ack_count, ack_within_slo    order acks, and those <= SLO.ackLatencySeconds (1 ms)
 *   engine_count, engine_within_slo   engine commands, and those <= SLO.engineLatencySeconds
 *   drops|<kind>                 backpressure drops
 * Derived totals: orders, orders_rejected, orders_error, trades (sums over the above).
 *
 * Cost: one registry collection of 6 metrics (~100 label sets), well under 1 ms.
 */
import { SLO, formatLe, type MetricsHub } from '../../metrics/index.js';
import type { Counters } from './window.js';

interface PromValue { labels?: Record<string, string | number>; value: number; metricName?: string }

async function values(hub: MetricsHub, name: string): Promise<PromValue[]> {
  const m = hub.registry.getSingleMetric(name);
  if (!m) return [];
  const got = (await m.get()) as { values?: PromValue[] };
  return got.values ?? [];
}

export const ACK_SLO_LE = formatLe(SLO.ackLatencySeconds);
export const ENGINE_SLO_LE = formatLe(SLO.engineLatencySeconds);

export async function readCounters(hub: MetricsHub): Promise<Counters> {
  const c: Counters = { orders: 0, orders_rejected: 0, orders_error: 0, trades: 0, ack_count: 0, ack_within_slo: 0, engine_count: 0, engine_within_slo: 0 };
  const add = (k: string, v: number) => {
    c[k] = (c[k] ?? 0) + v;
  };
  for (const v of await values(hub, 'simex_orders_total')) {
    const l = v.labels ?? {};
    add(`res|new|${l.symbol}|${l.result}`, v.value);
    add('orders', v.value);
    if (l.result === 'rejected') add('orders_rejected', v.value);
    else if (l.result === 'error') add('orders_error', v.value);
  }
  for (const v of await values(hub, 'simex_order_requests_total')) {
    const l = v.labels ?? {};
    add(`res|${l.op}|${l.symbol}|${l.result}`, v.value);
  }
  for (const v of await values(hub, 'simex_trades_total')) {
    add(`trades|${v.labels?.symbol}`, v.value);
    add('trades', v.value);
  }
  for (const v of await values(hub, 'simex_order_ack_duration_seconds')) {
    if (v.metricName?.endsWith('_count')) add('ack_count', v.value);
    else if (v.metricName?.endsWith('_bucket') && v.labels?.le === ACK_SLO_LE) add('ack_within_slo', v.value);
  }
  for (const v of await values(hub, 'simex_engine_command_duration_seconds')) {
    if (v.metricName?.endsWith('_count')) add('engine_count', v.value);
    else if (v.metricName?.endsWith('_bucket') && v.labels?.le === ENGINE_SLO_LE) add('engine_within_slo', v.value);
  }
  for (const v of await values(hub, 'simex_backpressure_drops_total')) add(`drops|${v.labels?.kind}`, v.value);
  return c;
}

/** `res|op|symbol|result` keys of `c` as [op, symbol, result, n]. */
export function resultEntries(c: Counters): [string, string, string, number][] {
  const out: [string, string, string, number][] = [];
  for (const [k, n] of Object.entries(c)) {
    if (!k.startsWith('res|')) continue;
    const [, op, symbol, result] = k.split('|') as [string, string, string, string];
    out.push([op, symbol, result, n]);
  }
  return out;
}

/** Sum of the keys with a given prefix (e.g. 'drops|'). */
export function sumPrefix(c: Counters, prefix: string): number {
  let s = 0;
  for (const [k, n] of Object.entries(c)) if (k.startsWith(prefix)) s += n;
  return s;
}
