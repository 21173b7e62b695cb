// The shadow target breaks the engine contract (not just different bytes): its events for a
// batch carry the wrong number of command outcomes, or its process() throws. That is the
// kind of bug shadowing exists to catch, so the breaker must handle it like a mismatch: the
// source's events go out (clients see exactly the never-migrated output), every book that
// shadowed into that engine in the batch rolls back, and the shard keeps running. Before the
// fix the routed path threw from split() and the shard went down (a worker never comes back).
// Only when the broken engine also OWNS commands of the batch (a cut-over book) is there no
// source to fall back to: then the shard fails as the single-engine path does.
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/types.js';
import { CommandWriter } from '../../src/engine/codec.js';
import { EVT_SIZE, EventType, Side } from '../../src/engine/layout.js';
import { loadNativeEngine } from '../../src/engine/native.js';
import { BOOKS, Harness } from './fixtures/migration-harness.js';

const NATIVE = loadNativeEngine().ok;

function stream(n: number): Uint8Array {
  const w = new CommandWriter(n);
  const mid = [5_000_000, 300_000, 5_000];
  for (let i = 0; i < n; i++) {
    const book = i % 3;
    const side = (i >> 2) & 1;
    const lot = BOOKS[book]!.lotSize;
    const tick = BOOKS[book]!.tickSize;
    w.newOrder({ book, orderId: i + 1, owner: 1 + (i % 4), side, price: mid[book]! + (side === Side.BUY ? -1 : 1) * tick * (1 + (i % 7)) + (i % 11 === 0 ? (side === Side.BUY ? 20 : -20) * tick : 0), qty: lot * (1 + (i % 5)), ts: i });
  }
  return w.bytes().slice();
}

const N = 900;
const CMDS = stream(N);

/** Make `e`'s next process() break the contract once (`how`), then behave again. */
function breakOnce(e: Engine, how: 'outcome' | 'throw'): void {
  const real = e.process.bind(e);
  e.process = (cmds: Uint8Array, count: number): number => {
    e.process = real;
    if (how === 'throw') throw new Error('target engine bug');
    const n = real(cmds, count);
    // an outcome event (the 2nd command's) turned into a TRADE: one outcome too few
    const ev = e.events();
    let seen = 0;
    for (let i = 0; i < n; i++) {
      const t = ev[i * EVT_SIZE]!;
      if (t === EventType.ACCEPTED || t === EventType.REJECTED) {
        if (++seen === 2) { ev[i * EVT_SIZE] = EventType.TRADE; break; }
      }
    }
    return n;
  };
}

describe.skipIf(!NATIVE).each([['native', 'ts'], ['ts', 'native']])('broken shadow target %s -> %s', (from) => {
  for (const how of ['outcome', 'throw'] as const) {
    it(`${how}: the breaker rolls back every book shadowing into it; output and books intact; the shard keeps running`, () => {
      const ref = new Harness(from);
      ref.feed(CMDS, 0, N);
      const h = new Harness(from);
      h.feed(CMDS, 0, 300);
      h.core.migrationControl({ op: 'percentage', book: 0, percentage: 100, verifyCommands: 1e9 });
      h.core.migrationControl({ op: 'percentage', book: 2, percentage: 30, verifyCommands: 1e9 });
      h.feed(CMDS, 300, 450);
      breakOnce(h.core.migrationEngines[1]!, how);
      expect(() => h.feed(CMDS, 450, 600)).not.toThrow();
      const rows = h.core.migrationStatus()!.rows;
      for (const b of [0, 2]) {
        expect(rows[b]).toMatchObject({ state: 'rolled_back', current_percentage: 0, mismatches: 1, engine: from });
        expect(rows[b]!.rollback_reason).toMatch(/contract/);
        expect(rows[b]!.last_mismatch).toMatchObject({ injected: false });
        expect(rows[b]!.last_mismatch!.engine_error).toMatch(how === 'throw' ? /target engine bug/ : /outcomes/);
      }
      expect(rows[1]!.state).toBe('not_migrating');
      expect(h.events.filter((e) => e.kind === 'mismatch')).toHaveLength(2);
      expect(h.core.migrationRouting).toBe(false);
      h.feed(CMDS, 600, N);
      expect(Buffer.from(h.out).equals(Buffer.from(ref.out))).toBe(true);
      for (let b = 0; b < BOOKS.length; b++) expect(h.snapshot(b)).toBe(ref.snapshot(b));
    });
  }

  it('an engine that owns commands of the batch (a cut-over book) and breaks fails the shard, as the single-engine path does', () => {
    const h = new Harness(from);
    h.feed(CMDS, 0, 300);
    h.core.migrationControl({ op: 'percentage', book: 0, percentage: 100, verifyCommands: 0 });
    expect(h.core.migrationStatus()!.rows[0]!.state).toBe('cut_over');
    h.core.migrationControl({ op: 'percentage', book: 2, percentage: 50, verifyCommands: 1e9 });
    breakOnce(h.core.migrationEngines[1]!, 'outcome');
    expect(() => h.feed(CMDS, 300, 450)).toThrow(/outcomes/);
  });
});
