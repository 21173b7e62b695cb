// FaultInjector on a fake exchange: selection percentages, real delays with FIFO per origin,
// rejects with the chaos reason, and a rollback that leaves nothing behind.
import { afterEach, describe, expect, it } from 'vitest';
import { CHAOS_INJECTED, FaultInjector, type ExchangeLike, type SubmitFn } from '../../src/chaos/faults.js';
import { CmdType } from '../../src/engine/layout.js';
import { EdgeReason } from '../../src/protocol/reasons.js';
import { Origin } from '../../src/shard/types.js';

class FakeExchange implements ExchangeLike {
  readonly books = [{ inst: 0, symbol: 'BTCUSD', shard: 0 }, { inst: 1, symbol: 'ETHUSD', shard: 1 }];
  readonly got: { inst: number; type: number; orderId: number; ctx: unknown; at: number }[] = [];
  readonly rejected: { reason: number; clOrd: number }[] = [];
  flushes = 0;
  refuse = 0;
  submit(inst: number, type: number, _side: number, _o: number, _t: number, _f: number, _s: number, _ow: number,
    orderId: number, _p: number, _q: number, _origin: number, ctx: unknown): number {
    if (this.refuse) return this.refuse;
    this.got.push({ inst, type, orderId, ctx, at: performance.now() });
    return 0;
  }
  flush(): void { this.flushes++; }
  rRejected(_s: never, _b: never, _rt: number, _ts: number, clOrd: number, _oid: number, reason: number): void {
    this.rejected.push({ reason, clOrd });
  }
  flushOutput(): void {}
}

const send = (ex: ExchangeLike, inst: number, type: number, orderId: number, origin: number, ctx: unknown): number =>
  ex.submit(inst, type, 0, 0, 0, 0, 0, 1, orderId, 100, 1, origin, ctx, orderId, performance.now());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('FaultInjector', () => {
  let inj: FaultInjector | null = null;
  afterEach(() => inj?.clear());

  it('is not installed while idle: submit is the prototype method', () => {
    const ex = new FakeExchange();
    inj = new FaultInjector(ex);
    expect(Object.prototype.hasOwnProperty.call(ex, 'submit')).toBe(false);
    expect(inj.installed).toBe(false);
    inj.set('e', { kind: 'reject', reason: CHAOS_INJECTED, probability: 0, instruments: null });
    expect(Object.prototype.hasOwnProperty.call(ex, 'submit')).toBe(true);
  });

  it('rejects about `probability` of NEW orders with CHAOS_INJECTED and leaves cancels alone', () => {
    const ex = new FakeExchange();
    inj = new FaultInjector(ex, { seed: 7 });
    const seen: string[] = [];
    inj.onReject = (sym) => seen.push(sym);
    inj.set('e', { kind: 'reject', reason: CHAOS_INJECTED, probability: 0.3, instruments: null });
    let rej = 0;
    for (let i = 1; i <= 10_000; i++) if (send(ex, 0, CmdType.NEW, i, Origin.SESSION, {}) === CHAOS_INJECTED) rej++;
    expect(rej / 10_000).toBeGreaterThan(0.27);
    expect(rej / 10_000).toBeLessThan(0.33);
    expect(ex.got.length).toBe(10_000 - rej);
    expect(inj.counters.rejected).toBe(rej);
    expect(seen.length).toBe(rej);
    expect(seen.every((s) => s === 'BTCUSD')).toBe(true);
    for (let i = 1; i <= 100; i++) expect(send(ex, 0, CmdType.CANCEL, i, Origin.SESSION, {})).toBe(0);
  });

  it('filters by instrument', () => {
    const ex = new FakeExchange();
    inj = new FaultInjector(ex, { seed: 1 });
    inj.set('o', { kind: 'reject', reason: EdgeReason.SHARD_UNAVAILABLE, probability: 1, instruments: new Set([1]), allCommands: true });
    expect(send(ex, 0, CmdType.NEW, 1, Origin.SESSION, {})).toBe(0);
    expect(send(ex, 1, CmdType.NEW, 2, Origin.SESSION, {})).toBe(EdgeReason.SHARD_UNAVAILABLE);
    expect(send(ex, 1, CmdType.CANCEL, 3, Origin.SESSION, {})).toBe(EdgeReason.SHARD_UNAVAILABLE);
  });

  it('delays selected commands with real timers and keeps FIFO per session', async () => {
    const ex = new FakeExchange();
    inj = new FaultInjector(ex, { seed: 3 });
    inj.set('l', { kind: 'latency', delayMs: 40, jitterMs: 0, probability: 1, instruments: null });
    const session = {};
    const t0 = performance.now();
    expect(send(ex, 0, CmdType.NEW, 1, Origin.SESSION, session)).toBe(0);
    inj.setProbability('l', 0);
    expect(send(ex, 0, CmdType.CANCEL, 1, Origin.SESSION, session)).toBe(0); // queued behind the NEW
    expect(send(ex, 1, CmdType.NEW, 9, Origin.SESSION, {})).toBe(0); // another session: straight through
    expect(ex.got.map((g) => g.orderId)).toEqual([9]);
    expect(inj.heldCount).toBe(2);
    await sleep(80);
    expect(ex.got.map((g) => [g.orderId, g.type])).toEqual([[9, CmdType.NEW], [1, CmdType.NEW], [1, CmdType.CANCEL]]);
    expect(ex.got[1]!.at - t0).toBeGreaterThanOrEqual(39);
    expect(inj.counters.delayed).toBe(1);
    expect(inj.counters.queuedBehind).toBe(1);
    expect(inj.counters.delayedMsSum).toBeGreaterThanOrEqual(39);
    expect(ex.flushes).toBeGreaterThan(0);
  });

  it('selects about `probability` of commands for delay', () => {
    const ex = new FakeExchange();
    inj = new FaultInjector(ex, { seed: 11 });
    inj.set('l', { kind: 'latency', delayMs: 1000, jitterMs: 0, probability: 0.5, instruments: null });
    for (let i = 1; i <= 4000; i++) send(ex, 0, CmdType.NEW, i, Origin.REST, { i });
    const frac = inj.counters.delayed / 4000;
    expect(frac).toBeGreaterThan(0.46);
    expect(frac).toBeLessThan(0.54);
    expect(ex.got.length).toBe(4000 - inj.counters.delayed);
  });

  it('answers the origin when the shard refuses a released command', async () => {
    const ex = new FakeExchange();
    inj = new FaultInjector(ex);
    inj.set('l', { kind: 'latency', delayMs: 10, jitterMs: 0, probability: 1, instruments: null });
    const rest = { reject: 0, done: (c: { reject: number }) => { doneWith = c.reject; } };
    let doneWith = -1;
    send(ex, 0, CmdType.NEW, 1, Origin.REST, rest);
    send(ex, 0, CmdType.NEW, 2, Origin.SESSION, {});
    ex.refuse = EdgeReason.SHARD_UNAVAILABLE;
    await sleep(40);
    expect(doneWith).toBe(EdgeReason.SHARD_UNAVAILABLE);
    expect(ex.rejected).toEqual([{ reason: EdgeReason.SHARD_UNAVAILABLE, clOrd: 2 }]);
    expect(inj.counters.releaseFailed).toBe(2);
  });

  it('rollback releases every held command at once and removes the wrapper', () => {
    const ex = new FakeExchange();
    const proto: SubmitFn = FakeExchange.prototype.submit;
    inj = new FaultInjector(ex);
    inj.set('l', { kind: 'latency', delayMs: 60_000, jitterMs: 0, probability: 1, instruments: null });
    inj.set('e', { kind: 'reject', reason: CHAOS_INJECTED, probability: 0, instruments: null });
    for (let i = 1; i <= 50; i++) send(ex, 0, CmdType.NEW, i, Origin.SESSION, i % 2 ? 'a' : 'b');
    expect(ex.got.length).toBe(0);
    inj.clear();
    expect(ex.got.length).toBe(50);
    // FIFO per origin preserved on release
    const a = ex.got.filter((g) => g.ctx === 'a').map((g) => g.orderId);
    expect(a).toEqual([...a].sort((x, y) => x - y));
    expect(inj.heldCount).toBe(0);
    expect(inj.installed).toBe(false);
    expect(inj.armed).toBe(false);
    expect(inj.ruleNames).toEqual([]);
    expect(Object.prototype.hasOwnProperty.call(ex, 'submit')).toBe(false);
    expect(ex.submit).toBe(proto);
    expect(send(ex, 0, CmdType.NEW, 99, Origin.SESSION, 'a')).toBe(0);
    expect(ex.got.length).toBe(51);
  });

  it('removing the last rule uninstalls', () => {
    const ex = new FakeExchange();
    inj = new FaultInjector(ex);
    inj.set('e', { kind: 'reject', reason: CHAOS_INJECTED, probability: 1, instruments: null });
    inj.remove('e');
    expect(inj.installed).toBe(false);
    expect(send(ex, 0, CmdType.NEW, 1, Origin.SESSION, {})).toBe(0);
  });
});
