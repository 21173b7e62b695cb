/**
 * Single-producer single-consumer byte ring over a SharedArrayBuffer: the only fast path
 * between the I/O thread and a shard worker (one ring per direction per shard).
 *
 *   SharedArrayBuffer
 *   ┌────────────── header (HEADER_BYTES = 256) ──────────────┬──────── data (capacity) ────────┐
 *   │ w0 writePos │pad│ w16 readPos │pad│ w32 consSleep │ w48 prodSleep │ ... │ rec rec rec ... pad│rec│
 *   └─────────────────────────────────────────────────────────┴─────────────────────────────────┘
 *     each counter on its own 64-byte line; positions are byte counters mod 2^32
 *
 *   record (8-byte aligned):  u32 len (payload bytes) | u32 kind | payload[len] | pad to 8
 *   wrap marker:              u32 0xFFFFFFFF  (consumer skips to the start of data)
 *
 *   producer                                   consumer
 *   ────────                                   ────────
 *   reserve(n) → offset (plain writes)
 *   ...fill payload (plain writes)...
 *   publish():  Atomics.store(writePos)   ──►  w = Atomics.load(writePos)
 *               if consSleep: notify             read records in [readPos, w) (plain reads)
 *                                              release(): Atomics.store(readPos)
 *   free = cap - (w - Atomics.load(readPos)) ◄──  if prodSleep: notify
 *
 * Ordering: the seq-cst Atomics.store of writePos happens after the payload's plain writes,
 * and the consumer's Atomics.load of writePos happens before its plain reads, so a consumer
 * never reads a record that is not fully written (same for readPos in the other direction:
 * the producer never overwrites bytes the consumer has not released).
 *
 * Sleeping: a consumer that finds the ring empty sets consSleep = 1, re-checks writePos
 * (closing the lost-wake-up window), then waits on consSleep with Atomics.waitAsync (never
 * blocking its event loop). A producer that publishes clears the flag and notifies only if
 * it was set, so under load there is no futex call at all. The producer side sleeps the same
 * way on prodSleep when the ring is full.
 *
 * Cost: reserve/publish are a handful of integer ops + one Atomics.store; no allocation.
 */

/** Atomics.waitAsync (Node >= 16; typed in lib es2024, newer than our lib setting). */
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as {
  waitAsync(i32: Int32Array, index: number, value: number, timeoutMs?: number): WaitAsyncResult;
}).waitAsync;
if (typeof waitAsync !== 'function') throw new Error('simex shard rings need Atomics.waitAsync (Node >= 16)');

/**
 * Await a waitAsync result. Node 20's waitAsync neither keeps the event loop alive nor fires
 * its timeout on an otherwise idle loop, so a ref'd timer races it: the wait always ends
 * by `timeoutMs`. Cost: one timer per sleep (idle path only).
 */
async function settle(r: WaitAsyncResult, timeoutMs: number): Promise<void> {
  if (!r.async) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([r.value, new Promise<void>((res) => { timer = setTimeout(res, timeoutMs); })]);
  clearTimeout(timer);
}

export const HEADER_BYTES = 256;
const W_WRITE = 0; // Int32 index of writePos
const W_READ = 16; // readPos (byte 64)
const W_CSLEEP = 32; // consumer sleeping flag (byte 128)
const W_PSLEEP = 48; // producer sleeping flag (byte 192)
export const REC_HEADER = 8;
const WRAP = 0xffffffff;

export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Allocate the shared memory for one ring. `capacity` is rounded up to a power of 2. */
export function createRingBuffer(capacity: number): SharedArrayBuffer {
  let cap = 1024;
  while (cap < capacity) cap *= 2;
  return new SharedArrayBuffer(HEADER_BYTES + cap);
}

class RingBase {
  readonly sab: SharedArrayBuffer;
  readonly ctl: Int32Array;
  readonly u8: Uint8Array;
  readonly dv: DataView;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  /** Data capacity in bytes (power of 2). */
  readonly capacity: number;
  readonly mask: number;

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.ctl = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.capacity = sab.byteLength - HEADER_BYTES;
    if (this.capacity < 1024 || (this.capacity & (this.capacity - 1)) !== 0) {
      throw new RangeError('ring capacity must be a power of 2 >= 1024');
    }
    this.mask = this.capacity - 1;
    // Views over the data area only: offsets handed out are relative to byte HEADER_BYTES.
    this.u8 = new Uint8Array(sab, HEADER_BYTES, this.capacity);
    this.dv = new DataView(sab, HEADER_BYTES, this.capacity);
    this.i32 = new Int32Array(sab, HEADER_BYTES, this.capacity >>> 2);
    this.f64 = new Float64Array(sab, HEADER_BYTES, this.capacity >>> 3);
  }

  /** Wake a consumer sleeping in waitReadable (e.g. to make it notice a stop flag). */
  wakeConsumer(): void {
    Atomics.store(this.ctl, W_CSLEEP, 0);
    Atomics.notify(this.ctl, W_CSLEEP);
  }

  /** Bytes currently queued (published and not yet released). */
  used(): number {
    return (Atomics.load(this.ctl, W_WRITE) - Atomics.load(this.ctl, W_READ)) >>> 0;
  }
}

/**
 * Producer end. Exactly one thread may own it. Records become visible only at `publish()`,
 * so a caller can reserve many records and publish once per batch.
 */
export class RingProducer extends RingBase {
  /** Local write cursor (>= published writePos). */
  private wpos: number;

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.wpos = Atomics.load(this.ctl, W_WRITE) >>> 0;
  }

  /** Largest payload a single record may carry. */
  get maxPayload(): number {
    return (this.capacity >>> 1) - REC_HEADER;
  }

  /**
   * Reserve a record with `len` payload bytes of the given kind. Returns the payload's byte
   * offset in the data views (8-byte aligned), or -1 when the ring has no room (the caller
   * decides: reject, or `waitForSpace` and retry). Throws if len > maxPayload.
   */
  reserve(kind: number, len: number): number {
    if (len > this.maxPayload) throw new RangeError(`ring record of ${len} bytes exceeds ${this.maxPayload}`);
    const need = REC_HEADER + align8(len);
    const read = Atomics.load(this.ctl, W_READ) >>> 0;
    let w = this.wpos;
    let idx = w & this.mask;
    const tail = this.capacity - idx;
    let total = need;
    if (tail < need) total += tail; // the record would straddle the end: wrap first
    if (((w - read) >>> 0) + total > this.capacity) return -1;
    if (tail < need) {
      this.dv.setUint32(idx, WRAP, true);
      w = (w + tail) >>> 0;
      idx = 0;
    }
    this.dv.setUint32(idx, len, true);
    this.dv.setUint32(idx + 4, kind, true);
    this.wpos = (w + need) >>> 0;
    return idx + REC_HEADER;
  }

  /** Make every reserved record visible to the consumer; wake it if it sleeps. */
  publish(): void {
    Atomics.store(this.ctl, W_WRITE, this.wpos | 0);
    if (Atomics.load(this.ctl, W_CSLEEP) !== 0) {
      Atomics.store(this.ctl, W_CSLEEP, 0);
      Atomics.notify(this.ctl, W_CSLEEP);
    }
  }

  /** True when reserved-but-unpublished records exist. */
  get pending(): boolean {
    return this.wpos !== (Atomics.load(this.ctl, W_WRITE) >>> 0);
  }

  /**
   * Resolve once the consumer has released bytes (or after `timeoutMs`). Use after reserve
   * returned -1. Never blocks the event loop.
   */
  async waitForSpace(timeoutMs = 100): Promise<void> {
    const before = Atomics.load(this.ctl, W_READ);
    Atomics.store(this.ctl, W_PSLEEP, 1);
    if (Atomics.load(this.ctl, W_READ) !== before) {
      Atomics.store(this.ctl, W_PSLEEP, 0);
      return;
    }
    await settle(waitAsync(this.ctl, W_PSLEEP, 1, timeoutMs), timeoutMs);
    Atomics.store(this.ctl, W_PSLEEP, 0);
  }
}

/** A record as seen by the consumer: payload at `offset`, `len` bytes, of `kind`. */
export interface RingRecord {
  kind: number;
  offset: number;
  len: number;
}

/**
 * Consumer end. `poll(fn)` hands each published record to `fn` synchronously (the payload
 * bytes are valid only during the call: the space is released after the batch), then
 * releases the space in one store.
 */
export class RingConsumer extends RingBase {
  private rpos: number;

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.rpos = Atomics.load(this.ctl, W_READ) >>> 0;
  }

  /**
   * Deliver up to `max` records to `fn(kind, offset, len)`; returns how many. If `fn`
   * returns false the record is NOT consumed and polling stops (the caller may retry it
   * later, e.g. when its own output is full).
   */
  poll(fn: (kind: number, offset: number, len: number) => boolean | void, max = 0x7fffffff): number {
    const w = Atomics.load(this.ctl, W_WRITE) >>> 0;
    let r = this.rpos;
    let n = 0;
    while (r !== w && n < max) {
      let idx = r & this.mask;
      let len = this.dv.getUint32(idx, true);
      if (len === WRAP) {
        r = (r + (this.capacity - idx)) >>> 0;
        idx = 0;
        if (r === w) break;
        len = this.dv.getUint32(0, true);
      }
      const kind = this.dv.getUint32(idx + 4, true);
      if (fn(kind, idx + REC_HEADER, len) === false) break;
      r = (r + REC_HEADER + align8(len)) >>> 0;
      n++;
    }
    if (r !== this.rpos) {
      this.rpos = r;
      Atomics.store(this.ctl, W_READ, r | 0);
      if (Atomics.load(this.ctl, W_PSLEEP) !== 0) {
        Atomics.store(this.ctl, W_PSLEEP, 0);
        Atomics.notify(this.ctl, W_PSLEEP);
      }
    }
    return n;
  }

  /** True when published records are waiting. */
  get readable(): boolean {
    return (Atomics.load(this.ctl, W_WRITE) >>> 0) !== this.rpos;
  }

  /**
   * Block this thread (a real futex sleep via Atomics.wait; workers only, never the main
   * thread) until the producer publishes or `timeoutMs` passes. Returns `readable`.
   * Same lost-wake-up protocol as waitReadable: flag, re-check, sleep on the flag; a publish
   * that lands between the re-check and the wait has already cleared the flag, so the wait
   * returns 'not-equal' at once. Cost: no allocation; a futex syscall only when empty.
   */
  waitReadableSync(timeoutMs: number): boolean {
    Atomics.store(this.ctl, W_CSLEEP, 1);
    if (!this.readable) Atomics.wait(this.ctl, W_CSLEEP, 1, timeoutMs);
    Atomics.store(this.ctl, W_CSLEEP, 0);
    return this.readable;
  }

  /**
   * waitReadable without the racing timer: resolves when the producer publishes or after
   * `timeoutMs` — the timeout fires ONLY while something else keeps this thread's event loop
   * alive (a ref'd handle; ShardPool holds one interval for its lifetime). Cost per sleep:
   * the waitAsync promise and this function's own, no timer (main-thread hot path).
   */
  async waitReadableKeptAlive(timeoutMs: number): Promise<void> {
    Atomics.store(this.ctl, W_CSLEEP, 1);
    if (!this.readable) {
      const r = waitAsync(this.ctl, W_CSLEEP, 1, timeoutMs);
      if (r.async) await r.value;
    }
    Atomics.store(this.ctl, W_CSLEEP, 0);
  }

  /**
   * Resolve when the producer publishes (or after `timeoutMs`, so callers can re-check
   * their own state such as shutdown flags). Never blocks the event loop.
   */
  async waitReadable(timeoutMs = 1000): Promise<void> {
    Atomics.store(this.ctl, W_CSLEEP, 1);
    if (this.readable) {
      Atomics.store(this.ctl, W_CSLEEP, 0);
      return;
    }
    await settle(waitAsync(this.ctl, W_CSLEEP, 1, timeoutMs), timeoutMs);
    Atomics.store(this.ctl, W_CSLEEP, 0);
  }
}
