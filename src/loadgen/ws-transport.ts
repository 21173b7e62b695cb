/**
 * Real transport: one `ws` WebSocket per session speaking simex binary protocol v1
 * (docs/PROTOCOL.md). Why raw `ws` + the protocol codec rather than SimexClient: the
 * generator must not allocate per order or per report (a promise and a report object per
 * order would cost more CPU than the server spends on the order, and generator and server
 * share 2 cores). So:
 *  - orders are encoded by order-frame.ts straight into the Buffer that becomes the
 *    WebSocket frame (bytes identical to the protocol's FrameWriter, tested; offsets checked
 *    against LAYOUTS at load): one Buffer and one DataView per frame, nothing per order;
 *  - the login phase is decoded with the protocol's `FrameReader` (typed messages);
 *  - live replies are read by peeking only the fields latency needs (type, seq, clOrdId,
 *    reason, leaves) at offsets looked up once from `LAYOUTS` (src/protocol/messages.ts), so
 *    a layout change in the protocol is followed or fails loudly here, never mis-read.
 *
 * Sending: order frames bypass ws's Sender: each is framed and masked in place
 * (order-frame.ts finishMaskedFrame) and written to the upgraded socket (the `upgrade`
 * response's socket, the one ws itself writes to; ws only queues in its Sender while
 * compressing, and perMessageDeflate is off, so frames stay whole and in order with ws's
 * own control frames). Login, heartbeat and logout still go through ws.send.
 *
 * Lifetimes: every order frame is a new Buffer (a pool slice) handed to the socket, never
 * reused; frames are at most MAX_CLIENT_FRAME_BYTES.
 */
import WebSocket from 'ws';
import type { Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { CANCEL_BYTES, NEW_ORDER_BYTES, PAYLOAD_AT, finishMaskedFrame, newFrameBuffer, putCancel, putNewOrder } from './order-frame.js';
import {
  LAYOUT_BY_TYPE,
  MAX_CLIENT_FRAME_BYTES,
  MsgType,
  PROTOCOL_VERSION,
  isExecReportType,
} from '../protocol/messages.js';
import { FrameReader, FrameWriter } from '../protocol/codec.js';
import { loginMac, nextAuthTs } from '../protocol/auth.js';
import { OrderFlow, OP_CANCEL, OP_MARKET, paramsFor } from './flow.js';
import type { InstrumentInfo, SymbolParams } from './flow.js';
import type { OrderConnection, ReplyOutcome } from './scheduler.js';
import type { MixSpec } from './types.js';

function off(type: number, field: string): number {
  const spec = LAYOUT_BY_TYPE.get(type);
  const f = spec?.fields.find((x) => x.name === field);
  if (!f) throw new Error(`protocol layout has no ${field} in message type ${type}`);
  return f.off;
}

const T = MsgType;
// Server -> client offsets.
const SEQ = off(T.ACCEPTED, 'seq');
const ACC_CL = off(T.ACCEPTED, 'clOrdId');
const ACC_INST = off(T.ACCEPTED, 'instrument');
const ACC_ORDTYPE = off(T.ACCEPTED, 'ordType');
const REJ_CL = off(T.REJECTED, 'clOrdId');
const REJ_REASON = off(T.REJECTED, 'reason');
const FILL_CL = off(T.FILL, 'clOrdId');
const FILL_LEAVES = off(T.FILL, 'leaves');
const CXL_CL = off(T.CANCELLED, 'clOrdId');
const CXL_REQ = off(T.CANCELLED, 'requestClOrdId');
const DISC_REASON = off(T.DISCONNECT, 'reason');

/** Receives what the connection learns; the scheduler implements it. */
export interface ReplySink {
  reply(conn: number, id: number, outcome: ReplyOutcome, reason?: number, fill?: boolean): void;
  /** Optional: replies until the next call arrived at the same instant (one read). */
  beginReplies?(): void;
  noteError(kind: string): void;
}

export interface WsConnectionOptions {
  url: string;
  /** Index of this connection among its thread's connections (scheduler index). */
  index: number;
  account: number;
  symbols: readonly string[];
  mix: MixSpec;
  seed: number;
  connectTimeoutMs?: number;
  /** Session secret: the LOGIN is signed (72 bytes, src/protocol/auth.ts). */
  secret?: string;
}

/** Unsigned 64-bit little-endian at b[o] as a number (exact below 2^53). Bounds: the
 *  caller checked the message lies within the frame. */
function readU64(b: Buffer, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 16777216 +
    ((b[o + 4]! | (b[o + 5]! << 8) | (b[o + 6]! << 16)) + b[o + 7]! * 16777216) * 4294967296;
}

/** Bytes of the largest order message the generator sends. */
const MAX_ORDER_BYTES = Math.max(NEW_ORDER_BYTES, CANCEL_BYTES);

export class WsOrderConnection implements OrderConnection {
  readonly index: number;
  private ws: WebSocket | null = null;
  private open = false;
  private flow: OrderFlow | null = null;
  private params: SymbolParams[] = [];
  /** Wire instrument id (u16) -> index into params, -1 = not traded. */
  private readonly symIndex = new Int16Array(65536).fill(-1);
  /** The upgraded TCP socket (order frames are written to it directly), once open. */
  private sock: Socket | null = null;
  /** wire clOrdId = scheduler id + idBase (a new session starts at nextClOrdId = 1). */
  private idBase = 0;
  private lastSeq = 0;
  private heartbeatMs = 1000;
  private lastSendMs = 0;
  private hbTimer: NodeJS.Timeout | null = null;
  private readonly hbWriter = new FrameWriter(64);
  private readonly maxOrders = WsOrderConnection.maxOrdersPerFrame();
  sink: ReplySink | null = null;
  /** Why the connection ended, if it did. */
  closedReason = '';

  constructor(private readonly o: WsConnectionOptions) {
    this.index = o.index;
  }

  isOpen(): boolean {
    return this.open;
  }

  /** Largest orders per frame the frame buffer holds. */
  static maxOrdersPerFrame(): number {
    return Math.floor(MAX_CLIENT_FRAME_BYTES / MAX_ORDER_BYTES);
  }

  /** Open, LOGIN, read LOGIN_ACK + INSTRUMENTs. Rejects with a message on any failure. */
  connect(): Promise<void> {
    const timeoutMs = this.o.connectTimeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(this.o.url, { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: timeoutMs });
      this.ws = ws;
      let settled = false;
      let expectInstruments = -1;
      const instruments: InstrumentInfo[] = [];
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.closedReason = why;
        try {
          ws.terminate();
        } catch {
          /* already closed */
        }
        reject(new Error(why));
      };
      const timer = setTimeout(() => fail(`login timed out after ${timeoutMs} ms`), timeoutMs);
      const finishLogin = (): void => {
        settled = true;
        clearTimeout(timer);
        try {
          this.params = this.o.symbols.map((sym) => {
            const inst = instruments.find((i) => i.symbol === sym);
            if (!inst) throw new Error(`server has no instrument ${sym}`);
            return paramsFor(inst);
          });
        } catch (err) {
          this.closedReason = (err as Error).message;
          ws.terminate();
          reject(err);
          return;
        }
        this.params.forEach((p, i) => (this.symIndex[p.instrument] = i));
        this.flow = new OrderFlow(this.params, this.o.mix, this.o.seed);
        this.open = true;
        this.startHeartbeat();
        resolve();
      };
      ws.on('upgrade', (res: IncomingMessage) => {
        this.sock = res.socket as Socket;
      });
      ws.on('open', () => {
        const w = new FrameWriter(128);
        const account = this.o.account >>> 0;
        const authTs = this.o.secret !== undefined ? nextAuthTs(account) : 0;
        w.login({
          protocolVersion: PROTOCOL_VERSION, sessionId: 0, nextExpectedSeq: 0, account,
          ...(this.o.secret !== undefined ? { authTs, authMac: loginMac(this.o.secret, 0, account, authTs) } : {}),
        });
        ws.send(w.bytes());
        this.lastSendMs = performance.now();
      });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary) return;
        if (settled) {
          this.onFrame(data);
          return;
        }
        // Login phase: LOGIN_ACK, then instrumentCount INSTRUMENTs (maybe same frame),
        // decoded with the protocol's reader; whatever follows goes to the live path.
        const r = new FrameReader().reset(data);
        for (let m = r.next(); m !== null; m = r.next()) {
          if (m.type === T.DECODE_ERROR) return fail(`undecodable message during login (code ${m.code}, type ${m.msgType})`);
          if (m.type === T.LOGIN_ACK) {
            expectInstruments = m.instrumentCount;
            this.idBase = m.nextClOrdId - 1;
            this.lastSeq = m.lastSeq;
            this.heartbeatMs = m.heartbeatMs || 1000;
          } else if (m.type === T.LOGIN_REJECT) {
            return fail(`login rejected, reason ${m.reason}`);
          } else if (m.type === T.INSTRUMENT) {
            instruments.push({
              symbol: m.symbol, instrument: m.instrument, priceDecimals: m.priceDecimals, tickSize: m.tickSize,
              lotSize: m.lotSize, minQty: m.minQty, minPrice: m.minPrice, maxPrice: m.maxPrice,
            });
          } else if (m.type === T.DISCONNECT) {
            return fail(`disconnected during login, reason ${m.reason}`);
          }
          if (expectInstruments >= 0 && instruments.length >= expectInstruments) {
            finishLogin();
            if (r.offset < data.length) this.onFrame(data.subarray(r.offset));
            return;
          }
        }
      });
      ws.on('error', (err) => {
        if (!settled) fail(`connect failed: ${err.message}`);
        else this.sink?.noteError(`socket error: ${err.message}`);
      });
      ws.on('close', (code) => {
        const wasOpen = this.open;
        this.open = false;
        this.stopHeartbeat();
        if (!settled) fail(`closed during login (code ${code})`);
        else if (wasOpen && !this.closing) this.sink?.noteError(`connection closed by server (code ${code}${this.closedReason ? `, ${this.closedReason}` : ''})`);
      });
    });
  }

  private closing = false;

  sendFrame(firstId: number, n: number): boolean {
    const ws = this.ws;
    const flow = this.flow;
    if (!this.open || ws === null || flow === null) return false;
    if (n > this.maxOrders) throw new RangeError(`${n} orders do not fit one frame (max ${this.maxOrders})`);
    const b = newFrameBuffer(n * MAX_ORDER_BYTES);
    const dv = new DataView(b.buffer, b.byteOffset, b.length);
    const base = this.idBase;
    const params = this.params;
    let p = PAYLOAD_AT;
    for (let j = 0; j < n; j++) {
      const id = firstId + j;
      const o = flow.next(id);
      const inst = params[o.symbolIndex]!.instrument;
      if (o.op === OP_CANCEL) p = putCancel(dv, p, inst, id + base, o.cancelId + base);
      else if (o.op === OP_MARKET) p = putNewOrder(b, dv, p, inst, o.side, 1, 1, id + base, o.price, o.qty); // market: IOC
      else p = putNewOrder(b, dv, p, inst, o.side, 0, 0, id + base, o.price, o.qty);
    }
    const sock = this.sock;
    if (sock !== null && sock.writable) sock.write(finishMaskedFrame(b, p - PAYLOAD_AT));
    else ws.send(b.subarray(PAYLOAD_AT, p));
    this.lastSendMs = performance.now();
    return true;
  }

  /** Read every message of a server frame; only exec reports and DISCONNECT matter. */
  private onFrame(data: Buffer): void {
    const sink = this.sink;
    sink?.beginReplies?.();
    let p = 0;
    while (p + 4 <= data.length) {
      const len = data.readUInt16LE(p);
      const type = data[p + 2]!;
      if (len < 4 || p + len > data.length) {
        sink?.noteError('malformed server frame');
        return;
      }
      if (isExecReportType(type)) {
        const seq = readU64(data, p + SEQ);
        if (seq !== this.lastSeq + 1) sink?.noteError('execution report sequence gap');
        this.lastSeq = seq;
        if (sink !== null) this.onReport(sink, data, p, type);
      } else if (type === T.DISCONNECT) {
        this.closedReason = `DISCONNECT reason ${data.readUInt16LE(p + DISC_REASON)}`;
      }
      p += len;
    }
  }

  private onReport(sink: ReplySink, d: Buffer, p: number, type: number): void {
    const base = this.idBase;
    switch (type) {
      case T.ACCEPTED: {
        const id = readU64(d, p + ACC_CL) - base;
        sink.reply(this.index, id, 'accepted');
        if (d[p + ACC_ORDTYPE] === 0) {
          const sym = this.symIndex[d.readUInt16LE(p + ACC_INST)]!;
          if (sym >= 0) this.flow?.rested(id, sym);
        }
        break;
      }
      case T.REJECTED: {
        const id = readU64(d, p + REJ_CL) - base;
        sink.reply(this.index, id, 'rejected', d.readUInt16LE(p + REJ_REASON));
        this.flow?.gone(id);
        break;
      }
      case T.FILL: {
        const id = readU64(d, p + FILL_CL) - base;
        sink.reply(this.index, id, 'accepted', 0, true);
        if (readU64(d, p + FILL_LEAVES) === 0) this.flow?.gone(id);
        break;
      }
      case T.CANCELLED: {
        const id = readU64(d, p + CXL_CL) - base;
        const req = readU64(d, p + CXL_REQ);
        sink.reply(this.index, req !== 0 ? req - base : id, 'accepted');
        this.flow?.gone(id);
        break;
      }
      default:
        break;
    }
  }

  private startHeartbeat(): void {
    const every = Math.max(50, Math.floor(this.heartbeatMs / 2));
    this.hbTimer = setInterval(() => {
      const ws = this.ws;
      if (!this.open || ws === null) return;
      if (performance.now() - this.lastSendMs < this.heartbeatMs * 0.75) return;
      const w = this.hbWriter;
      w.reset();
      w.clientHeartbeat({ ts: Math.round((performance.timeOrigin + performance.now()) * 1000), lastSeqSeen: this.lastSeq });
      ws.send(w.bytes());
      this.lastSendMs = performance.now();
    }, every);
    this.hbTimer.unref();
  }

  private stopHeartbeat(): void {
    if (this.hbTimer) clearInterval(this.hbTimer);
    this.hbTimer = null;
  }

  /** LOGOUT (the server discards the session) and close; resolves when closed or after 2 s. */
  close(): Promise<void> {
    this.closing = true;
    this.stopHeartbeat();
    const ws = this.ws;
    if (ws === null || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000);
      ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      if (ws.readyState === WebSocket.OPEN) {
        const w = new FrameWriter(16);
        w.logout();
        ws.send(w.bytes());
        ws.close(1000);
      } else {
        ws.terminate();
      }
      this.open = false;
    });
  }
}
