/**
 * A small in-test exchange speaking protocol v1 over `ws` (test helper, not a test file).
 * It implements the session rules of docs/PROTOCOL.md (login/new/resume/replay, clOrdId
 * high-water mark, sequenced report journal, market data with mdSeq and snapshots) with a
 * scripted, deterministic "matching" so client behaviour can be checked exactly:
 *   - MARKET order: ACCEPTED + FILL of the whole qty (taker) in one frame;
 *   - LIMIT IOC: ACCEPTED + FILL of floor(qty/2) + CANCELLED IOC_REMAINDER;
 *   - LIMIT GTC: ACCEPTED, rests; `fillResting()` fills a resting order as maker later;
 *   - price < 0 or qty <= 0: REJECTED BAD_PRICE / BAD_QUANTITY.
 * Hooks let tests lose responses, drop connections, skip market data and go silent.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { FrameReader, FrameWriter } from '../../src/protocol/codec.js';
import {
  ALL_INSTRUMENTS, MsgType, PROTOCOL_VERSION, LoginAckFlags, SubscribeFlags,
  type Instrument, type Decoded,
} from '../../src/protocol/messages.js';
import { EdgeReason, RejectReason, CancelReason } from '../../src/protocol/reasons.js';

export const INSTRUMENTS: Omit<Instrument, 'type'>[] = [
  { instrument: 0, priceDecimals: 2, qtyDecimals: 6, status: 0, symbol: 'BTCUSD', tickSize: 1, lotSize: 100, minQty: 100, maxQty: 1e9, minPrice: 1, maxPrice: 1e10, bandBps: 1000 },
  { instrument: 1, priceDecimals: 2, qtyDecimals: 5, status: 0, symbol: 'ETHUSD', tickSize: 1, lotSize: 100, minQty: 100, maxQty: 1e9, minPrice: 1, maxPrice: 1e9, bandBps: 1000 },
];

interface Order { clOrdId: number; orderId: number; instrument: number; side: number; price: number; leaves: number; filled?: number }
interface Session {
  id: number;
  account: number;
  high: number; // highest clOrdId used
  journal: Uint8Array[]; // journal[seq-1] = encoded report
  orders: Map<number, Order>; // by orderId
  conn: Conn | null;
}
interface Conn { ws: WebSocket; session: Session | null; subs: Set<number> }

export class FakeServer {
  readonly wss: WebSocketServer;
  port = 0;
  heartbeatMs = 1000;
  sessions = new Map<number, Session>();
  /** Frames received from clients (count) and NEW_ORDERs executed per (session, clOrdId). */
  framesIn = 0;
  executed = new Map<string, number>();
  /** While > 0, requests are processed but their reports are not sent (lost in flight). */
  loseResponses = 0;
  /** While true, the server sends nothing at all (not even heartbeats). */
  silent = false;
  /** While true, incoming request messages are ignored entirely (lost before arrival). */
  ignoreRequests = false;
  logins: { sessionId: number; nextExpectedSeq: number }[] = [];
  /** Emulate a lax server: ACCEPTED also for CANCEL/AMEND, and the request's clOrdId (not
   *  the order's) in CANCELLED/AMENDED.clOrdId. The client must still get it right. */
  lax = false;
  /** Replay this many reports before nextExpectedSeq too (a sloppy server: duplicates). */
  replayOverlap = 0;
  snapshotRequests = 0;
  private nextOrderId = 1000;
  private nextSession = 5000;
  private conns = new Set<Conn>();
  private hbTimer: NodeJS.Timeout | undefined;
  /** Market data state per instrument. */
  md = new Map<number, { seq: number; levels: Map<string, { side: number; price: number; qty: number; orders: number }> }>();

  constructor() {
    this.wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    this.wss.on('connection', (ws) => {
      const c: Conn = { ws, session: null, subs: new Set() };
      this.conns.add(c);
      ws.on('message', (data: Buffer) => this.onFrame(c, data));
      ws.on('close', () => {
        this.conns.delete(c);
        if (c.session?.conn === c) c.session.conn = null;
      });
    });
    for (const i of INSTRUMENTS) this.md.set(i.instrument, { seq: 0, levels: new Map() });
  }

  static async start(heartbeatMs = 1000): Promise<FakeServer> {
    const s = new FakeServer();
    s.heartbeatMs = heartbeatMs;
    await new Promise<void>((r) => s.wss.once('listening', () => r()));
    s.port = (s.wss.address() as AddressInfo).port;
    s.hbTimer = setInterval(() => {
      for (const c of s.conns) {
        if (!c.session) continue;
        const w = new FrameWriter(32);
        w.serverHeartbeat({ ts: Date.now() * 1000, lastSeq: c.session.journal.length });
        s.send(c, w.take());
      }
    }, heartbeatMs);
    return s;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws/v1`;
  }

  async stop(): Promise<void> {
    clearInterval(this.hbTimer);
    for (const c of this.conns) c.ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }

  /** Kill every connection abruptly (no DISCONNECT). */
  dropAll(): void {
    for (const c of this.conns) c.ws.terminate();
  }

  private send(c: Conn, frame: Uint8Array): void {
    if (this.silent) return;
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(frame);
  }

  /** Append reports to the journal (assigning seq) and send them to the session's connection. */
  private report(s: Session, build: (w: FrameWriter, seqOf: () => number) => void): void {
    const w = new FrameWriter(256);
    const msgs: Uint8Array[] = [];
    let seq = s.journal.length;
    build(w, () => ++seq);
    // split the frame into its messages for the journal
    const all = w.take();
    for (let o = 0; o < all.length;) {
      const len = all[o]! | (all[o + 1]! << 8);
      msgs.push(all.slice(o, o + len));
      o += len;
    }
    s.journal.push(...msgs);
    if (this.loseResponses > 0) {
      this.loseResponses--;
      return;
    }
    if (s.conn) this.send(s.conn, all);
  }

  private onFrame(c: Conn, data: Buffer): void {
    this.framesIn++;
    const r = new FrameReader().reset(data);
    for (let m = r.next(); m !== null; m = r.next()) this.onMessage(c, m);
  }

  private onMessage(c: Conn, m: Decoded): void {
    const now = Date.now() * 1000;
    if (m.type === MsgType.LOGIN) return this.onLogin(c, m.sessionId, m.nextExpectedSeq, m.account, m.protocolVersion);
    const s = c.session;
    if (!s) return;
    if (this.ignoreRequests && m.type >= MsgType.NEW_ORDER && m.type <= MsgType.MASS_CANCEL) return;
    switch (m.type) {
      case MsgType.NEW_ORDER: case MsgType.CANCEL: case MsgType.AMEND: case MsgType.MASS_CANCEL: {
        const rej = (reason: number) => this.report(s, (w, seq) => w.rejected({
          instrument: m.instrument, requestType: m.type, seq: seq(), ts: now, clOrdId: m.clOrdId, orderId: 0, reason,
        }));
        if (m.clOrdId === s.high) return rej(EdgeReason.DUPLICATE_CLIENT_ORDER_ID);
        if (m.clOrdId < s.high || m.clOrdId === 0) return rej(EdgeReason.CLIENT_ORDER_ID_NOT_INCREASING);
        s.high = m.clOrdId;
        const key = `${s.id}:${m.clOrdId}`;
        this.executed.set(key, (this.executed.get(key) ?? 0) + 1);
        if (m.type === MsgType.NEW_ORDER) {
          if (m.price < 0) return rej(RejectReason.BAD_PRICE);
          if (m.qty <= 0) return rej(RejectReason.BAD_QUANTITY);
          const orderId = this.nextOrderId++;
          this.report(s, (w, seq) => {
            w.accepted({ instrument: m.instrument, side: m.side, ordType: m.ordType, seq: seq(), ts: now, clOrdId: m.clOrdId, orderId, price: m.price, qty: m.qty, tif: m.tif, flags: m.flags, stp: m.stp });
            if (m.ordType === 1) {
              w.fill({ instrument: m.instrument, side: m.side, liquidity: 2, seq: seq(), ts: now, clOrdId: m.clOrdId, orderId, matchId: orderId, price: 5000000, qty: m.qty, leaves: 0 });
            } else if (m.tif === 1) {
              const half = Math.floor(m.qty / 2);
              w.fill({ instrument: m.instrument, side: m.side, liquidity: 2, seq: seq(), ts: now, clOrdId: m.clOrdId, orderId, matchId: orderId, price: m.price, qty: half, leaves: m.qty - half });
              w.cancelled({ instrument: m.instrument, reason: CancelReason.IOC_REMAINDER, side: m.side, seq: seq(), ts: now, clOrdId: m.clOrdId, orderId, requestClOrdId: 0, leaves: m.qty - half, price: m.price });
            } else {
              s.orders.set(orderId, { clOrdId: m.clOrdId, orderId, instrument: m.instrument, side: m.side, price: m.price, leaves: m.qty });
            }
          });
        } else if (m.type === MsgType.CANCEL || m.type === MsgType.AMEND) {
          const o = m.orderId ? s.orders.get(m.orderId) : [...s.orders.values()].find((x) => x.clOrdId === m.origClOrdId);
          if (!o || o.instrument !== m.instrument) return rej(RejectReason.UNKNOWN_ORDER);
          const cl = this.lax ? m.clOrdId : o.clOrdId;
          const laxAck = (w: FrameWriter, seq: () => number) => {
            if (this.lax) w.accepted({ instrument: o.instrument, side: o.side as 0, ordType: 0, seq: seq(), ts: now, clOrdId: m.clOrdId, orderId: o.orderId, price: o.price, qty: o.leaves, tif: 0, flags: 0, stp: 0 });
          };
          if (m.type === MsgType.CANCEL) {
            s.orders.delete(o.orderId);
            this.report(s, (w, seq) => {
              laxAck(w, seq);
              w.cancelled({ instrument: o.instrument, reason: CancelReason.USER, side: o.side as 0, seq: seq(), ts: now, clOrdId: cl, orderId: o.orderId, requestClOrdId: m.clOrdId, leaves: o.leaves, price: o.price });
            });
          } else {
            // flags bit0 QTY_TOTAL: newQty is the total; at or below the filled quantity the
            // rest is cancelled (AMEND_TO_FILLED, requestClOrdId = the amend's).
            const leaves = m.flags ? m.newQty - (o.filled ?? 0) : m.newQty;
            if (leaves <= 0) {
              s.orders.delete(o.orderId);
              this.report(s, (w, seq) => w.cancelled({ instrument: o.instrument, reason: CancelReason.AMEND_TO_FILLED, side: o.side as 0, seq: seq(), ts: now, clOrdId: cl, orderId: o.orderId, requestClOrdId: m.clOrdId, leaves: o.leaves, price: o.price }));
              return;
            }
            if (o.price === m.newPrice && o.leaves === leaves) return rej(RejectReason.AMEND_NO_CHANGE);
            const old = { ...o };
            o.price = m.newPrice;
            o.leaves = leaves;
            this.report(s, (w, seq) => {
              laxAck(w, seq);
              w.amended({ instrument: o.instrument, flags: old.price === o.price && o.leaves < old.leaves ? 1 : 0, side: o.side as 0, seq: seq(), ts: now, clOrdId: cl, orderId: o.orderId, requestClOrdId: m.clOrdId, newPrice: o.price, newLeaves: o.leaves, oldPrice: old.price, oldLeaves: old.leaves });
            });
          }
        } else {
          if (s.account === 0) return rej(RejectReason.BAD_OWNER);
          const insts = m.instrument === ALL_INSTRUMENTS ? INSTRUMENTS.map((i) => i.instrument) : [m.instrument];
          this.report(s, (w, seq) => {
            for (const inst of insts) {
              const victims = [...s.orders.values()].filter((o) => o.instrument === inst);
              w.massCancelAck({ instrument: inst, seq: seq(), ts: now, clOrdId: m.clOrdId, count: victims.length });
              for (const o of victims) {
                s.orders.delete(o.orderId);
                w.cancelled({ instrument: inst, reason: CancelReason.MASS_CANCEL, side: o.side as 0, seq: seq(), ts: now, clOrdId: o.clOrdId, orderId: o.orderId, requestClOrdId: m.clOrdId, leaves: o.leaves, price: o.price });
              }
            }
          });
        }
        return;
      }
      case MsgType.SUBSCRIBE: {
        const ids = m.instruments.includes(ALL_INSTRUMENTS) ? [...this.md.keys()] : m.instruments;
        for (const id of ids) {
          if (!this.md.has(id)) {
            const w = new FrameWriter(64);
            w.notice({ reason: EdgeReason.UNKNOWN_INSTRUMENT, instrument: id, ref: 0, text: 'unknown instrument' });
            this.send(c, w.take());
            continue;
          }
          c.subs.add(id);
          if (m.flags & SubscribeFlags.SNAPSHOT) this.sendSnapshot(c, id);
        }
        return;
      }
      case MsgType.UNSUBSCRIBE:
        for (const id of m.instruments) c.subs.delete(id);
        return;
      case MsgType.SNAPSHOT_REQUEST:
        this.snapshotRequests++;
        this.sendSnapshot(c, m.instrument, 3);
        return;
      case MsgType.LOGOUT: {
        const w = new FrameWriter(64);
        w.disconnect({ reason: EdgeReason.LOGOUT, instrument: ALL_INSTRUMENTS, ref: 0, text: 'bye' });
        this.send(c, w.take());
        this.sessions.delete(s.id);
        c.ws.close();
        return;
      }
      default:
        return;
    }
  }

  private onLogin(c: Conn, sessionId: number, nextExpectedSeq: number, account: number, version: number): void {
    this.logins.push({ sessionId, nextExpectedSeq });
    const w = new FrameWriter(1024);
    if (version !== PROTOCOL_VERSION) {
      w.loginReject({ reason: EdgeReason.UNSUPPORTED_VERSION });
      this.send(c, w.take());
      c.ws.close();
      return;
    }
    let s = sessionId ? this.sessions.get(sessionId) : undefined;
    const created = !s;
    if (!s) {
      s = { id: sessionId || this.nextSession++, account, high: 0, journal: [], orders: new Map(), conn: null };
      this.sessions.set(s.id, s);
    } else if (s.account !== account) {
      w.loginReject({ reason: EdgeReason.SESSION_ACCOUNT_MISMATCH });
      this.send(c, w.take());
      c.ws.close();
      return;
    }
    if (nextExpectedSeq > s.journal.length + 1) {
      w.loginReject({ reason: EdgeReason.RESUME_SEQ_OUT_OF_RANGE });
      this.send(c, w.take());
      c.ws.close();
      return;
    }
    if (s.conn && s.conn !== c) s.conn.ws.terminate();
    s.conn = c;
    c.session = s;
    w.loginAck({ protocolVersion: 1, flags: created ? LoginAckFlags.NEW_SESSION : 0, instrumentCount: INSTRUMENTS.length, sessionId: s.id, nextClOrdId: s.high + 1, lastSeq: s.journal.length, heartbeatMs: this.heartbeatMs, account, serverTime: Date.now() * 1000 });
    for (const i of INSTRUMENTS) w.instrument(i);
    const frame = w.take();
    const replay = nextExpectedSeq > 0 ? s.journal.slice(Math.max(0, nextExpectedSeq - 1 - this.replayOverlap)) : [];
    const out = new Uint8Array(frame.length + replay.reduce((a, b) => a + b.length, 0));
    out.set(frame);
    let o = frame.length;
    for (const r of replay) { out.set(r, o); o += r.length; }
    this.send(c, out);
  }

  /** Fill a resting order as maker (report to its session). */
  fillResting(sessionId: number, orderId: number, qty: number): void {
    const s = this.sessions.get(sessionId)!;
    const o = s.orders.get(orderId)!;
    o.leaves -= qty;
    o.filled = (o.filled ?? 0) + qty;
    if (o.leaves === 0) s.orders.delete(orderId);
    this.report(s, (w, seq) => w.fill({ instrument: o.instrument, side: o.side as 0, liquidity: 1, seq: seq(), ts: 1, clOrdId: o.clOrdId, orderId, matchId: this.nextOrderId++, price: o.price, qty, leaves: o.leaves }));
  }

  /** Set an L2 level (absolute qty; 0 removes) and publish it; `drop` = do not send (gap). */
  publishL2(instrument: number, side: 0 | 1, price: number, qty: number, orders: number, drop = false): number {
    const md = this.md.get(instrument)!;
    const mdSeq = ++md.seq;
    const key = `${side}:${price}`;
    if (qty === 0) md.levels.delete(key);
    else md.levels.set(key, { side, price, qty, orders });
    if (!drop) {
      const w = new FrameWriter(64);
      w.mdL2({ instrument, side, flags: 1, mdSeq, ts: 1, price, qty, orders });
      const f = w.take();
      for (const c of this.conns) if (c.subs.has(instrument)) this.send(c, f);
    }
    return mdSeq;
  }

  publishTrade(instrument: number, price: number, qty: number): number {
    const md = this.md.get(instrument)!;
    const mdSeq = ++md.seq;
    const w = new FrameWriter(64);
    w.mdTrade({ instrument, aggressorSide: 0, flags: 1, mdSeq, ts: 1, matchId: mdSeq, price, qty });
    const f = w.take();
    for (const c of this.conns) if (c.subs.has(instrument)) this.send(c, f);
    return mdSeq;
  }

  /** Expected book of an instrument: bids best first, asks best first. */
  bookOf(instrument: number): { bids: { price: number; qty: number; orders: number }[]; asks: { price: number; qty: number; orders: number }[] } {
    const lv = [...this.md.get(instrument)!.levels.values()];
    const strip = (l: { price: number; qty: number; orders: number }) => ({ price: l.price, qty: l.qty, orders: l.orders });
    return {
      bids: lv.filter((l) => l.side === 0).sort((a, b) => b.price - a.price).map(strip),
      asks: lv.filter((l) => l.side === 1).sort((a, b) => a.price - b.price).map(strip),
    };
  }

  private sendSnapshot(c: Conn, instrument: number, perPart = 2048): void {
    const md = this.md.get(instrument)!;
    const b = this.bookOf(instrument);
    const w = new FrameWriter(1024);
    w.snapshotParts(instrument, md.seq, 1, b.bids, b.asks, perPart);
    this.send(c, w.take());
  }
}
