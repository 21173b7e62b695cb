// The seed runbook's health check and Demo 1 (shared/seeds/000_*.txt), over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestServer, type TestServer } from './helpers/server.js';

describe('runbook Demo 1: basic trading over REST', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('logs the start-up lines of the runbook', async () => {
    const init = await srv.waitForLog((l) => l.msg === 'Application initialized successfully');
    expect(init).toMatchObject({ level: 'INFO', environment: 'development', simulation_enabled: false, metrics_enabled: true, health_enabled: true });
    expect(typeof init.time).toBe('string');
    await srv.waitForLog((l) => l.msg === 'Starting HTTP server');
    const listening = await srv.waitForLog((l) => l.msg === 'HTTP server listening');
    expect(listening).toMatchObject({ host: '127.0.0.1', port: String(srv.port) });
  });

  it('GET /health answers healthy with services and version', async () => {
    const r = await api(srv.base, 'GET', '/health');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('healthy');
    expect(r.body.services).toMatchObject({ metrics: 'healthy', simulation: 'disabled', engine: 'healthy', 'shard-0': 'healthy' });
    expect(r.body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(Date.parse(r.body.timestamp)).toBeGreaterThan(0);
  });

  it('buy limit rests active, matching sell fills, market order takes the best price', async () => {
    const buy = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: 1.0, price: 50000.0 });
    expect(buy.status).toBe(201);
    expect(buy.body).toMatchObject({ symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: 1, price: 50000, status: 'active', filled_quantity: 0 });
    expect(buy.body.order_id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/); // ULID
    expect(Date.parse(buy.body.timestamp)).toBeGreaterThan(0);

    const book = await api(srv.base, 'GET', '/api/orderbook/BTCUSD?depth=5');
    expect(book.body.bids).toEqual([{ price: 50000, quantity: 1, orders: 1 }]);

    const sell = await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'sell', type: 'limit', quantity: 1.0, price: 50000.0 });
    expect(sell.status).toBe(201);
    expect(sell.body).toMatchObject({ status: 'filled', filled_quantity: 1 });
    expect(sell.body.fills).toHaveLength(1);
    expect(sell.body.fills[0]).toMatchObject({ price: 50000, quantity: 1, liquidity: 'taker' });

    const buyAfter = await api(srv.base, 'GET', `/api/orders/${buy.body.order_id}`);
    expect(buyAfter.body).toMatchObject({ status: 'filled', filled_quantity: 1, remaining_quantity: 0 });
    expect(buyAfter.body.fills[0].liquidity).toBe('maker');

    // Market order: two asks resting, the market buy takes the best (lowest) first.
    await api(srv.base, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'sell', type: 'limit', quantity: '3', price: '3001.50' });
    await api(srv.base, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'sell', type: 'limit', quantity: 3, price: 3000 });
    const mkt = await api(srv.base, 'POST', '/api/orders', { symbol: 'ETHUSD', side: 'buy', type: 'market', quantity: 5.0, price: 0 });
    expect(mkt.status).toBe(201);
    expect(mkt.body).toMatchObject({ type: 'market', status: 'filled', filled_quantity: 5 });
    expect(mkt.body.fills.map((f: { price: number; quantity: number }) => [f.price, f.quantity])).toEqual([[3000, 3], [3001.5, 2]]);
    const eth = await api(srv.base, 'GET', '/api/orderbook/ETHUSD');
    expect(eth.body.asks).toEqual([{ price: 3001.5, quantity: 1, orders: 1 }]);

    const trades = await api(srv.base, 'GET', '/api/trades?symbol=ETHUSD&limit=10');
    expect(trades.body.trades.map((t: { price: number }) => t.price)).toEqual([3001.5, 3000]); // newest first
    expect(trades.body.trades[0]).toMatchObject({ symbol: 'ETHUSD', side: 'buy', quantity: 2 });

    // The runbook's audit log line.
    const placed = await srv.waitForLog((l) => l.msg === 'Order placed' && l.order_id === sell.body.order_id);
    expect(placed).toMatchObject({ level: 'INFO', symbol: 'BTCUSD', side: 'sell', quantity: 1 });
  });

  it('cancel and amend a resting order', async () => {
    const o = await api(srv.base, 'POST', '/api/orders', { symbol: 'ADAUSD', side: 'buy', type: 'limit', quantity: 100, price: '1.5', client_order_id: 'my-1' });
    expect(o.body).toMatchObject({ status: 'active', client_order_id: 'my-1' });
    const am = await api(srv.base, 'PATCH', `/api/orders/${o.body.order_id}`, { price: '1.4999', quantity: 50 });
    expect(am.status).toBe(200);
    expect(am.body).toMatchObject({ price: 1.4999, quantity: 50, remaining_quantity: 50, status: 'active' });
    const del = await api(srv.base, 'DELETE', `/api/orders/${o.body.order_id}`);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ status: 'cancelled', cancel_reason: 'USER' });
    const again = await api(srv.base, 'DELETE', `/api/orders/${o.body.order_id}`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ORDER_NOT_OPEN');
    const book = await api(srv.base, 'GET', '/api/orderbook/ADAUSD');
    expect(book.body.bids).toEqual([]);
  });

  it('lists symbols with their shard', async () => {
    const r = await api(srv.base, 'GET', '/api/symbols');
    expect(r.status).toBe(200);
    expect(r.body.symbols.map((s: { symbol: string }) => s.symbol)).toEqual(['BTCUSD', 'ETHUSD', 'ADAUSD']);
    expect(r.body.symbols[0]).toMatchObject({ instrument_id: 0, status: 'trading', tick_size: 0.01, price_decimals: 2 });
  });
});
