import { z } from 'zod';

/**
 * Exact money arithmetic: amounts are integer minor units (cents), rates and
 * shares are exact rationals of big integers, and a result is rounded once,
 * half to even, where a rule says so. No floating point touches an amount.
 */

/** A non-negative exact rational `num / den` (den > 0). */
export interface Rational {
  num: bigint;
  den: bigint;
}

/** The number of minor-unit digits of an ISO 4217 currency, as CLDR (Intl) defines it: USD 2, JPY 0, BHD 3. */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** `num / den` rounded to the nearest integer, a tie to the even one (banker's rounding). Both non-negative. */
export function roundHalfEven(num: bigint, den: bigint): bigint {
  if (den <= 0n || num < 0n) throw new RangeError('roundHalfEven expects num >= 0 and den > 0');
  const quotient = num / den;
  const twice = 2n * (num % den);
  if (twice > den || (twice === den && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}

export const EXCHANGE_RATE_PATTERN = /^(0|[1-9]\d{0,11})(\.\d{1,12})?$/;

/**
 * An exchange rate as written: how many units of the terms' currency one unit
 * of the deal's currency was worth at close, as a decimal string (`"1.0834"`),
 * kept as written so that nothing is lost to binary fractions.
 */
export const ExchangeRateSchema = z
  .string()
  .regex(EXCHANGE_RATE_PATTERN, 'must be a positive decimal number written as a string, such as "1.0834" (up to 12 decimals)')
  .refine((rate) => /[1-9]/.test(rate), 'must be greater than 0')
  .meta({
    id: 'ExchangeRate',
    description: 'units of the terms’ currency per one unit of the deal’s currency, at close, as a decimal string',
    example: '1.0834',
  });

/** A decimal string (`"1.0834"`) as the exact rational 10834 / 10000. */
export function parseDecimal(decimal: string): Rational {
  if (!EXCHANGE_RATE_PATTERN.test(decimal)) throw new RangeError(`not a decimal number: ${decimal}`);
  const [whole = '0', fraction = ''] = decimal.split('.');
  return { num: BigInt(whole + fraction), den: 10n ** BigInt(fraction.length) };
}

/**
 * An amount in minor units of `from` expressed exactly in minor units of `to`
 * at `rate` (units of `to` per unit of `from`): the digits of both currencies
 * are accounted for, so 1,000 JPY (0 digits) at 0.0067 is 670 US cents.
 */
export function convertExact(amountMinor: number | bigint, from: string, to: string, rate: Rational): Rational {
  const scale = minorUnitDigits(to) - minorUnitDigits(from);
  const amount = BigInt(amountMinor) * rate.num;
  return scale >= 0 ? { num: amount * 10n ** BigInt(scale), den: rate.den } : { num: amount, den: rate.den * 10n ** BigInt(-scale) };
}

/** The rational times basis points (1/10000). */
export function timesBps(value: Rational, bps: number): Rational {
  return { num: value.num * BigInt(bps), den: value.den * 10_000n };
}

export function addRationals(a: Rational, b: Rational): Rational {
  return { num: a.num * b.den + b.num * a.den, den: a.den * b.den };
}

/**
 * Splits `total` minor units among quotas in proportion to their exact sizes
 * with the largest-remainder method (Hamilton): each gets the floor of its
 * exact share, and the units left over go to the largest remainders, a tie
 * to the earlier quota. The parts always sum to `total` exactly.
 */
export function apportion(total: bigint, quotas: readonly Rational[]): bigint[] {
  if (quotas.length === 0) return [];
  // Bring every quota over one common denominator.
  const den = quotas.reduce((product, quota) => product * quota.den, 1n);
  const weights = quotas.map((quota) => (quota.num * den) / quota.den);
  const sum = weights.reduce((a, b) => a + b, 0n);
  if (sum === 0n) return quotas.map(() => 0n);
  const parts = weights.map((weight) => (total * weight) / sum);
  const remainders = weights.map((weight, index) => ({ index, remainder: (total * weight) % sum }));
  let left = total - parts.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const { index } of remainders) {
    if (left <= 0n) break;
    parts[index] = parts[index]! + 1n;
    left -= 1n;
  }
  return parts;
}

/** A bigint amount as a JS number, refusing amounts beyond exact integer range. */
export function toSafeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`amount ${value} is beyond the exact integer range`);
  }
  return Number(value);
}

/** Minor units as a plain decimal in major units, for statements: 123456 USD → "1234.56", -5 JPY → "-5". */
export function minorToDecimal(amountMinor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  const sign = amountMinor < 0 ? '-' : '';
  const text = String(Math.abs(amountMinor)).padStart(digits + 1, '0');
  return digits === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}
