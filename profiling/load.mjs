#!/usr/bin/env node
// Built-in load driver for the profiling scripts (used when `simex loadgen` is not
// available): REST order flow against a running simex, with autocannon.
//
// usage: node profiling/load.mjs --port 8080 [--host 127.0.0.1] [--seconds 30]
//        [--connections 8] [--symbols BTCUSD,ETHUSD]
//
// Flow: limit orders on both sides within ±0.3 % of a mid price (well inside the ±10 %
// band), so about a third cross and trade; sizes 1-10 lots. Closed-loop (autocannon waits
// for each reply per connection): fine for "make the engine work while we profile", not a
// latency benchmark (that is `simex loadgen`, open-loop). Prints one JSON summary line.
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values } = parseArgs({ options: {
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '8080' },
  seconds: { type: 'string', default: '30' },
  connections: { type: 'string', default: '8' },
  symbols: { type: 'string', default: 'BTCUSD,ETHUSD' },
} });

const base = `http://${values.host}:${values.port}`;
const symbols = await fetch(`${base}/api/symbols`).then((r) => r.json()).catch((err) => {
  console.error(`load: cannot reach ${base}/api/symbols: ${err.message}`);
  process.exit(2);
});
const wanted = new Set(values.symbols.split(',').map((s) => s.trim().toUpperCase()));
const MIDS = { BTCUSD: 50000, ETHUSD: 3000, ADAUSD: 1.5 };
const books = symbols.symbols.filter((s) => wanted.has(s.symbol)).map((s) => ({
  symbol: s.symbol,
  mid: s.last_price ?? MIDS[s.symbol] ?? (s.min_price + s.max_price) / 2,
  tick: s.tick_size, lot: s.lot_size, pd: s.price_decimals, qd: s.quantity_decimals,
}));
if (books.length === 0) { console.error(`load: none of ${values.symbols} is listed by ${base}/api/symbols`); process.exit(2); }

let seed = 12345;
const rnd = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 4294967296; };
function order() {
  const b = books[(rnd() * books.length) | 0];
  const side = rnd() < 0.5 ? 'buy' : 'sell';
  // Buys mostly below mid, sells mostly above; the overlap trades.
  const off = (rnd() - (side === 'buy' ? 0.65 : 0.35)) * 0.006 * b.mid;
  const price = Math.max(b.tick, Math.round((b.mid + off) / b.tick) * b.tick);
  const qty = b.lot * (1 + ((rnd() * 10) | 0));
  return JSON.stringify({ symbol: b.symbol, side, type: 'limit', price: Number(price.toFixed(b.pd)), quantity: Number(qty.toFixed(b.qd)) });
}

const result = await autocannon({
  url: base,
  connections: Number(values.connections),
  duration: Number(values.seconds),
  requests: [{ method: 'POST', path: '/api/orders', headers: { 'content-type': 'application/json' },
    setupRequest: (req) => ({ ...req, body: order() }) }],
});
console.log(JSON.stringify({
  load: 'rest-orders', url: `${base}/api/orders`, seconds: Number(values.seconds), connections: Number(values.connections),
  requests: result.requests.total, rps: result.requests.average, non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts,
}));
