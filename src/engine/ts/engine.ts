/**
 * TsEngine: the pure-TypeScript engine. Same contract and byte-identical events as the C++
 * addon (src/engine/native.ts). Command dispatch and the common checks (UNKNOWN_COMMAND,
 * UNKNOWN_BOOK) live here; everything per book lives in Book (book.ts).
 *
 * process() cost: O(1) per command plus the command's own cost (docs/ENGINE.md
 * "Complexity"); no allocation on the hot path except when a pool or the event buffer
 * doubles. Input records are read through an Int32Array view (the input is copied into a
 * scratch buffer only when it does not start at a 4-byte aligned offset).
 */
import { CMD_SIZE, CmdType, RejectReason } from '../layout.js';
import { validateInstrument } from '../instruments.js';
import type {
  BookStats, DepthSnapshot, Engine, EngineImplementation, InstrumentSpec, Level, RestingOrder,
} from '../types.js';
import { Book, BUY, SELL } from './book.js';
import { EventOut } from './events.js';

const CMD_W = CMD_SIZE >>> 2;
const CMD_NEW = CmdType.NEW;
const CMD_CANCEL = CmdType.CANCEL;
const CMD_AMEND = CmdType.AMEND;
const CMD_MASS_CANCEL = CmdType.MASS_CANCEL;
const R_UNKNOWN_BOOK = RejectReason.UNKNOWN_BOOK;
const R_UNKNOWN_COMMAND = RejectReason.UNKNOWN_COMMAND;
const MAX_BOOKS = 65536; // the command's book field is a u16

export interface TsEngineOptions {
  /** Initial order-pool slots per book (grows by doubling). Default 1024. */
  initialOrders?: number;
  /** Initial event-buffer capacity in events (grows by doubling). Default 4096. */
  initialEvents?: number;
}

export class TsEngine implements Engine {
  readonly implementation: EngineImplementation = 'ts';
  private readonly books: Book[] = [];
  private readonly out: EventOut;
  private readonly initialOrders: number;
  // Cached Int32Array view of the last input (avoids one view allocation per call).
  private lastIn: Uint8Array | null = null;
  private lastView: Int32Array = new Int32Array(0);
  private scratch: Int32Array = new Int32Array(0);

  constructor(opts: TsEngineOptions = {}) {
    this.out = new EventOut(opts.initialEvents ?? 4096);
    this.initialOrders = opts.initialOrders ?? 1024;
  }

  addBook(spec: InstrumentSpec): number {
    validateInstrument(spec);
    if (this.books.length >= MAX_BOOKS) throw new RangeError('too many books (max 65536)');
    const idx = this.books.length;
    this.books.push(new Book(idx, spec, this.out, this.initialOrders));
    return idx;
  }

  private words(cmds: Uint8Array, count: number): Int32Array {
    const need = count * CMD_W;
    if (cmds === this.lastIn && this.lastView.length >= need) return this.lastView;
    if ((cmds.byteOffset & 3) === 0) {
      const v = new Int32Array(cmds.buffer, cmds.byteOffset, cmds.byteLength >>> 2);
      this.lastIn = cmds;
      this.lastView = v;
      return v;
    }
    if (this.scratch.length < need) this.scratch = new Int32Array(need);
    new Uint8Array(this.scratch.buffer, 0, need * 4).set(cmds.subarray(0, need * 4));
    this.lastIn = null;
    return this.scratch;
  }

  process(cmds: Uint8Array, count: number): number {
    if (!(cmds instanceof Uint8Array)) throw new TypeError('process: cmds must be a Uint8Array');
    if (!Number.isInteger(count) || count < 0 || count * CMD_SIZE > cmds.byteLength) {
      throw new RangeError(`process: count ${count} does not fit in ${cmds.byteLength} bytes`);
    }
    const out = this.out;
    out.n = 0;
    if (count === 0) return 0;
    const ci = this.words(cmds, count);
    const books = this.books;
    const nBooks = books.length;
    for (let c = 0; c < count; c++) {
      const w = c * CMD_W;
      const type = ci[w]! & 0xff;
      const bookRaw = ci[w + 1]! >>> 16;
      out.cmdType = type;
      out.tsLo = ci[w + 4]!;
      out.tsHi = ci[w + 5]!;
      if (bookRaw >= nBooks) {
        const reason = type >= 1 && type <= 4 ? R_UNKNOWN_BOOK : R_UNKNOWN_COMMAND;
        out.putRejected(reason, bookRaw, 0, (ci[w]! >>> 8) & 0xff, ci[w + 6]!, ci[w + 7]!, ci[w + 2]!);
        continue;
      }
      const book = books[bookRaw]!;
      switch (type) {
        case CMD_NEW: book.onNew(ci, w); break;
        case CMD_CANCEL: book.onCancel(ci, w); break;
        case CMD_AMEND: book.onAmend(ci, w); break;
        case CMD_MASS_CANCEL: book.onMassCancel(ci, w); break;
        default: book.reject(R_UNKNOWN_COMMAND, ci, w); continue;
      }
      book.flushL2();
    }
    return out.n;
  }

  events(): Uint8Array {
    return this.out.view();
  }

  private book(book: number): Book {
    const b = this.books[book];
    if (!Number.isInteger(book) || b === undefined) throw new RangeError(`unknown book ${book}`);
    return b;
  }

  bestBid(book: number): Level | null { return this.book(book).bestLevel(BUY); }
  bestAsk(book: number): Level | null { return this.book(book).bestLevel(SELL); }

  depth(book: number, levels: number): DepthSnapshot {
    const b = this.book(book);
    const n = Math.max(0, Math.floor(levels));
    return { seq: b.seq, bids: b.levels(BUY, n), asks: b.levels(SELL, n) };
  }

  order(book: number, orderId: number): RestingOrder | null {
    return this.book(book).order(orderId);
  }

  stats(book: number): BookStats {
    const b = this.book(book);
    return { orders: b.live, bidLevels: b.bids.size, askLevels: b.asks.size, seq: b.seq, lastTradePrice: b.lastTradePrice };
  }

  snapshot(book: number): Uint8Array { return this.book(book).snapshot(); }

  restore(book: number, image: Uint8Array): void {
    this.out.n = 0;
    this.book(book).restore(image);
  }

  /** Test hook: throws if any structural invariant of the book is broken. O(N). */
  checkInvariants(book: number): void { this.book(book).checkInvariants(); }
}
