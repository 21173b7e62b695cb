/** `simex ops status`: one screen from GET /health and GET /admin/metrics/current. */
import { Exit, OpsError, getJson } from './client.js';
import type { Ctx } from './index.js';
import { table } from './table.js';

const pct = (ratio: unknown) => (typeof ratio === 'number' ? `${(ratio * 100).toFixed(2)} %` : '-');
const ms = (v: unknown) => (typeof v === 'number' ? `${v} ms` : '-');

export async function status(ctx: Ctx): Promise<number> {
  const [h, m] = await Promise.all([
    getJson(ctx.base, '/health', ctx.timeoutMs),
    getJson(ctx.base, '/admin/metrics/current', ctx.timeoutMs).catch(() => null),
  ]);
  const hb = h.body;
  if (typeof hb.status !== 'string') throw new OpsError(`GET /health: HTTP ${h.status} without a status field`);
  const metrics = m && m.status === 200 ? m.body : null;
  const code = hb.status === 'healthy' ? Exit.OK : Exit.NOT_FOUND;
  if (ctx.json) {
    ctx.io.out(JSON.stringify({ health: hb, metrics, metrics_error: metrics ? null : m ? m.body : 'unreachable' }, null, 2));
    return code;
  }
  const tc = (hb.trading_controls ?? {}) as Record<string, unknown>;
  const chaos = (hb.chaos ?? null) as Record<string, unknown> | null;
  const flag = (chaos?.flag ?? {}) as Record<string, unknown>;
  const conns = (hb.connections ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  out.push(`simex ${String(hb.version ?? '')} at ${ctx.base}: ${String(hb.status).toUpperCase()} (HTTP ${h.status}), up ${String(hb.uptime_s)} s`);
  const services = (hb.services ?? {}) as Record<string, string>;
  out.push(`services: ${Object.entries(services).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  out.push('');
  const shards = (hb.shards ?? []) as Record<string, unknown>[];
  out.push(table(['SHARD', 'STATE', 'ENGINE', 'MODE', 'SYMBOLS', 'INFLIGHT', 'COMMANDS', 'HEARTBEAT AGE'],
    shards.map((s) => [s.id, s.state, s.engine, s.mode, (s.symbols as string[]).join(','), s.inflight, s.commands,
      s.heartbeat_age_ms === null ? '-' : `${String(s.heartbeat_age_ms)} ms`])));
  out.push('');
  out.push(`maintenance:      ${tc.maintenance ? `ON since ${String(tc.maintenance_since)}` : 'off'}`);
  const open = (tc.open_circuit_breakers ?? []) as string[];
  out.push(`circuit breakers: ${open.length ? `OPEN: ${open.join(', ')}` : 'all closed'}`);
  if (chaos) {
    const st = flag.settings as Record<string, unknown> | null | undefined;
    out.push(`chaos:            ${chaos.active ? 'ACTIVE' : 'inactive'}` +
      (flag.active ? ` (flag file ${String(flag.flag_file)}: error_rate=${String(st?.error_rate)} latency_ms=${String(st?.latency_ms)}${flag.config_error ? `; malformed, defaults: ${String(flag.config_error)}` : ''})` : '') +
      (flag.flag_file && !flag.active ? ` (flag file ${String(flag.flag_file)} absent)` : '') +
      (Array.isArray(chaos.injector_rules) && chaos.injector_rules.length ? ` rules: ${(chaos.injector_rules as string[]).join(', ')}` : ''));
  }
  out.push(`connections:      trading ${String(conns.trading ?? '-')}, feed ${String(conns.feed ?? '-')}, sessions ${String(conns.sessions ?? '-')}`);
  out.push('');
  if (metrics) {
    out.push(`rates (last ${String(metrics.rate_window_s)} s): ${String(metrics.orders_per_sec)} orders/s, ${String(metrics.trades_per_sec)} trades/s, error rate ${pct(metrics.error_rate)}`);
    out.push(`ack latency (window ${String(metrics.latency_window_s)} s, ${String(metrics.latency_samples)} samples): p50 ${ms(metrics.latency_p50_ms)}  p95 ${ms(metrics.latency_p95_ms)}  p99 ${ms(metrics.latency_p99_ms)}  max ${ms(metrics.latency_max_ms)}`);
    out.push(`totals: ${String(metrics.order_count)} orders, ${String(metrics.trade_count)} trades since start`);
  } else {
    out.push(`rates: unavailable (${m ? `GET /admin/metrics/current: HTTP ${m.status} ${String(m.body.code ?? '')}` : 'GET /admin/metrics/current failed'})`);
  }
  ctx.io.out(out.join('\n'));
  return code;
}
