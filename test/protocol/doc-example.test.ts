import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FrameWriter, decodeFrame } from '../../src/protocol/codec.js';
import { MsgType } from '../../src/protocol/messages.js';

describe('docs/PROTOCOL.md example frame', () => {
  it('the hex dump in the doc is exactly what the encoder writes, and decodes to the described messages', () => {
    const doc = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8');
    const block = /### Example frame[\s\S]*?```text\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBeDefined();
    const bytes = Uint8Array.from(block!.trim().split('\n').flatMap((l) => l.split(': ')[1]!.trim().split(' ').map((h) => parseInt(h, 16))));
    const w = new FrameWriter();
    w.newOrder({ instrument: 0, side: 0, ordType: 0, tif: 0, flags: 0, stp: 0, clOrdId: 1, price: 5000000, qty: 500000 });
    w.cancel({ instrument: 0, clOrdId: 2, origClOrdId: 1, orderId: 0 });
    expect([...bytes]).toEqual([...w.bytes()]);
    expect(decodeFrame(bytes)).toEqual([
      { type: MsgType.NEW_ORDER, instrument: 0, side: 0, ordType: 0, tif: 0, flags: 0, stp: 0, clOrdId: 1, price: 5000000, qty: 500000 },
      { type: MsgType.CANCEL, instrument: 0, clOrdId: 2, origClOrdId: 1, orderId: 0 },
    ]);
  });
});
