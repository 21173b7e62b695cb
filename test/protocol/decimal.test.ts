import { describe, expect, it } from 'vitest';
import { DecimalError, DecimalErrorCode as C, decimalToUnits, fromUnits, toUnits, unitsToNumber } from '../../src/protocol/decimal.js';
import { rng, int } from './gen.js';

const ok = (value: number) => ({ ok: true, value });
const bad = (code: string) => expect.objectContaining({ ok: false, code });

describe('decimal -> units', () => {
  it.each([
    ['50000.00', 2, 5000000], ['50000', 2, 5000000], ['0.5', 6, 500000], ['.5', 1, 5], ['5.', 0, 5],
    ['0001.2300', 4, 12300], ['0', 8, 0], ['0.000', 2, 0], ['1e3', 0, 1000], ['1E+3', 2, 100000],
    ['5e-2', 2, 5], ['1.5e-1', 2, 15], ['120e-2', 2, 120], ['9007199254740991', 0, 9007199254740991],
    ['90071992547.40991', 5, 9007199254740991], ['1.10', 1, 11], ['0e999999', 2, 0],
  ] as const)('%s at %i decimals -> %i', (text, d, units) => {
    expect(decimalToUnits(text, d)).toEqual(ok(units));
  });

  it.each([
    ['', C.EMPTY], ['-', C.EMPTY], [' 1', C.SYNTAX], ['1 ', C.SYNTAX], ['+1', C.SYNTAX], ['1,5', C.SYNTAX],
    ['0x10', C.SYNTAX], ['1e', C.SYNTAX], ['1.2.3', C.SYNTAX], ['.', C.SYNTAX], ['e5', C.SYNTAX], ['--1', C.SYNTAX],
    ['NaN', C.SYNTAX], ['Infinity', C.SYNTAX], ['1'.repeat(65), C.SYNTAX], ['١٢', C.SYNTAX],
    ['0.001', C.TOO_PRECISE], ['1e-3', C.TOO_PRECISE], ['1.005', C.TOO_PRECISE],
    ['-1', C.NEGATIVE], ['-0.01', C.NEGATIVE],
    ['90071992547409.92', C.OUT_OF_RANGE], ['1e16', C.OUT_OF_RANGE], ['1e999999', C.OUT_OF_RANGE],
    ['1e-999999', C.TOO_PRECISE],
  ] as const)('%j at 2 decimals is %s', (text, code) => {
    expect(decimalToUnits(text, 2)).toEqual(bad(code));
  });

  it('numbers use their shortest decimal text; NaN/Infinity/other types rejected', () => {
    expect(decimalToUnits(0.1, 8)).toEqual(ok(10000000));
    expect(decimalToUnits(0.1 + 0.2, 2)).toEqual(bad(C.TOO_PRECISE)); // 0.30000000000000004
    expect(decimalToUnits(50000.0, 2)).toEqual(ok(5000000));
    expect(decimalToUnits(1e21, 0)).toEqual(bad(C.OUT_OF_RANGE));
    expect(decimalToUnits(5e-7, 6)).toEqual(bad(C.TOO_PRECISE));
    expect(decimalToUnits(5e-7, 7)).toEqual(ok(5));
    expect(decimalToUnits(-0, 2)).toEqual(ok(0));
    expect(decimalToUnits(NaN, 2)).toEqual(bad(C.NOT_FINITE));
    expect(decimalToUnits(-Infinity, 2)).toEqual(bad(C.NOT_FINITE));
    expect(decimalToUnits(12n, 2)).toEqual(ok(1200));
    for (const v of [null, undefined, {}, [], true, Symbol('x')]) expect(decimalToUnits(v, 2)).toEqual(bad(C.BAD_TYPE));
  });

  it('options: allowNegative, allowZero, max', () => {
    expect(decimalToUnits('-1.5', 1, { allowNegative: true })).toEqual(ok(-15));
    expect(decimalToUnits('0', 2, { allowZero: false })).toEqual(bad(C.ZERO));
    expect(decimalToUnits('-0', 2, { allowZero: false })).toEqual(bad(C.ZERO));
    expect(decimalToUnits('10.01', 2, { max: 1000 })).toEqual(bad(C.OUT_OF_RANGE));
    expect(decimalToUnits('10.00', 2, { max: 1000 })).toEqual(ok(1000));
  });

  it('toUnits throws DecimalError with the code; bad decimals argument is a RangeError', () => {
    expect(toUnits('1.25', 2)).toBe(125);
    expect(() => toUnits('1.255', 2)).toThrow(DecimalError);
    try { toUnits('x', 2); } catch (e) { expect((e as DecimalError).code).toBe(C.SYNTAX); }
    expect(() => decimalToUnits('1', 16)).toThrow(RangeError);
    expect(() => decimalToUnits('1', -1)).toThrow(RangeError);
  });
});

describe('units -> decimal', () => {
  it('formats exactly with the scale', () => {
    expect(fromUnits(5000000, 2)).toBe('50000.00');
    expect(fromUnits(5, 3)).toBe('0.005');
    expect(fromUnits(0, 2)).toBe('0.00');
    expect(fromUnits(-15, 1)).toBe('-1.5');
    expect(fromUnits(7, 0)).toBe('7');
    expect(fromUnits(Number.MAX_SAFE_INTEGER, 15)).toBe('9.007199254740991');
    expect(unitsToNumber(5000000, 2)).toBe(50000);
    expect(() => fromUnits(1.5, 2)).toThrow(RangeError);
  });

  it('round trip: toUnits(fromUnits(u, d), d) === u for random safe integers and scales', () => {
    const r = rng(99);
    for (let i = 0; i < 20000; i++) {
      const d = int(r, 0, 15);
      const mag = r() < 0.5 ? int(r, 0, 0x1fffff) * 2 ** 32 + int(r, 0, 0xffffffff) : int(r, 0, 10 ** int(r, 0, 9));
      const u = r() < 0.5 && mag !== 0 ? -mag : mag;
      expect(toUnits(fromUnits(u, d), d, { allowNegative: true })).toBe(u);
    }
  });
});
