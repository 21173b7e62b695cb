/**
 * The TS engine's event buffer: EVT_SIZE-byte records (layout.ts) written through an
 * Int32Array from byte 0 on each `process` call. Owned by the engine; doubled when full, so
 * a view handed out by `events()` is valid only until the next `process`/`restore`.
 * Per event: 20 int32 stores, no allocation. Payload values written here are engine values
 * in 0 .. 2^53-1 (ids, prices, quantities, counts); raw echoed bytes (ts, REJECTED orderId)
 * are copied as their original int32 words.
 */
import { EVT_SIZE } from '../layout.js';

const INV_TWO_32 = 1 / 4294967296;
const EVT_W = EVT_SIZE >>> 2;

export class EventOut {
  u8: Uint8Array;
  i32: Int32Array;
  /** Capacity in events. */
  private cap: number;
  /** Events written in the current `process` call. */
  n = 0;
  /** Current command: raw type byte and raw ts words, copied into every event. */
  cmdType = 0;
  tsLo = 0;
  tsHi = 0;

  constructor(capacityEvents = 4096) {
    this.cap = capacityEvents;
    this.u8 = new Uint8Array(capacityEvents * EVT_SIZE);
    this.i32 = new Int32Array(this.u8.buffer);
  }

  view(): Uint8Array {
    return this.u8.subarray(0, this.n * EVT_SIZE);
  }

  private grow(): void {
    this.cap *= 2;
    const u8 = new Uint8Array(this.cap * EVT_SIZE);
    u8.set(this.u8);
    this.u8 = u8;
    this.i32 = new Int32Array(u8.buffer);
  }

  /**
   * Appends one event. `seq` is the book sequence already incremented by the caller.
   * s0..s6 must be integers in 0 .. 2^53-1.
   */
  put(type: number, side: number, reason: number, book: number, flags: number, seq: number,
    s0: number, s1: number, s2: number, s3: number, s4: number, s5: number, s6: number): void {
    if (this.n === this.cap) this.grow();
    const i = this.i32;
    const w = this.n * EVT_W;
    this.n++;
    i[w] = type | (side << 8) | (reason << 16) | (this.cmdType << 24);
    i[w + 1] = book | (flags << 16);
    i[w + 2] = seq >>> 0; i[w + 3] = (seq * INV_TWO_32) | 0;
    i[w + 4] = this.tsLo; i[w + 5] = this.tsHi;
    i[w + 6] = s0 >>> 0; i[w + 7] = (s0 * INV_TWO_32) | 0;
    i[w + 8] = s1 >>> 0; i[w + 9] = (s1 * INV_TWO_32) | 0;
    i[w + 10] = s2 >>> 0; i[w + 11] = (s2 * INV_TWO_32) | 0;
    i[w + 12] = s3 >>> 0; i[w + 13] = (s3 * INV_TWO_32) | 0;
    i[w + 14] = s4 >>> 0; i[w + 15] = (s4 * INV_TWO_32) | 0;
    i[w + 16] = s5 >>> 0; i[w + 17] = (s5 * INV_TWO_32) | 0;
    i[w + 18] = s6 >>> 0; i[w + 19] = (s6 * INV_TWO_32) | 0;
  }

  /** REJECTED: s0 = the command's raw orderId words, s1 = owner, side = raw side byte. */
  putRejected(reason: number, book: number, seq: number, side: number, idLo: number, idHi: number,
    owner: number): void {
    if (this.n === this.cap) this.grow();
    const i = this.i32;
    const w = this.n * EVT_W;
    this.n++;
    i[w] = 2 | (side << 8) | (reason << 16) | (this.cmdType << 24);
    i[w + 1] = book;
    i[w + 2] = seq >>> 0; i[w + 3] = (seq * INV_TWO_32) | 0;
    i[w + 4] = this.tsLo; i[w + 5] = this.tsHi;
    i[w + 6] = idLo; i[w + 7] = idHi;
    i[w + 8] = owner; i[w + 9] = 0;
    for (let k = w + 10; k < w + EVT_W; k++) i[k] = 0;
  }
}
