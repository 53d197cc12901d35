import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from '../../shared/csv.ts';
import {
  balancesOf,
  computeReferralShare,
  datePeriod,
  type DealFigures,
  entriesOfShare,
  type EntryContext,
  type LedgerEntry,
  monthPeriod,
  reversalsOf,
} from '../../shared/ledger.ts';
import { apportion, convertExact, minorToDecimal, minorUnitDigits, parseDecimal, roundHalfEven } from '../../shared/money.ts';
import { parseTerms, type Terms } from '../../shared/terms.ts';

const DAY = 86_400_000;
const INTRODUCED = '2026-01-10T09:00:00.000Z';
const daysAfter = (days: number) => new Date(Date.parse(INTRODUCED) + days * DAY).toISOString();

function incentives(input: Partial<Terms['incentives']>): Terms['incentives'] {
  return parseTerms({ incentives: input }).incentives;
}

function deal(figures: Partial<DealFigures>): DealFigures {
  return { closedAt: daysAfter(30), amountMinor: 1_000_000, currency: 'USD', ...figures };
}

const context: EntryContext = {
  agreementId: 'agr_1',
  referralId: 'ref_1',
  runId: 'run_1',
  matchId: 'mch_1',
  account: { name: 'Initech', domain: 'initech.com' },
  payer: { partnerId: 'ptn_payer', side: 'counterparty' },
  payee: { partnerId: 'ptn_payee', side: 'proposer' },
  termsVersion: 1,
  termsHash: 'sha256:x',
  currency: 'USD',
};

let counter = 0;
const nextId = () => `led_${String((counter += 1)).padStart(20, '0')}`;

/** The exact amount owed as a fraction of minor units, computed independently of shared/ledger.ts. */
function exactOwed(terms: Terms['incentives'], figures: DealFigures): { num: bigint; den: bigint } {
  const rate = figures.currency === terms.currency ? { num: 1n, den: 1n } : parseDecimal(figures.exchangeRate ?? '1');
  const scale = minorUnitDigits(terms.currency) - minorUnitDigits(figures.currency);
  const toTerms = (amount: number) => {
    const num = BigInt(amount) * rate.num * (scale > 0 ? 10n ** BigInt(scale) : 1n);
    const den = rate.den * (scale < 0 ? 10n ** BigInt(-scale) : 1n);
    return { num, den };
  };
  const fee = toTerms(figures.amountMinor);
  const revenue = toTerms(figures.revenueMinor ?? figures.amountMinor);
  // fee × feeBps + revenue × shareBps, over 10000 and the common denominator (both share rate.den).
  return { num: fee.num * BigInt(terms.referralFeeBps) + revenue.num * BigInt(terms.revenueShareBps), den: fee.den * 10_000n };
}

describe('money', () => {
  it('rounds half to even', () => {
    expect([5n, 15n, 25n, 35n, 14n, 16n].map((n) => roundHalfEven(n, 10n))).toEqual([0n, 2n, 2n, 4n, 1n, 2n]);
    expect(roundHalfEven(7n, 2n)).toBe(4n);
    expect(roundHalfEven(5n, 2n)).toBe(2n);
  });

  it('converts between currencies with different minor units', () => {
    // 1,000,000 JPY (no minor unit) at 0.0067 USD per JPY is 6,700.00 USD.
    const jpy = convertExact(1_000_000, 'JPY', 'USD', parseDecimal('0.0067'));
    expect([jpy.num / jpy.den, jpy.num % jpy.den]).toEqual([670_000n, 0n]);
    // 10.000 BHD (3 digits) at 2.65 USD per BHD is 26.50 USD.
    const bhd = convertExact(10_000, 'BHD', 'USD', parseDecimal('2.65'));
    expect(bhd.num / bhd.den).toBe(2650n);
    expect(minorToDecimal(-123_456, 'USD')).toBe('-1234.56');
    expect(minorToDecimal(5, 'USD')).toBe('0.05');
    expect(minorToDecimal(1500, 'JPY')).toBe('1500');
    expect(minorToDecimal(1, 'BHD')).toBe('0.001');
  });

  it('apportions by largest remainder, ties to the earlier part, summing exactly', () => {
    expect(apportion(10n, [{ num: 1n, den: 3n }, { num: 1n, den: 3n }, { num: 1n, den: 3n }])).toEqual([4n, 3n, 3n]);
    expect(apportion(100n, [{ num: 2n, den: 1n }, { num: 1n, den: 1n }])).toEqual([67n, 33n]);
    expect(apportion(0n, [{ num: 1n, den: 1n }])).toEqual([0n]);
  });
});

describe('computeReferralShare', () => {
  it('books the fee on the deal value and the share on the revenue, in the terms’ currency', () => {
    const share = computeReferralShare(incentives({ referralFeeBps: 1000, revenueShareBps: 500 }), deal({ revenueMinor: 400_000 }), INTRODUCED);
    expect(share.attribution).toMatchObject({ outcome: 'attributed', totalMinor: 120_000, currency: 'USD', capped: false });
    expect(share.parts.map((p) => [p.kind, p.amountMinor, p.basisMinor])).toEqual([
      ['referral_fee', 100_000, 1_000_000],
      ['revenue_share', 20_000, 400_000],
    ]);
  });

  it('caps fee and share together and splits the cap in proportion', () => {
    const share = computeReferralShare(incentives({ referralFeeBps: 1000, revenueShareBps: 500, capMinorUnits: 120_000 }), deal({}), INTRODUCED);
    expect(share.attribution).toMatchObject({ outcome: 'attributed', totalMinor: 120_000, capped: true });
    expect(share.parts.map((p) => p.amountMinor)).toEqual([80_000, 40_000]);
  });

  it('keeps the deal’s currency and uses the rate given at close', () => {
    const share = computeReferralShare(
      incentives({ referralFeeBps: 1000, currency: 'USD' }),
      deal({ amountMinor: 100_000, currency: 'EUR', exchangeRate: '1.0834' }),
      INTRODUCED,
    );
    expect(share.parts).toEqual([{ kind: 'referral_fee', bps: 1000, amountMinor: 10_834, basisMinor: 100_000, convertedMinor: 108_340 }]);
    const entries = entriesOfShare(context, deal({ amountMinor: 100_000, currency: 'EUR', exchangeRate: '1.0834' }), share.parts, daysAfter(31), nextId);
    expect(entries[0]).toMatchObject({ currency: 'USD', amountMinor: 10_834, basis: { amountMinor: 100_000, currency: 'EUR', exchangeRate: '1.0834', convertedMinor: 108_340 } });
  });

  it('rounds the total half to even once', () => {
    const fee = (amountMinor: number) => computeReferralShare(incentives({ referralFeeBps: 1000 }), deal({ amountMinor }), INTRODUCED).attribution;
    expect(fee(25)).toMatchObject({ totalMinor: 2 });
    expect(fee(35)).toMatchObject({ totalMinor: 4 });
  });

  it('owes nothing outside the attribution window, and says why', () => {
    const terms = incentives({ referralFeeBps: 1000, attributionWindowDays: 90 });
    expect(computeReferralShare(terms, deal({ closedAt: daysAfter(90) }), INTRODUCED).parts).toHaveLength(1);
    const late = computeReferralShare(terms, deal({ closedAt: new Date(Date.parse(daysAfter(90)) + 1).toISOString() }), INTRODUCED);
    expect(late.parts).toEqual([]);
    expect(late.attribution).toMatchObject({ outcome: 'outside_window', windowEndsAt: daysAfter(90) });
    expect(late.attribution.message).toContain('attribution window of 90 days');
    expect(computeReferralShare(incentives({}), deal({}), INTRODUCED).attribution.outcome).toBe('no_incentives');
  });

  it('refuses a deal too large to book exactly instead of losing precision', () => {
    const huge = deal({ amountMinor: 9_000_000_000_000, currency: 'JPY', exchangeRate: '5000' });
    expect(() => computeReferralShare(incentives({ referralFeeBps: 100, currency: 'USD' }), huge, INTRODUCED)).toThrow(
      expect.objectContaining({ code: 'amount_out_of_range' }),
    );
  });
});

// ---------------------------------------------------------------------------
// Properties

const currencyArb = fc.constantFrom('USD', 'EUR', 'JPY', 'BHD', 'GBP');
const termsArb = fc.record({
  currency: currencyArb,
  referralFeeBps: fc.integer({ min: 0, max: 10_000 }),
  revenueShareBps: fc.integer({ min: 0, max: 10_000 }),
  attributionWindowDays: fc.integer({ min: 1, max: 1095 }),
  capMinorUnits: fc.option(fc.integer({ min: 1, max: 10_000_000 }), { nil: undefined }),
});
const rateArb = fc
  .tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999_999 }), fc.integer({ min: 0, max: 6 }))
  .filter(([whole, fraction]) => whole > 0 || fraction > 0)
  .map(([whole, fraction, digits]) => (digits === 0 ? String(whole || 1) : `${whole}.${String(fraction).padStart(6, '0').slice(0, digits)}`))
  .filter((rate) => /[1-9]/.test(rate));

function dealArb(termsCurrency: string) {
  return fc
    .record({
      amountMinor: fc.integer({ min: 1, max: 1_000_000_000 }),
      revenueMinor: fc.option(fc.integer({ min: 0, max: 1_000_000_000 }), { nil: undefined }),
      currency: currencyArb,
      rate: rateArb,
      closedDay: fc.integer({ min: 0, max: 1200 }),
    })
    .map(({ amountMinor, revenueMinor, currency, rate, closedDay }): DealFigures => ({
      closedAt: daysAfter(closedDay),
      amountMinor,
      currency,
      ...(currency === termsCurrency ? {} : { exchangeRate: rate }),
      ...(revenueMinor === undefined ? {} : { revenueMinor }),
    }));
}

/** Within what can be booked exactly (beyond it the deal is refused: see the test below). */
function bookable(terms: Terms['incentives'], figures: DealFigures): boolean {
  const rate = figures.currency === terms.currency ? { num: 1n, den: 1n } : parseDecimal(figures.exchangeRate ?? '1');
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  return [figures.amountMinor, figures.revenueMinor ?? 0].every((amount) => {
    const converted = convertExact(amount, figures.currency, terms.currency, rate);
    return converted.num / converted.den <= max;
  });
}

const caseArb = termsArb
  .chain((terms) => fc.tuple(fc.constant(incentives(terms)), dealArb(terms.currency)))
  .filter(([terms, figures]) => bookable(terms, figures));

describe('ledger arithmetic (properties)', () => {
  it('entries sum to the computed total, within half a unit of exact or at the cap, never above it, all in the terms’ currency', () => {
    fc.assert(
      fc.property(caseArb, ([terms, figures]) => {
        const share = computeReferralShare(terms, figures, INTRODUCED);
        const entries = entriesOfShare({ ...context, currency: terms.currency }, figures, share.parts, figures.closedAt, nextId);
        const inWindow = Date.parse(figures.closedAt) <= Date.parse(INTRODUCED) + terms.attributionWindowDays * DAY;
        if (!inWindow || (terms.referralFeeBps === 0 && terms.revenueShareBps === 0)) {
          expect(entries).toEqual([]);
          return;
        }
        if (share.attribution.outcome !== 'attributed') throw new Error('expected attributed');
        const total = share.attribution.totalMinor;
        expect(entries.reduce((sum, entry) => sum + entry.amountMinor, 0)).toBe(total);
        for (const entry of entries) {
          expect(entry.currency).toBe(terms.currency);
          expect(entry.amountMinor).toBeGreaterThan(0);
          expect(Number.isInteger(entry.amountMinor)).toBe(true);
        }
        if (terms.capMinorUnits !== undefined) expect(total).toBeLessThanOrEqual(terms.capMinorUnits);
        const exact = exactOwed(terms, figures);
        // |total - exact| <= 1/2 unless capped, in which case total = cap < exact.
        if (share.attribution.capped) {
          expect(BigInt(total) * exact.den < exact.num).toBe(true);
          expect(total).toBe(terms.capMinorUnits);
        } else {
          const diff = BigInt(total) * exact.den - exact.num;
          expect(2n * (diff < 0n ? -diff : diff) <= exact.den).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('has no drift over many referrals: the balance is exactly the sum of the totals, and within half a unit per referral of exact', () => {
    fc.assert(
      fc.property(termsArb, fc.array(fc.integer({ min: 1, max: 100_000_000 }), { minLength: 50, maxLength: 300 }), (rawTerms, amounts) => {
        const terms = incentives({ ...rawTerms, capMinorUnits: undefined });
        let totals = 0;
        let exactNum = 0n;
        const den = 10_000n;
        const entries: LedgerEntry[] = [];
        for (const amountMinor of amounts) {
          const figures: DealFigures = { closedAt: INTRODUCED, amountMinor, currency: terms.currency };
          const share = computeReferralShare(terms, figures, INTRODUCED);
          entries.push(...entriesOfShare({ ...context, currency: terms.currency }, figures, share.parts, INTRODUCED, nextId));
          totals += share.attribution.outcome === 'attributed' ? share.attribution.totalMinor : 0;
          exactNum += exactOwed(terms, figures).num;
        }
        const balances = balancesOf(entries);
        expect(balances.reduce((sum, balance) => sum + balance.amountMinor, 0)).toBe(totals);
        expect(new Set(balances.map((balance) => balance.currency)).size).toBeLessThanOrEqual(1);
        const drift = BigInt(totals) * den - exactNum;
        expect(2n * (drift < 0n ? -drift : drift) <= BigInt(amounts.length) * den).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('reversals cancel exactly and are never reversed twice', () => {
    fc.assert(
      fc.property(caseArb, ([terms, figures]) => {
        const share = computeReferralShare(terms, { ...figures, closedAt: INTRODUCED }, INTRODUCED);
        const booked = entriesOfShare({ ...context, currency: terms.currency }, figures, share.parts, INTRODUCED, nextId);
        const reversals = reversalsOf(booked, daysAfter(1), nextId);
        expect(reversals.map((entry) => entry.reversesEntryId)).toEqual(booked.map((entry) => entry.id));
        expect(balancesOf([...booked, ...reversals]).every((balance) => balance.amountMinor === 0)).toBe(true);
        expect(reversalsOf([...booked, ...reversals], daysAfter(2), nextId)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('periods and CSV', () => {
  it('turns a month and a date range into half-open UTC periods', () => {
    expect(monthPeriod('2026-12')).toMatchObject({ from: '2026-12-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' });
    expect(datePeriod('2026-02-01', '2026-02-28')).toMatchObject({ from: '2026-02-01T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' });
    expect(() => monthPeriod('2026-13')).toThrow(RangeError);
    expect(() => datePeriod('2026-03-01', '2026-02-01')).toThrow(RangeError);
  });

  it('neutralises formulas but keeps numbers', () => {
    expect(['=1+1', '+1', '-cmd', '@SUM(A1)', '\tx', '\rx', '-12.50', 'plain', 'a,"b"', ''].map(csvCell)).toEqual([
      "'=1+1",
      "'+1",
      "'-cmd",
      "'@SUM(A1)",
      "'\tx",
      `"'\rx"`,
      '-12.50',
      'plain',
      '"a,""b"""',
      '',
    ]);
    expect(csvCell(-42)).toBe('-42');
    expect(toCsv(['a', 'b'], [['=x', 1]])).toBe("a,b\r\n'=x,1\r\n");
  });
});
