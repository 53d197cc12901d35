import { describe, expect, it } from 'vitest';
import { minorUnitsOf, timeOf } from '../../cli/commands/referrals.ts';
import { CliError, EXIT } from '../../cli/errors.ts';

/** Amounts and times as people type them, turned into what the API takes: minor units exactly, ISO-8601 UTC. */

describe('amounts', () => {
  it('are converted to minor units exactly, by the currency’s decimals', () => {
    expect(minorUnitsOf('48000', 'EUR')).toBe(4_800_000);
    expect(minorUnitsOf('48000.5', 'EUR')).toBe(4_800_050);
    expect(minorUnitsOf('0.29', 'USD')).toBe(29);
    expect(minorUnitsOf('1000', 'JPY')).toBe(1000);
    expect(minorUnitsOf('1.234', 'BHD')).toBe(1234);
    // 0.1 + 0.2 style drift cannot happen: no floating point on the way.
    expect(minorUnitsOf('90071992547409.91', 'USD')).toBe(9_007_199_254_740_991);
  });

  it('are refused with one line when they are not plain amounts of that currency', () => {
    for (const [amount, currency, message] of [
      ['12.345', 'EUR', '--amount 12.345: EUR has 2 decimals'],
      ['100.5', 'JPY', '--amount 100.5: JPY has no decimals'],
      ['1,000.00', 'USD', '--amount 1,000.00: write the amount as digits with an optional decimal point, such as 12500.50'],
      ['-5', 'USD', '--amount -5: write the amount as digits with an optional decimal point, such as 12500.50'],
      ['90071992547409.92', 'USD', '--amount 90071992547409.92: too large'],
    ] as const) {
      const error = (() => {
        try {
          minorUnitsOf(amount, currency);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(CliError);
      expect(error).toMatchObject({ exitCode: EXIT.usage, message });
    }
  });
});

describe('times', () => {
  it('take a date as its start in UTC (today as now) and a full time as given', () => {
    expect(timeOf('2026-01-15', '--closed-at')).toBe('2026-01-15T00:00:00.000Z');
    expect(timeOf('2026-01-15T10:30:00+02:00', '--closed-at')).toBe('2026-01-15T08:30:00.000Z');
    const today = timeOf(new Date().toISOString().slice(0, 10), '--closed-at');
    expect(Math.abs(Date.parse(today) - Date.now())).toBeLessThan(5_000);
    expect(() => timeOf('yesterday', '--closed-at')).toThrow('--closed-at yesterday: give a date (2026-11-23) or an ISO-8601 time');
  });
});
