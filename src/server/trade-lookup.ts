/**
 * GET /api/trades/:id[?symbol=S]: one trade by its id, for operators (`simex ops find-trade`,
 * seed 002's `operator_tool.py find_trade --id 25`).
 *
 * Trade ids are numbered per symbol (1, 2, 3 ... on each book: the engine's match id), so
 * without `symbol` every symbol whose tape still holds that id answers: `matches` lists them.
 * Each match names its buy and sell orders: a REST order the server still knows gets its
 * status (open orders from the live index; finished ones from the bounded REST store, a scan
 * of up to REST_ORDERS_KEPT records, only on this operator route); a binary order gets its
 * session slot/account and whether it is still open in that session.
 *
 * Answers: 200 {trade_id, count, matches[], retained{symbol: {oldest_trade_id,
 * newest_trade_id, capacity}}}; 404 TRADE_NOT_FOUND (same `retained`, so the caller can say
 * how far back the tape goes); 404 UNKNOWN_SYMBOL; 400 BAD_TRADE_ID (id not an integer >= 1).
 */
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { HttpError, queryOf, sendHttpError, sendJson } from './http.js';
import { FIRST_SESSION_SLOT, REST_SLOT, TWO32, tradeJson, type BookState, type Exchange, type RestOrder } from './exchange.js';

export interface TradeLookupDeps {
  exchange: Exchange;
}

function restOrderByEngineId(ex: Exchange, id: number): RestOrder | undefined {
  const live = ex.restLive.get(id);
  if (live) return live;
  for (const r of ex.restById.values()) if (r.engineId === id) return r;
  return undefined;
}

/** What the server knows about the order with exchange order id `id`. */
export function orderInfo(ex: Exchange, id: number): Record<string, unknown> {
  const slot = Math.floor(id / TWO32);
  if (slot === REST_SLOT) {
    const rec = restOrderByEngineId(ex, id);
    if (!rec) return { exchange_order_id: id, origin: 'rest', known: false, note: 'REST order no longer retained by the server' };
    const j = ex.restOrderJson(rec);
    return {
      exchange_order_id: id, origin: 'rest', known: true, order_id: j.order_id, client_order_id: j.client_order_id,
      side: j.side, type: j.type, status: j.status, quantity: j.quantity, filled_quantity: j.filled_quantity,
      remaining_quantity: j.remaining_quantity, price: j.price, average_price: j.average_price,
    };
  }
  if (slot >= FIRST_SESSION_SLOT) {
    const s = ex.sessionsBySlot[slot];
    if (!s) return { exchange_order_id: id, origin: 'binary', session_slot: slot, known: false, note: 'session no longer retained' };
    const open = s.live.has(id);
    return { exchange_order_id: id, origin: 'binary', session_slot: slot, account: s.account, known: true,
      status: open ? 'open' : 'not open (filled or cancelled)' };
  }
  return { exchange_order_id: id, origin: 'internal', known: false };
}

function retained(books: readonly BookState[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const b of books) {
    const r = b.tape.range();
    out[b.symbol] = { oldest_trade_id: r?.oldest ?? null, newest_trade_id: r?.newest ?? null, retained: b.tape.size, capacity: b.tape.capacity };
  }
  return out;
}

export function registerTradeLookupRoutes(app: TemplatedApp, deps: TradeLookupDeps): void {
  const ex = deps.exchange;
  app.get('/api/trades/:id', (res: HttpResponse, req) => {
    try {
      const raw = req.getParameter(0) ?? '';
      const symRaw = queryOf(req).get('symbol');
      if (!/^\d{1,15}$/.test(raw) || Number(raw) < 1) throw new HttpError(400, 'BAD_TRADE_ID', 'trade id must be an integer >= 1', 'id');
      const id = Number(raw);
      let books: readonly BookState[] = ex.books;
      if (symRaw !== null && symRaw !== '') {
        const b = ex.bySymbol.get(symRaw.toUpperCase());
        if (!b) throw new HttpError(404, 'UNKNOWN_SYMBOL', `unknown symbol ${symRaw.slice(0, 32)}`, 'symbol');
        books = [b];
      }
      const matches: Record<string, unknown>[] = [];
      for (const b of books) {
        const t = b.tape.find(id);
        if (!t) continue;
        matches.push({ ...tradeJson(t), buy_order: orderInfo(ex, t.buy_order_id), sell_order: orderInfo(ex, t.sell_order_id) });
      }
      if (matches.length === 0) {
        sendJson(res, null, 404, {
          error: `trade ${id} not found${books.length === 1 ? ` for ${books[0]!.symbol}` : ''}: trade ids are numbered per symbol and the server keeps the last ${books[0]?.tape.capacity ?? 0} trades of each (see retained)`,
          code: 'TRADE_NOT_FOUND', field: 'id', trade_id: id, retained: retained(books),
        });
        return;
      }
      sendJson(res, null, 200, { trade_id: id, count: matches.length, matches, retained: retained(books) });
    } catch (err) {
      sendHttpError(res, null, err);
    }
  });
}
