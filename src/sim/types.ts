/**
 * The simulator's view of a trading connection. `client-transport.ts` implements it over
 * `SimexClient` (the binary WebSocket protocol, like any participant); tests implement it
 * with an in-memory fake. All prices and quantities are decimal numbers.
 */
import type { SimInstrument } from './market.js';

export type SimSide = 'buy' | 'sell';

export interface SimNewOrder {
  symbol: string;
  side: SimSide;
  type: 'limit' | 'market';
  /** Limit price (ignored for market orders). */
  price?: number;
  qty: number;
  tif: 'GTC' | 'IOC';
}

/** Immediate outcome of a NEW_ORDER (after its own taker fills). */
export interface SimOrderAck {
  accepted: boolean;
  /** Exchange order id (accepted only). */
  orderId?: string;
  /** Open quantity resting in the book after immediate matching (0: done). */
  leaves: number;
  /** Quantity filled as taker in the immediate match. */
  filled: number;
  /** Reject reason code name, e.g. "PRICE_OUT_OF_BAND". */
  reason?: string;
}

export interface SimRequestAck {
  ok: boolean;
  reason?: string;
}

/** One logged-in connection of one participant (one account). */
export interface SimConnection {
  newOrder(o: SimNewOrder): Promise<SimOrderAck>;
  cancel(symbol: string, orderId: string): Promise<SimRequestAck>;
  /** Change price and/or open quantity of a resting order. */
  amend(symbol: string, orderId: string, price: number, qty: number): Promise<SimRequestAck>;
  /**
   * Resting order `orderId` changed because of someone else (a maker fill, or it left the
   * book): `leaves` is its new open quantity (0 = gone).
   */
  onOrderUpdate(listener: (orderId: string, leaves: number) => void): void;
  /** Called once if the connection is lost (the simulator reports status "error"). */
  onClose(listener: (reason: string) => void): void;
  close(): Promise<void>;
}

export interface SimTransport {
  /** Open and log in one connection for `account` (non-zero). */
  connect(account: number, name: string): Promise<SimConnection>;
  /** Instruments the exchange announced (after the first connect). */
  instruments(): SimInstrument[];
}
