/**
 * Binary-protocol sessions (docs/PROTOCOL.md section 3): the per-session sequence, the
 * clOrdId high-water mark, the live-order index and the bounded report journal used for
 * resume. A session outlives its connections (retention: SESSION_RETENTION_MS after the
 * last disconnect); LOGOUT discards it.
 *
 * Memory: a journal slot is MAX_REPORT_BYTES (80 B); the journal starts at 256 slots and
 * doubles up to `journalSize` (default 65536 = 5.2 MB for a very busy session).
 */
import type { WebSocket } from 'uWebSockets.js';
import { MAX_REPORT_BYTES, OutBuf } from './wire.js';
import { NumMap } from '../util/num-map.js';

export const SESSION_RETENTION_MS = 10 * 60_000;

/** Ring of the last `max` execution reports, addressed by seq (1, 2, 3 ...). */
export class Journal {
  u8: Uint8Array;
  dv: DataView;
  private cap: number;
  /** Oldest retained seq (first > last: empty). */
  first = 1;
  last = 0;

  constructor(readonly max: number, initial = 256) {
    let m = 16;
    while (m < max) m *= 2;
    this.max = m;
    this.cap = Math.min(initial, m);
    this.u8 = new Uint8Array(this.cap * MAX_REPORT_BYTES);
    this.dv = new DataView(this.u8.buffer);
  }

  /** Byte offset of the slot for the next seq (last + 1); advances `last`. O(1) amortized. */
  next(): number {
    const seq = this.last + 1;
    if (seq - this.first + 1 > this.cap) {
      if (this.cap < this.max) this.grow();
      else this.first++; // overwrite the oldest report
    }
    this.last = seq;
    return ((seq - 1) & (this.cap - 1)) * MAX_REPORT_BYTES;
  }

  private grow(): void {
    const ncap = this.cap * 2;
    const nb = new Uint8Array(ncap * MAX_REPORT_BYTES);
    // Growth happens only while nothing was overwritten yet (first === 1), so seqs 1..cap sit
    // at slots 0..cap-1 in both rings: one copy, not one subarray per report.
    nb.set(this.u8, 0);
    this.cap = ncap;
    this.u8 = nb;
    this.dv = new DataView(nb.buffer);
  }

  /** The stored report `seq` (a view, valid until the next `next()`), or null if not retained. */
  get(seq: number): Uint8Array | null {
    if (seq < this.first || seq > this.last) return null;
    const off = ((seq - 1) & (this.cap - 1)) * MAX_REPORT_BYTES;
    const len = this.dv.getUint16(off, true);
    return this.u8.subarray(off, off + len);
  }
}

export interface ConnData {
  id: number;
  session: Session | null;
  out: OutBuf;
  dirty: boolean;
  closed: boolean;
  /** Instrument ids this connection receives market data for. */
  md: Set<number>;
  /** Market data paused for backpressure (unsubscribed from the topics until drained). */
  mdPaused: boolean;
  mdDropped: number;
  openedMs: number;
  lastRecvMs: number;
  lastSendMs: number;
  remote: string;
  ws: WebSocket<ConnData> | null;
}

export class Session {
  /** Highest clOrdId accepted (H). */
  highClOrd = 0;
  readonly journal: Journal;
  /** Live orders of this session: exchange orderId -> clOrdId, and back (typed hash maps:
   *  touched several times per order on the I/O thread; missing -> 0). */
  readonly live = new NumMap(256);
  readonly byClOrd = new NumMap(256);
  conn: ConnData | null = null;
  detachedAt = 0;
  /** Low 32 bits of the next exchange order id (high bits: the session slot). */
  nextN = 1;
  discarded = false;

  constructor(readonly id: number, readonly account: number, readonly slot: number, journalSize: number) {
    this.journal = new Journal(journalSize);
  }

  get lastSeq(): number {
    return this.journal.last;
  }
}
