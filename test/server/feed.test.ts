// JSON WebSocket feed for browsers (/ws/feed): trades.SYMBOL, book.SYMBOL, metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { api, startTestServer, type TestServer } from './helpers/server.js';

const waitFor = async (pred: () => boolean, ms = 10_000) => {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('JSON feed', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('streams trades, books and metrics to subscribers', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/ws/feed`);
    const msgs: any[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(String(d))));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ op: 'subscribe', topics: ['trades.BTCUSD', 'book.BTCUSD', 'metrics', 'book.NOPE'] }));
    await waitFor(() => msgs.some((m) => m.op === 'subscribed'));
    expect(msgs.find((m) => m.op === 'subscribed')).toMatchObject({ topics: ['trades.BTCUSD', 'book.BTCUSD', 'metrics'], unknown: ['book.NOPE'] });
    await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'sell', type: 'limit', quantity: 0.5, price: 50100 });
    await api(srv.base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: 0.2, price: 50100 });
    await waitFor(() => msgs.some((m) => m.topic === 'trades.BTCUSD'));
    const t = msgs.find((m) => m.topic === 'trades.BTCUSD');
    expect(t.data[0]).toMatchObject({ price: 50100, quantity: 0.2, side: 'buy' });
    await waitFor(() => msgs.some((m) => m.topic === 'book.BTCUSD' && m.data.asks.length === 1 && m.data.asks[0][1] === 0.3));
    await waitFor(() => msgs.some((m) => m.topic === 'metrics'), 5000);
    expect(msgs.find((m) => m.topic === 'metrics').data).toHaveProperty('order_count');
    ws.send('not json');
    await waitFor(() => msgs.some((m) => m.op === 'error'));
    ws.close();
  });
});
