import { type Agreement, isOpen } from '../shared/agreement.ts';
import type { AuditEvent } from '../shared/audit-chain.ts';
import type { Contribution } from '../shared/contributions/contribution.ts';
import type { RunView } from '../shared/run.ts';
import type { PartyNames, Side } from '../shared/terms.ts';
import { plural, when } from './format.ts';

/** An agreement as one party reads it: who is who, what waits on whom, what happened when. */

export interface Me {
  id: string;
  name: string;
}

export function mySide(agreement: Pick<Agreement, 'proposerId' | 'counterpartyId'>, me: Me): Side | undefined {
  if (agreement.proposerId === me.id) return 'proposer';
  if (agreement.counterpartyId === me.id) return 'counterparty';
  return undefined;
}

export function otherPartyId(agreement: Pick<Agreement, 'proposerId' | 'counterpartyId' | 'invitation'>, me: Me): string {
  if (agreement.proposerId === me.id) return agreement.counterpartyId ?? (agreement.invitation ? `invited: ${agreement.invitation.email}` : '-');
  return agreement.proposerId;
}

/** Names for the plain-language terms: your company's, and "your partner". */
export function partyNames(agreement: Pick<Agreement, 'proposerId' | 'counterpartyId'>, me: Me): PartyNames {
  const side = mySide(agreement, me);
  return side === 'counterparty' ? { proposer: 'your partner', counterparty: me.name } : { proposer: me.name, counterparty: 'your partner' };
}

function who(partnerId: string, me: Me): string {
  if (partnerId === 'system') return 'Accord';
  return partnerId === me.id ? 'you' : 'your partner';
}

/** What the agreement waits for, and from whom. */
export function waitingOn(agreement: Agreement, me: Me): string {
  switch (agreement.status) {
    case 'proposed': {
      if (!agreement.counterpartyId) return `the invitee to sign up (${agreement.invitation?.email ?? 'invited'})`;
      const approved = new Set(agreement.approvals.filter((a) => a.termsHash === agreement.terms.hash).map((a) => a.partnerId));
      const missing = [agreement.proposerId, agreement.counterpartyId].filter((id) => !approved.has(id)).map((id) => who(id, me));
      return missing.length === 2 ? 'approval of the terms by both' : `approval of the terms by ${missing[0] ?? 'nobody'}`;
    }
    case 'awaiting_contributions':
      return 'contributions';
    case 'matching':
      return 'matching';
    case 'awaiting_release':
      return 'approval of the results';
    default:
      return isOpen(agreement) ? `the next run (every ${agreement.terms.schedule.recurrenceEveryDays ?? '-'} days)` : '-';
  }
}

const ACTIONS: Record<string, (event: AuditEvent) => string> = {
  proposed: (e) => `proposed terms v${e.termsVersion}`,
  counter_proposed: (e) => `counter-proposed terms v${e.termsVersion}`,
  approved: (e) => `approved terms v${e.termsVersion}`,
  invitation_accepted: () => 'accepted the invitation',
  run_opened: (e) => `opened run ${typeof e.details?.runId === 'string' ? `${e.details.runId} ` : ''}for contributions`,
  matching_started: () => 'started matching both contributions',
  matching_completed: (e) => `matched${typeof e.details?.pairs === 'number' ? `: ${plural(e.details.pairs, 'pair')}` : ''}, results await approval`,
  results_ready: () => 'made the results ready: both sides approve them before release',
  results_approved: () => 'approved the results',
  results_released: (e) => `approved the results too: released${typeof e.details?.expiresAt === 'string' ? `, kept until ${when(e.details.expiresAt)}` : ''}`,
  results_declined: () => 'declined the results: nothing is released',
  results_withheld: () => 'withheld the results: not both approved by the deadline',
  results_expired: () => 'deleted the results: their time ran out',
  results_deleted: () => 'deleted the results',
  lapsed: () => 'lapsed the run: a contribution was missing at the deadline',
  declined: () => 'declined the agreement',
  withdrawn: () => 'withdrew from the agreement',
  expired: () => 'expired the proposal',
};

export interface TimelineEntry {
  at: string;
  what: string;
  /** Still to come. */
  upcoming?: boolean;
}

/** The agreement's history from its audit log, and the current run's schedule and your contributions. */
export function timeline(events: readonly AuditEvent[], me: Me, run: RunView | undefined, contributions: readonly Contribution[], now: Date): TimelineEntry[] {
  const entries: TimelineEntry[] = events.map((event) => {
    const describe = ACTIONS[event.action] ?? ((e: AuditEvent) => e.action.replace(/[_.]/g, ' '));
    const reason = typeof event.details?.reason === 'string' ? ` (“${event.details.reason}”)` : '';
    const actor = who(event.actor.partnerId, me);
    return { at: event.at, what: `${actor === 'Accord' ? 'Accord' : actor} ${describe(event)}${reason}` };
  });
  if (run) {
    const opened = Date.parse(run.openedAt);
    for (const time of run.reminderTimes) {
      const day = Math.round((Date.parse(time) - opened) / 86_400_000);
      const upcoming = Date.parse(time) > now.getTime();
      if (!upcoming || run.status === 'open') entries.push({ at: time, what: `day ${day} reminder to a side that has not contributed`, upcoming });
    }
    for (const contribution of contributions) {
      const report = contribution.report;
      const outcome =
        contribution.status === 'accepted' || contribution.status === 'rejected'
          ? `${contribution.status}${report ? `: ${report.accepted} of ${report.rowsRead} rows${report.reason ? `, ${report.reason}` : ''}` : ''}`
          : contribution.status.replace(/_/g, ' ');
      entries.push({ at: contribution.validatedAt ?? contribution.uploadedAt ?? contribution.createdAt, what: `your contribution ${contribution.id}${contribution.filename ? ` (${contribution.filename})` : ''} ${outcome}` });
    }
    if (run.status === 'open') {
      const sides = (['proposer', 'counterparty'] as const).filter((side) => !run.contributed[side]);
      entries.push({ at: run.deadline, what: `contribution deadline${sides.length ? ` (still missing: ${sides.join(', ')})` : ''}`, upcoming: Date.parse(run.deadline) > now.getTime() });
    }
  }
  return entries.sort((a, b) => a.at.localeCompare(b.at));
}

export function timelineLines(entries: readonly TimelineEntry[]): string[] {
  return entries.map((entry) => `${when(entry.at)}  ${entry.upcoming ? '(upcoming) ' : ''}${entry.what}`);
}
