/**
 * Exact conversion between decimal text/numbers and integer instrument units
 * (units = value * 10^decimals). Used by the REST edge (JSON prices/quantities), the client
 * library and the simulator. No floating-point arithmetic on the value: strings are parsed
 * digit by digit; a JS number is first turned into its shortest round-trip decimal text
 * (String(n): 0.1 -> "0.1", 1e21 -> "1e+21"), so `0.1` means one tenth, not the double's
 * binary expansion.
 *
 * Accepted syntax:  [-]digits[.digits][(e|E)[+|-]digits]  or  [-].digits[...]
 * (no spaces, no '+' sign on the value, no hex, no separators, at most 64 characters).
 * Exponents are fine when the result is exact at the scale ("5e-2" at 2 decimals = 5).
 *
 * Result range: 0 .. 2^53-1 (or +-(2^53-1) with allowNegative), or opts.max.
 * Errors are returned (`decimalToUnits`) or thrown as `DecimalError` (`toUnits`) with one of
 * the stable codes below (listed in docs/PROTOCOL.md section 9).
 */

export const DecimalErrorCode = {
  /** '' or only a sign. */
  EMPTY: 'DECIMAL_EMPTY',
  /** Not a decimal number (letters, spaces, two dots, '1e', ...). */
  SYNTAX: 'DECIMAL_SYNTAX',
  /** NaN or +-Infinity (number input). */
  NOT_FINITE: 'DECIMAL_NOT_FINITE',
  /** Negative value where not allowed. */
  NEGATIVE: 'DECIMAL_NEGATIVE',
  /** Zero where not allowed (allowZero: false). */
  ZERO: 'DECIMAL_ZERO',
  /** More significant decimals than the scale has (would lose precision). */
  TOO_PRECISE: 'DECIMAL_TOO_PRECISE',
  /** Magnitude above 2^53-1 units or above opts.max. */
  OUT_OF_RANGE: 'DECIMAL_OUT_OF_RANGE',
  /** Not a string, number or bigint. */
  BAD_TYPE: 'DECIMAL_BAD_TYPE',
} as const;
export type DecimalErrorCode = (typeof DecimalErrorCode)[keyof typeof DecimalErrorCode];

export class DecimalError extends Error {
  readonly code: DecimalErrorCode;
  constructor(code: DecimalErrorCode, message: string) {
    super(message);
    this.name = 'DecimalError';
    this.code = code;
  }
}

export interface DecimalOptions {
  /** Accept negative values (default false). */
  allowNegative?: boolean;
  /** Accept 0 (default true). */
  allowZero?: boolean;
  /** Largest accepted magnitude in units (default 2^53-1). */
  max?: number;
}

export type DecimalResult =
  | { ok: true; value: number }
  | { ok: false; code: DecimalErrorCode; message: string };

const MAX_TEXT = 64;
const SAFE_DIGITS = String(Number.MAX_SAFE_INTEGER).length; // 16
const RE = /^(-?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;

function err(code: DecimalErrorCode, message: string): DecimalResult {
  return { ok: false, code, message };
}

/**
 * Decimal -> integer units at `decimals` (0..15). Never throws for any input value
 * (throws RangeError only for a bad `decimals` argument: programmer error).
 */
export function decimalToUnits(input: unknown, decimals: number, opts: DecimalOptions = {}): DecimalResult {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 15) {
    throw new RangeError(`decimals must be an integer 0..15, got ${decimals}`);
  }
  let text: string;
  if (typeof input === 'string') text = input;
  else if (typeof input === 'number') {
    if (!Number.isFinite(input)) return err(DecimalErrorCode.NOT_FINITE, 'number must be finite');
    text = String(input);
  } else if (typeof input === 'bigint') text = input.toString();
  else return err(DecimalErrorCode.BAD_TYPE, 'expected a decimal string or number');

  if (text === '' || text === '-') return err(DecimalErrorCode.EMPTY, 'empty value');
  if (text.length > MAX_TEXT) return err(DecimalErrorCode.SYNTAX, `longer than ${MAX_TEXT} characters`);
  const m = RE.exec(text);
  if (!m) return err(DecimalErrorCode.SYNTAX, `not a decimal number: ${JSON.stringify(text)}`);
  const negative = m[1] === '-';
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? m[4] ?? '';
  const expText = m[5];
  // |exponent| beyond 1000 is decided by zero-ness alone (below).
  let exp = 0;
  if (expText !== undefined) {
    const e = Number(expText);
    exp = Math.abs(e) > 1000 ? (e > 0 ? 1001 : -1001) : e;
  }
  let digits = (intPart + fracPart).replace(/^0+/, '');
  // value = digits * 10^(exp - fracPart.length); units = digits * 10^k
  let k = exp - fracPart.length + decimals;
  if (digits === '') {
    if (opts.allowZero === false) return err(DecimalErrorCode.ZERO, 'must not be zero');
    return { ok: true, value: 0 };
  }
  if (negative && !opts.allowNegative) return err(DecimalErrorCode.NEGATIVE, 'must not be negative');
  if (k < 0) {
    // the last -k digits must be zeros (trailing zeros are not precision)
    const stripped = digits.replace(/0+$/, '');
    const zeros = digits.length - stripped.length;
    if (zeros < -k) {
      return err(DecimalErrorCode.TOO_PRECISE, `more than ${decimals} decimal places`);
    }
    digits = digits.slice(0, digits.length + k);
    k = 0;
  }
  if (digits.length + k > SAFE_DIGITS) return err(DecimalErrorCode.OUT_OF_RANGE, 'value too large');
  const units = Number(digits + '0'.repeat(k));
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(units) || units > max) return err(DecimalErrorCode.OUT_OF_RANGE, 'value too large');
  return { ok: true, value: negative ? -units : units };
}

/** Like decimalToUnits but throws DecimalError. */
export function toUnits(input: unknown, decimals: number, opts?: DecimalOptions): number {
  const r = decimalToUnits(input, decimals, opts);
  if (!r.ok) throw new DecimalError(r.code, r.message);
  return r.value;
}

/**
 * Integer units -> exact decimal text with exactly `decimals` fraction digits
 * (5000000 at 2 -> "50000.00"; 5 at 0 -> "5"; -15 at 1 -> "-1.5"). `units` must be a safe
 * integer (programmer error otherwise).
 */
export function fromUnits(units: number, decimals: number): string {
  if (!Number.isSafeInteger(units)) throw new RangeError(`units must be a safe integer, got ${units}`);
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 15) {
    throw new RangeError(`decimals must be an integer 0..15, got ${decimals}`);
  }
  const neg = units < 0;
  let s = String(neg ? -units : units);
  if (decimals > 0) {
    if (s.length <= decimals) s = '0'.repeat(decimals - s.length + 1) + s;
    s = `${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}`;
  }
  return neg ? `-${s}` : s;
}

/** Integer units -> the nearest JS number (for JSON output: 5000000 at 2 -> 50000). */
export function unitsToNumber(units: number, decimals: number): number {
  return Number(fromUnits(units, decimals));
}
