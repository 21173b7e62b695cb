// TradingControl and VolatilityWindow with an injected clock and fake books: the gate's
// reason codes, the volatility trip against the window reference, cool-down, manual opens,
// history bounds. No server, no timers (poll() is called by hand).
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { EdgeReason } from '../../src/protocol/reasons.js';
import { TradingControl, VolatilityWindow, type ControlledBook } from '../../src/server/trading-control.js';

interface FakeBook extends ControlledBook {
  lastPrice: number;
  tape: { count: number };
}

function books(): FakeBook[] {
  return ['BTCUSD', 'ETHUSD'].map((symbol, inst) => ({ inst, symbol, lastPrice: 0, priceScale: 2, tape: { count: 0 } }));
}

function trade(b: FakeBook, price: number): void {
  b.lastPrice = price;
  b.tape.count++;
}

const CFG = { cbEnabled: true, cbThresholdBps: 500, cbWindowMs: 10_000, cbCooldownMs: 5_000, cbPollMs: 100, cbHistorySize: 3 };

function setup(cfg: Partial<typeof CFG> = {}) {
  const clock = { t: 1_700_000_000_000 };
  const bs = books();
  const tc = new TradingControl(bs, pino({ level: 'silent' }), { ...CFG, ...cfg }, () => clock.t);
  return { clock, bs, tc };
}

describe('VolatilityWindow', () => {
  it('reference is the price in effect at now - window; trips only beyond the threshold', () => {
    const w = new VolatilityWindow(1000, 500);
    expect(w.observe(0, 10_000)).toBeNull();
    expect(w.observe(500, 10_400)).toBeNull(); // +4 % of 10_000
    const m = w.observe(900, 10_600); // +6 % of 10_000 within 0.9 s
    expect(m).toMatchObject({ referencePrice: 10_000, price: 10_600, elapsedMs: 900 });
    expect(m!.moveBps).toBeCloseTo(600, 6);
    // At t=1600 the price in effect at t=600 was 10_400: 10_600 is +1.9 % of it.
    expect(w.observe(1600, 10_600)).toBeNull();
    expect(w.reference(1600)).toEqual({ price: 10_400, atMs: 500 });
  });

  it('downward moves trip too; equal prices add no sample; samples stay bounded', () => {
    const w = new VolatilityWindow(1000, 500);
    w.observe(0, 10_000);
    const m = w.observe(100, 9_400);
    expect(m!.moveBps).toBeCloseTo(-600, 6);
    const w2 = new VolatilityWindow(1000, 500);
    for (let t = 0; t < 100_000; t += 100) w2.observe(t, 10_000 + (t / 100) % 2);
    expect(w2.size).toBeLessThanOrEqual(1000 / 100 + 2);
    const w3 = new VolatilityWindow(1000, 500);
    for (let t = 0; t < 1000; t += 10) w3.observe(t, 10_000);
    expect(w3.size).toBe(1);
  });
});

describe('TradingControl', () => {
  it('blockReason: 0 trading, MAINTENANCE_MODE for every book, CIRCUIT_BREAKER_OPEN per book', () => {
    const { tc } = setup();
    expect([tc.blockReason(0), tc.blockReason(1)]).toEqual([0, 0]);
    expect(tc.enableMaintenance('upgrade')).toBe(true);
    expect(tc.enableMaintenance('again')).toBe(false);
    expect([tc.blockReason(0), tc.blockReason(1)]).toEqual([EdgeReason.MAINTENANCE_MODE, EdgeReason.MAINTENANCE_MODE]);
    expect(tc.maintenanceStatus()).toMatchObject({ maintenance: true, reason: 'upgrade' });
    expect(tc.disableMaintenance()).toBe(true);
    expect(tc.disableMaintenance()).toBe(false);
    expect(tc.open(1, 'manual', 'manual')).toBe(true);
    expect([tc.blockReason(0), tc.blockReason(1)]).toEqual([0, EdgeReason.CIRCUIT_BREAKER_OPEN]);
    expect(tc.close(1, 'reset')).toBe(true);
    expect(tc.blockReason(1)).toBe(0);
  });

  it('volatility trip on a poll, only for the moved book; auto-close after the cool-down', () => {
    const { clock, bs, tc } = setup();
    trade(bs[0]!, 5_000_000);
    trade(bs[1]!, 300_000);
    tc.poll();
    clock.t += 2_000;
    trade(bs[0]!, 5_365_000); // +7.3 %
    trade(bs[1]!, 303_000); // +1 %
    tc.poll();
    expect(tc.isOpen(0)).toBe(true);
    expect(tc.isOpen(1)).toBe(false);
    const s = tc.pairStatus(0);
    expect(s).toMatchObject({ pair: 'BTCUSD', open: true, trigger: 'volatility', reference_price: 50_000, move_pct: 7.3 });
    expect(s.reason).toBe('volatility: price moved +7.30% in 2 s (50000 -> 53650; limit 5.00% in 10 s)');
    tc.noteRejected(0, tc.blockReason(0));
    clock.t += 4_999;
    tc.poll();
    expect(tc.isOpen(0)).toBe(true);
    clock.t += 1;
    tc.poll();
    expect(tc.isOpen(0)).toBe(false);
    const h = tc.historyView() as { last_24h: Record<string, unknown>[] };
    expect(h.last_24h).toHaveLength(1);
    expect(h.last_24h[0]).toMatchObject({ pair: 'BTCUSD', closed_by: 'cooldown', orders_rejected: 1, trigger_price: 53_650 });
    // The window restarted at 53650: the same price does not re-trip.
    trade(bs[0]!, 5_365_000);
    tc.poll();
    expect(tc.isOpen(0)).toBe(false);
  });

  it('manual opens ignore the cool-down; activate-all cancels a tripped cool-down; automatic off = no trip', () => {
    const { clock, bs, tc } = setup();
    trade(bs[0]!, 5_000_000);
    tc.poll();
    trade(bs[0]!, 4_000_000);
    tc.poll();
    expect(tc.isOpen(0)).toBe(true);
    expect(tc.activateAll()).toBe(1); // only ETHUSD newly opened
    expect(tc.pairStatus(1)).toMatchObject({ open: true, reason: 'manual', trigger: 'manual', closes_at: null });
    expect(tc.pairStatus(0).closes_at).toBeNull();
    clock.t += 60_000;
    tc.poll();
    expect(tc.openPairs()).toEqual(['BTCUSD', 'ETHUSD']);
    expect(tc.resetAll()).toBe(2);
    expect(tc.openPairs()).toEqual([]);

    const off = setup({ cbEnabled: false });
    trade(off.bs[0]!, 5_000_000);
    off.tc.poll();
    trade(off.bs[0]!, 4_000_000);
    off.tc.poll();
    expect(off.tc.isOpen(0)).toBe(false);
  });

  it('history keeps the newest cbHistorySize openings and counts the dropped ones', () => {
    const { tc } = setup();
    for (let k = 0; k < 5; k++) {
      tc.open(0, 'manual', `manual ${k}`);
      tc.close(0, 'reset');
    }
    const h = tc.historyView() as { last_24h: { reason: string }[]; dropped: number; kept: number };
    expect(h.last_24h.map((e) => e.reason)).toEqual(['manual 4', 'manual 3', 'manual 2']);
    expect(h.dropped).toBe(2);
    expect(h.kept).toBe(3);
  });

  it('resolvePair: exact (any case), USDT alias of a USD symbol, else undefined', () => {
    const { tc } = setup();
    expect(tc.resolvePair('btcusd')?.symbol).toBe('BTCUSD');
    expect(tc.resolvePair('BTCUSDT')?.symbol).toBe('BTCUSD');
    expect(tc.resolvePair('XRPUSDT')).toBeUndefined();
    expect(tc.resolvePair('BTC')).toBeUndefined();
  });
});
