import { describe, expect, it } from 'vitest';
import { RateProfile } from '../../src/loadgen/profile.js';

describe('RateProfile', () => {
  it('plans a constant rate at exact intervals', () => {
    const p = new RateProfile({ rate: 1000, durationSec: 2 });
    expect(p.total).toBe(2000);
    expect(p.plannedAt(0)).toBe(0);
    expect(p.plannedAt(1)).toBeCloseTo(0.001, 12);
    expect(p.plannedAt(1999)).toBeCloseTo(1.999, 9);
    expect(p.plannedAt(2000)).toBe(Infinity);
    expect(p.phaseAt(1)).toBe('sustained');
    expect(p.phaseAt(2)).toBe('done');
  });

  it('ramps linearly: area of the trapezoid, plannedAt inverts countAt', () => {
    const p = new RateProfile({ rate: 100, durationSec: 10, rampUpSec: 2, rampDownSec: 3 });
    // 100*2/2 + 100*5 + 100*3/2 = 100 + 500 + 150
    expect(p.total).toBe(750);
    for (const k of [1, 50, 99, 100, 101, 400, 599, 600, 601, 700, 749]) {
      const t = p.plannedAt(k);
      expect(p.countAt(t)).toBeCloseTo(k, 6);
    }
    // planned times are strictly increasing
    let last = -1;
    for (let k = 0; k < p.total; k++) {
      const t = p.plannedAt(k);
      expect(t).toBeGreaterThan(last);
      last = t;
    }
    expect(last).toBeLessThan(10);
    expect(p.phaseAt(1)).toBe('ramp-up');
    expect(p.phaseAt(5)).toBe('sustained');
    expect(p.phaseAt(8)).toBe('ramp-down');
    expect(p.rateAt(1)).toBeCloseTo(50, 9);
    expect(p.rateAt(8.5)).toBeCloseTo(50, 9);
  });

  it('splits across threads by scaling the rate, keeping the shape', () => {
    const p = new RateProfile({ rate: 300, durationSec: 1, rampUpSec: 0.5 });
    const a = p.scaled(1 / 3);
    expect(a.rate).toBeCloseTo(100, 9);
    expect(a.up).toBe(0.5);
    expect(a.total * 3).toBeGreaterThanOrEqual(p.total - 3);
  });

  it('rejects impossible shapes', () => {
    expect(() => new RateProfile({ rate: 0, durationSec: 1 })).toThrow(RangeError);
    expect(() => new RateProfile({ rate: 1, durationSec: 0 })).toThrow(RangeError);
    expect(() => new RateProfile({ rate: 1, durationSec: 1, rampUpSec: 0.6, rampDownSec: 0.6 })).toThrow(/ramp/);
  });
});
