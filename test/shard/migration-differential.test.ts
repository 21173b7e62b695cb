// Differential property test of live engine migration (src/shard/migration.ts): a seeded
// random schedule of ring operations — publish a random number of commands (1 .. 3 full
// MAX_BATCH batches), drain, read part or all of the outbound ring (a small ring, so records
// are chunked and the core blocks on overflow while routed), and, on the migrating shard
// only, random migration controls (start / re-target at random percentages incl. 0 and 100,
// explicit complete, stop-all, move back from a cut-over, several books at once, controls
// while commands wait in the inbound ring or events wait in the overflow) — runs through a
// migrating ShardCore and a never-migrated one of the same primary kind. The outbound
// records (token, event count, COMPLETE flag, every event byte; not tDone) and the final L3
// snapshots must be identical. Commands cover the whole contract: NEW limit/market,
// GTC/IOC/FOK, post-only, every STP mode, CANCEL, AMEND, MASS_CANCEL, unknown book fields
// (UNKNOWN_BOOK) and unknown type bytes (UNKNOWN_COMMAND) for valid and invalid books.
import { describe, expect, it } from 'vitest';
import { ShardCore } from '../../src/shard/core.js';
import { MigrationError, type MigrationRequest } from '../../src/shard/migration.js';
import { RingConsumer, RingProducer, createRingBuffer } from '../../src/shard/ring.js';
import { IN_CMD, IN_CMD_BYTES, InOff, OutOff, OUT_HEADER_BYTES } from '../../src/shard/types.js';
import { CommandWriter } from '../../src/engine/codec.js';
import { CMD_SIZE, EVT_SIZE, OrdType, Side, Tif } from '../../src/engine/layout.js';
import { DEFAULT_INSTRUMENTS } from '../../src/engine/instruments.js';
import { loadNativeEngine } from '../../src/engine/native.js';

const NATIVE = loadNativeEngine().ok;
const BOOKS = DEFAULT_INSTRUMENTS;

function prng(seed: number): (m: number) => number {
  let s = seed >>> 0 || 1;
  return (m: number) => {
    // xorshift32: enough for test streams
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s % m;
  };
}

/** Seeded stream over the books: most of the contract, incl. bad book fields and types. */
function stream(seed: number, n: number): Uint8Array {
  const rnd = prng(seed * 7919 + 1);
  const w = new CommandWriter(n);
  const live: number[][] = BOOKS.map(() => []);
  const mid = [5_000_000, 300_000, 5_000];
  let id = 1;
  for (let i = 0; i < n; i++) {
    const book = rnd(3);
    const spec = BOOKS[book]!;
    const lot = spec.lotSize;
    const owner = 1 + rnd(4);
    const r = rnd(1000);
    const ts = 1_700_000_000_000_000 + i * 3;
    if (r < 420) {
      const side = rnd(2);
      const price = mid[book]! + (side === Side.BUY ? -1 : 1) * (1 + rnd(30)) * spec.tickSize;
      live[book]!.push(id);
      w.newOrder({ book, orderId: id++, owner, side, price, qty: lot * (1 + rnd(15)), ts, stp: rnd(5), flags: rnd(10) === 0 ? 1 : 0 });
    } else if (r < 540) {
      const side = rnd(2);
      const price = mid[book]! + (side === Side.BUY ? 1 : -1) * (5 + rnd(30)) * spec.tickSize;
      w.newOrder({ book, orderId: id++, owner, side, tif: rnd(2) === 0 ? Tif.IOC : Tif.FOK, price, qty: lot * (1 + rnd(40)), ts, stp: rnd(5) });
    } else if (r < 580) {
      w.newOrder({ book, orderId: id++, owner, side: rnd(2), ordType: OrdType.MARKET, price: 0, qty: lot * (1 + rnd(12)), ts, stp: rnd(5) });
    } else if (r < 600) {
      // aggressive GTC limit: matches, then rests
      const side = rnd(2);
      const price = mid[book]! + (side === Side.BUY ? 1 : -1) * (2 + rnd(20)) * spec.tickSize;
      live[book]!.push(id);
      w.newOrder({ book, orderId: id++, owner, side, price, qty: lot * (1 + rnd(30)), ts, stp: rnd(5) });
    } else if (r < 780) {
      const l = live[book]!;
      const target = l.length > 0 && rnd(10) > 0 ? l.splice(rnd(l.length), 1)[0]! : id + 1000;
      w.cancel({ book, orderId: target, owner: rnd(8) === 0 ? 1 + rnd(4) : owner, ts });
    } else if (r < 920) {
      const l = live[book]!;
      const target = l.length > 0 ? l[rnd(l.length)]! : id + 1000;
      const side = rnd(2);
      w.amend({ book, orderId: target, owner, price: mid[book]! + (side ? 1 : -1) * (1 + rnd(30)) * spec.tickSize, qty: lot * (1 + rnd(15)), ts });
    } else if (r < 950) {
      w.massCancel({ book, owner: rnd(10) === 0 ? 0 : owner, ts });
    } else if (r < 975) {
      // invalid book field: UNKNOWN_BOOK (seq 0, raw book); some just past the last book
      const bad = rnd(2) === 0 ? BOOKS.length + rnd(3) : 3 + rnd(65533);
      w.newOrder({ book: bad, orderId: id++, owner, side: rnd(2), price: mid[0]!, qty: 100, ts });
    } else {
      // unknown type byte, valid or invalid book
      const rec = new Uint8Array(CMD_SIZE);
      rec[0] = 5 + rnd(250);
      const b = rnd(4) === 0 ? 9 + rnd(100) : book;
      rec[6] = b & 0xff;
      rec[7] = b >> 8;
      rec[8] = owner;
      w.writeRaw(rec);
    }
  }
  return w.bytes().slice();
}

/** One outbound record as the I/O thread sees it (tDone excluded: a clock). */
interface Rec { token: number; n: number; flags: number; bytes: Buffer }

class Shard {
  readonly core: ShardCore;
  readonly prod: RingProducer;
  readonly cons: RingConsumer;
  token = 0;
  fed = 0;
  readonly recs: Rec[] = [];

  constructor(kind: string) {
    const inSab = createRingBuffer(1 << 16); // ~900 commands
    const outSab = createRingBuffer(1 << 14); // ~100 events per record, a few records
    this.core = new ShardCore(0, BOOKS, kind, inSab, outSab);
    this.prod = new RingProducer(inSab);
    this.cons = new RingConsumer(outSab);
  }

  /** Publish up to `n` commands; returns how many fit. */
  publish(cmds: Uint8Array, n: number): number {
    let k = 0;
    const total = cmds.byteLength / CMD_SIZE;
    while (k < n && this.fed < total) {
      const off = this.prod.reserve(IN_CMD, IN_CMD_BYTES);
      if (off < 0) break;
      this.prod.u8.set(cmds.subarray(this.fed * CMD_SIZE, (this.fed + 1) * CMD_SIZE), off + InOff.cmd);
      this.prod.dv.setUint32(off + InOff.token, this.token++, true);
      this.fed++;
      k++;
    }
    this.prod.publish();
    return k;
  }

  read(max: number): void {
    this.cons.poll((_k, off) => {
      const dv = this.cons.dv;
      const n = dv.getUint32(off + OutOff.nEvents, true);
      this.recs.push({
        token: dv.getUint32(off + OutOff.token, true), n, flags: dv.getUint32(off + OutOff.flags, true),
        bytes: Buffer.from(this.cons.u8.subarray(off + OUT_HEADER_BYTES, off + OUT_HEADER_BYTES + n * EVT_SIZE)),
      });
    }, max);
  }

  /** Everything fed: drain and read until nothing is left. */
  settle(): void {
    for (let i = 0; i < 100_000 && (this.core.inRing.readable || this.core.blocked || this.cons.readable); i++) {
      this.core.drain();
      this.read(1e9);
    }
  }

  snapshot(book: number): string {
    return Buffer.from(this.core.bookEngine[book]!.snapshot(book)).toString('hex');
  }
}

function expectSameRecords(a: Rec[], b: Rec[]): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.token !== y.token || x.n !== y.n || x.flags !== y.flags || !x.bytes.equals(y.bytes)) {
      expect({ record: i, token: x.token, n: x.n, flags: x.flags }).toEqual({ record: i, token: y.token, n: y.n, flags: y.flags });
      expect(x.bytes.toString('hex')).toBe(y.bytes.toString('hex'));
    }
  }
}

const N = 30_000;
const SEEDS = [1, 2, 3, 4];
const kinds = NATIVE ? ['native', 'ts'] : [];

describe.skipIf(!NATIVE)('migration differential (random schedules vs a never-migrated shard)', () => {
  describe.each(kinds)('primary %s', (kind) => {
    it.each(SEEDS)('seed %i: identical outbound records and books', (seed) => {
      const cmds = stream(seed, N);
      const ref = new Shard(kind);
      const mig = new Shard(kind);
      const rnd = prng(seed);
      let controls = 0;
      let cutOvers = 0;
      let shadowed = 0;
      for (let step = 0; step < 100_000 && mig.fed < N; step++) {
        const op = rnd(100);
        if (op < 40) {
          // 1 .. 3 * MAX_BATCH (+1): full and partial batches
          const n = rnd(4) === 0 ? 512 * (1 + rnd(3)) + rnd(2) : 1 + rnd(700);
          const a = ref.publish(cmds, n);
          const b = mig.publish(cmds, n);
          expect(b).toBe(a);
        } else if (op < 65) {
          ref.core.drain();
          mig.core.drain();
        } else if (op < 85) {
          const max = rnd(3) === 0 ? 1 + rnd(3) : 1e9;
          ref.read(max);
          mig.read(max);
        } else {
          const book = rnd(BOOKS.length);
          const pick = rnd(10);
          const pcts = [0, 100, 1 + rnd(99), 50];
          const req: MigrationRequest = pick < 6
            ? { op: 'percentage', book, percentage: pcts[rnd(4)]!, verifyCommands: rnd(3) === 0 ? 0 : rnd(400), keepWindow: rnd(2) === 0 }
            : pick < 8 ? { op: 'complete', book }
              : pick < 9 ? { op: 'stop-all', reason: 'test' } : { op: 'status' };
          try {
            const r = mig.core.migrationControl(req);
            controls++;
            if (r.rows.some((x) => x.state === 'cut_over')) cutOvers++;
            if (r.rows.some((x) => x.state === 'shadowing')) shadowed++;
          } catch (e) {
            expect(e).toBeInstanceOf(MigrationError);
            expect(['MIGRATION_COMPLETED', 'NOT_SHADOWING']).toContain((e as MigrationError).code);
          }
        }
      }
      ref.settle();
      mig.settle();
      expect(mig.fed).toBe(N);
      expect(controls).toBeGreaterThan(100);
      expect(cutOvers).toBeGreaterThan(0);
      expect(shadowed).toBeGreaterThan(0);
      const rows = mig.core.migrationStatus()!.rows;
      expect(rows.reduce((s, r) => s + r.mismatches_total, 0)).toBe(0);
      expect(mig.core.overflowed).toBeGreaterThan(0); // the small ring did overflow
      expectSameRecords(mig.recs, ref.recs);
      for (let b = 0; b < BOOKS.length; b++) expect(mig.snapshot(b)).toBe(ref.snapshot(b));
    }, 120_000);
  });
});
