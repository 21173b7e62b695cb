/**
 * JSON WebSocket feed for browsers: `/ws/feed`.
 *
 *   client -> server (text): {"op":"subscribe","topics":["trades.BTCUSD","book.BTCUSD","metrics"]}
 *                            {"op":"unsubscribe","topics":[...]}   {"op":"ping"}
 *   server -> client (text): {"topic":"trades.BTCUSD","data":[{trade_id,price,quantity,side,timestamp},...]}
 *                            {"topic":"book.BTCUSD","data":{bids:[[price,qty,orders]...],asks:[...],sequence,timestamp}}
 *                            {"topic":"metrics","data":<MetricsHub FeedPoint>}
 *                            {"op":"subscribed","topics":[...]} / {"op":"error","code","error"}
 *
 * Rates are bounded so a browser cannot be flooded by a load test: trades are batched every
 * FEED_TRADES_MS (at most 200 per batch), books are sent every FEED_BOOK_MS when changed
 * (top FEED_BOOK_LEVELS levels), metrics once per second. A browser that cannot keep up is
 * skipped by uWS (maxBackpressure, no queueing beyond 1 MiB); the feed is lossy by design.
 */
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import { unitsToNumber } from '../protocol/decimal.js';
import type { MetricsHub } from '../metrics/index.js';
import { uWS } from './uws.js';
import type { Exchange } from './exchange.js';

const FEED_TRADES_MS = 100;
const FEED_BOOK_MS = 250;
const FEED_BOOK_LEVELS = 20;
const MAX_TOPICS = 64;

interface FeedData {
  topics: Set<string>;
}

export class JsonFeed {
  private app: TemplatedApp | null = null;
  private timers: NodeJS.Timeout[] = [];
  private unsubscribeHub: (() => void) | null = null;
  readonly conns = new Set<WebSocket<FeedData>>();

  constructor(private readonly exchange: Exchange, private readonly hub: MetricsHub | null) {}

  private topicValid(t: string): boolean {
    if (t === 'metrics') return true;
    const m = /^(trades|book)\.([A-Z0-9]{1,16})$/.exec(t);
    return !!m && this.exchange.bySymbol.has(m[2]!);
  }

  register(app: TemplatedApp): void {
    this.app = app;
    app.ws<FeedData>('/ws/feed', {
      compression: uWS.DISABLED,
      maxPayloadLength: 4096,
      maxBackpressure: 1 << 20,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      upgrade: (res, req, ctx) => {
        res.upgrade<FeedData>({ topics: new Set() }, req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), ctx);
      },
      open: (ws) => {
        this.conns.add(ws);
        this.hub?.setConnections('feed', this.conns.size);
      },
      message: (ws, msg) => {
        let req: unknown;
        try {
          req = JSON.parse(Buffer.from(msg).toString('utf8'));
        } catch {
          ws.send(JSON.stringify({ op: 'error', code: 'INVALID_JSON', error: 'send JSON text frames' }));
          return;
        }
        const r = req as { op?: unknown; topics?: unknown };
        if (r?.op === 'ping') {
          ws.send(JSON.stringify({ op: 'pong', ts: Date.now() }));
          return;
        }
        if ((r?.op !== 'subscribe' && r?.op !== 'unsubscribe') || !Array.isArray(r.topics) || r.topics.length > MAX_TOPICS) {
          ws.send(JSON.stringify({ op: 'error', code: 'BAD_REQUEST', error: 'expected {"op":"subscribe"|"unsubscribe","topics":[...]}' }));
          return;
        }
        const d = ws.getUserData();
        const ok: string[] = [];
        const bad: string[] = [];
        for (const t of r.topics) {
          if (typeof t !== 'string' || !this.topicValid(t)) {
            bad.push(String(t).slice(0, 40));
            continue;
          }
          if (r.op === 'subscribe') {
            if (!d.topics.has(t)) {
              d.topics.add(t);
              ws.subscribe(`feed/${t}`);
            }
          } else if (d.topics.delete(t)) ws.unsubscribe(`feed/${t}`);
          ok.push(t);
        }
        ws.send(JSON.stringify({ op: r.op === 'subscribe' ? 'subscribed' : 'unsubscribed', topics: ok, ...(bad.length ? { unknown: bad } : {}) }));
        // Give a new book subscriber the current state right away.
        if (r.op === 'subscribe') {
          for (const t of ok) {
            if (t.startsWith('book.')) ws.send(this.bookMessage(t.slice(5)));
            if (t === 'metrics' && this.hub) ws.send(JSON.stringify({ topic: 'metrics', data: this.hub.feedPoint(true) }));
          }
        }
      },
      close: (ws) => {
        this.conns.delete(ws);
        this.hub?.setConnections('feed', this.conns.size);
      },
    });
    this.timers.push(setInterval(() => this.pushTrades(), FEED_TRADES_MS));
    this.timers.push(setInterval(() => this.pushBooks(), FEED_BOOK_MS));
    for (const t of this.timers) t.unref();
    if (this.hub) {
      this.unsubscribeHub = this.hub.onFeed((point) => {
        if (this.app && this.app.numSubscribers('feed/metrics') > 0) {
          this.app.publish('feed/metrics', JSON.stringify({ topic: 'metrics', data: point }), false);
        }
      });
    }
  }

  private bookMessage(symbol: string): string {
    const b = this.exchange.bySymbol.get(symbol)!;
    const d = this.exchange.depth(b, FEED_BOOK_LEVELS);
    const ps = b.priceScale;
    const qs = b.qtyScale;
    const conv = (l: [number, number, number]) => [unitsToNumber(l[0], ps), unitsToNumber(l[1], qs), l[2]];
    return JSON.stringify({
      topic: `book.${symbol}`,
      data: { symbol, bids: d.bids.map(conv), asks: d.asks.map(conv), sequence: b.mdSeq, timestamp: new Date().toISOString() },
    });
  }

  private pushTrades(): void {
    const app = this.app;
    if (!app) return;
    for (const b of this.exchange.books) {
      if (b.tape.count === b.feedTradesSent) continue;
      const topic = `feed/trades.${b.symbol}`;
      if (app.numSubscribers(topic) === 0) {
        b.feedTradesSent = b.tape.count;
        continue;
      }
      const trades = this.exchange.takeFeedTrades(b);
      app.publish(topic, JSON.stringify({
        topic: `trades.${b.symbol}`,
        data: trades.map((t) => ({ trade_id: t.trade_id, price: t.price, quantity: t.quantity, side: t.side, timestamp: new Date(t.ts).toISOString() })),
      }), false);
    }
  }

  private pushBooks(): void {
    const app = this.app;
    if (!app) return;
    for (const b of this.exchange.books) {
      if (!b.feedBookDirty) continue;
      b.feedBookDirty = false;
      const topic = `feed/book.${b.symbol}`;
      if (app.numSubscribers(topic) === 0) continue;
      app.publish(topic, this.bookMessage(b.symbol), false);
    }
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.unsubscribeHub?.();
    for (const ws of [...this.conns]) {
      try {
        ws.end(1001, 'server shutting down');
      } catch {
        /* closed */
      }
    }
  }
}
