/**
 * Open-addressing hash map from positive safe integers to numbers, on typed arrays.
 *
 * Why not `Map<number, number>`: the server's per-session order indexes (orderId -> clOrdId
 * and back) are touched several times per order on the I/O thread, and their keys are
 * above 2^31 (orderId = slot * 2^32 + n), so a Map stores each key as a heap number and
 * hashes it through the generic path; profiled at 100k orders/s, Map set/find/delete were
 * ~13% of the I/O thread. Here a key is two u32 halves mixed by one multiply, probing is
 * linear over a Float64Array, and nothing is allocated per operation.
 *
 * Contract: keys are integers in [1, 2^53); 0 is the empty marker (never a key). Values
 * are any doubles (stored as-is). `get` of a missing key returns `missing` (default 0).
 * Deletion is backward-shift (no tombstones), so probe lengths stay short under churn.
 * Load factor <= 1/2 (doubles when exceeded); shrinks to 1/4 of its capacity when it falls
 * below 1/16 full (never below the initial capacity). Cost: O(1) expected per operation.
 */
const TWO32 = 4294967296;

export class NumMap {
  private keys: Float64Array;
  private vals: Float64Array;
  private mask: number;
  private shift: number;
  private readonly minCap: number;
  size = 0;

  constructor(initialCapacity = 64) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.minCap = cap;
    this.keys = new Float64Array(cap);
    this.vals = new Float64Array(cap);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  get capacity(): number {
    return this.mask + 1;
  }

  private home(k: number): number {
    const lo = k >>> 0;
    const hi = (k / TWO32) >>> 0;
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  /** Slot of `k`, or -1. */
  private find(k: number): number {
    if (!(k > 0)) return -1; // 0 (the empty marker), negatives, NaN: never present
    const keys = this.keys;
    const mask = this.mask;
    for (let i = this.home(k); ; i = (i + 1) & mask) {
      const x = keys[i]!;
      if (x === k) return i;
      if (x === 0) return -1;
    }
  }

  has(k: number): boolean {
    return this.find(k) >= 0;
  }

  get(k: number, missing = 0): number {
    const i = this.find(k);
    return i >= 0 ? this.vals[i]! : missing;
  }

  set(k: number, v: number): void {
    if (!(k > 0)) throw new RangeError(`NumMap key must be a positive integer, got ${k}`);
    const keys = this.keys;
    const mask = this.mask;
    let i = this.home(k);
    for (;;) {
      const x = keys[i]!;
      if (x === k) {
        this.vals[i] = v;
        return;
      }
      if (x === 0) break;
      i = (i + 1) & mask;
    }
    keys[i] = k;
    this.vals[i] = v;
    if (++this.size * 2 > mask + 1) this.rehash((mask + 1) * 2);
  }

  /** Remove `k`; returns whether it was present. */
  delete(k: number): boolean {
    let i = this.find(k);
    if (i < 0) return false;
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    // Backward shift: move later members of the probe run into the hole when their home
    // slot does not lie cyclically in (hole, j].
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const x = keys[j]!;
      if (x === 0) break;
      const h = this.home(x);
      const inRange = i <= j ? h > i && h <= j : h > i || h <= j;
      if (!inRange) {
        keys[i] = x;
        vals[i] = vals[j]!;
        i = j;
      }
    }
    keys[i] = 0;
    vals[i] = 0;
    this.size--;
    const cap = mask + 1;
    if (cap > this.minCap && this.size * 16 < cap) this.rehash(Math.max(this.minCap, cap / 4));
    return true;
  }

  clear(): void {
    this.size = 0;
    const cap = this.minCap;
    this.keys = new Float64Array(cap);
    this.vals = new Float64Array(cap);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  /** Calls `fn(key, value)` for every entry (order unspecified; do not mutate meanwhile). */
  forEach(fn: (k: number, v: number) => void): void {
    const keys = this.keys;
    for (let i = 0; i <= this.mask; i++) if (keys[i] !== 0) fn(keys[i]!, this.vals[i]!);
  }

  private rehash(cap: number): void {
    const ok = this.keys;
    const ov = this.vals;
    this.keys = new Float64Array(cap);
    this.vals = new Float64Array(cap);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
    const keys = this.keys;
    const mask = this.mask;
    for (let s = 0; s < ok.length; s++) {
      const k = ok[s]!;
      if (k === 0) continue;
      let i = this.home(k);
      while (keys[i] !== 0) i = (i + 1) & mask;
      keys[i] = k;
      this.vals[i] = ov[s]!;
    }
  }
}
