import { z } from 'zod';
import { toCsv } from './csv.ts';
import { ValidationError } from './errors.ts';
import { CurrencySchema, type Side, SideSchema, type Terms } from './terms.ts';
import { addRationals, apportion, convertExact, ExchangeRateSchema, minorToDecimal, parseDecimal, type Rational, roundHalfEven, timesBps, toSafeNumber } from './money.ts';

/**
 * The revenue-share ledger: what a won referral owes under the terms, as
 * integer minor units of the terms' currency. Pure functions; docs/referrals.md
 * states the rules for people.
 *
 * Rounding: the fee (referralFeeBps of the deal value) and the share
 * (revenueShareBps of the revenue) are computed exactly, as rationals, from the
 * amounts and the exchange rate given at close. Their exact sum is rounded
 * once, half to even, to whole minor units; the cap (capMinorUnits, per
 * referral, fee and share together) then bounds that total. The total is split
 * back into the fee and the share in proportion to their exact values by the
 * largest-remainder method, so the entries of a referral always add up to its
 * total exactly and no entry is more than one minor unit from its exact share
 * of it. Entries of zero are not written.
 *
 * Currency: the deal keeps its own currency and amount; the exchange rate to
 * the terms' currency is the one given at close (never looked up), and every
 * entry is in the terms' currency, so a ledger never mixes currencies.
 */

const DAY_MS = 86_400_000;

export const LEDGER_ENTRY_KINDS = ['referral_fee', 'revenue_share'] as const;
export type LedgerEntryKind = (typeof LEDGER_ENTRY_KINDS)[number];

/** What a deal closed at: the figures the introduced side reports when it marks a referral won. */
export interface DealFigures {
  closedAt: string;
  /** The deal's value, in minor units of its own currency. */
  amountMinor: number;
  currency: string;
  /** Units of the terms' currency per unit of the deal's, at close; absent when the deal is in the terms' currency. */
  exchangeRate?: string;
  /** The revenue the share applies to, in minor units of the deal's currency; the deal value when absent. */
  revenueMinor?: number;
}

export const AttributionSchema = z
  .discriminatedUnion('outcome', [
    z.object({
      outcome: z.literal('attributed'),
      windowEndsAt: z.iso.datetime(),
      totalMinor: z.int().describe('what the referral owes, fee and share together, in minor units of the terms’ currency'),
      currency: CurrencySchema,
      capped: z.boolean().describe('true when the cap bounded the total'),
      message: z.string(),
    }),
    z.object({ outcome: z.literal('outside_window'), windowEndsAt: z.iso.datetime(), message: z.string() }),
    z.object({ outcome: z.literal('no_incentives'), windowEndsAt: z.iso.datetime(), message: z.string() }),
  ])
  .meta({ id: 'Attribution', description: 'whether a won referral owes anything under the terms, and why' });
export type Attribution = z.output<typeof AttributionSchema>;

export interface SharePart {
  kind: LedgerEntryKind;
  bps: number;
  amountMinor: number;
  /** The figure the part is computed on, in minor units of the deal's currency. */
  basisMinor: number;
  /** That figure in minor units of the terms' currency, rounded half to even (for display and statements). */
  convertedMinor: number;
}

export interface ReferralShare {
  attribution: Attribution;
  /** The parts to book, each non-zero; empty unless attributed. */
  parts: SharePart[];
}

/** The end of the attribution window of an introduction: `attributionWindowDays` after it. */
export function windowEndOf(introducedAt: string, incentives: Pick<Terms['incentives'], 'attributionWindowDays'>): string {
  return new Date(Date.parse(introducedAt) + incentives.attributionWindowDays * DAY_MS).toISOString();
}

function rateOf(deal: DealFigures, termsCurrency: string): Rational {
  if (deal.currency === termsCurrency) return { num: 1n, den: 1n };
  if (deal.exchangeRate === undefined) throw new RangeError(`a deal in ${deal.currency} needs an exchange rate to ${termsCurrency}`);
  return parseDecimal(deal.exchangeRate);
}

/** A deal's value in minor units of the terms' currency at the rate given, rounded half to even. */
export function convertedValue(deal: DealFigures, termsCurrency: string): number {
  const exact = convertExact(deal.amountMinor, deal.currency, termsCurrency, rateOf(deal, termsCurrency));
  const rounded = roundHalfEven(exact.num, exact.den);
  if (rounded > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ValidationError(`the deal value in ${termsCurrency} is beyond what Accord can book exactly`, {
      code: 'amount_out_of_range',
      details: [{ path: 'amountMinor', message: `is over ${Number.MAX_SAFE_INTEGER} minor units of ${termsCurrency} at the exchange rate given` }],
    });
  }
  return Number(rounded);
}

/**
 * What a referral introduced at `introducedAt` and won with `deal` owes under
 * the incentives: the attribution (within the window or not, capped or not)
 * and the parts to book.
 */
export function computeReferralShare(incentives: Terms['incentives'], deal: DealFigures, introducedAt: string): ReferralShare {
  const windowEndsAt = windowEndOf(introducedAt, incentives);
  const currency = incentives.currency;
  if (Date.parse(deal.closedAt) > Date.parse(windowEndsAt)) {
    const days = Math.floor((Date.parse(deal.closedAt) - Date.parse(introducedAt)) / DAY_MS);
    return {
      attribution: {
        outcome: 'outside_window',
        windowEndsAt,
        message: `no fee or share: the deal closed ${days} days after the introduction, after the attribution window of ${incentives.attributionWindowDays} days ended (${windowEndsAt})`,
      },
      parts: [],
    };
  }
  if (incentives.referralFeeBps === 0 && incentives.revenueShareBps === 0) {
    return { attribution: { outcome: 'no_incentives', windowEndsAt, message: 'no fee or share: the terms set neither a referral fee nor a revenue share' }, parts: [] };
  }
  const rate = rateOf(deal, currency);
  const revenueMinor = deal.revenueMinor ?? deal.amountMinor;
  const dealExact = convertExact(deal.amountMinor, deal.currency, currency, rate);
  const revenueExact = convertExact(revenueMinor, deal.currency, currency, rate);
  for (const [path, value] of [['amountMinor', dealExact], ['revenueMinor', revenueExact]] as const) {
    if (value.num / value.den > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ValidationError(`the ${path === 'amountMinor' ? 'deal value' : 'revenue'} in ${currency} is beyond what Accord can book exactly`, {
        code: 'amount_out_of_range',
        details: [{ path, message: `is over ${Number.MAX_SAFE_INTEGER} minor units of ${currency} at the exchange rate given` }],
      });
    }
  }
  const candidates = [
    { kind: 'referral_fee' as const, bps: incentives.referralFeeBps, basisMinor: deal.amountMinor, converted: dealExact, exact: timesBps(dealExact, incentives.referralFeeBps) },
    { kind: 'revenue_share' as const, bps: incentives.revenueShareBps, basisMinor: revenueMinor, converted: revenueExact, exact: timesBps(revenueExact, incentives.revenueShareBps) },
  ].filter((candidate) => candidate.bps > 0);

  const exactTotal = candidates.reduce<Rational>((sum, candidate) => addRationals(sum, candidate.exact), { num: 0n, den: 1n });
  const rounded = roundHalfEven(exactTotal.num, exactTotal.den);
  const cap = incentives.capMinorUnits === undefined ? undefined : BigInt(incentives.capMinorUnits);
  const capped = cap !== undefined && rounded > cap;
  const total = capped ? cap : rounded;
  const amounts = apportion(
    total,
    candidates.map((candidate) => candidate.exact),
  );
  const parts = candidates
    .map((candidate, index) => ({
      kind: candidate.kind,
      bps: candidate.bps,
      amountMinor: toSafeNumber(amounts[index] ?? 0n),
      basisMinor: candidate.basisMinor,
      convertedMinor: toSafeNumber(roundHalfEven(candidate.converted.num, candidate.converted.den)),
    }))
    .filter((part) => part.amountMinor !== 0);
  const totalMinor = toSafeNumber(total);
  return {
    attribution: {
      outcome: 'attributed',
      windowEndsAt,
      totalMinor,
      currency,
      capped,
      message: capped
        ? `the deal closed within the attribution window; fee and share together reach the cap of ${incentives.capMinorUnits} minor units`
        : 'the deal closed within the attribution window',
    },
    parts,
  };
}

// ---------------------------------------------------------------------------
// Entries

export const LedgerEntrySchema = z
  .object({
    id: z.string().describe('led_...'),
    agreementId: z.string(),
    referralId: z.string(),
    runId: z.string(),
    matchId: z.string(),
    account: z.object({ name: z.string(), domain: z.string().optional() }).describe('the account of the referral'),
    kind: z.enum(LEDGER_ENTRY_KINDS),
    amountMinor: z.int().describe('minor units of `currency`; negative for a reversal'),
    currency: CurrencySchema.describe('always the terms’ currency'),
    payerId: z.string().describe('the partner that pays: the side introduced'),
    payeeId: z.string().describe('the partner that is paid: the side that introduced'),
    payerSide: SideSchema,
    payeeSide: SideSchema,
    basis: z
      .object({
        amountMinor: z.int().describe('the deal value (fee) or the revenue (share), in minor units of the deal’s currency'),
        currency: CurrencySchema.describe('the deal’s currency'),
        exchangeRate: ExchangeRateSchema.describe('units of the terms’ currency per unit of the deal’s, given at close; "1" when the same'),
        convertedMinor: z.int().describe('the amount in minor units of the terms’ currency, rounded half to even'),
        bps: z.int().describe('the terms’ basis points applied'),
      })
      .describe('what the entry was computed from'),
    closedAt: z.iso.datetime().describe('when the deal closed'),
    bookedAt: z.iso.datetime().describe('when the entry was written; statements group entries by it'),
    termsVersion: z.int(),
    termsHash: z.string(),
    reversesEntryId: z.string().optional().describe('set on a reversal: the entry it cancels'),
  })
  .meta({ id: 'LedgerEntry', description: 'one line of an agreement’s revenue-share ledger; entries are never changed, only reversed' });
export type LedgerEntry = z.output<typeof LedgerEntrySchema>;

/** The facts of a referral an entry carries. */
export interface EntryContext {
  agreementId: string;
  referralId: string;
  runId: string;
  matchId: string;
  account: { name: string; domain?: string };
  payer: { partnerId: string; side: Side };
  payee: { partnerId: string; side: Side };
  termsVersion: number;
  termsHash: string;
  /** The terms' currency: every entry's. */
  currency: string;
}

/** The entries that book a share's parts at `bookedAt`, with ids from `newEntryId`. */
export function entriesOfShare(context: EntryContext, deal: DealFigures, parts: readonly SharePart[], bookedAt: string, newEntryId: () => string): LedgerEntry[] {
  return parts.map((part) => ({
    id: newEntryId(),
    agreementId: context.agreementId,
    referralId: context.referralId,
    runId: context.runId,
    matchId: context.matchId,
    account: context.account,
    kind: part.kind,
    amountMinor: part.amountMinor,
    currency: context.currency,
    payerId: context.payer.partnerId,
    payeeId: context.payee.partnerId,
    payerSide: context.payer.side,
    payeeSide: context.payee.side,
    basis: { amountMinor: part.basisMinor, currency: deal.currency, exchangeRate: deal.exchangeRate ?? '1', convertedMinor: part.convertedMinor, bps: part.bps },
    closedAt: deal.closedAt,
    bookedAt,
    termsVersion: context.termsVersion,
    termsHash: context.termsHash,
  }));
}

/** Entries that cancel `entries` (those not reversed yet), booked at `bookedAt`. */
export function reversalsOf(entries: readonly LedgerEntry[], bookedAt: string, newEntryId: () => string): LedgerEntry[] {
  const reversed = new Set(entries.flatMap((entry) => (entry.reversesEntryId ? [entry.reversesEntryId] : [])));
  return entries
    .filter((entry) => entry.reversesEntryId === undefined && !reversed.has(entry.id))
    .map((entry) => ({ ...entry, id: newEntryId(), amountMinor: -entry.amountMinor, bookedAt, reversesEntryId: entry.id }));
}

// ---------------------------------------------------------------------------
// Balances and statements

export interface Balance {
  currency: string;
  payerId: string;
  payeeId: string;
  amountMinor: number;
  entries: number;
}

/** What each party owes the other, per currency: the sum of the entries per payer and payee, in a stable order. */
export function balancesOf(entries: readonly LedgerEntry[]): Balance[] {
  const balances = new Map<string, Balance>();
  for (const entry of entries) {
    const key = `${entry.currency}\u0000${entry.payerId}\u0000${entry.payeeId}`;
    const balance = balances.get(key) ?? { currency: entry.currency, payerId: entry.payerId, payeeId: entry.payeeId, amountMinor: 0, entries: 0 };
    balance.amountMinor += entry.amountMinor;
    balance.entries += 1;
    balances.set(key, balance);
  }
  return [...balances.values()].sort((a, b) => a.currency.localeCompare(b.currency) || a.payerId.localeCompare(b.payerId) || a.payeeId.localeCompare(b.payeeId));
}

/**
 * Entries in the order both sides see them: by booking time; within one
 * booking, by referral, reversals before new entries, the fee before the share.
 */
export function sortEntries(entries: readonly LedgerEntry[]): LedgerEntry[] {
  const rank = (entry: LedgerEntry) => (entry.reversesEntryId ? 0 : 2) + LEDGER_ENTRY_KINDS.indexOf(entry.kind) / 2;
  return [...entries].sort(
    (a, b) => a.bookedAt.localeCompare(b.bookedAt) || a.referralId.localeCompare(b.referralId) || rank(a) - rank(b) || a.id.localeCompare(b.id),
  );
}

export interface Period {
  /** Inclusive, ISO-8601 UTC. */
  from: string;
  /** Exclusive, ISO-8601 UTC. */
  to: string;
  label: string;
}

/** A calendar month `YYYY-MM` (UTC) as a period. */
export function monthPeriod(month: string): Period {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match) throw new RangeError(`not a month YYYY-MM: ${month}`);
  const year = Number(match[1]);
  const index = Number(match[2]) - 1;
  return { from: new Date(Date.UTC(year, index, 1)).toISOString(), to: new Date(Date.UTC(year, index + 1, 1)).toISOString(), label: month };
}

/** Dates `from` to `to` (both `YYYY-MM-DD`, both included, UTC) as a period. */
export function datePeriod(from: string, to: string): Period {
  const start = Date.parse(`${from}T00:00:00.000Z`);
  const end = Date.parse(`${to}T00:00:00.000Z`) + DAY_MS;
  if (Number.isNaN(start) || Number.isNaN(end) || end <= start) throw new RangeError(`not a period: ${from} to ${to}`);
  return { from: new Date(start).toISOString(), to: new Date(end).toISOString(), label: `${from}..${to}` };
}

export function inPeriod(entry: Pick<LedgerEntry, 'bookedAt'>, period: Period): boolean {
  return entry.bookedAt >= period.from && entry.bookedAt < period.to;
}

export const STATEMENT_HEADER = [
  'booked_at',
  'line',
  'entry_id',
  'kind',
  'referral_id',
  'match_id',
  'account',
  'account_domain',
  'payer',
  'payee',
  'amount',
  'currency',
  'amount_minor',
  'deal_closed_at',
  'basis_amount',
  'basis_currency',
  'exchange_rate',
  'basis_in_terms_currency',
  'bps',
  'reverses_entry_id',
] as const;

/**
 * A period's statement as CSV: one line per entry booked in the period
 * (oldest first), then one `total` line per payer, payee and currency. Amounts
 * are given in major units (`1234.56`) and in minor units; partners are named
 * by `names` (their ids when unknown). Cells are formula-safe (shared/csv.ts).
 */
export function statementCsv(entries: readonly LedgerEntry[], period: Period, names: Readonly<Record<string, string>>): string {
  const inside = sortEntries(entries.filter((entry) => inPeriod(entry, period)));
  const name = (partnerId: string) => names[partnerId] ?? partnerId;
  const lines = inside.map((entry) => [
    entry.bookedAt,
    'entry',
    entry.id,
    entry.kind,
    entry.referralId,
    entry.matchId,
    entry.account.name,
    entry.account.domain,
    name(entry.payerId),
    name(entry.payeeId),
    minorToDecimal(entry.amountMinor, entry.currency),
    entry.currency,
    entry.amountMinor,
    entry.closedAt,
    minorToDecimal(entry.basis.amountMinor, entry.basis.currency),
    entry.basis.currency,
    entry.basis.exchangeRate,
    minorToDecimal(entry.basis.convertedMinor, entry.currency),
    entry.basis.bps,
    entry.reversesEntryId,
  ]);
  const totals = balancesOf(inside).map((balance) => [
    undefined,
    'total',
    undefined,
    undefined,
    undefined,
    undefined,
    `${balance.entries} entries booked ${period.label}`,
    undefined,
    name(balance.payerId),
    name(balance.payeeId),
    minorToDecimal(balance.amountMinor, balance.currency),
    balance.currency,
    balance.amountMinor,
  ]);
  return toCsv(STATEMENT_HEADER, [...lines, ...totals]);
}
