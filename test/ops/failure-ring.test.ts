// FailureLog (src/server/admin/failures.ts): a bounded ring, newest first, wraps keeping the
// newest `capacity`; counts by reason since start survive the wrap; since filter; a tentative
// record (maintenance/chaos hook) completed by the binary edge's record is ONE binary record,
// while an unrelated record does not merge into it.
import { describe, expect, it } from 'vitest';
import { FailureLog, FailureOp, FailureOrigin } from '../../src/server/admin/failures.js';
import { CmdType } from '../../src/engine/layout.js';
import { EdgeReason, RejectReason } from '../../src/protocol/reasons.js';

const SYMS = ['BTCUSD', 'ETHUSD'];

describe('FailureLog', () => {
  it('keeps the newest capacity records, newest first', () => {
    const log = new FailureLog(4);
    for (let i = 1; i <= 6; i++) log.record(FailureOrigin.REST, CmdType.NEW, 0, RejectReason.BAD_PRICE, 1000 * i, i);
    expect(log.count).toBe(6);
    expect(log.size).toBe(4);
    const r = log.recent(10, -Infinity, SYMS);
    expect(r.map((x) => x.seq)).toEqual([6, 5, 4, 3]);
    expect(r.map((x) => x.order_id)).toEqual([6, 5, 4, 3]);
    expect(r[0]).toMatchObject({ kind: 'reject', origin: 'rest', op: 'new', symbol: 'BTCUSD', reason_name: 'BAD_PRICE' });
    expect(log.byReason[RejectReason.BAD_PRICE]).toBe(6);
    expect(log.oldestMs()).toBe(3000);
    expect(log.recent(2, -Infinity, SYMS).map((x) => x.seq)).toEqual([6, 5]);
    expect(log.recent(10, 4500, SYMS).map((x) => x.seq)).toEqual([6, 5]);
    expect(log.summary(4500)).toEqual([{ reason: RejectReason.BAD_PRICE, reason_name: 'BAD_PRICE', count: 2 }]);
  });

  it('a tentative record completed by the binary edge is one binary record', () => {
    const log = new FailureLog(8);
    log.recordTentative(FailureOp.ORDER, 1, EdgeReason.MAINTENANCE_MODE, 10);
    log.record(FailureOrigin.BINARY, CmdType.AMEND, 1, EdgeReason.MAINTENANCE_MODE, 10, 77, 5, 9);
    expect(log.count).toBe(1);
    expect(log.recent(5, -Infinity, SYMS)[0]).toMatchObject({ origin: 'binary', op: 'amend', symbol: 'ETHUSD', order_id: 77, cl_ord_id: 5, account: 9 });
    expect(log.byReason[EdgeReason.MAINTENANCE_MODE]).toBe(1);
  });

  it('a tentative record stays REST when the next record does not match it', () => {
    const log = new FailureLog(8);
    log.recordTentative(FailureOp.NEW, 0, EdgeReason.CHAOS_INJECTED, 10);
    log.record(FailureOrigin.BINARY, CmdType.NEW, 1, EdgeReason.CHAOS_INJECTED, 11); // other symbol
    log.recordTentative(FailureOp.NEW, 0, EdgeReason.SHARD_UNAVAILABLE, 12);
    log.record(FailureOrigin.BINARY, CmdType.CANCEL, 0, EdgeReason.SHARD_UNAVAILABLE, 13); // other op
    log.recordTentative(FailureOp.NEW, 0, EdgeReason.CHAOS_INJECTED, 14);
    log.record(FailureOrigin.REST, CmdType.NEW, 0, EdgeReason.CHAOS_INJECTED, 15); // REST never merges
    expect(log.recent(10, -Infinity, SYMS).map((x) => x.origin)).toEqual(['rest', 'rest', 'binary', 'rest', 'binary', 'rest']);
  });

  it('shard_down records name the shard and the failed commands; unknown instrument has no symbol', () => {
    const log = new FailureLog(8);
    log.recordShardDown(2, 0, 17, 5);
    log.record(FailureOrigin.BINARY, FailureOp.OTHER, -1, EdgeReason.UNKNOWN_INSTRUMENT, 6);
    const [u, d] = log.recent(5, -Infinity, SYMS);
    expect(d).toMatchObject({ kind: 'shard_down', origin: 'server', shard: 2, failed_commands: 17, reason_name: 'SHARD_UNAVAILABLE' });
    expect(u).toMatchObject({ symbol: null, reason_name: 'UNKNOWN_INSTRUMENT', op: 'other' });
  });
});
