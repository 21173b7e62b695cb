/**
 * SimTransport over SimexClient (src/client/): the simulator trades through the binary
 * WebSocket protocol exactly like an external participant, one client (session, account)
 * per participant.
 *
 * Units: the simulator works in decimals already on the instrument's tick/lot grid; they are
 * converted with `toFixed(decimals)` strings through the client's exact decimal parser, so
 * no float rounding reaches the wire.
 *
 * Connection loss: SimexClient reconnects and resumes by itself (no report lost). Only when
 * it gives up (MAX_RECONNECTS consecutive failures) does the simulator see `onClose`, report
 * status "error" and start over with fresh sessions.
 */
import { SimexClient, Side, OrdType, Tif } from '../client/index.js';
import type { Instrument } from '../protocol/messages.js';
import type { SimInstrument } from './market.js';
import type { SimConnection, SimOrderAck, SimRequestAck, SimTransport } from './types.js';

const MAX_RECONNECTS = 5;
const REQUEST_TIMEOUT_MS = 10_000;

function toSim(i: Instrument): SimInstrument {
  const ps = 10 ** -i.priceDecimals;
  const qs = 10 ** -i.qtyDecimals;
  return {
    symbol: i.symbol,
    tick: Number((i.tickSize * ps).toFixed(i.priceDecimals)),
    lot: Number((i.lotSize * qs).toFixed(i.qtyDecimals)),
    minQty: Number((i.minQty * qs).toFixed(i.qtyDecimals)),
    maxQty: Number((i.maxQty * qs).toFixed(i.qtyDecimals)),
    priceDecimals: i.priceDecimals,
    qtyDecimals: i.qtyDecimals,
  };
}

/** `secrets`: session secret per account (server SESSION_KEYS_FILE); an account without
 *  one logs in unsigned. */
export function createClientTransport(url: string, secrets?: ReadonlyMap<number, string | Uint8Array>): SimTransport {
  let instruments: SimInstrument[] = [];
  return {
    instruments: () => instruments,
    async connect(account: number, _name: string): Promise<SimConnection> {
      const secret = secrets?.get(account);
      const c = new SimexClient(url, {
        account, maxReconnectAttempts: MAX_RECONNECTS, requestTimeoutMs: REQUEST_TIMEOUT_MS, connectTimeoutMs: 5000,
        ...(secret !== undefined ? { secret } : {}),
      });
      await c.connect();
      instruments = c.instruments.map(toSim);
      const inst = (symbol: string) => c.instrument(symbol);
      const units = (i: Instrument, v: number, kind: 'price' | 'qty') =>
        kind === 'price' ? c.price(i, v.toFixed(i.priceDecimals)) : c.qty(i, v.toFixed(i.qtyDecimals));
      const qtyOf = (i: Instrument | undefined, u: number) => (i ? u * 10 ** -i.qtyDecimals : u);
      const byId = (id: number) => {
        try {
          return c.instrument(id);
        } catch {
          return undefined;
        }
      };
      const updates: ((id: string, leaves: number) => void)[] = [];
      const emit = (orderId: number, instrument: number, leavesUnits: number) => {
        const q = qtyOf(byId(instrument), leavesUnits);
        for (const l of updates) l(String(orderId), q);
      };
      c.on('fill', (f) => emit(f.orderId, f.instrument, f.leaves));
      c.on('cancelled', (x) => emit(x.orderId, x.instrument, 0));
      c.on('reduced', (x) => emit(x.orderId, x.instrument, x.newLeaves));
      const closers: ((reason: string) => void)[] = [];
      c.on('close', (code, willReconnect) => {
        if (!willReconnect) for (const l of closers.splice(0)) l(`socket closed (code ${code})`);
      });
      return {
        async newOrder(o): Promise<SimOrderAck> {
          const i = inst(o.symbol);
          const r = await c.newOrder({
            instrument: i.instrument,
            side: o.side === 'buy' ? Side.BUY : Side.SELL,
            ordType: o.type === 'market' ? OrdType.MARKET : OrdType.LIMIT,
            tif: o.tif === 'IOC' ? Tif.IOC : Tif.GTC,
            price: o.type === 'limit' ? units(i, o.price!, 'price') : 0,
            qty: units(i, o.qty, 'qty'),
          });
          if (r.status === 'rejected') return { accepted: false, leaves: 0, filled: 0, reason: r.reasonName };
          return { accepted: true, orderId: String(r.orderId), leaves: qtyOf(i, r.leaves), filled: qtyOf(i, r.filledQty) };
        },
        async cancel(symbol, orderId): Promise<SimRequestAck> {
          const r = await c.cancel({ instrument: inst(symbol).instrument, orderId: Number(orderId) });
          return r.status === 'cancelled' ? { ok: true } : { ok: false, reason: r.reasonName };
        },
        async amend(symbol, orderId, price, qty): Promise<SimRequestAck> {
          const i = inst(symbol);
          const r = await c.amend({ instrument: i.instrument, orderId: Number(orderId), newPrice: units(i, price, 'price'), newQty: units(i, qty, 'qty') });
          return r.status === 'amended' ? { ok: true } : { ok: false, reason: r.reasonName };
        },
        onOrderUpdate: (l) => void updates.push(l),
        onClose: (l) => void closers.push(l),
        close: () => c.close(),
      };
    },
  };
}
