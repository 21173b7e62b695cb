/** Small driver for behaviour tests: one engine, one book, commands in, decoded events out. */
import { CommandWriter, readEvents, type EngineEvent, type UnknownEvent } from '../../../src/engine/codec.js';
import type { Engine, InstrumentSpec } from '../../../src/engine/types.js';

/** Test instrument: tick 5, lot 10, no band, small book limit (BOOK_FULL is reachable). */
export const SPEC: InstrumentSpec = {
  symbol: 'TESTUSD', priceDecimals: 2, qtyDecimals: 0, tickSize: 5, lotSize: 10,
  minQty: 10, maxQty: 1_000_000, minPrice: 5, maxPrice: 1_000_000, bandBps: 0, maxOrders: 1000,
};

export type Ev = EngineEvent | UnknownEvent;

export class Harness {
  readonly engine: Engine;
  readonly book: number;
  readonly w = new CommandWriter();
  private ts = 1_000;

  constructor(engine: Engine, spec: InstrumentSpec = SPEC) {
    this.engine = engine;
    this.book = engine.addBook(spec);
  }

  /** Runs the commands written by fn as one batch; returns the decoded events. */
  run(fn: (w: CommandWriter, book: number) => void): Ev[] {
    this.w.reset();
    fn(this.w, this.book);
    const n = this.engine.process(this.w.bytes(), this.w.count);
    return readEvents(this.engine.events(), n);
  }

  /** Raw event bytes of a batch (copied). */
  runBytes(fn: (w: CommandWriter, book: number) => void): Uint8Array {
    this.w.reset();
    fn(this.w, this.book);
    const n = this.engine.process(this.w.bytes(), this.w.count);
    return this.engine.events().slice(0, n * 80);
  }

  nextTs(): number { return ++this.ts; }

  /** GTC limit. */
  limit(orderId: number, side: number, price: number, qty: number, owner = 1, extra: Partial<Parameters<CommandWriter['newOrder']>[0]> = {}): Ev[] {
    return this.run((w, book) => w.newOrder({ book, orderId, owner, side, price, qty, ts: this.nextTs(), ...extra }));
  }
}

/** Event type names in order, e.g. ['ACCEPTED', 'TRADE', 'L2']. */
export function types(evs: Ev[]): string[] {
  const names = ['', 'ACCEPTED', 'REJECTED', 'TRADE', 'CANCELLED', 'AMENDED', 'L2', 'DECREMENTED'];
  return evs.map((e) => names[e.type] ?? `EVENT_${e.type}`);
}

/** Drops header fields so payload assertions stay short. */
export function strip<T extends Ev>(e: T): Omit<T, 'seq' | 'ts' | 'book' | 'cmdType'> {
  const { seq: _s, ts: _t, book: _b, cmdType: _c, ...rest } = e as T & Record<string, unknown>;
  return rest as Omit<T, 'seq' | 'ts' | 'book' | 'cmdType'>;
}
