// plainUnits (the REST edge's fast path for prices and quantities) gives exactly toUnits'
// value for every input it accepts, and declines (-1) every input toUnits rejects or that it
// leaves to toUnits (signs, exponents, zero, too precise, out of range, other types).
import { describe, expect, it } from 'vitest';
import { decimalToUnits } from '../../src/protocol/decimal.js';
import { plainUnits } from '../../src/server/routes.js';
import { mulberry32 } from '../../src/util/prng.js';

const check = (v: unknown, d: number): boolean => {
  const fast = plainUnits(v, d);
  const full = decimalToUnits(v, d, { allowZero: false });
  if (fast !== -1) {
    expect(full, `${String(v)} at ${d}`).toEqual({ ok: true, value: fast });
    return true;
  }
  return false;
};

describe('plainUnits', () => {
  it('agrees with toUnits on hand-picked inputs', () => {
    const accepted = ['1', '0.5', '0.0006', '50000.10', '50012.17', '007', '0012.50', '12.340', '1.000000000', 12, 0.5, 50000.1, 1e-7,
      '9007199254740991', '90071992547409.91'];
    const declined = ['', '0', '0.00', '-1', '+1', '.5', '5.', '1e3', '1E-2', ' 1', '1 ', '1,5', '1..2', '12.345', 'abc', '٣',
      '9007199254740992', '90071992547409.92', '99999999999999999999', 0, -1, NaN, Infinity, 1e21, null, undefined, true, {}, [], 5n,
      '1'.repeat(25)];
    for (const v of accepted) for (const d of [0, 2, 8]) check(v, d);
    for (const d of [0, 2, 8]) expect(check('1', d)).toBe(true);
    expect(check('0.0006', 8)).toBe(true);
    expect(check('12.340', 2)).toBe(true);
    for (const v of declined) expect(plainUnits(v, 2), String(v)).toBe(-1);
  });

  it('agrees with toUnits on 200k random plain, padded and malformed decimals at scales 0..15', () => {
    const r = mulberry32(5);
    const pick = (s: string): string => s[Math.floor(r() * s.length)]!;
    let accepted = 0;
    for (let i = 0; i < 200_000; i++) {
      const d = Math.floor(r() * 16);
      let t = '';
      const intLen = Math.floor(r() * 18);
      for (let k = 0; k < intLen; k++) t += r() < 0.2 ? '0' : pick('0123456789');
      if (r() < 0.7) {
        t += '.';
        const fl = Math.floor(r() * 18);
        for (let k = 0; k < fl; k++) t += r() < 0.3 ? '0' : pick('0123456789');
      }
      if (r() < 0.05) t = t.slice(0, Math.floor(r() * t.length)) + pick('-+eE. x') + t.slice(Math.floor(r() * t.length));
      const v: unknown = r() < 0.1 && t !== '' && !Number.isNaN(Number(t)) ? Number(t) : t;
      if (check(v, d)) accepted++;
    }
    expect(accepted).toBeGreaterThan(30_000); // the fast path is taken for most plain inputs
  });
});
