import type { Agreement } from '../../../shared/agreement.ts';
import type { RunView } from '../../../shared/run.ts';
import type { Side } from '../../../shared/terms.ts';

/**
 * What an agreement is waiting for, and on whom, as the calling partner sees
 * it: the console's list and agreement pages say it in one line.
 */
export interface Waiting {
  /** Who must act next: this partner, the other one, both, the system, or nobody (ended). */
  on: 'you' | 'partner' | 'both' | 'system' | 'nobody';
  /** What, in words, e.g. "your approval of the terms". */
  what: string;
}

const ENDED: Record<string, string> = {
  lapsed: 'nothing: the run lapsed at its deadline',
  withheld: 'nothing: the results were withheld',
  declined: 'nothing: the agreement was declined',
  withdrawn: 'nothing: the agreement was withdrawn',
  expired: 'nothing: the agreement expired',
};

function whose(missing: readonly Side[], mySide: Side, what: string): Waiting {
  if (missing.length === 2) return { on: 'both', what: `both sides’ ${what}` };
  if (missing[0] === mySide) return { on: 'you', what: `your ${what}` };
  return { on: 'partner', what: `the partner’s ${what}` };
}

/** Whether the side has approved the current terms (their hash). */
export function hasApprovedTerms(agreement: Pick<Agreement, 'approvals' | 'terms' | 'proposerId' | 'counterpartyId'>, side: Side): boolean {
  const partnerId = side === 'proposer' ? agreement.proposerId : agreement.counterpartyId;
  return agreement.approvals.some((approval) => approval.partnerId === partnerId && approval.termsHash === agreement.terms.hash);
}

/**
 * What the agreement waits for. `run` is its current run when it awaits
 * contributions (without it, the line names both sides' contributions).
 */
export function waitingOn(agreement: Agreement, mySide: Side, run?: Pick<RunView, 'contributed'>): Waiting {
  switch (agreement.status) {
    case 'proposed': {
      if (agreement.counterpartyId === undefined) {
        return { on: 'partner', what: `the invited company (${agreement.invitation?.email ?? 'by e-mail'}) to sign up` };
      }
      const missing = (['proposer', 'counterparty'] as const).filter((side) => !hasApprovedTerms(agreement, side));
      if (missing.length === 0) return { on: 'system', what: 'the run to open' };
      return whose(missing, mySide, `approval of terms version ${agreement.terms.version}`);
    }
    case 'awaiting_contributions': {
      if (!agreement.currentRunId || !run) return { on: 'system', what: 'the run to open' };
      const missing = (['proposer', 'counterparty'] as const).filter((side) => !run.contributed[side]);
      if (missing.length === 0) return { on: 'system', what: 'matching to start' };
      return whose(missing, mySide, 'contribution');
    }
    case 'matching':
      return { on: 'system', what: 'matching to finish' };
    case 'awaiting_release':
      return { on: 'both', what: 'both sides’ approval of the results' };
    case 'released':
    case 'withheld':
    case 'lapsed':
      if (agreement.terms.schedule.recurrenceEveryDays !== undefined) return { on: 'system', what: `the next run (every ${agreement.terms.schedule.recurrenceEveryDays} days)` };
      return { on: 'nobody', what: agreement.status === 'released' ? 'nothing: the results are released' : ENDED[agreement.status] ?? 'nothing' };
    default:
      return { on: 'nobody', what: ENDED[agreement.status] ?? 'nothing' };
  }
}
