import type { AuditEvent } from '../../../shared/audit-chain.ts';
import type { Contribution } from '../../../shared/contributions/contribution.ts';
import type { RunView } from '../../../shared/run.ts';

/**
 * The run timeline of an agreement as the console shows it: what happened
 * (the audit log, the calling side's own contributions) and what is due (the
 * run's reminders and deadline), in time order. Pure, so it is unit-tested.
 */
export interface TimelineEntry {
  at: string;
  /** What happened or is due, in words. */
  text: string;
  kind: 'terms' | 'approval' | 'run' | 'contribution' | 'reminder' | 'deadline' | 'results' | 'end' | 'other';
  /** Past entries happened; upcoming ones are scheduled. */
  when: 'past' | 'upcoming';
}

export interface TimelineInput {
  events: readonly AuditEvent[];
  run?: RunView | undefined;
  /** The calling side's contributions to the run (never the other side's). */
  contributions?: readonly Contribution[];
  myPartnerId: string;
  now: Date;
}

function who(event: AuditEvent, myPartnerId: string): string {
  if (event.actor.role === 'system') return 'Accord';
  return event.actor.partnerId === myPartnerId ? 'you' : 'the partner';
}

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `results_approved` → "results approved". */
function words(action: string): string {
  return action.replace(/[._]/g, ' ');
}

function describeEvent(event: AuditEvent, myPartnerId: string): Pick<TimelineEntry, 'text' | 'kind'> {
  const by = who(event, myPartnerId);
  const reason = typeof event.details?.reason === 'string' ? ` (reason: ${event.details.reason})` : '';
  switch (event.action) {
    case 'proposed':
      return { kind: 'terms', text: `Proposed by ${by}: terms version ${event.termsVersion}.` };
    case 'counter_proposed':
      return { kind: 'terms', text: `Counter-proposal by ${by}: terms version ${event.termsVersion}; earlier approvals no longer count.` };
    case 'approved':
      return {
        kind: 'approval',
        text: `Terms version ${event.termsVersion} approved by ${by}${event.statusAfter === 'awaiting_contributions' ? ': both sides have approved' : ''}.`,
      };
    case 'invitation_accepted':
      return { kind: 'terms', text: 'The invited company signed up and joined the agreement.' };
    case 'run_opened':
      return { kind: 'run', text: `Run ${typeof event.details?.runId === 'string' ? `${event.details.runId} ` : ''}opened: contributions are due.` };
    case 'matching_started':
      return { kind: 'run', text: 'Both contributions are in: matching started.' };
    case 'matching_completed': {
      const pairs = typeof event.details?.pairs === 'number' ? ` ${event.details.pairs} ${event.details.pairs === 1 ? 'account' : 'accounts'} in common;` : '';
      return { kind: 'results', text: `Matching finished:${pairs} the results wait for both sides’ approval.` };
    }
    case 'lapsed':
      return { kind: 'end', text: 'The contribution deadline passed without both contributions: the run lapsed.' };
    case 'declined':
    case 'withdrawn':
    case 'expired':
      return { kind: 'end', text: `${sentence(event.action)}${event.actor.role === 'system' ? '' : ` by ${by}`}${reason}.` };
    default:
      return {
        kind: /result|releas|withh/.test(event.action) ? 'results' : 'other',
        text: `${sentence(words(event.action))}${event.actor.role === 'system' ? '' : ` by ${by}`}${reason}.`,
      };
  }
}

function describeContribution(contribution: Contribution): string {
  const file = contribution.filename ? ` (${contribution.filename})` : '';
  const report = contribution.report;
  switch (contribution.status) {
    case 'awaiting_upload':
      return `Your upload slot${file} was issued; no file arrived.`;
    case 'validating':
      return `Your contribution${file} is being validated.`;
    case 'accepted':
      return `Your contribution${file} was accepted: ${report?.accepted ?? 0} rows, ${report?.rejected ?? 0} rejected${contribution.current ? '; it is the one that counts' : ''}.`;
    case 'rejected':
      return `Your contribution${file} was rejected${report?.reason ? `: ${report.reason}` : ''}.`;
  }
}

export function timeline(input: TimelineInput): TimelineEntry[] {
  const now = input.now.getTime();
  const when = (at: string): TimelineEntry['when'] => (Date.parse(at) <= now ? 'past' : 'upcoming');
  const entries: TimelineEntry[] = input.events.map((event) => ({ at: event.at, when: 'past', ...describeEvent(event, input.myPartnerId) }));
  for (const contribution of input.contributions ?? []) {
    const at = contribution.validatedAt ?? contribution.uploadedAt ?? contribution.createdAt;
    entries.push({ at, when: 'past', kind: 'contribution', text: describeContribution(contribution) });
  }
  const run = input.run;
  if (run && run.status === 'open') {
    const opened = Date.parse(run.openedAt);
    for (const time of run.reminderTimes) {
      const day = Math.round((Date.parse(time) - opened) / 86_400_000);
      const stillMissing = !run.contributed.proposer || !run.contributed.counterparty;
      if (!stillMissing && when(time) === 'upcoming') continue;
      entries.push({
        at: time,
        when: when(time),
        kind: 'reminder',
        text: when(time) === 'past' ? `Day ${day}: reminder time for any side that had not contributed.` : `Day ${day}: a side that has not contributed by then is reminded.`,
      });
    }
    entries.push({
      at: run.deadline,
      when: when(run.deadline),
      kind: 'deadline',
      text: when(run.deadline) === 'past' ? 'The contribution deadline passed.' : 'Contribution deadline: the run lapses unless both sides have contributed.',
    });
  }
  return entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}
