/**
 * Binary WebSocket endpoint `/ws/v1` (also `/ws`): the server side of docs/PROTOCOL.md.
 *
 * Per frame: decode every message synchronously (the ArrayBuffer dies with the handler),
 * apply session rules (login, clOrdId high-water mark), write engine commands straight
 * into the shard rings, publish the rings once per event-loop turn (Exchange.flushSoon: the
 * frames of every connection read in one poll phase share one publish, so at most one shard
 * wake-up per turn instead of one per frame). Reports come back through Exchange.onResult (journal + per-connection frame buffer) and are sent once per
 * drain, corked. Session messages go through the same per-connection buffer, so a
 * connection's bytes leave in the order they were produced.
 *
 * Backpressure (PROTOCOL.md section 6), checked every BACKPRESSURE_CHECK_MS and on drain:
 *   buffered > mdBackpressureBytes  -> unsubscribe the connection from its md topics (its
 *                                      market data is dropped; it sees an mdSeq gap), and
 *                                      resubscribe + NOTICE MARKET_DATA_DROPPED once below half
 *   buffered > slowConsumerBytes, or ws.send returned DROPPED -> DISCONNECT SLOW_CONSUMER
 * uWS maxBackpressure is set above slowConsumerBytes, so an execution report is never
 * dropped by the socket before we disconnect; all reports stay in the session journal.
 *
 * LOGIN with session authentication on (SessionAuth, SESSION_KEYS_FILE): a non-zero account's
 * LOGIN (new or resume) must carry a valid credential, else LOGIN_REJECT BAD_CREDENTIALS.
 */
import { ENGINE_OWNER_BASE, REST_ANON_OWNER } from './accounts/store.js';
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import { AmendCmdFlags, CmdType, OrdType } from '../engine/layout.js';
import { FrameReader, FrameWriter } from '../protocol/codec.js';
import {
  ALL_INSTRUMENTS, DEFAULT_HEARTBEAT_MS, HEARTBEAT_TIMEOUT_FACTOR, InstrumentStatus, LoginAckFlags,
  MAX_CLIENT_FRAME_BYTES, MsgType, PROTOCOL_VERSION, SubscribeFlags, type Decoded, type DecodeError, type Login,
} from '../protocol/messages.js';
import { EdgeReason, RejectReason, reasonName, reasonText } from '../protocol/reasons.js';
import { Origin } from '../shard/types.js';
import type { MetricsHub } from '../metrics/index.js';
import { uWS } from './uws.js';
import { OutBuf, encRejected, sendView } from './wire.js';
import { FIRST_SESSION_SLOT, MAX_SLOT, TWO32, type BookState, type Exchange } from './exchange.js';
import { SESSION_RETENTION_MS, Session, type ConnData } from './session.js';
import type { Logger } from './logger.js';
import type { TradingControl } from './trading-control.js';
import type { SessionAuth } from './session-auth.js';
import client from 'prom-client';

/** performance.timeOrigin is a getter: read it once. */
const TIME_ORIGIN = performance.timeOrigin;

export interface BinaryWsOptions {
  exchange: Exchange;
  logger: Logger;
  hub: MetricsHub | null;
  heartbeatMs: number;
  journalSize: number;
  mdBackpressureBytes: number;
  slowConsumerBytes: number;
  maxConnections: number;
  draining: () => boolean;
  /** Maintenance / circuit breakers (trading-control.ts): consulted on NEW and AMEND. */
  control: TradingControl;
  /** Session authentication (SESSION_KEYS_FILE); null = off: LOGIN needs no credential and
   *  one sent is ignored (not verified). */
  auth?: SessionAuth | null;
}

const BACKPRESSURE_CHECK_MS = 50;
const SEND_DROPPED = 2;

function nowUs(): number {
  return Math.round((TIME_ORIGIN + performance.now()) * 1000);
}

/** Heartbeat checks run every max(50, heartbeatMs / 4) ms; one that runs more than a
 *  heartbeat period after the previous check was delayed by a stalled thread. */
export function heartbeatCheckLate(prevCheckMs: number, nowMs: number, heartbeatMs: number): boolean {
  return prevCheckMs > 0 && nowMs - prevCheckMs > Math.max(50, Math.floor(heartbeatMs / 4)) + heartbeatMs;
}

export class BinaryWs {
  readonly conns = new Set<ConnData>();
  readonly sessions = new Map<number, Session>();
  private nextSlot = FIRST_SESSION_SLOT;
  private nextConnId = 1;
  /**
   * Epoch ms the frame being handled was received (onFrame sets it; the `t0` of its
   * commands). A field, not an argument, and null-initialised so V8 keeps it a tagged
   * value: boxed once per frame when set, then passed on to submit as is. As a float64
   * argument of onOrderEntry it was boxed again per message (16 B per order).
   */
  private frameT0: number | null = null;
  // Order-entry messages decode into one reused object (no allocation per order).
  private readonly reader = new FrameReader({ reuseOrderEntry: true });
  private readonly fw = new FrameWriter(4096);
  private timers: NodeJS.Timeout[] = [];
  /** Counters for /health and tests. */
  readonly stats = { opened: 0, closed: 0, slowConsumers: 0, mdPauses: 0, decodeErrors: 0, frames: 0, sends: 0 };
  /** LOGINs answered (simex_session_logins_total): LOGIN_ACK; LOGIN_REJECT BAD_CREDENTIALS;
   *  LOGIN_REJECT for any other reason. */
  readonly logins = { ok: 0, bad_credentials: 0, rejected_other: 0 };

  constructor(private readonly opts: BinaryWsOptions) {}

  /** simex_session_logins_total{result}, read from `logins` at scrape time. */
  registerMetrics(registry: client.Registry): void {
    const logins = this.logins;
    new client.Counter({
      name: 'simex_session_logins_total',
      help: 'Binary LOGINs answered: ok (LOGIN_ACK), bad_credentials (LOGIN_REJECT BAD_CREDENTIALS), rejected_other (any other LOGIN_REJECT)',
      labelNames: ['result'], registers: [registry],
      collect() {
        this.reset();
        for (const [k, v] of Object.entries(logins)) this.inc({ result: k }, v);
      },
    });
  }


  register(app: TemplatedApp): void {
    const behavior = {
      compression: uWS.DISABLED,
      maxPayloadLength: MAX_CLIENT_FRAME_BYTES,
      // Above our own disconnect threshold: uWS never drops a report before we act.
      maxBackpressure: this.opts.slowConsumerBytes * 2,
      closeOnBackpressureLimit: 0,
      idleTimeout: 0, // liveness is the protocol's heartbeat
      sendPingsAutomatically: false,
      upgrade: (res: import('uWebSockets.js').HttpResponse, req: import('uWebSockets.js').HttpRequest, context: import('uWebSockets.js').us_socket_context_t) => {
        const key = req.getHeader('sec-websocket-key');
        const proto = req.getHeader('sec-websocket-protocol');
        const ext = req.getHeader('sec-websocket-extensions');
        const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
        const now = Date.now();
        const data: ConnData = {
          id: this.nextConnId++, session: null, out: new OutBuf(1024), dirty: false, closed: false,
          md: new Set(), mdPaused: false, mdDropped: 0, openedMs: now, lastRecvMs: now, lastSendMs: now,
          remote, ws: null,
        };
        res.upgrade(data, key, proto, ext, context);
      },
      open: (ws: WebSocket<ConnData>) => {
        const c = ws.getUserData();
        c.ws = ws;
        this.conns.add(c);
        this.stats.opened++;
        this.opts.hub?.setConnections('trading', this.conns.size);
        if (this.conns.size > this.opts.maxConnections || this.opts.draining()) {
          this.disconnect(c, this.opts.draining() ? EdgeReason.SERVER_SHUTDOWN : EdgeReason.CONNECTION_LIMIT, 0);
        }
      },
      message: (ws: WebSocket<ConnData>, msg: ArrayBuffer, isBinary: boolean) => {
        const c = ws.getUserData();
        try {
          this.onFrame(c, msg, isBinary);
        } catch (err) {
          // A bug, not input: never let it take the process down; the connection is closed.
          this.opts.logger.error({ conn: c.id, err: String((err as Error)?.stack ?? err) }, 'binary frame handler failed');
          this.disconnect(c, EdgeReason.INTERNAL_ERROR, 0);
        }
      },
      drain: (ws: WebSocket<ConnData>) => {
        const c = ws.getUserData();
        if (c.mdPaused && ws.getBufferedAmount() < this.opts.mdBackpressureBytes / 2) this.resumeMd(c);
      },
      close: (ws: WebSocket<ConnData>) => {
        const c = ws.getUserData();
        c.closed = true;
        c.ws = null;
        this.conns.delete(c);
        this.stats.closed++;
        const s = c.session;
        if (s && s.conn === c) {
          s.conn = null;
          s.detachedAt = Date.now();
        }
        this.opts.hub?.setConnections('trading', this.conns.size);
      },
    };
    app.ws<ConnData>('/ws/v1', behavior);
    app.ws<ConnData>('/ws', behavior);
    this.timers.push(setInterval(() => this.checkBackpressure(), BACKPRESSURE_CHECK_MS));
    this.timers.push(setInterval(() => this.heartbeats(), Math.max(50, Math.floor(this.opts.heartbeatMs / 4))));
    this.timers.push(setInterval(() => this.purgeSessions(), 10_000));
    for (const t of this.timers) t.unref();
  }

  // ---------------------------------------------------------------- output

  /** flushConn's corked send as one function made once (a closure per send cost ~80 B of
   *  heap): its socket and bytes are passed in these fields, set only for the cork call. */
  private corkWs: WebSocket<ConnData> | null = null;
  private corkBytes: Uint8Array | null = null;
  private corkResult = 1;
  private readonly corkSend = (): void => {
    this.corkResult = this.corkWs!.send(this.corkBytes!, true, false);
  };

  /** Exchange hook: send a connection's queued bytes (corked), enforce the hard limit. */
  flushConn(c: ConnData): void {
    const ws = c.ws;
    if (!ws || c.closed || c.out.len === 0) {
      c.out.reset();
      return;
    }
    this.stats.sends++;
    this.corkWs = ws;
    this.corkBytes = sendView(c.out);
    ws.cork(this.corkSend);
    const r = this.corkResult;
    this.corkWs = null;
    this.corkBytes = null;
    c.out.reset();
    c.lastSendMs = Date.now();
    if (r === SEND_DROPPED || ws.getBufferedAmount() > this.opts.slowConsumerBytes) this.slowConsumer(c);
  }

  private raw(c: ConnData): void {
    // Move the FrameWriter's bytes into the connection's ordered output.
    this.opts.exchange.queueRaw(c, this.fw.bytes());
    this.fw.reset();
  }

  private notice(c: ConnData, reason: number, instrument: number, ref: number, text?: string): void {
    this.fw.notice({ reason, instrument, ref, text: text ?? reasonText[reasonName(reason)] ?? '' });
    this.raw(c);
  }

  /** DISCONNECT (best effort), flush, close gracefully. The session survives (except LOGOUT). */
  disconnect(c: ConnData, reason: number, ref: number, text?: string): void {
    if (c.closed || !c.ws) return;
    this.fw.disconnect({ reason, instrument: ALL_INSTRUMENTS, ref, text: text ?? reasonText[reasonName(reason)] ?? '' });
    this.raw(c);
    this.flushConn(c);
    const ws = c.ws;
    if (!ws || c.closed) return;
    c.closed = true;
    ws.cork(() => ws.end(reason === EdgeReason.LOGOUT || reason === EdgeReason.SERVER_SHUTDOWN ? 1000 : 1008, reasonName(reason)));
  }

  private slowConsumer(c: ConnData): void {
    if (c.closed || !c.ws) return;
    this.stats.slowConsumers++;
    this.opts.hub?.recordDrop('trading');
    this.opts.logger.warn({ conn: c.id, session: c.session?.id, buffered: c.ws.getBufferedAmount(), remote: c.remote },
      'Disconnecting slow consumer (SLOW_CONSUMER)');
    const ws = c.ws;
    c.closed = true;
    // The send buffer is full: a DISCONNECT would sit behind megabytes. Close now; the
    // session keeps every report for resume.
    ws.close();
  }

  // ---------------------------------------------------------------- input

  private onFrame(c: ConnData, msg: ArrayBuffer, isBinary: boolean): void {
    if (c.closed) return;
    c.lastRecvMs = Date.now();
    this.stats.frames++;
    if (!isBinary) {
      this.disconnect(c, EdgeReason.TEXT_FRAME, 0);
      return;
    }
    const ex = this.opts.exchange;
    const r = this.reader.reset(msg);
    const t0 = TIME_ORIGIN + performance.now();
    this.frameT0 = t0;
    ex.frameUs = Math.round(t0 * 1000);
    try {
      for (let m = r.next(); m !== null; m = r.next()) {
        if (c.closed) break;
        this.onMessage(c, m);
      }
    } finally {
      ex.frameUs = -1;
    }
    ex.flushSoon();
    if (c.dirty) {
      // Answer this connection now (we are inside its handler: corked by uWS anyway).
      ex.flushOutput();
    }
  }

  private onMessage(c: ConnData, m: Decoded): void {
    const s = c.session;
    switch (m.type) {
      case MsgType.DECODE_ERROR:
        this.onDecodeError(c, m);
        return;
      case MsgType.LOGIN:
        this.onLogin(c, m);
        return;
      case MsgType.CLIENT_HEARTBEAT:
        return;
      case MsgType.LOGOUT:
        if (!s) return this.notice(c, EdgeReason.NOT_LOGGED_IN, ALL_INSTRUMENTS, 0);
        this.disconnect(c, EdgeReason.LOGOUT, 0);
        s.discarded = true;
        s.conn = null;
        this.sessions.delete(s.id);
        this.opts.exchange.sessionsBySlot[s.slot] = undefined;
        return;
      case MsgType.NEW_ORDER:
      case MsgType.CANCEL:
      case MsgType.AMEND:
      case MsgType.MASS_CANCEL: {
        if (!s) return this.rejectUnsequenced(c, m.type, m.instrument, m.clOrdId, EdgeReason.NOT_LOGGED_IN);
        if (!this.checkClOrd(s, m.type, m.instrument, m.clOrdId)) return;
        this.onOrderEntry(s, m);
        return;
      }
      case MsgType.SUBSCRIBE:
      case MsgType.UNSUBSCRIBE:
      case MsgType.SNAPSHOT_REQUEST:
        if (!s) return this.notice(c, EdgeReason.NOT_LOGGED_IN, ALL_INSTRUMENTS, 0);
        if (m.type === MsgType.SNAPSHOT_REQUEST) {
          const b = this.opts.exchange.books[m.instrument];
          if (!b) return this.notice(c, EdgeReason.UNKNOWN_INSTRUMENT, m.instrument, 0);
          this.snapshot(c, b, m.maxLevels);
          return;
        }
        this.onSubscribe(c, m.type === MsgType.SUBSCRIBE, m.flags, m.instruments);
        return;
      default:
        // A server->client type sent by the client.
        this.notice(c, EdgeReason.WRONG_DIRECTION, ALL_INSTRUMENTS, 0);
    }
  }

  private onDecodeError(c: ConnData, e: DecodeError): void {
    this.stats.decodeErrors++;
    if (e.fatal) {
      this.disconnect(c, EdgeReason.MALFORMED_MESSAGE, 0, `framing lost at byte ${e.offset}`);
      return;
    }
    const isOrder = e.msgType === MsgType.NEW_ORDER || e.msgType === MsgType.CANCEL || e.msgType === MsgType.AMEND
      || e.msgType === MsgType.MASS_CANCEL;
    const s = c.session;
    if (isOrder && e.clOrdId > 0) {
      if (!s) return this.rejectUnsequenced(c, e.msgType, e.instrument, e.clOrdId, EdgeReason.NOT_LOGGED_IN);
      if (!this.checkClOrd(s, e.msgType, e.instrument, e.clOrdId)) return;
      this.opts.exchange.rRejected(s, null, e.msgType, nowUs(), e.clOrdId, 0, e.code, e.instrument === ALL_INSTRUMENTS ? 0 : e.instrument);
      return;
    }
    this.notice(c, e.code, e.instrument ?? ALL_INSTRUMENTS, 0, `${reasonName(e.code)}${e.field ? ` (${e.field})` : ''}`);
  }

  /** REJECTED with seq 0 (no session to sequence it): only for NOT_LOGGED_IN. */
  private rejectUnsequenced(c: ConnData, type: number, instrument: number, clOrdId: number, reason: number): void {
    const out = new Uint8Array(48);
    encRejected(out, new DataView(out.buffer), 0, instrument === ALL_INSTRUMENTS ? 0 : instrument, type, 0, nowUs(), clOrdId, 0, reason);
    this.opts.exchange.queueRaw(c, out);
  }

  /** clOrdId rules (PROTOCOL.md section 3). Returns true when the request may proceed. */
  private checkClOrd(s: Session, type: number, instrument: number, clOrdId: number): boolean {
    if (clOrdId > s.highClOrd) {
      s.highClOrd = clOrdId;
      return true;
    }
    const reason = clOrdId === s.highClOrd ? EdgeReason.DUPLICATE_CLIENT_ORDER_ID : EdgeReason.CLIENT_ORDER_ID_NOT_INCREASING;
    this.opts.exchange.rRejected(s, null, type, nowUs(), clOrdId, 0, reason, instrument === ALL_INSTRUMENTS ? 0 : instrument);
    return false;
  }

  private onOrderEntry(s: Session, m: Decoded): void {
    const ex = this.opts.exchange;
    const t0 = this.frameT0 as number;
    if (m.type === MsgType.MASS_CANCEL) {
      const targets = m.instrument === ALL_INSTRUMENTS ? ex.books : ex.books[m.instrument] ? [ex.books[m.instrument]!] : [];
      if (targets.length === 0) {
        ex.rRejected(s, null, m.type, nowUs(), m.clOrdId, 0, EdgeReason.UNKNOWN_INSTRUMENT, m.instrument);
        return;
      }
      for (const b of targets) {
        const r = ex.submit(b.inst, CmdType.MASS_CANCEL, 0, 0, 0, 0, 0, s.account, 0, 0, 0, Origin.SESSION, s, m.clOrdId, t0);
        if (r !== 0) ex.rRejected(s, b, m.type, nowUs(), m.clOrdId, 0, r);
      }
      return;
    }
    if (m.type !== MsgType.NEW_ORDER && m.type !== MsgType.CANCEL && m.type !== MsgType.AMEND) return;
    const b: BookState | undefined = ex.books[m.instrument];
    if (!b) {
      ex.rRejected(s, null, m.type, nowUs(), m.clOrdId, 0, EdgeReason.UNKNOWN_INSTRUMENT, m.instrument);
      return;
    }
    if (m.type === MsgType.NEW_ORDER) {
      if (ex.halted) return ex.rRejected(s, b, m.type, nowUs(), m.clOrdId, 0, EdgeReason.TRADING_HALTED);
      const block = this.opts.control.blockReason(b.inst);
      if (block !== 0) {
        this.opts.control.noteRejected(b.inst, block);
        return ex.rRejected(s, b, m.type, nowUs(), m.clOrdId, 0, block);
      }
      if (s.nextN >= TWO32) s.nextN = 1; // 4e9 orders per session: ids of long-dead orders recycle
      const orderId = s.slot * TWO32 + s.nextN++;
      const r = ex.submit(b.inst, CmdType.NEW, m.side, m.ordType, m.tif, m.flags, m.stp, s.account, orderId,
        m.ordType === OrdType.MARKET ? m.price : m.price, m.qty, Origin.SESSION, s, m.clOrdId, t0);
      if (r !== 0) ex.rRejected(s, b, m.type, nowUs(), m.clOrdId, 0, r);
      return;
    }
    // CANCEL / AMEND: resolve the target
    let target = m.orderId;
    if (target === 0) target = s.byClOrd.get(m.origClOrdId);
    if (target === 0) {
      ex.rRejected(s, b, m.type, nowUs(), m.clOrdId, 0, RejectReason.UNKNOWN_ORDER);
      return;
    }
    // A session cancels and amends the orders it entered (their ids carry its slot: slot *
    // 2^32 + n), whatever the account: anonymous sessions all reach the engine as owner 0,
    // so its owner check cannot tell them apart, and the reports of an order go to the
    // session that entered it, so another session's request would go unanswered. The answer
    // is UNKNOWN_ORDER, as for an id that names nothing: it does not tell whether another
    // session has such an order. MASS_CANCEL still reaches every order of the account.
    if (Math.floor(target / TWO32) !== s.slot) {
      ex.rRejected(s, b, m.type, nowUs(), m.clOrdId, target, RejectReason.UNKNOWN_ORDER);
      return;
    }
    if (m.type === MsgType.AMEND && ex.halted) return ex.rRejected(s, b, m.type, nowUs(), m.clOrdId, target, EdgeReason.TRADING_HALTED);
    if (m.type === MsgType.AMEND) {
      const block = this.opts.control.blockReason(b.inst);
      if (block !== 0) {
        this.opts.control.noteRejected(b.inst, block);
        return ex.rRejected(s, b, m.type, nowUs(), m.clOrdId, target, block);
      }
    }
    const r = m.type === MsgType.CANCEL
      ? ex.submit(b.inst, CmdType.CANCEL, 0, 0, 0, 0, 0, s.account, target, 0, 0, Origin.SESSION, s, m.clOrdId, t0)
      // AMEND flags: the codec admits only QTY_TOTAL (bit0), the engine's TOTAL_QTY (bit1).
      : ex.submit(b.inst, CmdType.AMEND, 0, 0, 0, m.flags ? AmendCmdFlags.TOTAL_QTY : 0, 0, s.account, target, m.newPrice, m.newQty,
        Origin.SESSION, s, m.clOrdId, t0);
    if (r !== 0) ex.rRejected(s, b, m.type, nowUs(), m.clOrdId, target, r);
  }

  private onLogin(c: ConnData, m: Login): void {
    const { protocolVersion: version, sessionId, nextExpectedSeq: nextExpected, account } = m;
    if (c.session) return this.notice(c, EdgeReason.ALREADY_LOGGED_IN, ALL_INSTRUMENTS, 0);
    const reject = (reason: number) => {
      if (reason === EdgeReason.BAD_CREDENTIALS) this.logins.bad_credentials++;
      else this.logins.rejected_other++;
      this.fw.loginReject({ reason });
      this.raw(c);
      this.flushConn(c);
      const ws = c.ws;
      if (ws && !c.closed) {
        c.closed = true;
        ws.cork(() => ws.end(1008, reasonName(reason)));
      }
    };
    if (version !== PROTOCOL_VERSION) return reject(EdgeReason.UNSUPPORTED_VERSION);
    // The owner ids of REST orders are not for binary sessions (credential or not).
    if (account === REST_ANON_OWNER || account >= ENGINE_OWNER_BASE) return reject(EdgeReason.RESERVED_ACCOUNT);
    // Session authentication: every LOGIN of a non-zero account, new session or resume.
    // One reason for every cause; the cause goes to the log only (never the MAC or secret).
    const auth = this.opts.auth;
    if (auth && account !== 0) {
      // Wall clock (Date.now), not nowUs(): the monotonic clock drifts from NTP time over
      // a long uptime, and the window is about the client's wall clock.
      const cause = auth.verify(account, sessionId, m.authTs, m.authMac, Date.now() * 1000);
      if (cause !== null) {
        this.opts.logger.info({ account, cause, session: sessionId, conn: c.id, remote: c.remote }, 'Login refused: BAD_CREDENTIALS');
        return reject(EdgeReason.BAD_CREDENTIALS);
      }
    }
    if (this.opts.draining()) return reject(EdgeReason.SERVER_SHUTDOWN);
    const ex = this.opts.exchange;
    let s = sessionId !== 0 ? this.sessions.get(sessionId) : undefined;
    let isNew = false;
    if (s) {
      if (s.account !== account) return reject(EdgeReason.SESSION_ACCOUNT_MISMATCH);
    } else {
      if (this.nextSlot > MAX_SLOT) return reject(EdgeReason.CONNECTION_LIMIT);
      let id = sessionId;
      while (id === 0 || this.sessions.has(id)) id = 1 + Math.floor(Math.random() * (Number.MAX_SAFE_INTEGER - 1));
      s = new Session(id, account, this.nextSlot++, this.opts.journalSize);
      isNew = true;
    }
    const j = s.journal;
    if (nextExpected !== 0 && (nextExpected > j.last + 1 || nextExpected < j.first)) {
      return reject(EdgeReason.RESUME_SEQ_OUT_OF_RANGE);
    }
    if (isNew) {
      this.sessions.set(s.id, s);
      ex.sessionsBySlot[s.slot] = s;
    }
    const old = s.conn;
    if (old && old !== c) {
      this.disconnect(old, EdgeReason.SESSION_TAKEN_OVER, 0);
      old.session = null;
    }
    s.conn = c;
    c.session = s;
    const fw = this.fw;
    fw.loginAck({
      protocolVersion: PROTOCOL_VERSION, flags: isNew ? LoginAckFlags.NEW_SESSION : 0,
      instrumentCount: ex.books.length, sessionId: s.id, nextClOrdId: s.highClOrd + 1, lastSeq: j.last,
      heartbeatMs: this.opts.heartbeatMs, account: s.account, serverTime: nowUs(),
    });
    for (const b of ex.books) {
      const sp = b.spec;
      fw.instrument({
        instrument: b.inst, priceDecimals: sp.priceDecimals, qtyDecimals: sp.qtyDecimals,
        status: ex.halted || !ex.shardUp(b) || this.opts.control.blockReason(b.inst) !== 0 ? InstrumentStatus.HALTED : InstrumentStatus.TRADING,
        symbol: sp.symbol, tickSize: sp.tickSize, lotSize: sp.lotSize, minQty: sp.minQty, maxQty: sp.maxQty,
        minPrice: sp.minPrice, maxPrice: sp.maxPrice, bandBps: sp.bandBps,
      });
    }
    this.raw(c);
    if (nextExpected !== 0) {
      for (let q = nextExpected; q <= j.last; q++) {
        const rep = j.get(q);
        if (rep) c.out.append(rep);
      }
    }
    this.logins.ok++;
    this.opts.logger.info({ session: s.id, account: s.account, conn: c.id, resumed: !isNew, replay_from: nextExpected,
      last_seq: j.last, remote: c.remote }, isNew ? 'Session created' : 'Session resumed');
    this.flushConn(c);
  }

  private onSubscribe(c: ConnData, add: boolean, flags: number, ids: number[]): void {
    const ex = this.opts.exchange;
    const ws = c.ws;
    if (!ws) return;
    const targets: BookState[] = [];
    for (const id of ids) {
      if (id === ALL_INSTRUMENTS) targets.push(...ex.books);
      else if (ex.books[id]) targets.push(ex.books[id]!);
      else this.notice(c, EdgeReason.UNKNOWN_INSTRUMENT, id, 0);
    }
    for (const b of new Set(targets)) {
      if (add) {
        if (!c.md.has(b.inst)) {
          c.md.add(b.inst);
          if (!c.mdPaused) ws.subscribe(b.mdTopic);
        }
        if (flags & SubscribeFlags.SNAPSHOT) this.snapshot(c, b, 0);
      } else {
        if (c.md.delete(b.inst)) ws.unsubscribe(b.mdTopic);
        else this.notice(c, EdgeReason.NOT_SUBSCRIBED, b.inst, 0);
      }
    }
  }

  private snapshot(c: ConnData, b: BookState, maxLevels: number): void {
    const ex = this.opts.exchange;
    const d = ex.depth(b, maxLevels);
    const toL = (l: [number, number, number]) => ({ price: l[0], qty: l[1], orders: l[2] });
    this.fw.snapshotParts(b.inst, b.mdSeq, nowUs(), d.bids.map(toL), d.asks.map(toL));
    this.raw(c);
  }

  // ---------------------------------------------------------------- timers

  private pauseMd(c: ConnData): void {
    const ws = c.ws;
    if (!ws || c.mdPaused) return;
    c.mdPaused = true;
    this.stats.mdPauses++;
    for (const inst of c.md) ws.unsubscribe(this.opts.exchange.books[inst]!.mdTopic);
    this.opts.hub?.recordDrop('trading');
  }

  private resumeMd(c: ConnData): void {
    const ws = c.ws;
    if (!ws || !c.mdPaused || c.closed) return;
    c.mdPaused = false;
    const ex = this.opts.exchange;
    for (const inst of c.md) {
      const b = ex.books[inst]!;
      ws.subscribe(b.mdTopic);
      this.notice(c, EdgeReason.MARKET_DATA_DROPPED, inst, b.mdSeq);
    }
    ex.flushOutput();
  }

  private checkBackpressure(): void {
    const mdLimit = this.opts.mdBackpressureBytes;
    const hard = this.opts.slowConsumerBytes;
    for (const c of this.conns) {
      const ws = c.ws;
      if (!ws || c.closed) continue;
      const buffered = ws.getBufferedAmount();
      if (buffered > hard) this.slowConsumer(c);
      else if (!c.mdPaused && c.md.size > 0 && buffered > mdLimit) this.pauseMd(c);
      else if (c.mdPaused && buffered < mdLimit / 2) this.resumeMd(c);
    }
  }

  private lastHeartbeatCheck = 0;

  private heartbeats(): void {
    const now = Date.now();
    const hb = this.opts.heartbeatMs;
    const ex = this.opts.exchange;
    // A late timer means this thread was stalled (GC, CPU shortage): frames that arrived
    // meanwhile are still unread in the sockets (timers run before the poll phase), so
    // silence is not the peers' fault this round: no timeouts until a check runs on time.
    const judge = !heartbeatCheckLate(this.lastHeartbeatCheck, now, hb);
    this.lastHeartbeatCheck = now;
    let any = false;
    for (const c of this.conns) {
      if (c.closed || !c.ws) continue;
      const s = c.session;
      if (!s) {
        if (judge && now - c.openedMs > HEARTBEAT_TIMEOUT_FACTOR * DEFAULT_HEARTBEAT_MS) this.disconnect(c, EdgeReason.HEARTBEAT_TIMEOUT, 0, 'no LOGIN');
        continue;
      }
      if (judge && now - c.lastRecvMs > HEARTBEAT_TIMEOUT_FACTOR * hb) {
        this.disconnect(c, EdgeReason.HEARTBEAT_TIMEOUT, 0);
        continue;
      }
      if (now - c.lastSendMs >= hb && !c.dirty) {
        this.fw.serverHeartbeat({ ts: nowUs(), lastSeq: s.lastSeq });
        this.raw(c);
        any = true;
      }
    }
    if (any) ex.flushOutput(); // corked sends, once for all connections
  }

  private purgeSessions(): void {
    const now = Date.now();
    for (const [id, s] of this.sessions) {
      if (!s.conn && s.detachedAt > 0 && now - s.detachedAt > SESSION_RETENTION_MS) {
        this.sessions.delete(id);
        s.discarded = true;
        this.opts.exchange.sessionsBySlot[s.slot] = undefined;
      }
    }
  }

  /** Shutdown: DISCONNECT SERVER_SHUTDOWN to everyone (flushed), then close. */
  closeAll(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const c of [...this.conns]) this.disconnect(c, EdgeReason.SERVER_SHUTDOWN, 0);
  }

  /** Hard close of sockets still open (after the grace period). */
  forceCloseAll(): void {
    for (const c of [...this.conns]) {
      const ws = c.ws;
      if (ws) {
        try {
          ws.close();
        } catch {
          /* already closed */
        }
      }
    }
  }
}
