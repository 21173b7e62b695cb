/**
 * Trading controls beside the global halt (Exchange.halted, /admin/trading/halt): maintenance
 * mode and per-symbol circuit breakers (seed 004's runbook). State lives on the I/O thread;
 * order entry (REST routes, the binary protocol) asks `blockReason(bookIndex)` before a NEW
 * or an AMEND. Cancels and mass cancels are never gated, so operators can flatten.
 *
 *   blockReason(i) = 0                      trading
 *                  = MAINTENANCE_MODE (130)  maintenance on (every instrument)
 *                  = CIRCUIT_BREAKER_OPEN (129)  book i's breaker is open
 * Cost: two boolean reads, no allocation. The global halt stays separate
 * and is checked first by callers (TRADING_HALTED wins).
 *
 * Automatic (volatility) breaker, measured, not predicted: a timer (cbPollMs, unref'd) reads
 * each book's last trade price (BookState.lastPrice, updated on the I/O thread when the
 * shard's events are drained) and its trade count; the hot path in exchange.ts is untouched.
 * Reference = the last price in effect at (now - cbWindowMs), or the first price observed
 * since the window (re)started when that is younger. The breaker opens when
 * |last - reference| / reference > cbThresholdBps. Detection delay: at most one poll period
 * plus event-loop lag after the trade's events reached the I/O thread; orders accepted in
 * that gap execute. Sampled: a spike that starts and reverts within one poll period is not
 * seen. A tripped breaker closes itself after cbCooldownMs (0 = only a manual reset);
 * manually opened breakers (activate-all) never close by timer. On every close the window
 * restarts from the current last price, so an old reference cannot re-trip it at once.
 *
 * History: every opening, in memory only (lost on restart), the newest cbHistorySize kept
 * (oldest dropped; `dropped` counts them).
 */
import client from 'prom-client';
import { EdgeReason } from '../protocol/reasons.js';
import { pickTradingControl, type ServerConfig, type TradingControlConfig } from './config.js';
import type { Logger } from './logger.js';

/** What the control reads of a book (Exchange's BookState satisfies it). */
export interface ControlledBook {
  readonly inst: number;
  readonly symbol: string;
  /** Last trade price, engine units (0 = no trade yet). */
  readonly lastPrice: number;
  /** Decimals of the price (units / 10^priceScale = price). */
  readonly priceScale: number;
  readonly tape: { readonly count: number };
}

/** A move beyond the threshold, as VolatilityWindow.observe reports it. */
export interface VolatilityMove {
  referencePrice: number;
  /** Clock (ms) at which the reference price was first observed. */
  referenceAtMs: number;
  price: number;
  /** Signed, basis points of the reference. */
  moveBps: number;
  /** Span the move happened in, ms: min(window, now - referenceAtMs). */
  elapsedMs: number;
}

/**
 * Last-price samples of one book over a rolling window. A sample is appended only when the
 * price differs from the newest one, and the caller observes at most once per poll, so at
 * most windowMs / pollMs + 2 samples are held. Prices in integer units; clock in ms.
 */
export class VolatilityWindow {
  private t: number[] = [];
  private p: number[] = [];
  private head = 0;

  constructor(readonly windowMs: number, readonly thresholdBps: number) {}

  /** Forget every sample (the next observe starts a new window). */
  reset(): void {
    this.t = [];
    this.p = [];
    this.head = 0;
  }

  /** Samples held (bounded as described above). */
  get size(): number {
    return this.t.length - this.head;
  }

  /** Record the price in effect at `nowMs` (non-decreasing clock); the move if it exceeds
   *  the threshold, else null. Prices <= 0 (no trade yet) are ignored. */
  observe(nowMs: number, price: number): VolatilityMove | null {
    if (!(price > 0)) return null;
    const n = this.t.length;
    if (n === this.head || this.p[n - 1] !== price) {
      this.t.push(nowMs);
      this.p.push(price);
    }
    // Keep as head the newest sample at or before (now - window): the price in effect then.
    this.head = this.indexAt(nowMs - this.windowMs);
    if (this.head > 64 && this.head * 2 > this.t.length) {
      this.t = this.t.slice(this.head);
      this.p = this.p.slice(this.head);
      this.head = 0;
    }
    const ref = this.p[this.head]!;
    const moveBps = ((price - ref) / ref) * 10_000;
    if (Math.abs(moveBps) <= this.thresholdBps) return null;
    const refT = this.t[this.head]!;
    return { referencePrice: ref, referenceAtMs: refT, price, moveBps, elapsedMs: Math.min(this.windowMs, nowMs - refT) };
  }

  /** The reference at `nowMs` without recording anything, or null before the first price. */
  reference(nowMs: number): { price: number; atMs: number } | null {
    if (this.t.length === this.head) return null;
    const i = this.indexAt(nowMs - this.windowMs);
    return { price: this.p[i]!, atMs: this.t[i]! };
  }

  /** Index of the newest sample at or before `fromMs`, not before head (head if none). */
  private indexAt(fromMs: number): number {
    let i = this.head;
    while (i + 1 < this.t.length && this.t[i + 1]! <= fromMs) i++;
    return i;
  }
}

export type BreakerTrigger = 'manual' | 'volatility';
export type BreakerCloser = 'reset' | 'reset-all' | 'cooldown';

/** One breaker opening (history entry; JSON field names as served). */
export interface BreakerEvent {
  pair: string;
  trigger: BreakerTrigger;
  reason: string;
  opened_at: string;
  closed_at: string | null;
  closed_by: BreakerCloser | null;
  reference_price: number | null;
  trigger_price: number | null;
  move_pct: number | null;
  /** New orders and amends rejected while this opening lasted. */
  orders_rejected: number;
}

interface Breaker {
  open: boolean;
  trigger: BreakerTrigger | null;
  reason: string | null;
  openedAtMs: number;
  /** Auto-close time (ms), or null (manual, or cool-down 0). */
  closesAtMs: number | null;
  event: BreakerEvent | null;
  window: VolatilityWindow;
  /** tape.count at the last poll (new trades since then => observe). */
  seenTrades: number;
}

const DAY_MS = 86_400_000;

/** Price units -> decimal price (exact for the scales used: units / 10^d). */
function dec(units: number, scale: number): number {
  return units / 10 ** scale;
}

function pct(bps: number): number {
  return Math.round(bps) / 100;
}

export class TradingControl {
  readonly config: TradingControlConfig;
  private readonly breakers: Breaker[];
  private readonly history: BreakerEvent[] = [];
  private historyDropped = 0;
  private maintenanceOn = false;
  private maintenanceSinceMs = 0;
  private maintenanceReason: string | null = null;
  private maintenanceRejects = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly books: readonly ControlledBook[],
    private readonly logger: Logger,
    config: Partial<ServerConfig> = {},
    /** Clock, ms since epoch (injected by unit tests). */
    private readonly now: () => number = Date.now,
  ) {
    this.config = pickTradingControl(config);
    this.breakers = books.map((b) => ({
      open: false, trigger: null, reason: null, openedAtMs: 0, closesAtMs: null, event: null,
      window: new VolatilityWindow(this.config.cbWindowMs, this.config.cbThresholdBps), seenTrades: b.tape.count,
    }));
  }

  /** 0 = trading; else the EdgeReason to reject a NEW/AMEND on book `i` with (see header). */
  blockReason(i: number): number {
    return this.maintenanceOn ? EdgeReason.MAINTENANCE_MODE : this.breakers[i]?.open === true ? EdgeReason.CIRCUIT_BREAKER_OPEN : 0;
  }

  /** Listener for every noteRejected (the recent-failure ring, src/server/admin/failures.ts);
   *  the REST and binary edges both call noteRejected, so it does not know which edge. */
  onRejected: ((i: number, reason: number) => void) | null = null;

  /** Count one NEW/AMEND rejected with `reason` (a blockReason result) on book `i`. */
  noteRejected(i: number, reason: number): void {
    this.onRejected?.(i, reason);
    if (reason === EdgeReason.MAINTENANCE_MODE) this.maintenanceRejects++;
    else {
      const ev = this.breakers[i]?.event;
      if (ev) ev.orders_rejected++;
    }
  }

  // ------------------------------------------------------------------ maintenance

  get maintenance(): boolean {
    return this.maintenanceOn;
  }

  /** Turn maintenance on; false if it already was (idempotent, logged once). */
  enableMaintenance(reason: string | null = null): boolean {
    if (this.maintenanceOn) return false;
    this.maintenanceOn = true;
    this.maintenanceSinceMs = this.now();
    this.maintenanceReason = reason;
    this.maintenanceRejects = 0;
    this.logger.warn({ reason }, 'Maintenance mode enabled: new orders and amends are rejected (MAINTENANCE_MODE), cancels work');
    return true;
  }

  /** Turn maintenance off; false if it already was. */
  disableMaintenance(): boolean {
    if (!this.maintenanceOn) return false;
    this.maintenanceOn = false;
    this.logger.warn({ duration_ms: this.now() - this.maintenanceSinceMs, orders_rejected: this.maintenanceRejects },
      'Maintenance mode disabled: trading resumes');
    return true;
  }

  maintenanceStatus(): Record<string, unknown> {
    return {
      maintenance: this.maintenanceOn,
      status: this.maintenanceOn ? 'enabled' : 'disabled',
      since: this.maintenanceOn ? new Date(this.maintenanceSinceMs).toISOString() : null,
      reason: this.maintenanceOn ? this.maintenanceReason : null,
      orders_rejected: this.maintenanceOn ? this.maintenanceRejects : 0,
      timestamp: new Date(this.now()).toISOString(),
    };
  }

  // ------------------------------------------------------------------ breakers

  /** Book of a pair name: exact symbol (case-insensitive), else "<SYMBOL>T" for a configured
   *  "...USD" symbol (the runbook's BTCUSDT names our BTCUSD); undefined if neither. */
  resolvePair(name: string): ControlledBook | undefined {
    const up = name.toUpperCase();
    const exact = this.books.find((b) => b.symbol === up);
    if (exact) return exact;
    if (up.endsWith('USDT')) return this.books.find((b) => b.symbol === up.slice(0, -1) && b.symbol.endsWith('USD'));
    return undefined;
  }

  isOpen(i: number): boolean {
    return this.breakers[i]?.open === true;
  }

  openPairs(): string[] {
    return this.books.filter((b) => this.breakers[b.inst]!.open).map((b) => b.symbol);
  }

  /** Open book i's breaker. False if already open; a manual open of an open breaker cancels
   *  its cool-down (an emergency stop is not undone by a timer). */
  open(i: number, trigger: BreakerTrigger, reason: string, move: VolatilityMove | null = null): boolean {
    const br = this.breakers[i]!;
    const b = this.books[i]!;
    if (br.open) {
      if (trigger === 'manual') br.closesAtMs = null;
      return false;
    }
    const now = this.now();
    br.open = true;
    br.trigger = trigger;
    br.reason = reason;
    br.openedAtMs = now;
    br.closesAtMs = trigger === 'volatility' && this.config.cbCooldownMs > 0 ? now + this.config.cbCooldownMs : null;
    const ev: BreakerEvent = {
      pair: b.symbol, trigger, reason, opened_at: new Date(now).toISOString(), closed_at: null, closed_by: null,
      reference_price: move ? dec(move.referencePrice, b.priceScale) : null,
      trigger_price: move ? dec(move.price, b.priceScale) : null,
      move_pct: move ? pct(move.moveBps) : null,
      orders_rejected: 0,
    };
    br.event = ev;
    this.history.push(ev);
    if (this.history.length > this.config.cbHistorySize) {
      this.history.shift();
      this.historyDropped++;
    }
    this.logger.warn({ pair: b.symbol, trigger, reason, reference_price: ev.reference_price, trigger_price: ev.trigger_price,
      closes_at: br.closesAtMs === null ? null : new Date(br.closesAtMs).toISOString() },
    'Circuit breaker opened: new orders and amends rejected (CIRCUIT_BREAKER_OPEN), cancels work');
    return true;
  }

  /** Close book i's breaker; false if it was closed. The volatility window restarts. */
  close(i: number, by: BreakerCloser): boolean {
    const br = this.breakers[i]!;
    const b = this.books[i]!;
    if (!br.open) return false;
    const now = this.now();
    br.open = false;
    const ev = br.event;
    if (ev) {
      ev.closed_at = new Date(now).toISOString();
      ev.closed_by = by;
    }
    this.logger.warn({ pair: b.symbol, closed_by: by, open_ms: now - br.openedAtMs, orders_rejected: ev?.orders_rejected ?? 0 },
      'Circuit breaker closed: trading resumes');
    br.trigger = null;
    br.reason = null;
    br.closesAtMs = null;
    br.event = null;
    br.window.reset();
    br.seenTrades = b.tape.count;
    br.window.observe(now, b.lastPrice);
    return true;
  }

  activateAll(): number {
    let n = 0;
    for (let i = 0; i < this.books.length; i++) if (this.open(i, 'manual', 'manual')) n++;
    return n;
  }

  resetAll(): number {
    let n = 0;
    for (let i = 0; i < this.books.length; i++) if (this.close(i, 'reset-all')) n++;
    return n;
  }

  /**
   * One poll: close breakers whose cool-down ended, then observe the last price of every
   * closed book that traded since the previous poll. O(books), no allocation unless a
   * sample is appended or a breaker changes state.
   */
  poll(): void {
    const now = this.now();
    const auto = this.config.cbEnabled;
    for (let i = 0; i < this.books.length; i++) {
      const br = this.breakers[i]!;
      if (br.open) {
        if (br.closesAtMs !== null && now >= br.closesAtMs) this.close(i, 'cooldown');
        continue;
      }
      const b = this.books[i]!;
      const count = b.tape.count;
      if (count === br.seenTrades) continue;
      br.seenTrades = count;
      const move = br.window.observe(now, b.lastPrice);
      if (move && auto) {
        const reason = `volatility: price moved ${move.moveBps > 0 ? '+' : ''}${(move.moveBps / 100).toFixed(2)}% in `
          + `${(move.elapsedMs / 1000).toFixed(1).replace(/\.0$/, '')} s (${dec(move.referencePrice, b.priceScale)} -> `
          + `${dec(move.price, b.priceScale)}; limit ${(this.config.cbThresholdBps / 100).toFixed(2)}% in `
          + `${this.config.cbWindowMs / 1000} s)`;
        this.open(i, 'volatility', reason, move);
      }
    }
  }

  /** Poll every cbPollMs (unref'd: never keeps the process alive). Idempotent. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      try {
        this.poll();
      } catch (err) {
        this.logger.error({ err: String((err as Error)?.stack ?? err) }, 'circuit breaker poll failed');
      }
    }, this.config.cbPollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pair's status (the runbook's `.pair`, `.open`, `.reason`, plus what was measured). */
  pairStatus(i: number): Record<string, unknown> {
    const br = this.breakers[i]!;
    const b = this.books[i]!;
    const now = this.now();
    const ref = br.open ? null : br.window.reference(now);
    const last = b.lastPrice > 0 ? b.lastPrice : null;
    return {
      pair: b.symbol,
      open: br.open,
      reason: br.reason,
      trigger: br.trigger,
      opened_at: br.open ? new Date(br.openedAtMs).toISOString() : null,
      closes_at: br.closesAtMs === null ? null : new Date(br.closesAtMs).toISOString(),
      orders_rejected: br.event?.orders_rejected ?? 0,
      last_price: last === null ? null : dec(last, b.priceScale),
      reference_price: ref ? dec(ref.price, b.priceScale) : br.event?.reference_price ?? null,
      move_pct: ref && last !== null ? pct(((last - ref.price) / ref.price) * 10_000) : br.event?.move_pct ?? null,
      threshold_pct: this.config.cbThresholdBps / 100,
      window_s: this.config.cbWindowMs / 1000,
      cooldown_s: this.config.cbCooldownMs / 1000,
      automatic: this.config.cbEnabled,
    };
  }

  status(): Record<string, unknown>[] {
    return this.books.map((b) => this.pairStatus(b.inst));
  }

  /** Openings of the last 24 h (newest first) from the bounded in-memory history. */
  historyView(): Record<string, unknown> {
    const since = this.now() - DAY_MS;
    const last = this.history.filter((e) => Date.parse(e.opened_at) >= since).reverse();
    return {
      last_24h: last,
      count: last.length,
      kept: this.history.length,
      capacity: this.config.cbHistorySize,
      dropped: this.historyDropped,
      storage: 'memory (lost on restart)',
    };
  }

  /**
   * Prometheus gauges on `registry` (the metrics hub's), read at scrape time (no cost on the
   * order path): simex_maintenance_mode 0/1, simex_circuit_breaker_open{symbol} 0/1, and
   * simex_trading_control_rejected{reason} (new orders and amends refused in the current
   * maintenance window / by the breakers open now; each restarts at its opening, so a gauge).
   */
  registerMetrics(registry: client.Registry): void {
    const self = this;
    new client.Gauge({
      name: 'simex_maintenance_mode', help: 'Maintenance mode on (1) or off (0): new orders and amends are rejected while on',
      registers: [registry],
      collect() { this.set(self.maintenanceOn ? 1 : 0); },
    });
    new client.Gauge({
      name: 'simex_circuit_breaker_open', help: 'Circuit breaker of the symbol open (1) or closed (0)', labelNames: ['symbol'],
      registers: [registry],
      collect() { for (const b of self.books) this.set({ symbol: b.symbol }, self.breakers[b.inst]!.open ? 1 : 0); },
    });
    new client.Gauge({
      name: 'simex_trading_control_rejected', help: 'New orders and amends refused in the current maintenance window, or by the breakers open now since they opened',
      labelNames: ['reason'], registers: [registry],
      collect() {
        let cb = 0;
        for (const br of self.breakers) if (br.open && br.event) cb += br.event.orders_rejected;
        this.set({ reason: 'maintenance' }, self.maintenanceOn ? self.maintenanceRejects : 0);
        this.set({ reason: 'circuit_breaker' }, cb);
      },
    });
  }

  /** /health's view: {maintenance, open pairs}. */
  healthView(): { maintenance: boolean; maintenance_since: string | null; open_circuit_breakers: string[] } {
    return {
      maintenance: this.maintenanceOn,
      maintenance_since: this.maintenanceOn ? new Date(this.maintenanceSinceMs).toISOString() : null,
      open_circuit_breakers: this.openPairs(),
    };
  }
}
