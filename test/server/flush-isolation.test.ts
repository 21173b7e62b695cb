// Exchange.flushOutput: a connection whose write throws (a bug in a send hook) costs only its
// own queued bytes. The other dirty connections of the same flush are still written, and the
// failing one is flushed normally next time (it is not left marked dirty but unlisted).
import { describe, expect, it } from 'vitest';
import { offlineExchange } from './helpers/offline-exchange.js';
import type { ConnData } from '../../src/server/session.js';
import { OutBuf } from '../../src/server/wire.js';

function conn(id: number): ConnData {
  return {
    id, session: null, out: new OutBuf(64), dirty: false, closed: false, md: new Set(), mdPaused: false, mdDropped: 0,
    openedMs: 0, lastRecvMs: 0, lastSendMs: 0, remote: '127.0.0.1', ws: null,
  };
}

describe('flushOutput isolation', () => {
  it('writes every other dirty connection when one write throws, and that one again next flush', () => {
    const ex = offlineExchange();
    const written: [number, number[]][] = [];
    let failId = 2;
    ex.hooks = {
      flushConn(c) {
        if (c.id === failId) throw new Error('boom');
        written.push([c.id, Array.from(c.out.view())]);
        c.out.reset();
      },
      publishMd() {},
      mdSubscribers: () => 0,
    };
    const cs = [conn(1), conn(2), conn(3)];
    for (const c of cs) ex.queueRaw(c, new Uint8Array([c.id, 0xaa]));
    ex.flushOutput();
    expect(written).toEqual([[1, [1, 0xaa]], [3, [3, 0xaa]]]);
    expect(ex.flushErrors).toBe(1);
    expect(cs.map((c) => [c.dirty, c.out.len])).toEqual([[false, 0], [false, 0], [false, 0]]);
    // next round: the connection that failed is queued and written like any other
    failId = -1;
    written.length = 0;
    ex.queueRaw(cs[1]!, new Uint8Array([9]));
    ex.flushOutput();
    expect(written).toEqual([[2, [9]]]);
    expect(ex.flushErrors).toBe(1);
  });
});
