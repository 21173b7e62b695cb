/** `simex ops find-trade --id N [--symbol S]` (seed 002: `operator_tool.py find_trade --id 25`). */
import { Exit, OpsError, getJson } from './client.js';
import type { Ctx } from './index.js';
import { table } from './table.js';

interface Retained { oldest_trade_id: number | null; newest_trade_id: number | null; retained: number; capacity: number }

function orderLine(side: string, o: Record<string, unknown>): string[] {
  const id = String(o.exchange_order_id);
  if (o.origin === 'rest') {
    if (!o.known) return [side, id, 'rest', '-', 'unknown (no longer retained by the server)'];
    return [side, id, 'rest', String(o.order_id),
      `${String(o.status)}: ${String(o.filled_quantity)} of ${String(o.quantity)} filled${o.average_price !== null && o.average_price !== undefined ? ` @ avg ${String(o.average_price)}` : ''}`];
  }
  if (o.origin === 'binary') {
    if (!o.known) return [side, id, 'binary', `slot ${String(o.session_slot)}`, 'unknown (session no longer retained)'];
    return [side, id, 'binary', `slot ${String(o.session_slot)} account ${String(o.account)}`, String(o.status)];
  }
  return [side, id, String(o.origin), '-', 'unknown'];
}

/** Why trade `id` is absent from a symbol's tape. */
export function absentWhy(id: number, r: Retained): string {
  if (r.newest_trade_id === null) return 'no trades yet';
  if (id > r.newest_trade_id) return `not traded yet (newest is ${r.newest_trade_id})`;
  if (r.oldest_trade_id !== null && id < r.oldest_trade_id) {
    return `no longer retained (keeps the last ${r.capacity}: ${r.oldest_trade_id}..${r.newest_trade_id})`;
  }
  return `not on the tape (${r.oldest_trade_id}..${r.newest_trade_id} retained)`;
}

export async function findTrade(ctx: Ctx, idRaw: string | undefined, symbol: string | undefined): Promise<number> {
  if (idRaw === undefined) throw new OpsError('--id is required', Exit.USAGE);
  if (!/^\d{1,15}$/.test(idRaw) || Number(idRaw) < 1) throw new OpsError(`--id must be an integer >= 1, got "${idRaw}"`, Exit.USAGE);
  const id = Number(idRaw);
  const q = symbol ? `?symbol=${encodeURIComponent(symbol)}` : '';
  const r = await getJson(ctx.base, `/api/trades/${id}${q}`, ctx.timeoutMs);
  if (r.status === 404 && r.body.code === 'UNKNOWN_SYMBOL') throw new OpsError(`unknown symbol "${symbol}"`, Exit.USAGE);
  if (r.status !== 200 && !(r.status === 404 && r.body.code === 'TRADE_NOT_FOUND')) {
    throw new OpsError(`GET /api/trades/${id}: HTTP ${r.status} ${String(r.body.code ?? '')} ${String(r.body.error ?? '')}`);
  }
  const retained = (r.body.retained ?? {}) as Record<string, Retained>;
  if (ctx.json) {
    ctx.io.out(JSON.stringify({ found: r.status === 200, ...r.body }, null, 2));
    return r.status === 200 ? Exit.OK : Exit.NOT_FOUND;
  }
  if (r.status === 404) {
    const lines = Object.entries(retained).map(([s, ret]) => `  ${s.padEnd(8)} ${absentWhy(id, ret)}`);
    ctx.io.out(`Trade ${id} not found${symbol ? ` for ${symbol.toUpperCase()}` : ' on any symbol'}. Trade ids are numbered per symbol; the server keeps the last ${Object.values(retained)[0]?.capacity ?? '?'} trades of each:\n${lines.join('\n')}`);
    return Exit.NOT_FOUND;
  }
  const matches = r.body.matches as Record<string, unknown>[];
  const out: string[] = [];
  out.push(`Trade ${id}: ${matches.length} match${matches.length === 1 ? '' : 'es'}${symbol ? '' : ' (ids are per symbol)'}`);
  out.push('');
  out.push(table(['TRADE', 'SYMBOL', 'PRICE', 'QUANTITY', 'AGGRESSOR', 'BUY ORDER', 'SELL ORDER', 'TIME'],
    matches.map((m) => [m.trade_id, m.symbol, m.price, m.quantity, m.side, m.buy_order_id, m.sell_order_id, m.timestamp])));
  for (const m of matches) {
    out.push('');
    out.push(`Orders of ${String(m.symbol)} trade ${String(m.trade_id)}:`);
    out.push(table(['SIDE', 'EXCHANGE ID', 'ORIGIN', 'ORDER', 'STATUS'],
      [orderLine('buy', m.buy_order as Record<string, unknown>), orderLine('sell', m.sell_order as Record<string, unknown>)]));
  }
  ctx.io.out(out.join('\n'));
  return Exit.OK;
}
