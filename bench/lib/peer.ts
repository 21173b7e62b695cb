/**
 * Adapter for the npm peer `nodejs-order-book` (v10, devDependency), driven with the same
 * workload as our engines.
 *
 * Loaded with createRequire: the package's `types` field points at a missing file
 * (`dist/types/index.d.js`), so the subset of its API used here is declared below from its
 * README and dist/types/orderbook.d.ts.
 *
 * Semantics differences (stated in PERFORMANCE.md too):
 * - Inputs are option objects with string ids (`limit({id, side, size, price, timeInForce})`,
 *   `market({side, size})`, `cancel(id)`), built before the timed region like our command
 *   records. Each call returns a freshly allocated result object (done/partial arrays, order
 *   snapshots via toObject()); we discard it. Our engines write binary events (ACCEPTED, TRADE,
 *   CANCELLED, L2 level updates with per-book sequence numbers) into a reused buffer; neither
 *   side's output is decoded inside the timed region.
 * - No instrument validation (tick, lot, min/max, price band), no owner/STP bookkeeping (we pass
 *   no accountId), no sequence numbers; it calls Date.now() per order.
 * - Its cancel removes the order from a Denque and then renumbers the index map of every other
 *   order at that price (a for-in over an object): O(orders at the level), where our engines'
 *   cancel is O(1). A full fill goes through the same cancel path.
 * - Market orders have no protection price (ours: protection 0 = none, the same behaviour).
 */
import { createRequire } from 'node:module';
import { CmdType, OrdType, Side, Tif } from '../../src/engine/layout.js';
import type { Workload } from '../workloads.js';

interface ProcessResult { err: unknown }
export interface PeerBook {
  limit(o: { id: string; side: 'buy' | 'sell'; size: number; price: number; timeInForce?: 'GTC' | 'IOC' | 'FOK' }): ProcessResult;
  market(o: { side: 'buy' | 'sell'; size: number }): ProcessResult;
  cancel(id: string): unknown;
}
interface PeerModule { OrderBook: new () => PeerBook }

const require = createRequire(import.meta.url);

export function peerVersion(): string {
  return (require('nodejs-order-book/package.json') as { version: string }).version;
}

export function newPeerBook(): PeerBook {
  return new (require('nodejs-order-book') as PeerModule).OrderBook();
}

/** Resting order count, read from the book's two OrderSide objects (not in its typings). */
export function peerResting(book: PeerBook): number {
  const b = book as unknown as { bids: { len(): number }; asks: { len(): number } };
  return b.bids.len() + b.asks.len();
}

export const PEER_LIMIT = 0;
export const PEER_MARKET = 1;
export const PEER_CANCEL = 2;

/** Pre-built peer inputs for ops [from, to): kind[i - from] selects which of args is used. */
export interface PeerInputs {
  kind: Uint8Array;
  args: unknown[]; // limit options | market options | id string
}

export function buildPeerInputs(wl: Workload, from: number, to: number): PeerInputs {
  const n = to - from;
  const kind = new Uint8Array(n);
  const args = new Array<unknown>(n);
  for (let i = from; i < to; i++) {
    const j = i - from;
    if (wl.type[i] === CmdType.CANCEL) {
      kind[j] = PEER_CANCEL;
      args[j] = String(wl.orderId[i]);
      continue;
    }
    const side = wl.side[i] === Side.BUY ? 'buy' : 'sell';
    if (wl.ordType[i] === OrdType.MARKET) {
      kind[j] = PEER_MARKET;
      args[j] = { side, size: wl.qty[i]! };
    } else {
      kind[j] = PEER_LIMIT;
      args[j] = wl.tif[i] === Tif.IOC
        ? { id: String(wl.orderId[i]), side, size: wl.qty[i]!, price: wl.price[i]!, timeInForce: 'IOC' }
        : { id: String(wl.orderId[i]), side, size: wl.qty[i]!, price: wl.price[i]! };
    }
  }
  return { kind, args };
}

/** Runs pre-built inputs [from, to) (indexes into `inp`). */
export function runPeer(book: PeerBook, inp: PeerInputs, from: number, to: number): void {
  const kind = inp.kind;
  const args = inp.args;
  for (let j = from; j < to; j++) {
    const k = kind[j];
    if (k === PEER_CANCEL) book.cancel(args[j] as string);
    else if (k === PEER_LIMIT) book.limit(args[j] as Parameters<PeerBook['limit']>[0]);
    else book.market(args[j] as Parameters<PeerBook['market']>[0]);
  }
}
