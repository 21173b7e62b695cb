/**
 * SimexClient: TypeScript client for the simex binary WebSocket protocol v1
 * (docs/PROTOCOL.md), on the `ws` package. Used by tests, the market simulator and tools.
 * (The load generator has its own allocation-free transport over the same codec.)
 *
 *   const c = await SimexClient.connect('ws://127.0.0.1:8080/ws/v1', { account: 7 });
 *   const btc = c.instrument('BTCUSD');
 *   const r = await c.newOrder({ instrument: btc.instrument, side: Side.BUY,
 *                                price: c.price(btc, '50000.00'), qty: c.qty(btc, '0.5') });
 *   r.status; // 'active' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected'
 *   const book = c.subscribe(btc.instrument); book.on('update', ...); book.bestBid();
 *
 * Contract:
 * - Requests get strictly increasing clOrdIds from one counter per session. Each returns a
 *   promise (with `.clOrdId` attached) resolved after the frame carrying the request's
 *   first response has been processed: NEW -> ACCEPTED (+ FILLs / CANCELLED in that frame)
 *   or REJECTED; CANCEL -> CANCELLED or REJECTED; AMEND -> AMENDED or REJECTED (a qtyTotal
 *   AMEND at or below the filled quantity: CANCELLED AMEND_TO_FILLED);
 *   MASS_CANCEL -> all MASS_CANCEL_ACKs or REJECTED. Rejections resolve (status
 *   'rejected', numeric `reason` + string `reasonName`); the promise rejects only for
 *   transport problems (client closed, timeout).
 * - Batching: requests issued in the same tick are written into one frame and sent at the
 *   end of the tick (microtask), splitting at MAX_CLIENT_FRAME_BYTES. `flush()` sends now.
 * - Resume: the client keeps the highest report seq processed. After an unexpected close
 *   it reconnects (backoff 50 ms .. 5 s) and logs in with the same session id and
 *   nextExpectedSeq = lastSeq + 1: the server replays what was missed; reports with
 *   seq <= lastSeq are dropped, so no loss and no duplicates. Requests the server never
 *   received (clOrdId >= LOGIN_ACK.nextClOrdId) are re-sent with the same clOrdIds; the
 *   others are answered by the replay. Subscriptions are renewed, books resynced.
 * - Market data: `subscribe` returns a BookBuilder per instrument that detects gaps by
 *   mdSeq and recovers by snapshot by itself.
 * - Heartbeats: a CLIENT_HEARTBEAT when nothing was sent for heartbeatMs; if nothing is
 *   received for 3 * heartbeatMs the socket is closed and the resume path runs.
 * - Session authentication: with `secret`, every LOGIN (first and each resume) carries a
 *   fresh authTs and its HMAC (src/protocol/auth.ts); a BAD_CREDENTIALS reject is, like any
 *   LOGIN_REJECT, not retried.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { FrameReader, FrameWriter } from '../protocol/codec.js';
import { decimalToUnits, DecimalError, type DecimalOptions } from '../protocol/decimal.js';
import {
  ALL_INSTRUMENTS, DEFAULT_HEARTBEAT_MS, HEARTBEAT_TIMEOUT_FACTOR, MAX_CLIENT_FRAME_BYTES,
  MAX_SUBSCRIBE_IDS, MsgType, OrdType, PROTOCOL_VERSION, StpMode, SubscribeFlags, Tif, AmendQtyFlags,
  type Accepted, type Amended, type Cancelled, type DecodeError, type Decoded, type ExecReport,
  type Fill, type Instrument, type LoginAck, type MarketData, type MassCancelAck, type Reduced,
  type Rejected, type Side, type Notice, type Disconnect,
} from '../protocol/messages.js';
import { EdgeReason, reasonName } from '../protocol/reasons.js';
import { BookBuilder, type BookBuilderOptions } from './book.js';
import { loginMac, nextAuthTs, secretKey } from '../protocol/auth.js';

export { BookBuilder } from './book.js';
export type { BookLevel, BookState, BookStats, BookBuilderOptions, BookBuilderEvents } from './book.js';

export interface SimexClientOptions {
  /** Account (engine owner) id; 0 = anonymous (default). */
  account?: number;
  /** The account's session secret (server SESSION_KEYS_FILE): every LOGIN (first, each
   *  reconnect/resume) is then signed with a fresh authTs (72-byte LOGIN, docs/PROTOCOL.md
   *  "Session authentication"). A string is used as its UTF-8 bytes. A server without
   *  session authentication ignores the credential. */
  secret?: string | Uint8Array;
  /** Session to resume or create; 0 = let the server create one (default). */
  sessionId?: number;
  /** When resuming a session from a previous process: highest seq already processed. */
  lastSeq?: number;
  /** Reconnect and resume after an unexpected close (default true). */
  autoReconnect?: boolean;
  /** Give up after this many consecutive failed reconnects (default Infinity). */
  maxReconnectAttempts?: number;
  /** Reject a request's promise if no response within this time (default 30_000; 0 = never).
   *  The request may still execute; its reports still arrive as events. */
  requestTimeoutMs?: number;
  /** Timeout for connect + login (default 10_000). */
  connectTimeoutMs?: number;
  /** Options passed to every BookBuilder. */
  book?: Omit<BookBuilderOptions, 'requestSnapshot'>;
}

export type OrderStatus = 'active' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected';

/** Live view of one order this client sent (updated by later reports). */
export interface OrderState {
  clOrdId: number;
  /** Exchange order id (0 until ACCEPTED). */
  orderId: number;
  instrument: number;
  side: Side;
  price: number;
  qty: number;
  leaves: number;
  filledQty: number;
  status: OrderStatus;
  fills: Fill[];
  /** REJECTED: reason code and its string name. */
  reason?: number;
  reasonName?: string;
  /** CANCELLED: CancelReason. */
  cancelReason?: number;
}

/** Outcome of newOrder: a copy of the order state when the promise resolved. */
export type OrderResult = OrderState;

export interface CancelResult {
  clOrdId: number;
  status: 'cancelled' | 'rejected';
  cancelled?: Cancelled;
  reason?: number;
  reasonName?: string;
}

export interface AmendResult {
  clOrdId: number;
  /** 'cancelled': a `qtyTotal` amend whose total was at or below the quantity already filled
   *  (CANCELLED reason AMEND_TO_FILLED, in `cancelled`). */
  status: 'amended' | 'rejected' | 'cancelled';
  amended?: Amended;
  cancelled?: Cancelled;
  /** FILLs of the amended order that arrived in the same frame (a price amend may cross). */
  fills: Fill[];
  reason?: number;
  reasonName?: string;
}

export interface MassCancelResult {
  clOrdId: number;
  status: 'done' | 'rejected';
  /** Orders cancelled, summed over the acks. */
  count: number;
  acks: MassCancelAck[];
  reason?: number;
  reasonName?: string;
}

/** A request's promise, with the clOrdId the client assigned to it. */
export type RequestPromise<T> = Promise<T> & { readonly clOrdId: number };

export interface NewOrderParams {
  instrument: number;
  side: Side;
  /** Default LIMIT. */
  ordType?: OrdType;
  /** Default GTC for limit, IOC for market. */
  tif?: Tif;
  postOnly?: boolean;
  /** Default NONE. */
  stp?: StpMode;
  /** Price units; market orders: protection price or 0 (default 0). */
  price?: number;
  /** Quantity units. */
  qty: number;
}

/** Target by exchange order id, or by the order's clOrdId. */
export type OrderTarget = { instrument: number } & ({ orderId: number; origClOrdId?: number } | { origClOrdId: number; orderId?: number });

export interface SimexClientEvents {
  /** Every execution report, in seq order, each exactly once (replays included). */
  report: [ExecReport];
  accepted: [Accepted];
  rejected: [Rejected];
  fill: [Fill];
  cancelled: [Cancelled];
  amended: [Amended];
  reduced: [Reduced];
  massCancelAck: [MassCancelAck];
  /** Market-data messages of subscribed instruments (after book builders saw them). */
  marketData: [MarketData];
  /** After each successful login (first and every resume). */
  login: [LoginAck];
  notice: [Notice];
  /** The server's DISCONNECT message. */
  disconnect: [Disconnect];
  /** Socket closed (code, reason); `willReconnect` says whether the client resumes. */
  close: [code: number, willReconnect: boolean];
  reconnecting: [attempt: number, delayMs: number];
  /** Decode errors and protocol surprises; never thrown. */
  protocolError: [DecodeError | Error];
  error: [Error];
}

/** Thrown/rejected for transport-level failures. `code`: CLOSED, TIMEOUT, LOGIN_REJECTED
 *  (+ `reason`), NOT_CONNECTED, CONNECT_FAILED, ALREADY_CONNECTED, UNKNOWN_INSTRUMENT. */
export class SimexClientError extends Error {
  constructor(readonly code: string, message: string, readonly reason?: number) {
    super(message);
    this.name = 'SimexClientError';
  }
}

type PendingKind = 'new' | 'cancel' | 'amend' | 'mass';
interface Pending {
  kind: PendingKind;
  clOrdId: number;
  /** Encodes the request into the writer (used for the first send and resends). */
  write: (w: FrameWriter) => void;
  resolve: (v: never) => void;
  reject: (e: Error) => void;
  /** Date.now() after which the promise rejects with TIMEOUT (Infinity = never). */
  deadline: number;
  /** Set when the first response arrived; resolved at the end of that frame. */
  done: boolean;
  order?: OrderState;
  cancelled?: Cancelled;
  amended?: Amended;
  amendFills?: Fill[];
  rejected?: Rejected;
  acks?: MassCancelAck[];
  acksExpected?: number;
}

const RECONNECT_MIN_MS = 50;
const RECONNECT_MAX_MS = 5000;
/** Flush early when a frame gets this close to MAX_CLIENT_FRAME_BYTES (largest client
 *  message is a SUBSCRIBE of 1024 ids: 2056 bytes). */
const FRAME_HEADROOM = 2100;

export class SimexClient extends EventEmitter<SimexClientEvents> {
  readonly url: string;
  private readonly opts: Required<Omit<SimexClientOptions, 'book' | 'secret'>> & Pick<SimexClientOptions, 'book' | 'secret'>;

  private ws: WebSocket | null = null;
  private readonly writer = new FrameWriter(8192);
  private readonly reader = new FrameReader();
  private flushScheduled = false;
  private loggedIn = false;
  private closedByUser = false;
  private everLoggedIn = false;
  private reconnectAttempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private hbTimer: NodeJS.Timeout | undefined;
  private lastSendAt = 0;
  private lastRecvAt = 0;

  private _sessionId: number;
  private _lastSeq: number;
  private _nextClOrdId = 1;
  private _heartbeatMs = DEFAULT_HEARTBEAT_MS;
  private _account: number;
  /** opts.secret as HMAC key bytes (computed at the first signed LOGIN). */
  private secretKey: Uint8Array | undefined;
  /** INSTRUMENT messages still expected after LOGIN_ACK. */
  private instrumentsExpected = 0;
  private loginWaiter: { resolve: (a: LoginAck) => void; reject: (e: Error) => void } | null = null;
  private lastAck: LoginAck | null = null;
  /** lastSeq of a SERVER_HEARTBEAT that was ahead of us (0 = none). */
  private hbBehind = 0;
  /** Set when the current socket is being torn down; cleared on open. */
  private abandoned = false;

  private readonly byId = new Map<number, Instrument>();
  private readonly bySymbol = new Map<string, Instrument>();
  private readonly pending = new Map<number, Pending>();
  /** Orders this client sent that are still open, by clOrdId. */
  private readonly orders = new Map<number, OrderState>();
  /** The same orders by exchange order id (known from ACCEPTED on). Reports are matched
   *  by clOrdId first, then by (orderId, instrument), so a server that puts the request's
   *  clOrdId into CANCELLED/AMENDED (against PROTOCOL.md) still updates the right order. */
  private readonly ordersById = new Map<number, OrderState>();
  private readonly books = new Map<number, BookBuilder>();
  /** Requests whose first response came in the frame being processed. */
  private settle: Pending[] = [];

  constructor(url: string, opts: SimexClientOptions = {}) {
    super();
    this.url = url;
    this.opts = {
      account: 0, sessionId: 0, lastSeq: 0, autoReconnect: true, maxReconnectAttempts: Infinity,
      requestTimeoutMs: 30_000, connectTimeoutMs: 10_000, ...opts, book: opts.book,
    };
    this._sessionId = this.opts.sessionId;
    this._lastSeq = this.opts.lastSeq;
    this._account = this.opts.account;
    // An 'error' event without listeners would throw; errors are also reported via promises.
    this.on('error', () => {});
  }

  /** Connect, log in and wait for the instrument list. */
  static async connect(url: string, opts: SimexClientOptions = {}): Promise<SimexClient> {
    const c = new SimexClient(url, opts);
    await c.connect();
    return c;
  }

  // ----- state -----

  get sessionId(): number { return this._sessionId; }
  /** Highest execution-report seq processed. */
  get lastSeq(): number { return this._lastSeq; }
  /** The clOrdId the next request will get. */
  get nextClOrdId(): number { return this._nextClOrdId; }
  get heartbeatMs(): number { return this._heartbeatMs; }
  get account(): number { return this._account; }
  get connected(): boolean { return this.loggedIn; }
  /** Bytes queued in the socket (client-side backpressure). */
  get bufferedAmount(): number { return this.ws?.bufferedAmount ?? 0; }
  /** Open orders this client knows (live views). */
  get openOrders(): ReadonlyMap<number, OrderState> { return this.orders; }
  get instruments(): Instrument[] { return [...this.byId.values()]; }

  /** Instrument by id or symbol; throws for an unknown one (programmer error). */
  instrument(idOrSymbol: number | string): Instrument {
    const i = typeof idOrSymbol === 'number' ? this.byId.get(idOrSymbol) : this.bySymbol.get(idOrSymbol);
    if (!i) throw new SimexClientError('UNKNOWN_INSTRUMENT', `unknown instrument ${idOrSymbol}`);
    return i;
  }

  /** Decimal price -> price units of the instrument (throws DecimalError). */
  price(inst: Instrument | number | string, value: string | number, o?: DecimalOptions): number {
    const i = typeof inst === 'object' ? inst : this.instrument(inst);
    const r = decimalToUnits(value, i.priceDecimals, o);
    if (!r.ok) throw new DecimalError(r.code, r.message);
    return r.value;
  }

  /** Decimal quantity -> quantity units of the instrument (throws DecimalError). */
  qty(inst: Instrument | number | string, value: string | number, o?: DecimalOptions): number {
    const i = typeof inst === 'object' ? inst : this.instrument(inst);
    const r = decimalToUnits(value, i.qtyDecimals, o);
    if (!r.ok) throw new DecimalError(r.code, r.message);
    return r.value;
  }

  // ----- connection -----

  /** Open the socket and log in (resuming when a session id / lastSeq is known). */
  connect(): Promise<LoginAck> {
    if (this.ws) return Promise.reject(new SimexClientError('ALREADY_CONNECTED', 'connect() called twice'));
    this.closedByUser = false;
    return this.open();
  }

  private open(): Promise<LoginAck> {
    return new Promise<LoginAck>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        fail(new SimexClientError('TIMEOUT', `connect/login to ${this.url} timed out`));
        ws.terminate();
      }, this.opts.connectTimeoutMs);
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.loginWaiter = null;
        reject(e);
      };
      this.loginWaiter = {
        resolve: (a) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.loginWaiter = null;
          resolve(a);
        },
        reject: fail,
      };
      const ws = new WebSocket(this.url, { perMessageDeflate: false });
      ws.binaryType = 'nodebuffer';
      this.ws = ws;
      this.abandoned = false;
      ws.on('open', () => {
        this.lastRecvAt = Date.now();
        const w = new FrameWriter(128);
        const secret = this.opts.secret;
        const authTs = secret !== undefined ? nextAuthTs(this._account) : 0;
        w.login({
          protocolVersion: PROTOCOL_VERSION,
          sessionId: this._sessionId,
          // Always lastSeq + 1 (1 for a new session: nothing to replay; a resume with
          // lastSeq 0 must still get report 1 onwards).
          nextExpectedSeq: this._lastSeq + 1,
          account: this._account,
          ...(secret !== undefined ? { authTs, authMac: loginMac(this.secretKey ??= secretKey(secret), this._sessionId, this._account, authTs) } : {}),
        });
        this.rawSend(w.take());
      });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (ws !== this.ws) return;
        this.lastRecvAt = Date.now();
        if (!isBinary) {
          this.emit('protocolError', new Error('text frame from server'));
          return;
        }
        this.onFrame(data);
      });
      ws.on('error', (e: Error) => {
        this.emit('error', e);
        fail(new SimexClientError('CONNECT_FAILED', `websocket error: ${e.message}`));
      });
      ws.on('close', (code: number) => {
        if (ws !== this.ws) return;
        fail(new SimexClientError('CLOSED', `connection closed (${code}) before login completed`));
        this.onClose(code);
      });
    });
  }

  private onClose(code: number): void {
    const wasLoggedIn = this.loggedIn;
    this.loggedIn = false;
    this.ws = null;
    this.stopHeartbeat();
    const willReconnect = !this.closedByUser && this.opts.autoReconnect && this.everLoggedIn &&
      this.reconnectAttempt < this.opts.maxReconnectAttempts;
    this.emit('close', code, willReconnect);
    if (willReconnect) this.scheduleReconnect();
    else this.failAll(new SimexClientError('CLOSED', wasLoggedIn ? 'connection closed' : 'connection closed before login'));
  }

  private scheduleReconnect(): void {
    const attempt = ++this.reconnectAttempt;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** (attempt - 1));
    this.emit('reconnecting', attempt, delay);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closedByUser) return;
      this.open().catch(() => { /* onClose schedules the next attempt */ });
    }, delay);
  }

  /**
   * Drop the socket without LOGOUT (as a network failure would): the client reconnects and
   * resumes if autoReconnect. For tests and chaos experiments.
   */
  dropConnection(): void {
    this.ws?.terminate();
  }

  /** Give up on the current socket (the close handler then reconnects and resumes). */
  private abandon(): void {
    this.abandoned = true;
    this.ws?.terminate();
  }

  /** LOGOUT (session ends on the server), close, reject pending requests. */
  async close(): Promise<void> {
    this.closedByUser = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const ws = this.ws;
    if (!ws) {
      this.failAll(new SimexClientError('CLOSED', 'client closed'));
      return;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { ws.terminate(); resolve(); }, 2000);
      ws.once('close', () => { clearTimeout(t); resolve(); });
      if (ws.readyState === WebSocket.OPEN) {
        if (this.loggedIn) {
          this.flush();
          const w = new FrameWriter(16);
          w.logout();
          this.rawSend(w.take());
        }
        ws.close(1000);
      } else ws.terminate();
    });
  }

  // ----- sending -----

  private rawSend(frame: Uint8Array): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(frame, { binary: true });
    this.lastSendAt = Date.now();
  }

  /** Send the frame being batched now (otherwise it goes at the end of the tick). */
  flush(): void {
    this.flushScheduled = false;
    if (this.writer.count === 0) return;
    if (!this.loggedIn) {
      // Not connected: requests stay in `pending` and are re-encoded after login.
      this.writer.reset();
      return;
    }
    this.rawSend(this.writer.take());
  }

  private queue(write: (w: FrameWriter) => void): void {
    if (!this.loggedIn) return; // re-sent from `pending`/`books` after login
    if (this.writer.length > MAX_CLIENT_FRAME_BYTES - FRAME_HEADROOM) this.flush();
    write(this.writer);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => { if (this.flushScheduled) this.flush(); });
    }
  }

  private request<T>(kind: PendingKind, write: (w: FrameWriter, clOrdId: number) => void, init?: (p: Pending) => void): RequestPromise<T> {
    if (!this.everLoggedIn) throw new SimexClientError('NOT_CONNECTED', 'connect() first');
    if (this.closedByUser) throw new SimexClientError('CLOSED', 'client closed');
    const clOrdId = this._nextClOrdId++;
    let p!: Pending;
    const promise = new Promise<T>((resolve, reject) => {
      p = {
        kind, clOrdId, write: (w) => write(w, clOrdId), resolve: resolve as (v: never) => void, reject,
        deadline: this.opts.requestTimeoutMs > 0 ? Date.now() + this.opts.requestTimeoutMs : Infinity, done: false,
      };
    }) as RequestPromise<T>;
    Object.defineProperty(promise, 'clOrdId', { value: clOrdId, enumerable: true });
    init?.(p);
    this.pending.set(clOrdId, p);
    if (this.opts.requestTimeoutMs > 0 && !this.sweepTimer) {
      // One sweeper instead of a timer per request: `pending` is in issue order, so the
      // sweep stops at the first request still within its deadline.
      this.sweepTimer = setInterval(() => this.sweepTimeouts(), Math.max(5, Math.min(1000, this.opts.requestTimeoutMs / 4)));
      this.sweepTimer.unref();
    }
    this.queue(p.write);
    return promise;
  }

  /** Send a new order. Resolves with the order's state after its first response. */
  newOrder(o: NewOrderParams): RequestPromise<OrderResult> {
    const ordType = o.ordType ?? OrdType.LIMIT;
    const tif = o.tif ?? (ordType === OrdType.MARKET ? Tif.IOC : Tif.GTC);
    const fields = {
      instrument: o.instrument, side: o.side, ordType, tif, flags: o.postOnly ? 1 : 0,
      stp: o.stp ?? StpMode.NONE, price: o.price ?? 0, qty: o.qty,
    };
    return this.request<OrderResult>('new', (w, clOrdId) => w.newOrder({ ...fields, clOrdId }), (p) => {
      const st: OrderState = {
        clOrdId: p.clOrdId, orderId: 0, instrument: o.instrument, side: o.side, price: fields.price,
        qty: o.qty, leaves: o.qty, filledQty: 0, status: 'active', fills: [],
      };
      p.order = st;
      this.orders.set(p.clOrdId, st);
    });
  }

  /** Cancel an order (by orderId, or by the order's clOrdId). */
  cancel(t: OrderTarget): RequestPromise<CancelResult> {
    const f = { instrument: t.instrument, origClOrdId: t.origClOrdId ?? 0, orderId: t.orderId ?? 0 };
    return this.request<CancelResult>('cancel', (w, clOrdId) => w.cancel({ ...f, clOrdId }));
  }

  /**
   * Amend price and/or quantity. Default: newQty = new open quantity (leaves). `qtyTotal:
   * true`: newQty = the order's new TOTAL quantity (AMEND flags QTY_TOTAL): open = newQty -
   * filled as the exchange counts it when the amend executes, so a fill racing the amend is not
   * bought again on top; at or below the filled quantity the order's rest is cancelled and the
   * result is status 'cancelled' (reason AMEND_TO_FILLED).
   */
  amend(t: OrderTarget & { newPrice: number; newQty: number; qtyTotal?: boolean }): RequestPromise<AmendResult> {
    const f = {
      instrument: t.instrument, origClOrdId: t.origClOrdId ?? 0, orderId: t.orderId ?? 0,
      newPrice: t.newPrice, newQty: t.newQty, flags: t.qtyTotal ? AmendQtyFlags.QTY_TOTAL : 0,
    };
    return this.request<AmendResult>('amend', (w, clOrdId) => w.amend({ ...f, clOrdId }));
  }

  /** Cancel all of this account's orders on one instrument, or on all (default). */
  massCancel(instrument: number = ALL_INSTRUMENTS): RequestPromise<MassCancelResult> {
    return this.request<MassCancelResult>('mass', (w, clOrdId) => w.massCancel({ instrument, clOrdId }), (p) => {
      p.acks = [];
      p.acksExpected = instrument === ALL_INSTRUMENTS ? this.byId.size : 1;
    });
  }

  // ----- market data -----

  /**
   * Subscribe to market data; returns the instrument's BookBuilder (syncs from the snapshot
   * the server sends with the subscription, then stays live, resyncing on gaps).
   */
  subscribe(instrument: number | string): BookBuilder {
    const id = typeof instrument === 'number' ? instrument : this.instrument(instrument).instrument;
    let b = this.books.get(id);
    if (b) return b;
    b = new BookBuilder(id, {
      ...this.opts.book,
      requestSnapshot: (i) => this.queue((w) => w.snapshotRequest({ instrument: i, maxLevels: 0 })),
    });
    this.books.set(id, b);
    b.resync(false);
    this.queue((w) => w.subscribe({ flags: SubscribeFlags.SNAPSHOT, instruments: [id] }));
    return b;
  }

  unsubscribe(instrument: number | string): void {
    const id = typeof instrument === 'number' ? instrument : this.instrument(instrument).instrument;
    if (!this.books.delete(id)) return;
    this.queue((w) => w.unsubscribe({ flags: 0, instruments: [id] }));
  }

  book(instrument: number | string): BookBuilder | undefined {
    const id = typeof instrument === 'number' ? instrument : this.bySymbol.get(instrument)?.instrument;
    return id === undefined ? undefined : this.books.get(id);
  }

  // ----- receiving -----

  private onFrame(data: Buffer): void {
    const r = this.reader.reset(data);
    const ws = this.ws;
    // Stop at once if a message made us abandon this socket (seq gap, LOGIN_REJECT).
    for (let m = r.next(); m !== null && this.ws === ws && !this.abandoned; m = r.next()) {
      try {
        this.onMessage(m);
      } catch (e) {
        // A listener threw: report it, keep the stream consistent.
        this.emit('error', e instanceof Error ? e : new Error(String(e)));
      }
    }
    this.settleFrame();
  }

  private onMessage(m: Decoded): void {
    switch (m.type) {
      case MsgType.DECODE_ERROR:
        if (m.code !== EdgeReason.UNKNOWN_MESSAGE_TYPE) this.emit('protocolError', m);
        return;
      case MsgType.LOGIN_ACK: return this.onLoginAck(m);
      case MsgType.LOGIN_REJECT: {
        const e = new SimexClientError('LOGIN_REJECTED', `login rejected: ${reasonName(m.reason)}`, m.reason);
        this.closedByUser = true; // a rejected login (or resume) is not retried
        this.loginWaiter?.reject(e);
        this.emit('error', e);
        this.failAll(e);
        return;
      }
      case MsgType.INSTRUMENT:
        this.byId.set(m.instrument, m);
        this.bySymbol.set(m.symbol, m);
        if (this.instrumentsExpected > 0 && --this.instrumentsExpected === 0) this.loginComplete();
        return;
      case MsgType.SERVER_HEARTBEAT:
        // The server assigned reports we never got (still missing at the next heartbeat, so
        // reports in flight behind this heartbeat do not count): resume to fetch them.
        if (this.hbBehind > 0 && this._lastSeq < this.hbBehind && this.loggedIn && this.pendingReplayDone()) {
          this.emit('protocolError', new Error(`server lastSeq ${this.hbBehind} > processed ${this._lastSeq}; resuming`));
          this.hbBehind = 0;
          this.abandon();
          return;
        }
        this.hbBehind = m.lastSeq > this._lastSeq ? m.lastSeq : 0;
        return;
      case MsgType.NOTICE: this.emit('notice', m); return;
      case MsgType.DISCONNECT:
        if (m.reason === EdgeReason.SESSION_TAKEN_OVER || m.reason === EdgeReason.LOGOUT) this.closedByUser = true;
        this.emit('disconnect', m);
        return;
      case MsgType.MD_L2:
      case MsgType.MD_TRADE:
      case MsgType.SNAPSHOT: {
        const b = this.books.get(m.instrument);
        if (b) b.onMessage(m);
        this.emit('marketData', m);
        return;
      }
      case MsgType.ACCEPTED: case MsgType.REJECTED: case MsgType.FILL: case MsgType.CANCELLED:
      case MsgType.AMENDED: case MsgType.REDUCED: case MsgType.MASS_CANCEL_ACK:
        return this.onReport(m);
      default:
        this.emit('protocolError', new Error(`unexpected message type ${m.type} from server`));
    }
  }

  /** Replay finished = no report with seq <= LOGIN_ACK.lastSeq outstanding. */
  private pendingReplayDone(): boolean {
    return this.lastAck === null || this._lastSeq >= this.lastAck.lastSeq;
  }

  private onLoginAck(a: LoginAck): void {
    this._sessionId = a.sessionId;
    this._heartbeatMs = a.heartbeatMs > 0 ? a.heartbeatMs : DEFAULT_HEARTBEAT_MS;
    this._account = a.account;
    this.lastAck = a;
    if (a.nextClOrdId > this._nextClOrdId) this._nextClOrdId = a.nextClOrdId;
    this.instrumentsExpected = a.instrumentCount;
    if (a.instrumentCount === 0) this.loginComplete();
  }

  private loginComplete(): void {
    const a = this.lastAck!;
    this.loggedIn = true;
    this.everLoggedIn = true;
    this.reconnectAttempt = 0;
    this.startHeartbeat();
    // Re-send requests the server never received, in clOrdId order (Map keeps insertion
    // order, which is clOrdId order).
    for (const p of this.pending.values()) if (p.clOrdId >= a.nextClOrdId && !p.done) this.queue(p.write);
    // Renew subscriptions; books resync from the snapshot that comes with them.
    const ids = [...this.books.keys()];
    for (let i = 0; i < ids.length; i += MAX_SUBSCRIBE_IDS) {
      const chunk = ids.slice(i, i + MAX_SUBSCRIBE_IDS);
      for (const id of chunk) this.books.get(id)!.resync(false);
      this.queue((w) => w.subscribe({ flags: SubscribeFlags.SNAPSHOT, instruments: chunk }));
    }
    this.flush();
    this.emit('login', a);
    this.loginWaiter?.resolve(a);
  }

  private onReport(m: ExecReport): void {
    if (m.seq <= this._lastSeq) return; // duplicate (replay overlap): already processed
    if (m.seq !== this._lastSeq + 1 && this._lastSeq > 0) {
      // Cannot happen with a correct server over one TCP stream: resume to repair.
      this.emit('protocolError', new Error(`report seq gap: expected ${this._lastSeq + 1}, got ${m.seq}; resuming`));
      this.abandon();
      return;
    }
    this._lastSeq = m.seq;
    switch (m.type) {
      case MsgType.ACCEPTED: {
        // Only a NEW_ORDER is answered by ACCEPTED; an ACCEPTED carrying the clOrdId of a
        // pending CANCEL/AMEND/MASS_CANCEL is not its outcome and is only emitted.
        const p = this.pending.get(m.clOrdId);
        if (p && p.kind === 'new') {
          const o = p.order!;
          o.orderId = m.orderId;
          o.qty = m.qty;
          o.leaves = m.qty;
          if (this.orders.has(o.clOrdId)) this.ordersById.set(m.orderId, o);
          this.firstResponse(m.clOrdId);
        }
        this.emit('accepted', m);
        break;
      }
      case MsgType.REJECTED: {
        const p = this.pending.get(m.clOrdId);
        if (p && !p.done) {
          p.rejected = m;
          if (p.order) {
            p.order.status = 'rejected';
            p.order.reason = m.reason;
            p.order.reasonName = reasonName(m.reason);
            p.order.leaves = 0;
            this.forget(p.order);
          }
          this.firstResponse(m.clOrdId);
        }
        this.emit('rejected', m);
        break;
      }
      case MsgType.FILL: {
        const o = this.orderOf(m);
        if (o) {
          o.fills.push(m);
          o.filledQty += m.qty;
          o.leaves = m.leaves;
          o.status = m.leaves === 0 ? 'filled' : 'partially_filled';
          if (m.leaves === 0) this.forget(o);
        }
        for (const p of this.settle) if (p.kind === 'amend' && p.amended?.orderId === m.orderId) p.amendFills!.push(m);
        this.emit('fill', m);
        break;
      }
      case MsgType.CANCELLED: {
        const o = this.orderOf(m);
        if (o) {
          o.status = 'cancelled';
          o.cancelReason = m.reason;
          o.leaves = 0;
          this.forget(o);
        }
        if (m.requestClOrdId !== 0) {
          const p = this.pending.get(m.requestClOrdId);
          if (p && (p.kind === 'cancel' || p.kind === 'amend') && !p.done) {
            p.cancelled = m; // amend: a QTY_TOTAL amend at or below the filled quantity
            this.firstResponse(m.requestClOrdId);
          }
        }
        this.emit('cancelled', m);
        break;
      }
      case MsgType.AMENDED: {
        const o = this.orderOf(m);
        if (o) {
          o.price = m.newPrice;
          o.leaves = m.newLeaves;
        }
        const p = this.pending.get(m.requestClOrdId);
        if (p && p.kind === 'amend' && !p.done) {
          p.amended = m;
          p.amendFills = [];
          this.firstResponse(m.requestClOrdId);
        }
        this.emit('amended', m);
        break;
      }
      case MsgType.REDUCED: {
        const o = this.orderOf(m);
        if (o) o.leaves = m.newLeaves;
        this.emit('reduced', m);
        break;
      }
      case MsgType.MASS_CANCEL_ACK: {
        const p = this.pending.get(m.clOrdId);
        if (p && p.kind === 'mass' && !p.done) {
          p.acks!.push(m);
          if (p.acks!.length >= p.acksExpected!) this.firstResponse(m.clOrdId);
        }
        this.emit('massCancelAck', m);
        break;
      }
    }
    this.emit('report', m);
  }

  /** The open order a report is about: by clOrdId, else by (orderId, instrument). */
  private orderOf(m: { clOrdId: number; orderId: number; instrument: number }): OrderState | undefined {
    const o = this.orders.get(m.clOrdId);
    if (o && (o.orderId === 0 || o.orderId === m.orderId)) return o;
    const b = this.ordersById.get(m.orderId);
    return b && b.instrument === m.instrument ? b : undefined;
  }

  private forget(o: OrderState): void {
    this.orders.delete(o.clOrdId);
    if (this.ordersById.get(o.orderId) === o) this.ordersById.delete(o.orderId);
  }

  private firstResponse(clOrdId: number): void {
    const p = this.pending.get(clOrdId);
    if (!p || p.done) return;
    p.done = true;
    this.settle.push(p);
  }

  /** End of a frame: resolve the requests whose first response it carried. */
  private settleFrame(): void {
    if (this.settle.length === 0) return;
    const list = this.settle;
    this.settle = [];
    for (const p of list) {
      this.pending.delete(p.clOrdId);
      const rej = p.rejected;
      const rejInfo = rej ? { reason: rej.reason, reasonName: reasonName(rej.reason) } : {};
      switch (p.kind) {
        case 'new': {
          const o = p.order!;
          (p.resolve as (v: OrderResult) => void)({ ...o, fills: [...o.fills] });
          break;
        }
        case 'cancel':
          (p.resolve as (v: CancelResult) => void)(rej
            ? { clOrdId: p.clOrdId, status: 'rejected', ...rejInfo }
            : { clOrdId: p.clOrdId, status: 'cancelled', cancelled: p.cancelled! });
          break;
        case 'amend':
          (p.resolve as (v: AmendResult) => void)(rej
            ? { clOrdId: p.clOrdId, status: 'rejected', fills: [], ...rejInfo }
            : p.amended === undefined && p.cancelled !== undefined
              ? { clOrdId: p.clOrdId, status: 'cancelled', cancelled: p.cancelled, fills: [] }
              : { clOrdId: p.clOrdId, status: 'amended', amended: p.amended!, fills: p.amendFills ?? [] });
          break;
        case 'mass':
          (p.resolve as (v: MassCancelResult) => void)(rej
            ? { clOrdId: p.clOrdId, status: 'rejected', count: 0, acks: [], ...rejInfo }
            : { clOrdId: p.clOrdId, status: 'done', count: p.acks!.reduce((s, a) => s + a.count, 0), acks: p.acks! });
          break;
      }
    }
  }

  private sweepTimeouts(): void {
    const now = Date.now();
    for (const [id, p] of this.pending) {
      if (p.deadline > now) break;
      if (p.done) continue; // resolves at the end of the frame being processed
      this.pending.delete(id);
      p.reject(new SimexClientError('TIMEOUT', `no response to clOrdId ${id} within ${this.opts.requestTimeoutMs} ms`));
    }
    if (this.pending.size === 0 && this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  // ----- heartbeats -----

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.hbBehind = 0;
    const hb = this._heartbeatMs;
    this.lastRecvAt = Date.now();
    this.hbTimer = setInterval(() => {
      const now = Date.now();
      if (now - this.lastRecvAt > HEARTBEAT_TIMEOUT_FACTOR * hb) {
        this.emit('protocolError', new Error(`nothing received for ${now - this.lastRecvAt} ms; reconnecting`));
        this.abandon();
        return;
      }
      if (now - this.lastSendAt >= hb && this.loggedIn) {
        const w = new FrameWriter(32);
        w.clientHeartbeat({ ts: now * 1000, lastSeqSeen: this._lastSeq });
        this.rawSend(w.take());
      }
    }, Math.max(10, Math.floor(hb / 4)));
    this.hbTimer.unref();
  }

  private stopHeartbeat(): void {
    if (this.hbTimer) clearInterval(this.hbTimer);
    this.hbTimer = undefined;
  }
}

export { Side, OrdType, Tif, StpMode } from '../protocol/messages.js';
