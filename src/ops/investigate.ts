/** `simex ops investigate-failures --limit N [--since 10m]` (seed 002: `investigate_failures --limit 3`). */
import { Exit, OpsError, get200, getJson } from './client.js';
import type { Ctx } from './index.js';
import { table } from './table.js';
import { parseDurationSec } from '../loadgen/duration.js';

export const MAX_LIMIT = 4096;

function detail(f: Record<string, unknown>): string {
  if (f.kind === 'shard_down') return `shard ${String(f.shard)} down, ${String(f.failed_commands)} in-flight commands failed`;
  const parts: string[] = [];
  if (f.http_status !== undefined) {
    if (f.field !== undefined) parts.push(`field ${String(f.field)}`);
    if (f.reason_text) parts.push(String(f.reason_text));
  }
  if (f.account !== undefined) parts.push(`account ${String(f.account)}`);
  if (f.cl_ord_id !== undefined) parts.push(`clOrdId ${String(f.cl_ord_id)}`);
  if (f.order_id !== undefined) parts.push(`order ${String(f.order_id)}`);
  return parts.join(', ');
}

export async function investigateFailures(ctx: Ctx, limitRaw: string | undefined, sinceRaw: string | undefined): Promise<number> {
  const limit = limitRaw === undefined ? 10 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new OpsError(`--limit must be an integer 1..${MAX_LIMIT}`, Exit.USAGE);
  let sinceS: number | null = null;
  if (sinceRaw !== undefined) {
    sinceS = parseDurationSec(sinceRaw);
    if (sinceS === null || !(sinceS > 0)) throw new OpsError(`--since: expected a duration like 30s, 10m, 2h, got "${sinceRaw}"`, Exit.USAGE);
  }
  const q = `?limit=${limit}${sinceS === null ? '' : `&since_s=${sinceS}`}`;
  const [recent, history, health] = await Promise.all([
    get200(ctx.base, `/admin/errors/recent${q}`, ctx.timeoutMs),
    getJson(ctx.base, '/admin/circuit-breaker/history', ctx.timeoutMs).catch(() => null),
    getJson(ctx.base, '/health', ctx.timeoutMs).catch(() => null),
  ]);
  const sinceMs = sinceS === null ? -Infinity : Date.now() - sinceS * 1000;
  const trips = history && history.status === 200
    ? ((history.body.last_24h ?? []) as Record<string, unknown>[]).filter((t) => Date.parse(String(t.opened_at)) >= sinceMs)
    : null;
  const hb = health?.body ?? null;
  const shardsDown = hb ? ((hb.shards ?? []) as Record<string, unknown>[]).filter((s) => s.state !== 'up') : null;
  const chaos = (hb?.chaos ?? null) as Record<string, unknown> | null;
  const tc = (hb?.trading_controls ?? null) as Record<string, unknown> | null;
  if (ctx.json) {
    ctx.io.out(JSON.stringify({
      ...recent, circuit_breaker_trips: trips, shards_down: shardsDown, chaos, trading_controls: tc,
      server_status: hb?.status ?? null,
    }, null, 2));
    return Exit.OK;
  }
  const failures = recent.failures as Record<string, unknown>[];
  const out: string[] = [];
  const win = sinceS === null ? '' : ` in the last ${sinceRaw}`;
  out.push(`Recent failures${win}: ${failures.length} shown (limit ${limit}); the server retains ${String(recent.retained)} of ${String(recent.recorded_total)} recorded since start (ring of ${String(recent.capacity)})`);
  out.push('');
  if (failures.length === 0) out.push('  none recorded');
  else {
    out.push(table(['TIME', 'KIND', 'ORIGIN', 'OP', 'SYMBOL', 'CODE', 'REASON', 'DETAIL'],
      failures.map((f) => [f.time, f.kind, f.origin, f.op, f.symbol, f.reason ?? `HTTP ${String(f.http_status)}`, f.reason_name, detail(f)])));
  }
  const by = ((recent.summary as Record<string, unknown>)?.by_reason ?? []) as { reason: number | null; reason_name: string; http_status?: number; count: number }[];
  out.push('');
  out.push(`Summary by reason (${String((recent.summary as Record<string, unknown>)?.window ?? 'retained records')}):`);
  if (by.length === 0) out.push('  none');
  for (const r of by) out.push(`  ${`${r.reason_name} (${r.reason ?? `HTTP ${String(r.http_status)}`})`.padEnd(34)} ${r.count}`);
  out.push('');
  if (trips === null) out.push('Circuit-breaker trips: unavailable (GET /admin/circuit-breaker/history failed)');
  else if (trips.length === 0) out.push(`Circuit-breaker trips${win || ' (last 24 h)'}: none`);
  else {
    out.push(`Circuit-breaker trips${win || ' (last 24 h)'}: ${trips.length}`);
    out.push(table(['OPENED', 'PAIR', 'TRIGGER', 'MOVE %', 'CLOSED', 'REJECTED'],
      trips.map((t) => [t.opened_at, t.pair, t.trigger, t.move_pct, t.closed_at ?? 'open', t.orders_rejected])));
  }
  if (tc) out.push(`Maintenance: ${tc.maintenance ? `ON since ${String(tc.maintenance_since)}` : 'off'}`);
  if (shardsDown === null) out.push('Shards: unknown (GET /health failed)');
  else if (shardsDown.length === 0) out.push('Shards: all up');
  else for (const s of shardsDown) out.push(`Shard ${String(s.id)} ${String(s.state)} since ${String(s.down_since ?? '?')}: ${String(s.reason ?? '')} (symbols ${(s.symbols as string[]).join(', ')})`);
  if (chaos) {
    const flag = (chaos.flag ?? {}) as Record<string, unknown>;
    const settings = flag.settings as Record<string, unknown> | null | undefined;
    out.push(`Chaos: ${chaos.active ? 'ACTIVE' : 'inactive'}${flag.active ? ` (flag file ${String(flag.flag_file)}: error_rate=${String(settings?.error_rate)} latency_ms=${String(settings?.latency_ms)})` : ''}` +
      `${Array.isArray(chaos.injector_rules) && chaos.injector_rules.length ? `, injector rules: ${(chaos.injector_rules as string[]).join(', ')}` : ''}`);
  }
  out.push('');
  out.push(`Not recorded: ${String(recent.not_recorded)}`);
  ctx.io.out(out.join('\n'));
  return Exit.OK;
}
