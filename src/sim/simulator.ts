/**
 * The market simulator: participants that trade through a `SimTransport` (in production the
 * binary WebSocket protocol via SimexClient, exactly like an external client).
 *
 * Participants (one connection and account each):
 * - market maker (account 9001): quotes both sides of every symbol around the fair price at
 *   a breathing half-spread plus a few levels, keeps each side at TARGET_LEVELS..MAX_RESTING
 *   orders, cancels stale quotes and re-prices (amends) resting ones toward the fair price;
 * - taker (account 9002): market orders and IOC limits that cross the spread, leaning with
 *   the fair price's drift away from the quoted mid.
 *
 * Start: SEED_LEVELS opening quotes per side per symbol at once (18 orders by default).
 * Flow (open loop, Poisson arrivals, scheduled on a 50 ms timer, not on replies):
 *   NEW orders at `orders_per_second` (75 % maker quotes, 25 % takers),
 *   cancels at 0.35 x and amends at 0.15 x that rate, plus housekeeping cancels when a side
 *   exceeds MAX_RESTING; a taker arriving when the side it would hit has < 2 quotes becomes
 *   a maker quote on that side instead. At 10 orders/s: ~2.5 taker orders/s over 3 symbols, so each
 *   symbol trades every ~1-2 s, and books hold ~8-12 orders per side.
 * Bounded: at most MAX_IN_FLIGHT requests outstanding per connection; beyond that, arrivals
 * are skipped and counted (`skipped`), so a slow server is never flooded.
 *
 * Ordering: all state is owned by the main thread's event loop; ack callbacks update the
 * resting-order tables. A maker fill reported by `onOrderUpdate` may arrive before the ack of
 * the order it fills (different connections): updates for unknown ids are kept for 5 s.
 */
import { DEFAULT_ANCHORS, FairPrice, Rng, quoteGeometry, roundToStep, sizeFor, type SimInstrument } from './market.js';
import type { SimConnection, SimNewOrder, SimSide, SimTransport } from './types.js';

export interface SimConfig {
  orders_per_second: number;
  volatility_factor: number;
}

export const SIM_LIMITS = {
  orders_per_second: { min: 0, max: 1000 },
  volatility_factor: { min: 0, max: 1 },
} as const;

/** Throws RangeError("<field> must be ...") on invalid values. */
export function validateSimConfig(p: Partial<SimConfig>): void {
  for (const k of ['orders_per_second', 'volatility_factor'] as const) {
    const v = p[k];
    if (v === undefined) continue;
    const { min, max } = SIM_LIMITS[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new RangeError(`${k} must be a number between ${min} and ${max}`);
    }
  }
}

export interface SimLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

const silent: SimLogger = { info() {}, warn() {}, error() {}, debug() {} };

export interface SimulatorOptions {
  transport: SimTransport;
  symbols: readonly string[];
  ordersPerSecond?: number;
  volatilityFactor?: number;
  seed?: number;
  logger?: SimLogger;
  /** Scheduler period, ms. Default 50. */
  tickMs?: number;
  /** Anchor (mean) prices; default DEFAULT_ANCHORS, else the first trade-free guess 100. */
  anchors?: Readonly<Record<string, number>>;
  /** Retry a lost connection after this delay (ms). Default 2000; 0 = never. */
  reconnectMs?: number;
}

export type SimState = 'healthy' | 'disabled' | 'error' | 'starting';

export interface SimStatus {
  status: SimState;
  running: boolean;
  reason?: string;
  symbols: string[];
  config: SimConfig;
  started_at: string | null;
  participants: { name: string; account: number; connected: boolean }[];
  stats: {
    orders_sent: number;
    orders_accepted: number;
    orders_rejected: number;
    cancels_sent: number;
    amends_sent: number;
    requests_failed: number;
    skipped: number;
    taker_filled_orders: number;
  };
  fair_prices: Record<string, number>;
  resting: Record<string, { bids: number; asks: number }>;
  last_error: string | null;
}

export const TARGET_LEVELS = 6;
export const MAX_RESTING = 14;
export const MAX_IN_FLIGHT = 64;
/** Opening quotes per side per symbol placed at start. */
export const SEED_LEVELS = 3;
const CANCEL_RATIO = 0.35;
const AMEND_RATIO = 0.15;
const MAKER_SHARE = 0.75;
const MM_ACCOUNT = 9001;
const TAKER_ACCOUNT = 9002;
/** Every account the simulator logs in as (a server with session authentication gives
 *  these their secrets: StartSimulatorOptions.secrets). */
export const SIM_ACCOUNTS: readonly number[] = [MM_ACCOUNT, TAKER_ACCOUNT];

interface Resting {
  id: string;
  side: SimSide;
  price: number;
  qty: number;
  busy: boolean; // a cancel/amend is in flight
}

interface SymbolState {
  inst: SimInstrument;
  fair: FairPrice;
  orders: Map<string, Resting>;
}

interface Conn {
  name: string;
  account: number;
  conn: SimConnection | null;
  inFlight: number;
}

export class Simulator {
  private cfg: SimConfig;
  private readonly rng: Rng;
  private readonly log: SimLogger;
  private readonly tickMs: number;
  private readonly reconnectMs: number;
  private readonly symbols: string[];
  private readonly state = new Map<string, SymbolState>();
  private readonly mm: Conn = { name: 'market-maker', account: MM_ACCOUNT, conn: null, inFlight: 0 };
  private readonly taker: Conn = { name: 'taker', account: TAKER_ACCOUNT, conn: null, inFlight: 0 };
  private readonly pendingUpdates = new Map<string, { leaves: number; at: number }>();
  private timer: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private desired = false;
  private st: SimState = 'disabled';
  private reason: string | undefined = 'not started';
  private startedAt: number | null = null;
  private lastTick = 0;
  private tS = 0;
  private nextNew = 0;
  private nextCancel = 0;
  private nextAmend = 0;
  private lastError: string | null = null;
  private starting: Promise<void> | null = null;
  private generation = 0;
  readonly stats: SimStatus['stats'] = {
    orders_sent: 0,
    orders_accepted: 0,
    orders_rejected: 0,
    cancels_sent: 0,
    amends_sent: 0,
    requests_failed: 0,
    skipped: 0,
    taker_filled_orders: 0,
  };

  constructor(private readonly opts: SimulatorOptions) {
    this.cfg = { orders_per_second: opts.ordersPerSecond ?? 10, volatility_factor: opts.volatilityFactor ?? 0.05 };
    validateSimConfig(this.cfg);
    this.rng = new Rng(opts.seed ?? (Date.now() & 0x7fffffff));
    this.log = opts.logger ?? silent;
    this.tickMs = opts.tickMs ?? 50;
    this.reconnectMs = opts.reconnectMs ?? 2000;
    this.symbols = [...opts.symbols];
  }

  config(): SimConfig {
    return { ...this.cfg };
  }

  setConfig(p: Partial<SimConfig>): SimConfig {
    validateSimConfig(p);
    const before = this.cfg;
    this.cfg = { ...this.cfg, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) };
    if (this.cfg.orders_per_second !== before.orders_per_second) this.resetArrivals(performance.now());
    this.log.info({ ...this.cfg }, 'Simulation config updated');
    return this.config();
  }

  /** Connect the participants and start the flow. Resolves when trading; rejects on failure
   *  (status becomes "error" with the reason; a retry is scheduled if reconnectMs > 0). */
  start(): Promise<void> {
    this.desired = true;
    if (this.timer) return Promise.resolve();
    if (this.starting) return this.starting;
    this.st = 'starting';
    this.reason = undefined;
    this.log.info({}, 'Starting market simulation');
    const gen = ++this.generation;
    this.starting = this.connectAll(gen).finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  async stop(reason = 'stopped'): Promise<void> {
    this.desired = false;
    this.generation++;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const wasRunning = this.timer !== null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.closeConns();
    if (wasRunning) this.log.info({ reason }, 'Market simulation stopped');
    this.st = 'disabled';
    this.reason = reason;
    this.startedAt = null;
  }

  status(): SimStatus {
    const resting: SimStatus['resting'] = {};
    const fair: SimStatus['fair_prices'] = {};
    for (const [sym, s] of this.state) {
      let bids = 0;
      let asks = 0;
      for (const o of s.orders.values()) o.side === 'buy' ? bids++ : asks++;
      resting[sym] = { bids, asks };
      fair[sym] = roundToStep(s.fair.value, s.inst.tick, s.inst.priceDecimals);
    }
    const body: SimStatus = {
      status: this.st,
      running: this.timer !== null,
      symbols: [...this.symbols],
      config: this.config(),
      started_at: this.startedAt === null ? null : new Date(this.startedAt).toISOString(),
      participants: [this.mm, this.taker].map((c) => ({ name: c.name, account: c.account, connected: c.conn !== null })),
      stats: { ...this.stats },
      fair_prices: fair,
      resting,
      last_error: this.lastError,
    };
    if (this.reason !== undefined) body.reason = this.reason;
    return body;
  }

  // ------------------------------------------------------------------ lifecycle

  private async connectAll(gen: number): Promise<void> {
    try {
      for (const c of [this.mm, this.taker]) {
        const conn = await this.opts.transport.connect(c.account, `sim-${c.name}`);
        if (gen !== this.generation) {
          await conn.close().catch(() => undefined);
          return;
        }
        c.conn = conn;
        c.inFlight = 0;
        conn.onClose((why) => this.connLost(c, conn, why));
        if (c === this.mm) conn.onOrderUpdate((id, leaves) => this.onMakerUpdate(id, leaves));
      }
      this.initSymbols();
      this.seedBooks();
      this.startedAt = Date.now();
      this.lastTick = performance.now();
      this.resetArrivals(this.lastTick);
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref?.();
      this.st = 'healthy';
      this.reason = undefined;
      this.log.info({ symbols: this.symbols, ...this.cfg }, 'Market simulation started');
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.fail(`cannot connect participants: ${msg}`);
      throw e;
    }
  }

  private initSymbols(): void {
    const known = new Map(this.opts.transport.instruments().map((i) => [i.symbol, i]));
    const anchors = this.opts.anchors ?? DEFAULT_ANCHORS;
    for (const sym of this.symbols) {
      const inst = known.get(sym);
      if (!inst) throw new Error(`exchange does not list instrument ${sym}`);
      const prev = this.state.get(sym);
      // Orders of a previous run were left in the book; they are no longer tracked.
      this.state.set(sym, { inst, fair: prev?.fair ?? new FairPrice(anchors[sym] ?? 100, this.rng), orders: new Map() });
    }
  }

  /** Opening quotes: SEED_LEVELS per side per symbol at once, so books are two-sided from
   *  the first second (a market maker joining a market does the same). */
  private seedBooks(): void {
    for (const s of this.state.values()) {
      for (let level = 0; level < SEED_LEVELS; level++) {
        for (const side of ['buy', 'sell'] as const) {
          const price = this.quotePrice(s, side, level);
          const qty = sizeFor(s.inst, this.rng.logUniform(2_000, 20_000) * (1 + 0.3 * level), price);
          this.placeNew(this.mm, { symbol: s.inst.symbol, side, type: 'limit', price, qty, tif: 'GTC' }, s);
        }
      }
    }
  }

  private fail(reason: string): void {
    this.st = 'error';
    this.reason = reason;
    this.lastError = reason;
    this.log.error({ reason }, 'Market simulation error');
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    void this.closeConns();
    if (this.desired && this.reconnectMs > 0 && !this.retry) {
      this.retry = setTimeout(() => {
        this.retry = null;
        if (this.desired && !this.timer && !this.starting) this.start().catch(() => undefined);
      }, this.reconnectMs);
      this.retry.unref?.();
    }
  }

  private connLost(c: Conn, conn: SimConnection, why: string): void {
    if (c.conn !== conn) return;
    c.conn = null;
    if (this.desired) this.fail(`${c.name} connection lost: ${why}`);
  }

  private async closeConns(): Promise<void> {
    const conns = [this.mm, this.taker].map((c) => {
      const conn = c.conn;
      c.conn = null;
      return conn;
    });
    await Promise.all(conns.map((c) => c?.close().catch(() => undefined)));
  }

  private resetArrivals(now: number): void {
    const r = this.cfg.orders_per_second;
    this.nextNew = r > 0 ? now + this.rng.exp(r) * 1000 : Infinity;
    this.nextCancel = r > 0 ? now + this.rng.exp(r * CANCEL_RATIO) * 1000 : Infinity;
    this.nextAmend = r > 0 ? now + this.rng.exp(r * AMEND_RATIO) * 1000 : Infinity;
  }

  // ------------------------------------------------------------------ flow

  /** One scheduler step: advance fair prices, fire every arrival that is due. */
  tick(now = performance.now()): void {
    const dt = Math.max(0, (now - this.lastTick) / 1000);
    this.lastTick = now;
    this.tS += dt;
    for (const s of this.state.values()) s.fair.step(dt, this.cfg.volatility_factor);
    const r = this.cfg.orders_per_second;
    if (!(r > 0)) return;
    // Bound the catch-up after a stall (e.g. a long GC): at most 1 s of arrivals per tick.
    const floor = now - 1000;
    if (this.nextNew < floor) this.nextNew = floor;
    if (this.nextCancel < floor) this.nextCancel = floor;
    if (this.nextAmend < floor) this.nextAmend = floor;
    while (this.nextNew <= now) {
      this.nextNew += this.rng.exp(r) * 1000;
      if (this.rng.chance(MAKER_SHARE)) this.makerQuote();
      else this.takerOrder();
    }
    while (this.nextCancel <= now) {
      this.nextCancel += this.rng.exp(r * CANCEL_RATIO) * 1000;
      this.cancelStale();
    }
    while (this.nextAmend <= now) {
      this.nextAmend += this.rng.exp(r * AMEND_RATIO) * 1000;
      this.amendOne();
    }
    const cutoff = Date.now() - 5000;
    for (const [id, u] of this.pendingUpdates) if (u.at < cutoff) this.pendingUpdates.delete(id);
  }

  private pickSymbol(preferThin: boolean): SymbolState {
    const all = [...this.state.values()];
    if (preferThin && this.rng.chance(0.6)) {
      let best = all[0]!;
      let bestN = Infinity;
      for (const s of all) {
        const n = Math.min(this.count(s, 'buy'), this.count(s, 'sell'));
        if (n < bestN) {
          bestN = n;
          best = s;
        }
      }
      if (bestN < TARGET_LEVELS) return best;
    }
    return all[this.rng.int(all.length)]!;
  }

  private count(s: SymbolState, side: SimSide): number {
    let n = 0;
    for (const o of s.orders.values()) if (o.side === side) n++;
    return n;
  }

  /** Price of a quote `level` steps behind the touch on `side`. */
  private quotePrice(s: SymbolState, side: SimSide, level: number): number {
    const fair = s.fair.value;
    const g = quoteGeometry(s.inst, fair, this.cfg.volatility_factor, this.tS, this.rng);
    const off = g.half + level * g.step;
    return side === 'buy'
      ? roundToStep(fair - off, s.inst.tick, s.inst.priceDecimals, 'down')
      : roundToStep(fair + off, s.inst.tick, s.inst.priceDecimals, 'up');
  }

  private send(c: Conn): SimConnection | null {
    if (!c.conn) return null;
    if (c.inFlight >= MAX_IN_FLIGHT) {
      this.stats.skipped++;
      return null;
    }
    return c.conn;
  }

  private makerQuote(): void {
    const s = this.pickSymbol(true);
    const bids = this.count(s, 'buy');
    const asks = this.count(s, 'sell');
    const side: SimSide = bids === asks ? (this.rng.chance(0.5) ? 'buy' : 'sell') : (bids < asks) === this.rng.chance(0.75) ? 'buy' : 'sell';
    this.makerQuoteOn(s, side);
  }

  private makerQuoteOn(s: SymbolState, side: SimSide): void {
    let level = 0;
    while (level < 8 && this.rng.chance(0.55)) level++;
    const price = this.quotePrice(s, side, level);
    const qty = sizeFor(s.inst, this.rng.logUniform(1_000, 25_000) * (1 + 0.3 * level), price);
    const order: SimNewOrder = { symbol: s.inst.symbol, side, type: 'limit', price, qty, tif: 'GTC' };
    this.placeNew(this.mm, order, s);
    if (this.count(s, side) >= MAX_RESTING) this.cancelFarthest(s, side);
  }

  private takerOrder(): void {
    const s = this.pickSymbol(false);
    const fair = s.fair.value;
    let bestBid = -Infinity;
    let bestAsk = Infinity;
    for (const o of s.orders.values()) {
      if (o.side === 'buy' && o.price > bestBid) bestBid = o.price;
      if (o.side === 'sell' && o.price < bestAsk) bestAsk = o.price;
    }
    const mid = Number.isFinite(bestBid) && Number.isFinite(bestAsk) ? (bestBid + bestAsk) / 2 : fair;
    const g = quoteGeometry(s.inst, fair, this.cfg.volatility_factor, this.tS, this.rng);
    const lean = Math.max(-0.3, Math.min(0.3, (fair - mid) / (2 * g.half)));
    const side: SimSide = this.rng.chance(0.5 + lean) ? 'buy' : 'sell';
    // A nearly empty opposite side: the maker refills it instead (keeps books two-sided).
    const opposite: SimSide = side === 'buy' ? 'sell' : 'buy';
    if (this.count(s, opposite) < 2) {
      this.makerQuoteOn(s, opposite);
      return;
    }
    const qty = sizeFor(s.inst, this.rng.logUniform(300, 8_000), fair);
    const order: SimNewOrder = this.rng.chance(0.5)
      ? { symbol: s.inst.symbol, side, type: 'market', qty, tif: 'IOC' }
      : {
          symbol: s.inst.symbol,
          side,
          type: 'limit',
          tif: 'IOC',
          qty,
          price: side === 'buy'
            ? roundToStep(fair + 3 * g.half, s.inst.tick, s.inst.priceDecimals, 'up')
            : roundToStep(Math.max(s.inst.tick, fair - 3 * g.half), s.inst.tick, s.inst.priceDecimals, 'down'),
        };
    this.placeNew(this.taker, order, s);
  }

  private placeNew(c: Conn, order: SimNewOrder, s: SymbolState): void {
    const conn = this.send(c);
    if (!conn) return;
    const gen = this.generation;
    c.inFlight++;
    this.stats.orders_sent++;
    conn.newOrder(order).then(
      (ack) => {
        c.inFlight--;
        if (gen !== this.generation) return;
        if (!ack.accepted) {
          this.stats.orders_rejected++;
          this.log.debug({ symbol: order.symbol, side: order.side, reason: ack.reason }, 'sim order rejected');
          return;
        }
        this.stats.orders_accepted++;
        if (c === this.taker && ack.filled > 0) this.stats.taker_filled_orders++;
        if (c === this.mm && ack.orderId !== undefined) {
          let leaves = ack.leaves;
          const early = this.pendingUpdates.get(ack.orderId);
          if (early) {
            leaves = Math.min(leaves, early.leaves);
            this.pendingUpdates.delete(ack.orderId);
          }
          if (leaves > 0 && order.tif === 'GTC') {
            s.orders.set(ack.orderId, { id: ack.orderId, side: order.side, price: order.price!, qty: leaves, busy: false });
          }
        }
      },
      (e) => {
        c.inFlight--;
        this.requestFailed(e);
      },
    );
  }

  private onMakerUpdate(orderId: string, leaves: number): void {
    for (const s of this.state.values()) {
      const o = s.orders.get(orderId);
      if (!o) continue;
      if (leaves <= 0) s.orders.delete(orderId);
      else o.qty = leaves;
      return;
    }
    this.pendingUpdates.set(orderId, { leaves, at: Date.now() });
  }

  /** Cancel one resting order, preferring quotes far from the current fair price. */
  private cancelStale(): void {
    const s = this.pickSymbol(false);
    const list = [...s.orders.values()].filter((o) => !o.busy);
    if (list.length === 0) return;
    let pick = list[this.rng.int(list.length)]!;
    const fair = s.fair.value;
    for (let i = 0; i < 2; i++) {
      const o = list[this.rng.int(list.length)]!;
      if (Math.abs(o.price - fair) > Math.abs(pick.price - fair)) pick = o;
    }
    // Keep a minimum of depth: do not cancel the last TARGET_LEVELS/2 orders of a side.
    if (this.count(s, pick.side) <= TARGET_LEVELS / 2) return;
    this.cancel(s, pick);
  }

  private cancelFarthest(s: SymbolState, side: SimSide): void {
    const fair = s.fair.value;
    let far: Resting | null = null;
    for (const o of s.orders.values()) {
      if (o.side !== side || o.busy) continue;
      if (!far || Math.abs(o.price - fair) > Math.abs(far.price - fair)) far = o;
    }
    if (far) this.cancel(s, far);
  }

  private cancel(s: SymbolState, o: Resting): void {
    const conn = this.send(this.mm);
    if (!conn) return;
    const gen = this.generation;
    o.busy = true;
    this.mm.inFlight++;
    this.stats.cancels_sent++;
    conn.cancel(s.inst.symbol, o.id).then(
      (ack) => {
        this.mm.inFlight--;
        if (gen !== this.generation) return;
        // Cancelled, or already gone (filled meanwhile: UNKNOWN_ORDER): either way not resting.
        if (ack.ok || ack.reason === 'UNKNOWN_ORDER') s.orders.delete(o.id);
        else o.busy = false;
      },
      (e) => {
        this.mm.inFlight--;
        o.busy = false;
        this.requestFailed(e);
      },
    );
  }

  /** Re-price one resting quote toward the current fair price (keeps its size). */
  private amendOne(): void {
    const s = this.pickSymbol(false);
    const list = [...s.orders.values()].filter((o) => !o.busy);
    if (list.length === 0) return;
    const o = list[this.rng.int(list.length)]!;
    const price = this.quotePrice(s, o.side, this.rng.int(4));
    let qty = o.qty;
    if (price === o.price) qty = Math.max(s.inst.minQty, roundToStep(o.qty + s.inst.lot * (1 + this.rng.int(5)), s.inst.lot, s.inst.qtyDecimals));
    if (price === o.price && qty === o.qty) return;
    const conn = this.send(this.mm);
    if (!conn) return;
    const gen = this.generation;
    o.busy = true;
    this.mm.inFlight++;
    this.stats.amends_sent++;
    conn.amend(s.inst.symbol, o.id, price, qty).then(
      (ack) => {
        this.mm.inFlight--;
        if (gen !== this.generation) return;
        o.busy = false;
        if (ack.ok) {
          o.price = price;
          o.qty = qty;
        } else if (ack.reason === 'UNKNOWN_ORDER') {
          s.orders.delete(o.id);
        }
      },
      (e) => {
        this.mm.inFlight--;
        o.busy = false;
        this.requestFailed(e);
      },
    );
  }

  private requestFailed(e: unknown): void {
    this.stats.requests_failed++;
    this.lastError = e instanceof Error ? e.message : String(e);
  }
}
