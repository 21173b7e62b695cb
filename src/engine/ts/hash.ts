/**
 * Open-addressing hash map from a positive integer key (1 .. 2^53-1, held in a double) to an
 * int32 value. Linear probing, load factor <= 3/8, backward-shift deletion (no tombstones),
 * so get/set/delete are O(1) expected and memory stays flat under churn.
 * Key 0 marks an empty slot: callers never store key 0 (order ids, prices and owners that
 * reach here are all >= 1).
 * Layout: one Float64Array of (key, value) pairs, so a probe touches one cache line.
 * Memory: 16 bytes per slot, 2.7-5.3 slots per entry (43-85 bytes per entry).
 */

const INV_TWO_32 = 1 / 4294967296;

/** 32-bit mix of a 53-bit integer key (murmur3 finalizer over lo ^ f(hi)). */
export function hashKey(k: number): number {
  let h = (k >>> 0) ^ Math.imul((k * INV_TWO_32) | 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class IntMap {
  /** [key0, val0, key1, val1, ...]; key 0 = empty. */
  kv: Float64Array;
  /** Slot mask (slots - 1). */
  mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap * 3 < capacity * 8) cap *= 2;
    this.kv = new Float64Array(cap * 2);
    this.mask = cap - 1;
  }

  /** Value for key, or -1 when absent. */
  get(k: number): number {
    const kv = this.kv;
    const mask = this.mask;
    let i = hashKey(k) & mask;
    for (;;) {
      const kk = kv[2 * i]!;
      if (kk === k) return kv[2 * i + 1]!;
      if (kk === 0) return -1;
      i = (i + 1) & mask;
    }
  }

  /** Inserts or overwrites. Amortized O(1); doubles the table past load 3/8 (short probe
   *  runs keep get and the backward-shift delete cheap). */
  set(k: number, v: number): void {
    if ((this.size + 1) * 8 > (this.mask + 1) * 3) this.grow();
    const kv = this.kv;
    const mask = this.mask;
    let i = hashKey(k) & mask;
    for (;;) {
      const kk = kv[2 * i]!;
      if (kk === k) { kv[2 * i + 1] = v; return; }
      if (kk === 0) { kv[2 * i] = k; kv[2 * i + 1] = v; this.size++; return; }
      i = (i + 1) & mask;
    }
  }

  /** Removes key if present (backward-shift: later entries of the probe run move up). */
  delete(k: number): void {
    const kv = this.kv;
    const mask = this.mask;
    let i = hashKey(k) & mask;
    for (;;) {
      const kk = kv[2 * i]!;
      if (kk === k) break;
      if (kk === 0) return;
      i = (i + 1) & mask;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const kj = kv[2 * j]!;
      if (kj === 0) break;
      const h = hashKey(kj) & mask;
      // Entry j may move to the hole i only if its home h is not cyclically within (i, j].
      if (i <= j ? i < h && h <= j : i < h || h <= j) continue;
      kv[2 * i] = kj;
      kv[2 * i + 1] = kv[2 * j + 1]!;
      i = j;
    }
    kv[2 * i] = 0;
    this.size--;
  }

  clear(): void {
    this.kv.fill(0);
    this.size = 0;
  }

  private grow(): void {
    const old = this.kv;
    const cap = (this.mask + 1) * 2;
    this.kv = new Float64Array(cap * 2);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) {
      const k = old[i]!;
      if (k !== 0) this.set(k, old[i + 1]!);
    }
  }
}

/**
 * The order-id index of a book: id -> order slot, specialised to save memory and cache
 * footprint. Each table entry is two int32 words, (slot + 1, 32-bit hash of the id); the id
 * itself is NOT stored: a lookup confirms a hash match by reading the id from the order
 * record (`of[8 * slot]`), which the caller is about to use anyway. Deletion and growth use
 * the stored hash, so they never touch order records.
 * Linear probing, load <= 1/2, backward-shift deletion. Memory: 8 bytes per table slot,
 * 2-4 slots per order (16-32 bytes per order; half of IntMap's).
 */
export class IdIndex {
  /** [slot+1, hash, slot+1, hash, ...]; slot+1 == 0 marks an empty entry. */
  private t: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.t = new Int32Array(cap * 2);
    this.mask = cap - 1;
  }

  /** Slot of order `id` (whose record id lives at of[8 * slot]), or -1. */
  get(id: number, of: Float64Array): number {
    const t = this.t;
    const mask = this.mask;
    const h = hashKey(id);
    let i = h & mask;
    for (;;) {
      const s = t[2 * i]!;
      if (s === 0) return -1;
      if (t[2 * i + 1] === h && of[8 * (s - 1)] === id) return s - 1;
      i = (i + 1) & mask;
    }
  }

  /** Adds id -> slot; id must not be present. Amortized O(1). */
  add(id: number, slot: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    this.place(hashKey(id), slot + 1);
    this.size++;
  }

  private place(h: number, s1: number): void {
    const t = this.t;
    const mask = this.mask;
    let i = h & mask;
    while (t[2 * i] !== 0) i = (i + 1) & mask;
    t[2 * i] = s1;
    t[2 * i + 1] = h;
  }

  /** Removes the entry of order `id` held in `slot` (matched by slot: no record read). */
  remove(id: number, slot: number): void {
    const t = this.t;
    const mask = this.mask;
    const s1 = slot + 1;
    let i = hashKey(id) & mask;
    for (;;) {
      const s = t[2 * i]!;
      if (s === s1) break;
      if (s === 0) return;
      i = (i + 1) & mask;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const sj = t[2 * j]!;
      if (sj === 0) break;
      const hj = t[2 * j + 1]!;
      const home = hj & mask;
      if (i <= j ? i < home && home <= j : i < home || home <= j) continue;
      t[2 * i] = sj;
      t[2 * i + 1] = hj;
      i = j;
    }
    t[2 * i] = 0;
    this.size--;
  }

  private grow(): void {
    const old = this.t;
    const cap = (this.mask + 1) * 2;
    this.t = new Int32Array(cap * 2);
    this.mask = cap - 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0) this.place(old[i + 1]!, old[i]!);
    }
  }
}
