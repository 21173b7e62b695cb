// Live engine migration inside one shard (src/shard/migration.ts, driven by ShardCore):
// shadow execution in the other engine kind, byte compare, percentage, cut-over, rollback
// and the mismatch circuit breaker. Every case replays the same seeded command stream
// (three books, NEW limit/IOC/market, CANCEL, AMEND, MASS_CANCEL) through a migrating core
// and a never-migrated reference core of the same primary kind, and compares every emitted
// event byte and the final L3 snapshots. Both directions (native -> ts, ts -> native) when
// the addon is built; without it, ts -> native must answer ENGINE_UNAVAILABLE.
import { describe, expect, it } from 'vitest';
import { MigrationError } from '../../src/shard/migration.js';
import { CommandWriter } from '../../src/engine/codec.js';
import { EVT_SIZE, OrdType, Side, Tif } from '../../src/engine/layout.js';
import { loadNativeEngine } from '../../src/engine/native.js';
import { BOOKS, Harness } from './fixtures/migration-harness.js';

const NATIVE = loadNativeEngine().ok;
const P = 0; // BTCUSD, the migrating book

/** Seeded mixed stream over the three books: resting limits, crossing IOCs and markets,
 *  cancels and amends of (possibly gone) orders, mass cancels. */
function stream(seed: number, n: number): Uint8Array {
  let s = seed >>> 0;
  const rnd = (m: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % m;
  };
  const w = new CommandWriter(n);
  const live: number[][] = BOOKS.map(() => []);
  const mid = [5_000_000, 300_000, 5_000];
  let id = 1;
  for (let i = 0; i < n; i++) {
    const book = rnd(10) < 5 ? P : 1 + rnd(2);
    const lot = BOOKS[book]!.lotSize;
    const owner = 1 + rnd(5);
    const r = rnd(100);
    const ts = 1_700_000_000_000_000 + i;
    if (r < 50) {
      const side = rnd(2);
      const price = mid[book]! + (side === Side.BUY ? -1 : 1) * (1 + rnd(40));
      live[book]!.push(id);
      w.newOrder({ book, orderId: id++, owner, side, price, qty: lot * (1 + rnd(20)), ts });
    } else if (r < 60) {
      const side = rnd(2);
      const price = mid[book]! + (side === Side.BUY ? 1 : -1) * (10 + rnd(30));
      w.newOrder({ book, orderId: id++, owner, side, tif: Tif.IOC, price, qty: lot * (1 + rnd(30)), ts });
    } else if (r < 64) {
      w.newOrder({ book, orderId: id++, owner, side: rnd(2), ordType: OrdType.MARKET, price: 0, qty: lot * (1 + rnd(10)), ts });
    } else if (r < 85) {
      const l = live[book]!;
      const target = l.length > 0 ? l.splice(rnd(l.length), 1)[0]! : id + 1000;
      w.cancel({ book, orderId: target, owner: 1 + rnd(5), ts });
    } else if (r < 98) {
      const l = live[book]!;
      const target = l.length > 0 ? l[rnd(l.length)]! : id + 1000;
      w.amend({ book, orderId: target, owner: 1 + rnd(5), price: mid[book]! + rnd(2) * 2 - 1 + (rnd(2) ? 20 : -20), qty: lot * (1 + rnd(10)), ts });
    } else {
      w.massCancel({ book, owner, ts });
    }
  }
  return w.bytes().slice();
}

const N = 6000;
const CMDS = stream(42, N);
const directions: [string, string][] = NATIVE ? [['native', 'ts'], ['ts', 'native']] : [['ts', 'native']];

function reference(kind: string): Harness {
  const h = new Harness(kind);
  h.feed(CMDS, 0, N);
  return h;
}

function expectSameOutput(a: Harness, b: Harness): void {
  expect(a.out.length).toBe(b.out.length);
  // one Buffer compare: a per-byte expect would be 10^6 assertions
  expect(Buffer.from(a.out).equals(Buffer.from(b.out))).toBe(true);
}

describe.each(directions)('migration %s -> %s', (from, to) => {
  if (!NATIVE) {
    it('answers ENGINE_UNAVAILABLE without the addon and keeps serving', () => {
      const h = new Harness(from);
      h.feed(CMDS, 0, 100);
      let err: unknown;
      try {
        h.mig({ op: 'percentage', book: P, percentage: 10, verifyCommands: 10 });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MigrationError);
      expect((err as MigrationError).code).toBe('ENGINE_UNAVAILABLE');
      expect(h.core.migrationRouting).toBe(false);
      h.feed(CMDS, 100, 200);
    });
    return;
  }

  it('output is identical at 50%, 100% and after rolling back to 0%; the target sees only its pair', () => {
    const ref = reference(from);
    const h = new Harness(from);
    h.feed(CMDS, 0, 1000);
    expect(h.core.migrationRouting).toBe(false);
    let row = h.mig({ op: 'percentage', book: P, percentage: 50, verifyCommands: 1e9 });
    expect(row).toMatchObject({ state: 'shadowing', source_engine: from, target_engine: to, engine: from, current_percentage: 50 });
    expect(h.core.migrationRouting).toBe(true);
    h.feed(CMDS, 1000, 3000);
    row = h.mig({ op: 'status' });
    expect(row.commands_compared).toBeGreaterThan(500);
    // the accumulator serves exactly every other compared command from the target
    expect(row.commands_served_by_target).toBe(Math.floor(row.commands_compared / 2));
    expect(row.mismatches).toBe(0);
    expect(row.shadow_engine_ns_per_command).toBeGreaterThan(0);
    expect(row.extra_ns_per_command).toBeGreaterThan(0);
    const compared50 = row.commands_compared;
    row = h.mig({ op: 'percentage', book: P, percentage: 100, verifyCommands: 1e9 });
    h.feed(CMDS, 3000, 4500);
    row = h.mig({ op: 'status' });
    expect(row.state).toBe('shadowing');
    expect(row.commands_served_by_target).toBe(Math.floor(compared50 / 2) + (row.commands_compared - compared50));
    expect(row.verified_commands).toBe(row.commands_compared - compared50);
    expect(row.commands_compared).toBeGreaterThan(1024); // a full "recent" cost window
    expect(row.recent_shadow_engine_ns_per_command).toBeGreaterThan(0);
    expect(row.recent_extra_ns_per_command).toBeGreaterThanOrEqual(row.recent_shadow_engine_ns_per_command!);
    // the target engine's copies of the other books never received a command
    const other = h.core.migrationEngines[1]!;
    for (const b of [1, 2]) expect(other.stats(b).seq).toBe(0);
    expect(other.stats(P).seq).toBe(h.core.bookEngine[P]!.stats(P).seq);
    row = h.mig({ op: 'percentage', book: P, percentage: 0, verifyCommands: 1e9 });
    expect(row).toMatchObject({ state: 'rolled_back', current_percentage: 0, engine: from, rollback_reason: 'percentage set to 0' });
    expect(h.core.migrationRouting).toBe(false); // fast path again
    expect(other.stats(P)).toMatchObject({ orders: 0, seq: 0 }); // the target's copy is dropped
    const compared = row.commands_compared;
    h.feed(CMDS, 4500, N);
    expect(h.mig({ op: 'status' }).commands_compared).toBe(compared);
    expectSameOutput(h, ref);
    for (let b = 0; b < BOOKS.length; b++) expect(h.snapshot(b)).toBe(ref.snapshot(b));
    expect(h.events.filter((e) => e.kind === 'mismatch')).toEqual([]);
  });

  it('cuts over after the verification window at 100% and keeps the book intact; 0% moves it back', () => {
    const ref = reference(from);
    const h = new Harness(from);
    h.feed(CMDS, 0, 1500);
    h.mig({ op: 'percentage', book: P, percentage: 10, verifyCommands: 200 });
    h.feed(CMDS, 1500, 2000);
    expect(h.mig({ op: 'status' }).state).toBe('shadowing');
    h.mig({ op: 'percentage', book: P, percentage: 100, verifyCommands: 200 });
    h.feed(CMDS, 2000, 3500);
    let row = h.mig({ op: 'status' });
    expect(row).toMatchObject({ state: 'cut_over', engine: to, current_percentage: 100, mismatches: 0 });
    // cut-over happens at the end of the drained batch that completes the window
    expect(row.verified_commands).toBeGreaterThanOrEqual(200);
    expect(h.core.bookEngine[P]!.implementation).toBe(to);
    expect(h.core.bookEngine[1]!.implementation).toBe(from);
    expect(h.events.some((e) => e.kind === 'cut_over')).toBe(true);
    // the old owner's copy is dropped and receives no more of the pair's commands
    expect(h.core.migrationEngines[0]!.stats(P)).toMatchObject({ orders: 0, seq: 0 });
    h.feed(CMDS, 3500, 4500);
    expect(h.core.migrationEngines[0]!.stats(P)).toMatchObject({ orders: 0, seq: 0 });
    expect(h.core.bookEngine[P]!.stats(P).orders).toBeGreaterThan(0);
    expect(h.snapshot(P)).not.toBe(Buffer.from(h.core.migrationEngines[0]!.snapshot(P)).toString('hex'));
    // intact: the cut-over book equals the never-migrated reference at the same point
    const refAt = new Harness(from);
    refAt.feed(CMDS, 0, 4500);
    expect(h.snapshot(P)).toBe(refAt.snapshot(P));
    // 1-99% on a cut-over pair is refused; 0% moves it back through the snapshot
    expect(() => h.mig({ op: 'percentage', book: P, percentage: 50, verifyCommands: 1 })).toThrow(/cut over/);
    row = h.mig({ op: 'percentage', book: P, percentage: 0, verifyCommands: 1 });
    expect(row).toMatchObject({ state: 'rolled_back', engine: from });
    expect(h.core.migrationRouting).toBe(false);
    h.feed(CMDS, 4500, N);
    expectSameOutput(h, ref);
    for (let b = 0; b < BOOKS.length; b++) expect(h.snapshot(b)).toBe(ref.snapshot(b));
  });

  it('explicit complete cuts over at any percentage; a second pair can migrate at the same time', () => {
    const ref = reference(from);
    const h = new Harness(from);
    h.feed(CMDS, 0, 1000);
    h.mig({ op: 'percentage', book: P, percentage: 30, verifyCommands: 1e9 });
    h.core.migrationControl({ op: 'percentage', book: 2, percentage: 70, verifyCommands: 1e9 });
    h.feed(CMDS, 1000, 2500);
    expect(h.mig({ op: 'complete', book: P })).toMatchObject({ state: 'cut_over', engine: to });
    h.feed(CMDS, 2500, 4000);
    const r = h.core.migrationControl({ op: 'stop-all', reason: 'emergency-stop' });
    expect(r.changed).toEqual([2]); // the cut-over pair is done, not active
    expect(r.rows[2]).toMatchObject({ state: 'rolled_back', rollback_reason: 'emergency-stop', engine: from });
    expect(r.rows[P]).toMatchObject({ state: 'cut_over', engine: to });
    expect(h.core.migrationRouting).toBe(true); // P still routed to the other engine
    h.feed(CMDS, 4000, N);
    expectSameOutput(h, ref);
    for (let b = 0; b < BOOKS.length; b++) expect(h.snapshot(b)).toBe(ref.snapshot(b));
  });

  it('a forced divergence trips the breaker: source events go out, 0%, rolled_back, mismatch recorded', () => {
    const ref = reference(from);
    const h = new Harness(from);
    h.feed(CMDS, 0, 1000);
    h.mig({ op: 'percentage', book: P, percentage: 100, verifyCommands: 1e9 });
    // a second pair shadows into the same target engine through the trip (same batches)
    h.core.migrationControl({ op: 'percentage', book: 2, percentage: 100, verifyCommands: 1e9 });
    h.feed(CMDS, 1000, 1500);
    const before = h.mig({ op: 'status' }).commands_compared;
    expect(h.mig({ op: 'fault', book: P }).fault_armed).toBe(true);
    h.feed(CMDS, 1500, 2500);
    const row = h.mig({ op: 'status' });
    expect(row).toMatchObject({ state: 'rolled_back', current_percentage: 0, target_percentage: 100, mismatches: 1, mismatches_total: 1, engine: from });
    expect(row.commands_compared).toBe(before + 1); // compared up to and including the divergent one
    const mm = row.last_mismatch!;
    expect(mm).toMatchObject({ command_index: before, event_offset: 0, byte_offset: 24, injected: true });
    expect(mm.source_event_hex).toHaveLength(EVT_SIZE * 2);
    expect(mm.target_event_hex).toHaveLength(EVT_SIZE * 2);
    expect(mm.source_event_hex).not.toBe(mm.target_event_hex);
    expect(h.events.filter((e) => e.kind === 'mismatch')).toHaveLength(1);
    expect(h.core.migrationEngines[1]!.stats(P)).toMatchObject({ orders: 0, seq: 0 });
    const second = h.core.migrationControl({ op: 'status' }).rows[2]!;
    expect(second).toMatchObject({ state: 'shadowing', mismatches: 0 });
    h.core.migrationControl({ op: 'stop-all', reason: 'test' });
    expect(h.core.migrationRouting).toBe(false);
    h.feed(CMDS, 2500, N);
    // clients saw the source's events for the divergent command and everything after
    expectSameOutput(h, ref);
    for (let b = 0; b < BOOKS.length; b++) expect(h.snapshot(b)).toBe(ref.snapshot(b));
    // a new migration after the trip starts clean from the current book
    const again = h.mig({ op: 'percentage', book: P, percentage: 100, verifyCommands: 0 });
    expect(again).toMatchObject({ state: 'cut_over', mismatches: 0, mismatches_total: 1, migrations_started: 2 });
  });

  it('a fault without a shadowing migration is refused', () => {
    const h = new Harness(from);
    expect(() => h.mig({ op: 'fault', book: P })).toThrow(MigrationError);
    expect(() => h.mig({ op: 'complete', book: P })).toThrow(/not_migrating/);
  });
});
