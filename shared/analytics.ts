import { z } from 'zod';
import type { Agreement } from './agreement.ts';
import type { LedgerEntry } from './ledger.ts';
import { REFERRAL_STAGES, type Referral, type ReferralStage } from './referral.ts';
import type { Run } from './run.ts';
import { otherSide, POPULATIONS, type Population, type Side } from './terms.ts';
import { effectiveVisibility, VISIBILITY_RANK } from './visibility.ts';

/**
 * What a mapping programme produced, per agreement and per partner, as one
 * party may know it: overlap per cell over released runs (a count only where
 * the asking side sees the cell at least as a count; never the count of a cell
 * hidden to it), how long contributions and approvals took, how many
 * reminders it took, referrals by stage, won revenue and the revenue share.
 * Pure: the handlers read the stored facts and pass them in.
 */

const Seconds = z.int().nullable().describe('seconds; null when it has not happened');
const NineBoxCountsSchema = z
  .record(z.enum(POPULATIONS), z.record(z.enum(POPULATIONS), z.int().nullable()))
  .describe('[my population][their population]: matches, or null where the cell is hidden to me');

const ByStageSchema = z.record(z.enum(REFERRAL_STAGES), z.int());

const MoneyByCurrencySchema = z
  .object({
    currency: z.string(),
    wonDeals: z.int().describe('won referrals with a deal in this currency of the terms'),
    wonValueMinor: z.int().describe('the value of those deals, converted to the terms’ currency at the rates given at close'),
    receivableMinor: z.int().describe('what the ledger says the other side owes me (fees and shares, net of reversals)'),
    payableMinor: z.int().describe('what the ledger says I owe the other side'),
  })
  .meta({ id: 'RevenueFigures' });

export const RunAnalyticsSchema = z
  .object({
    runId: z.string(),
    openedAt: z.iso.datetime(),
    status: z.string(),
    releasedAt: z.iso.datetime().nullable().describe('null until the results are released: no overlap is shown before'),
    nineBox: NineBoxCountsSchema.nullable(),
    timeToContribute: z.object({ mine: Seconds, theirs: Seconds }).describe('from the run’s opening to each side’s accepted contribution'),
    remindersSent: z.object({ mine: z.int(), theirs: z.int() }).describe('reminders sent to each side: to contribute, and to approve the results'),
    timeToApproveResults: z.object({ mine: Seconds, theirs: Seconds }).describe('from the results being ready to each side’s approval of them'),
  })
  .meta({ id: 'RunAnalytics' });
export type RunAnalytics = z.output<typeof RunAnalyticsSchema>;

export const AgreementAnalyticsSchema = z
  .object({
    agreementId: z.string(),
    side: z.enum(['proposer', 'counterparty']),
    status: z.string(),
    currency: z.string().describe('the terms’ currency'),
    timeToApproveTerms: z.object({ mine: Seconds, theirs: Seconds }).describe('from the proposal of the terms version in force to each side’s approval of it'),
    runs: z.array(RunAnalyticsSchema).describe('oldest first'),
    overlap: z.object({
      releasedRuns: z.int(),
      byCell: NineBoxCountsSchema.describe('matches per cell summed over released runs; null where the cell is hidden to me'),
      total: z.int().describe('the sum of the cells I may count'),
    }),
    referrals: z.object({ total: z.int(), byStage: ByStageSchema, disputed: z.int().describe('referrals with a dispute open now') }),
    revenue: MoneyByCurrencySchema,
  })
  .meta({ id: 'AgreementAnalytics' });
export type AgreementAnalytics = z.output<typeof AgreementAnalyticsSchema>;

export const PartnerAnalyticsSchema = z
  .object({
    partnerId: z.string(),
    agreements: z.object({ total: z.int(), byStatus: z.record(z.string(), z.int()) }),
    overlap: z.object({ releasedRuns: z.int(), byCell: NineBoxCountsSchema, total: z.int() }),
    medianTimeToContribute: Seconds.describe('over runs in which my side contributed'),
    medianTimeToApproveTerms: Seconds.describe('over agreements whose terms my side approved'),
    remindersReceived: z.int().describe('reminders sent to my side, to contribute and to approve results'),
    referrals: z.object({ total: z.int(), byStage: ByStageSchema, disputed: z.int() }),
    revenue: z.array(MoneyByCurrencySchema).describe('per terms currency, never added across currencies'),
    perAgreement: z.array(AgreementAnalyticsSchema),
  })
  .meta({ id: 'PartnerAnalytics' });
export type PartnerAnalytics = z.output<typeof PartnerAnalyticsSchema>;

type Counts = Record<Population, Record<Population, number | null>>;

function seconds(from: string | undefined, to: string | undefined): number | null {
  if (from === undefined || to === undefined) return null;
  return Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
}

function emptyCounts(value: (mine: Population, theirs: Population) => number | null): Counts {
  const row = (mine: Population) => Object.fromEntries(POPULATIONS.map((theirs) => [theirs, value(mine, theirs)])) as Record<Population, number | null>;
  return { customer: row('customer'), opportunity: row('opportunity'), prospect: row('prospect') };
}

/** Whether `side` may count the cell [mine][theirs] under the agreement's terms. */
function countable(agreement: Agreement, side: Side, mine: Population, theirs: Population): boolean {
  return VISIBILITY_RANK[effectiveVisibility(agreement.terms, side, mine, theirs).level] >= VISIBILITY_RANK.count;
}

/** A run's 9-box (stored from the proposer's side) as `side` may see it: transposed for the counterparty, hidden cells null. */
export function visibleNineBox(agreement: Agreement, side: Side, nineBox: Record<string, Record<string, number>>): Counts {
  return emptyCounts((mine, theirs) => {
    if (!countable(agreement, side, mine, theirs)) return null;
    const [proposers, counterparties] = side === 'proposer' ? [mine, theirs] : [theirs, mine];
    return nineBox[proposers]?.[counterparties] ?? 0;
  });
}

/** Reminders sent to `side`: to contribute (before its contribution) and to approve the results (before its approval). */
function remindersTo(run: Run, side: Side): number {
  const contributedAt = run.contributions[side]?.acceptedAt;
  const approvedAt = run.release?.approvals[side]?.at;
  const before = (until: string | undefined) => (time: string) => until === undefined || time < until;
  return run.remindersSent.filter(before(contributedAt)).length + (run.release?.remindersSent.filter(before(approvedAt)).length ?? 0);
}

/** When a run's results were released (also once they expired: the counts were known then), or undefined. */
export function releasedAtOf(run: Run): string | undefined {
  return run.status === 'released' || run.status === 'expired' ? run.release?.releasedAt : undefined;
}

export function agreementAnalytics(input: {
  agreement: Agreement;
  side: Side;
  runs: readonly Run[];
  referrals: readonly Referral[];
  ledger: readonly LedgerEntry[];
}): AgreementAnalytics {
  const { agreement, side } = input;
  const other = otherSide(side);
  const partyOf = (s: Side) => (s === 'proposer' ? agreement.proposerId : agreement.counterpartyId);
  const me = partyOf(side);
  const approvalAt = (s: Side) =>
    agreement.approvals.find((approval) => approval.partnerId === partyOf(s) && approval.termsHash === agreement.terms.hash)?.at;

  const runs = [...input.runs]
    .sort((a, b) => a.openedAt.localeCompare(b.openedAt))
    .map((run): RunAnalytics => {
      const releasedAt = releasedAtOf(run);
      return {
        runId: run.id,
        openedAt: run.openedAt,
        status: run.status,
        releasedAt: releasedAt ?? null,
        nineBox: releasedAt && run.summary ? visibleNineBox(agreement, side, run.summary.nineBox) : null,
        timeToContribute: {
          mine: seconds(run.openedAt, run.contributions[side]?.acceptedAt),
          theirs: seconds(run.openedAt, run.contributions[other]?.acceptedAt),
        },
        remindersSent: { mine: remindersTo(run, side), theirs: remindersTo(run, other) },
        timeToApproveResults: {
          mine: seconds(run.release?.readyAt, run.release?.approvals[side]?.at),
          theirs: seconds(run.release?.readyAt, run.release?.approvals[other]?.at),
        },
      };
    });

  const released = runs.filter((run) => run.nineBox !== null);
  const byCell = emptyCounts((mine, theirs) =>
    countable(agreement, side, mine, theirs) ? released.reduce((sum, run) => sum + (run.nineBox?.[mine][theirs] ?? 0), 0) : null,
  );

  const currency = agreement.terms.incentives.currency;
  const won = input.referrals.filter((referral) => referral.stage === 'won');
  const wonValueMinor = won.reduce((sum, referral) => sum + (referral.dealValueMinor ?? 0), 0);

  return {
    agreementId: agreement.id,
    side,
    status: agreement.status,
    currency,
    timeToApproveTerms: { mine: seconds(agreement.terms.proposedAt, approvalAt(side)), theirs: seconds(agreement.terms.proposedAt, approvalAt(other)) },
    runs,
    overlap: { releasedRuns: released.length, byCell, total: sumCounts(byCell) },
    referrals: referralCounts(input.referrals),
    revenue: {
      currency,
      wonDeals: won.length,
      wonValueMinor,
      receivableMinor: input.ledger.filter((entry) => entry.payeeId === me).reduce((sum, entry) => sum + entry.amountMinor, 0),
      payableMinor: input.ledger.filter((entry) => entry.payerId === me).reduce((sum, entry) => sum + entry.amountMinor, 0),
    },
  };
}

function sumCounts(counts: Counts): number {
  return POPULATIONS.reduce((sum, mine) => sum + POPULATIONS.reduce((row, theirs) => row + (counts[mine][theirs] ?? 0), 0), 0);
}

function referralCounts(referrals: readonly Referral[]): { total: number; byStage: Record<ReferralStage, number>; disputed: number } {
  const byStage = Object.fromEntries(REFERRAL_STAGES.map((stage) => [stage, 0])) as Record<ReferralStage, number>;
  for (const referral of referrals) byStage[referral.stage] += 1;
  return { total: referrals.length, byStage, disputed: referrals.filter((referral) => referral.dispute !== undefined).length };
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : Math.round((sorted[middle - 1]! + sorted[middle]!) / 2);
}

/** A partner's programme across its agreements, from each agreement's analytics as the partner sees it. */
export function partnerAnalytics(partnerId: string, perAgreement: readonly AgreementAnalytics[]): PartnerAnalytics {
  const byStatus: Record<string, number> = {};
  for (const agreement of perAgreement) byStatus[agreement.status] = (byStatus[agreement.status] ?? 0) + 1;
  const byCell = emptyCounts((mine, theirs) => {
    const visible = perAgreement.map((agreement) => agreement.overlap.byCell[mine][theirs]).filter((count): count is number => count !== null);
    return visible.length === 0 ? null : visible.reduce((a, b) => a + b, 0);
  });
  const byStage = Object.fromEntries(REFERRAL_STAGES.map((stage) => [stage, 0])) as Record<ReferralStage, number>;
  for (const agreement of perAgreement) for (const stage of REFERRAL_STAGES) byStage[stage] += agreement.referrals.byStage[stage];
  const revenue = new Map<string, z.output<typeof MoneyByCurrencySchema>>();
  for (const { revenue: figures } of perAgreement) {
    const sum = revenue.get(figures.currency) ?? { currency: figures.currency, wonDeals: 0, wonValueMinor: 0, receivableMinor: 0, payableMinor: 0 };
    sum.wonDeals += figures.wonDeals;
    sum.wonValueMinor += figures.wonValueMinor;
    sum.receivableMinor += figures.receivableMinor;
    sum.payableMinor += figures.payableMinor;
    revenue.set(figures.currency, sum);
  }
  const runs = perAgreement.flatMap((agreement) => agreement.runs);
  return {
    partnerId,
    agreements: { total: perAgreement.length, byStatus },
    overlap: { releasedRuns: perAgreement.reduce((sum, agreement) => sum + agreement.overlap.releasedRuns, 0), byCell, total: sumCounts(byCell) },
    medianTimeToContribute: median(runs.map((run) => run.timeToContribute.mine).filter((value): value is number => value !== null)),
    medianTimeToApproveTerms: median(perAgreement.map((agreement) => agreement.timeToApproveTerms.mine).filter((value): value is number => value !== null)),
    remindersReceived: runs.reduce((sum, run) => sum + run.remindersSent.mine, 0),
    referrals: {
      total: perAgreement.reduce((sum, agreement) => sum + agreement.referrals.total, 0),
      byStage,
      disputed: perAgreement.reduce((sum, agreement) => sum + agreement.referrals.disputed, 0),
    },
    revenue: [...revenue.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
    perAgreement: [...perAgreement],
  };
}
