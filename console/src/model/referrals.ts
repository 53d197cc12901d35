import type { LedgerEntry } from '../../../shared/ledger.ts';
import type { Referral, ReferralStage } from '../../../shared/referral.ts';
import { formatMoney, type Side } from '../../../shared/terms.ts';

/**
 * Referrals and the ledger as the console shows them to one side: the
 * pipeline by stage, who introduced whom, and who owes whom, in words.
 */

export const PIPELINE_STAGES: readonly ReferralStage[] = ['proposed', 'accepted', 'opportunity', 'won', 'lost', 'declined', 'void'];

export interface PipelineStage {
  stage: ReferralStage;
  count: number;
  /** Open deal values (opportunity) or deal values (won), per currency, in words; empty when none. */
  amounts: string[];
}

function sumByCurrency(items: readonly { amountMinor: number; currency: string }[]): string[] {
  const sums = new Map<string, number>();
  for (const item of items) sums.set(item.currency, (sums.get(item.currency) ?? 0) + item.amountMinor);
  return [...sums.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => formatMoney(amount, currency));
}

export function pipeline(referrals: readonly Referral[]): PipelineStage[] {
  return PIPELINE_STAGES.map((stage) => {
    const inStage = referrals.filter((referral) => referral.stage === stage);
    const amounts =
      stage === 'opportunity'
        ? sumByCurrency(inStage.flatMap((referral) => (referral.opportunity ? [referral.opportunity] : [])))
        : stage === 'won'
          ? sumByCurrency(inStage.flatMap((referral) => (referral.deal ? [referral.deal] : [])))
          : [];
    return { stage, count: inStage.length, amounts };
  });
}

/** "the partner introduced you" / "you introduced the partner" */
export function directionWords(referral: Pick<Referral, 'introducer'>, mySide: Side): string {
  return referral.introducer === mySide ? 'you introduced the partner' : 'the partner introduced you';
}

/** What the referral is waiting for, from the reader's side; undefined when nothing. */
export function referralNextStep(referral: Referral, mySide: Side): string | undefined {
  if (referral.dispute) return 'a settlement of the dispute by both sides';
  switch (referral.stage) {
    case 'proposed':
      return referral.registeredBy === mySide ? 'the partner to accept it' : 'you to accept or decline it';
    case 'accepted':
    case 'opportunity':
      return referral.introduced === mySide ? 'your deal: record it, mark it won or lost' : 'the partner’s deal';
    default:
      return undefined;
  }
}

/** A ledger line's amount as signed money: reversals are negative. */
export function entryAmount(entry: Pick<LedgerEntry, 'amountMinor' | 'currency'>): string {
  return entry.amountMinor < 0 ? `−${formatMoney(-entry.amountMinor, entry.currency)}` : formatMoney(entry.amountMinor, entry.currency);
}

export interface BalanceLike {
  currency: string;
  payerId: string;
  payeeId: string;
  amountMinor: number;
  entries: number;
}

/** "You owe the partner USD 70.00 (1 entry)." from the reader's partner id. */
export function balanceWords(balance: BalanceLike, myPartnerId: string): string {
  const entries = `${balance.entries} ${balance.entries === 1 ? 'entry' : 'entries'}`;
  if (balance.amountMinor === 0) return `Nothing is owed in ${balance.currency} (${entries}, reversed in full).`;
  const amount = formatMoney(Math.abs(balance.amountMinor), balance.currency);
  const payerIsMe = (balance.amountMinor > 0 ? balance.payerId : balance.payeeId) === myPartnerId;
  return payerIsMe ? `You owe the partner ${amount} (${entries}).` : `The partner owes you ${amount} (${entries}).`;
}
