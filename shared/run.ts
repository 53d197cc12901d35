import { z } from 'zod';
import { RunIdSchema } from './agreement.ts';
import { SideSchema, type Side, type Terms } from './terms.ts';

/**
 * A run: one contribution-match-release cycle of an agreement. Its schedule
 * is fixed when it opens, from the terms then in force: the deadline, the
 * reminder times, and the escalation to approvers shortly before the
 * deadline. Everything here is pure: the workflow passes the time in.
 */

const DAY_MS = 86_400_000;
/** Approvers hear of a missing contribution this long before the deadline. */
export const ESCALATION_BEFORE_DEADLINE_MS = 2 * DAY_MS;

/** open → (lapsed | matched); matched → released | withheld; released → expired once its results are deleted. */
export const RUN_STATUSES = ['open', 'contributed', 'lapsed', 'matched', 'released', 'withheld', 'expired'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

const Approval = z.object({ partnerId: z.string(), keyId: z.string(), resultHash: z.string(), at: z.iso.datetime() });

export const ReleaseSchema = z.object({
  readyAt: z.iso.datetime().describe('when the results awaited approval'),
  deadline: z.iso.datetime().describe('without both approvals by then, the results are withheld'),
  reminderTimes: z.array(z.iso.datetime()),
  remindersSent: z.array(z.iso.datetime()),
  approvals: z.partialRecord(SideSchema, Approval),
  /** The previous released run of the agreement, whose matches decide what is new. */
  previousRunId: z.string().optional(),
  releasedAt: z.iso.datetime().optional(),
  expiresAt: z.iso.datetime().optional().describe('releasedAt + the terms’ resultsKeptDays'),
  withheld: z
    .object({ at: z.iso.datetime(), because: z.enum(['declined', 'deadline']), by: SideSchema.optional(), reason: z.string().optional() })
    .optional(),
  resultsDeleted: z.object({ at: z.iso.datetime(), because: z.enum(['expired', 'withheld', 'agreement_ended']) }).optional(),
  flaggedCount: z.int().min(0).describe('matches of this run flagged as wrong (a quality figure)'),
});
export type Release = z.output<typeof ReleaseSchema>;

export const RunSchema = z
  .object({
    id: RunIdSchema,
    agreementId: z.string(),
    /** The workflow execution that opened the run: opening it again from a retried step finds this run. */
    executionName: z.string(),
    /** 1 for the first run of the agreement, + 1 for each recurring run; absent on runs opened before recurrence existed (1). */
    sequence: z.int().min(1).optional(),
    status: z.enum(RUN_STATUSES),
    version: z.int().min(1).describe('optimistic-locking counter: + 1 on every change'),
    openedAt: z.iso.datetime(),
    deadline: z.iso.datetime(),
    reminderTimes: z.array(z.iso.datetime()).describe('when a side that has not contributed is reminded'),
    remindersSent: z.array(z.iso.datetime()),
    escalationAt: z.iso.datetime().optional().describe('when the approvers of a side that has not contributed are told'),
    escalated: z.boolean(),
    summary: z
      .object({
        pairs: z.int(),
        byMethod: z.record(z.string(), z.int()),
        nineBox: z.record(z.string(), z.record(z.string(), z.int())).describe("from the proposer's side: rows are the proposer's populations"),
        rows: z.object({ proposer: z.int(), counterparty: z.int() }).describe('accepted rows read into the matcher'),
        accounts: z.object({ proposer: z.int(), counterparty: z.int() }).describe('accounts after de-duplication'),
        matchedRows: z.object({ proposer: z.int(), counterparty: z.int() }).optional().describe('rows of each side that are part of a pair: the lines of accounts-{side}.jsonl'),
        shards: z.int().optional().describe('shards of the Distributed Map that matched the run; absent when one task matched it'),
        resultsKey: z.string().describe('the pairs as JSON Lines in the results bucket'),
        matchedAt: z.iso.datetime(),
        resultHash: z.string().optional().describe('what both parties approve: shared/results.ts resultHashOf'),
      })
      .optional(),
    release: ReleaseSchema.optional().describe('the approval and release of the results, once matched'),
    contributions: z.partialRecord(
      SideSchema,
      z.object({ acceptedAt: z.iso.datetime(), contributionId: z.string(), createdAt: z.iso.datetime().optional().describe('when its upload slot was made: the newest counts') }),
    ),
  })
  .meta({ id: 'Run' });
export type Run = z.output<typeof RunSchema>;

export function openRunSchedule(
  terms: Pick<Terms, 'schedule'>,
  ids: { runId: string; agreementId: string; executionName: string; sequence?: number },
  now: Date,
): Run {
  const opened = now.getTime();
  const deadline = opened + terms.schedule.contributionDeadlineDays * DAY_MS;
  const escalation = deadline - ESCALATION_BEFORE_DEADLINE_MS;
  return {
    id: ids.runId,
    agreementId: ids.agreementId,
    executionName: ids.executionName,
    sequence: ids.sequence ?? 1,
    status: 'open',
    version: 1,
    openedAt: now.toISOString(),
    deadline: new Date(deadline).toISOString(),
    reminderTimes: terms.schedule.reminderDays.map((day) => new Date(opened + day * DAY_MS).toISOString()),
    remindersSent: [],
    ...(escalation > opened ? { escalationAt: new Date(escalation).toISOString() } : {}),
    escalated: false,
    contributions: {},
  };
}

export function missingSides(run: Pick<Run, 'contributions'>): Side[] {
  return (['proposer', 'counterparty'] as const).filter((side) => run.contributions[side] === undefined);
}

export type RunCheck =
  | { outcome: 'contributed' }
  | { outcome: 'lapsed' }
  | {
      outcome: 'waiting';
      /** Reminders due now, not yet sent (a late check sends each at most once). */
      remindersDue: string[];
      escalate: boolean;
      /** When to look again: the next reminder, escalation or the deadline. */
      nextCheckAt: string;
    };

/** What is due for a run at `now`: nothing more to do, a lapse, or reminders and the next time to look. */
export function checkRun(run: Run, now: Date): RunCheck {
  if (missingSides(run).length === 0) return { outcome: 'contributed' };
  const at = now.getTime();
  if (at >= Date.parse(run.deadline)) return { outcome: 'lapsed' };
  const remindersDue = run.reminderTimes.filter((time) => Date.parse(time) <= at && !run.remindersSent.includes(time));
  const escalate = !run.escalated && run.escalationAt !== undefined && Date.parse(run.escalationAt) <= at;
  const upcoming = [
    ...run.reminderTimes.filter((time) => Date.parse(time) > at),
    ...(run.escalationAt && !run.escalated && !escalate && Date.parse(run.escalationAt) > at ? [run.escalationAt] : []),
    run.deadline,
  ].sort();
  return { outcome: 'waiting', remindersDue, escalate, nextCheckAt: upcoming[0] ?? run.deadline };
}

/** A run as a party sees it: the schedule and which sides have contributed, never what. */
export const RunViewSchema = z
  .object({
    id: RunIdSchema,
    agreementId: z.string(),
    status: z.enum(RUN_STATUSES),
    openedAt: z.iso.datetime(),
    deadline: z.iso.datetime(),
    reminderTimes: z.array(z.iso.datetime()),
    contributed: z.object({ proposer: z.boolean(), counterparty: z.boolean() }),
    sequence: z.int().min(1).describe('1 for the first run, + 1 for each run of recurring terms'),
    results: z
      .object({
        resultHash: z.string().describe('what both parties approve (the preview shows what it covers)'),
        approvalDeadline: z.iso.datetime(),
        approved: z.object({ proposer: z.boolean(), counterparty: z.boolean() }),
        releasedAt: z.iso.datetime().optional(),
        expiresAt: z.iso.datetime().optional().describe('when the released results are deleted'),
        withheld: z.enum(['declined', 'deadline']).optional(),
        deleted: z.enum(['expired', 'withheld', 'agreement_ended']).optional().describe('the results objects are gone, and why'),
        flaggedCount: z.int(),
      })
      .optional()
      .describe('once matched: where the approval and release of the results stand (never what they hold)'),
  })
  .meta({ id: 'RunView' });
export type RunView = z.output<typeof RunViewSchema>;

export function runView(run: Run): RunView {
  return {
    id: run.id,
    agreementId: run.agreementId,
    status: run.status,
    openedAt: run.openedAt,
    deadline: run.deadline,
    reminderTimes: run.reminderTimes,
    contributed: { proposer: run.contributions.proposer !== undefined, counterparty: run.contributions.counterparty !== undefined },
    sequence: run.sequence ?? 1,
    ...(run.release && run.summary?.resultHash ? { results: resultsStateOf(run.release, run.summary.resultHash) } : {}),
  };
}

function resultsStateOf(release: Release, resultHash: string): NonNullable<RunView['results']> {
  const approved = (side: Side) => release.approvals[side]?.resultHash === resultHash;
  return {
    resultHash,
    approvalDeadline: release.deadline,
    approved: { proposer: approved('proposer'), counterparty: approved('counterparty') },
    ...(release.releasedAt ? { releasedAt: release.releasedAt } : {}),
    ...(release.expiresAt ? { expiresAt: release.expiresAt } : {}),
    ...(release.withheld ? { withheld: release.withheld.because } : {}),
    ...(release.resultsDeleted ? { deleted: release.resultsDeleted.because } : {}),
    flaggedCount: release.flaggedCount,
  };
}
