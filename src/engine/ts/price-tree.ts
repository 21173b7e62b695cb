/**
 * The price levels of one book side: a red-black tree of level nodes (struct-of-arrays in
 * typed arrays), a price -> node hash, and the cached best node.
 *
 * Ordering: the tree is keyed by `key = dir * price` (asks dir = +1, bids dir = -1), so the
 * best level is always the leftmost node and "next worse" is the in-order successor.
 *
 * Costs (L = levels on this side):
 *   find(price)           O(1) expected (hash)
 *   insert(price)         O(log L) worst case (RB insert, <= 2 rotations) + O(1) hash
 *   remove(node)          O(log L) worst case (RB delete, <= 3 rotations); when the removed
 *                         node is the best, the new best is its successor, found in O(log L)
 *                         worst case, O(1) amortized
 *   best                  O(1) (cached)
 *   next(node)            O(log L) worst, O(1) amortized over a walk
 * Node 0 is the nil sentinel (always black). Node identity is stable while the level
 * exists (deletion relinks nodes, never copies keys), so orders may hold node indices.
 * Each node also carries the level's FIFO (head/tail order slots, -1 = none), order count
 * and total open quantity. Memory: 49 bytes per node.
 */
import { IntMap } from './hash.js';

export class PriceTree {
  /** +1 for asks (best = lowest price), -1 for bids (best = highest). */
  readonly dir: number;
  key: Float64Array;
  left: Int32Array;
  right: Int32Array;
  parent: Int32Array;
  red: Uint8Array;
  /** Level data per node. */
  price: Float64Array;
  total: Float64Array;
  count: Int32Array;
  head: Int32Array;
  tail: Int32Array;

  root = 0;
  best = 0;
  /** Live levels. */
  size = 0;
  private freeTop = 0; // free nodes chained through `right`, 0 = none
  private used = 1; // nodes 1..used-1 have been handed out at least once
  private byPrice: IntMap;

  constructor(dir: number, capacity = 256) {
    this.dir = dir;
    const n = Math.max(2, capacity);
    this.key = new Float64Array(n);
    this.left = new Int32Array(n);
    this.right = new Int32Array(n);
    this.parent = new Int32Array(n);
    this.red = new Uint8Array(n);
    this.price = new Float64Array(n);
    this.total = new Float64Array(n);
    this.count = new Int32Array(n);
    this.head = new Int32Array(n);
    this.tail = new Int32Array(n);
    this.byPrice = new IntMap(capacity);
  }

  /** Node of the level at `price`, or 0. */
  find(price: number): number {
    const v = this.byPrice.get(price);
    return v < 0 ? 0 : v;
  }

  /** Creates an empty level at `price` (which must not exist) and returns its node. */
  insert(price: number): number {
    const z = this.alloc();
    const k = this.dir * price;
    this.key[z] = k;
    this.price[z] = price;
    this.total[z] = 0;
    this.count[z] = 0;
    this.head[z] = -1;
    this.tail[z] = -1;
    const key = this.key;
    const left = this.left;
    const right = this.right;
    let y = 0;
    let x = this.root;
    while (x !== 0) {
      y = x;
      x = k < key[x]! ? left[x]! : right[x]!;
    }
    this.parent[z] = y;
    if (y === 0) this.root = z;
    else if (k < key[y]!) left[y] = z;
    else right[y] = z;
    left[z] = 0;
    right[z] = 0;
    this.red[z] = 1;
    this.insertFixup(z);
    if (this.best === 0 || k < key[this.best]!) this.best = z;
    this.byPrice.set(price, z);
    this.size++;
    return z;
  }

  /** Removes level node z (its FIFO must be empty) and frees it. */
  remove(z: number): void {
    if (z === this.best) this.best = this.next(z);
    this.byPrice.delete(this.price[z]!);
    const left = this.left;
    const right = this.right;
    const parent = this.parent;
    const red = this.red;
    let y = z;
    let yRed = red[y]!;
    let x: number;
    if (left[z] === 0) {
      x = right[z]!;
      this.transplant(z, x);
    } else if (right[z] === 0) {
      x = left[z]!;
      this.transplant(z, x);
    } else {
      y = right[z]!;
      while (left[y] !== 0) y = left[y]!;
      yRed = red[y]!;
      x = right[y]!;
      if (parent[y] === z) {
        parent[x] = y;
      } else {
        this.transplant(y, x);
        right[y] = right[z]!;
        parent[right[y]!] = y;
      }
      this.transplant(z, y);
      left[y] = left[z]!;
      parent[left[y]!] = y;
      red[y] = red[z]!;
    }
    if (yRed === 0) this.deleteFixup(x);
    parent[0] = 0;
    red[0] = 0;
    this.size--;
    // Free: poison the price so stale references never match a live level.
    this.price[z] = NaN;
    this.count[z] = 0;
    this.right[z] = this.freeTop;
    this.freeTop = z;
  }

  /** In-order successor (next worse level), or 0. */
  next(x: number): number {
    const left = this.left;
    const right = this.right;
    if (right[x] !== 0) {
      x = right[x]!;
      while (left[x] !== 0) x = left[x]!;
      return x;
    }
    const parent = this.parent;
    let y = parent[x]!;
    while (y !== 0 && x === right[y]) {
      x = y;
      y = parent[y]!;
    }
    return y;
  }

  /** Drops every level (restore). Keeps the allocated capacity. */
  clear(): void {
    this.root = 0;
    this.best = 0;
    this.size = 0;
    this.freeTop = 0;
    this.used = 1;
    this.byPrice.clear();
  }

  private alloc(): number {
    if (this.freeTop !== 0) {
      const z = this.freeTop;
      this.freeTop = this.right[z]!;
      return z;
    }
    if (this.used === this.key.length) this.grow();
    return this.used++;
  }

  private grow(): void {
    const n = this.key.length * 2;
    const g64 = (a: Float64Array) => { const b = new Float64Array(n); b.set(a); return b; };
    const g32 = (a: Int32Array) => { const b = new Int32Array(n); b.set(a); return b; };
    const r = new Uint8Array(n); r.set(this.red); this.red = r;
    this.key = g64(this.key);
    this.price = g64(this.price);
    this.total = g64(this.total);
    this.left = g32(this.left);
    this.right = g32(this.right);
    this.parent = g32(this.parent);
    this.count = g32(this.count);
    this.head = g32(this.head);
    this.tail = g32(this.tail);
  }

  private transplant(u: number, v: number): void {
    const p = this.parent[u]!;
    if (p === 0) this.root = v;
    else if (u === this.left[p]) this.left[p] = v;
    else this.right[p] = v;
    this.parent[v] = p;
  }

  private rotateLeft(x: number): void {
    const left = this.left;
    const right = this.right;
    const parent = this.parent;
    const y = right[x]!;
    right[x] = left[y]!;
    if (left[y] !== 0) parent[left[y]!] = x;
    const p = parent[x]!;
    parent[y] = p;
    if (p === 0) this.root = y;
    else if (x === left[p]) left[p] = y;
    else right[p] = y;
    left[y] = x;
    parent[x] = y;
  }

  private rotateRight(x: number): void {
    const left = this.left;
    const right = this.right;
    const parent = this.parent;
    const y = left[x]!;
    left[x] = right[y]!;
    if (right[y] !== 0) parent[right[y]!] = x;
    const p = parent[x]!;
    parent[y] = p;
    if (p === 0) this.root = y;
    else if (x === right[p]) right[p] = y;
    else left[p] = y;
    right[y] = x;
    parent[x] = y;
  }

  private insertFixup(z: number): void {
    const red = this.red;
    const parent = this.parent;
    const left = this.left;
    const right = this.right;
    while (red[parent[z]!] === 1) {
      let p = parent[z]!;
      let g = parent[p]!;
      if (p === left[g]) {
        const u = right[g]!;
        if (red[u] === 1) {
          red[p] = 0; red[u] = 0; red[g] = 1;
          z = g;
        } else {
          if (z === right[p]) { z = p; this.rotateLeft(z); p = parent[z]!; g = parent[p]!; }
          red[p] = 0; red[g] = 1;
          this.rotateRight(g);
        }
      } else {
        const u = left[g]!;
        if (red[u] === 1) {
          red[p] = 0; red[u] = 0; red[g] = 1;
          z = g;
        } else {
          if (z === left[p]) { z = p; this.rotateRight(z); p = parent[z]!; g = parent[p]!; }
          red[p] = 0; red[g] = 1;
          this.rotateLeft(g);
        }
      }
    }
    red[this.root] = 0;
  }

  private deleteFixup(x: number): void {
    const red = this.red;
    const parent = this.parent;
    const left = this.left;
    const right = this.right;
    while (x !== this.root && red[x] === 0) {
      const p = parent[x]!;
      if (x === left[p]) {
        let w = right[p]!;
        if (red[w] === 1) { red[w] = 0; red[p] = 1; this.rotateLeft(p); w = right[parent[x]!]!; }
        if (red[left[w]!] === 0 && red[right[w]!] === 0) {
          red[w] = 1;
          x = parent[x]!;
        } else {
          if (red[right[w]!] === 0) { red[left[w]!] = 0; red[w] = 1; this.rotateRight(w); w = right[parent[x]!]!; }
          const px = parent[x]!;
          red[w] = red[px]!; red[px] = 0; red[right[w]!] = 0;
          this.rotateLeft(px);
          x = this.root;
        }
      } else {
        let w = left[p]!;
        if (red[w] === 1) { red[w] = 0; red[p] = 1; this.rotateRight(p); w = left[parent[x]!]!; }
        if (red[right[w]!] === 0 && red[left[w]!] === 0) {
          red[w] = 1;
          x = parent[x]!;
        } else {
          if (red[left[w]!] === 0) { red[right[w]!] = 0; red[w] = 1; this.rotateLeft(w); w = left[parent[x]!]!; }
          const px = parent[x]!;
          red[w] = red[px]!; red[px] = 0; red[left[w]!] = 0;
          this.rotateRight(px);
          x = this.root;
        }
      }
    }
    red[x] = 0;
  }

  /** Debug/test check of the red-black and ordering invariants; returns black height. */
  validate(): number {
    const walk = (n: number, lo: number, hi: number): number => {
      if (n === 0) return 1;
      const k = this.key[n]!;
      if (!(k > lo && k < hi)) throw new Error(`price tree: key order broken at node ${n}`);
      if (this.red[n] === 1 && (this.red[this.left[n]!] === 1 || this.red[this.right[n]!] === 1)) {
        throw new Error('price tree: red node with red child');
      }
      if (this.left[n] !== 0 && this.parent[this.left[n]!] !== n) throw new Error('price tree: parent link');
      if (this.right[n] !== 0 && this.parent[this.right[n]!] !== n) throw new Error('price tree: parent link');
      const a = walk(this.left[n]!, lo, k);
      const b = walk(this.right[n]!, k, hi);
      if (a !== b) throw new Error('price tree: black height differs');
      return a + (this.red[n] === 1 ? 0 : 1);
    };
    if (this.red[this.root] === 1) throw new Error('price tree: red root');
    const h = walk(this.root, -Infinity, Infinity);
    let m = this.root;
    while (m !== 0 && this.left[m] !== 0) m = this.left[m]!;
    if (m !== this.best) throw new Error('price tree: cached best is not the leftmost node');
    return h;
  }
}
