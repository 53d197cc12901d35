import {
  type Actor,
  type Agreement,
  type AuditAction,
  canTransition,
  type CommandResult,
  next,
  requireParty,
  requireSystem,
  sideOf,
  wrongStatus,
} from './agreement.ts';
import { ConflictError, ForbiddenError, NotFoundError } from './errors.ts';
import type { ResultApprovalState } from './results.ts';
import type { Release, Run } from './run.ts';
import { otherSide, type Side, type Terms } from './terms.ts';

/**
 * The second mutual approval: once matched, each party approves the run's
 * result hash (shared/results.ts resultHashOf) or declines. Both approve the
 * same hash → released, and the results are kept for the terms'
 * resultsKeptDays. One declines, or the deadline (the terms'
 * resultApprovalDeadlineDays after the results were ready) passes without
 * both approvals → withheld: nothing is released, ever, and the results are
 * deleted. Pure: each command answers the agreement's next state with its
 * audit action (shared/agreement.ts) and the run's next state, or throws.
 *
 * | command | who |
 * | --- | --- |
 * | approveResults, declineResults | a party's `admin` or `approver` key |
 * | flagMatch | a party's `admin`, `approver` or `contributor` key |
 * | openResultApproval, withholdAtDeadline, markResultsDeleted | the system (the workflow) |
 */

const DAY_MS = 86_400_000;

export interface ResultCommandResult {
  result: CommandResult;
  /** The run as it is after the command (unchanged when `result` is). */
  run: Run;
}

function audit(agreement: Agreement, action: string, statusAfter: Agreement['status'], details: AuditAction['details']): AuditAction {
  return {
    action,
    statusBefore: agreement.status,
    statusAfter,
    termsVersion: agreement.terms.version,
    termsHash: agreement.terms.hash,
    ...(details ? { details } : {}),
  };
}

function changedRun(run: Run, changes: Partial<Run>, release?: Partial<Release>): Run {
  return { ...run, ...changes, ...(run.release && release ? { release: { ...run.release, ...release } } : {}), version: run.version + 1 };
}

function requireRunOfAgreement(agreement: Agreement, run: Run): void {
  if (run.agreementId !== agreement.id) throw new NotFoundError(`run ${run.id} was not found`);
}

/**
 * Results are ready: the run keeps its result hash (on its summary) and the
 * approval schedule — the deadline, and reminders on the terms' reminder
 * days that fall before it. Once: a retried step finds it open.
 */
export function openResultApproval(run: Run, terms: Pick<Terms, 'schedule'>, resultHash: string, previousRunId: string | undefined, now: Date): Run {
  if (run.release) return run;
  if (run.status !== 'matched' || !run.summary) throw new ConflictError(`run ${run.id} is ${run.status}: only matched results await approval`, { code: 'wrong_status' });
  const ready = now.getTime();
  const days = terms.schedule.resultApprovalDeadlineDays;
  return {
    ...run,
    version: run.version + 1,
    summary: { ...run.summary, resultHash },
    release: {
      readyAt: now.toISOString(),
      deadline: new Date(ready + days * DAY_MS).toISOString(),
      reminderTimes: terms.schedule.reminderDays.filter((day) => day < days).map((day) => new Date(ready + day * DAY_MS).toISOString()),
      remindersSent: [],
      approvals: {},
      ...(previousRunId ? { previousRunId } : {}),
      flaggedCount: 0,
    },
  };
}

export type ResultApprovalCheck =
  | { outcome: 'released' }
  | { outcome: 'withheld' }
  | { outcome: 'deadline' }
  | {
      outcome: 'waiting';
      /** Reminders due now, not yet sent. */
      remindersDue: string[];
      /** The sides that have not approved. */
      pending: Side[];
      /** When to look again: the next reminder or the deadline. */
      nextCheckAt: string;
    };

/** What is due for a run's result approval at `now`. */
export function checkResultApproval(run: Run, now: Date): ResultApprovalCheck {
  if (run.status === 'released' || run.status === 'expired') return { outcome: 'released' };
  if (run.status === 'withheld') return { outcome: 'withheld' };
  const release = run.release;
  if (!release) throw new ConflictError(`run ${run.id} has no results awaiting approval`, { code: 'results_not_ready' });
  const at = now.getTime();
  if (at >= Date.parse(release.deadline)) return { outcome: 'deadline' };
  const remindersDue = release.reminderTimes.filter((time) => Date.parse(time) <= at && !release.remindersSent.includes(time));
  const upcoming = [...release.reminderTimes.filter((time) => Date.parse(time) > at), release.deadline].sort();
  const pending = (['proposer', 'counterparty'] as const).filter((side) => release.approvals[side]?.resultHash !== run.summary?.resultHash);
  return { outcome: 'waiting', remindersDue, pending, nextCheckAt: upcoming[0] ?? release.deadline };
}

function requireAwaitingApproval(agreement: Agreement, run: Run, doing: string): { release: Release; resultHash: string } {
  const release = run.release;
  const resultHash = run.summary?.resultHash;
  if (run.status !== 'matched' || !release || !resultHash) {
    throw new ConflictError(`run ${run.id} is ${run.status === 'matched' ? 'not ready for approval yet' : run.status}; ${doing} only while its results await approval`, {
      code: 'wrong_status',
      details: [{ path: 'status', message: `is ${run.status}` }],
    });
  }
  if (agreement.status !== 'awaiting_release' || agreement.currentRunId !== run.id) throw wrongStatus(agreement, doing, 'while the run’s results await release');
  return { release, resultHash };
}

export interface ApproveResultsCommand {
  resultHash: string;
}

/**
 * The actor's partner approves the run's results, named by their hash. When
 * both parties have approved that hash, the results are released: the
 * agreement is `released`, the run too, and it expires `resultsKeptDays`
 * after. Approving again (any key of the same party) changes nothing.
 */
export function approveResults(agreement: Agreement, run: Run, command: ApproveResultsCommand, actor: Actor, now: Date): ResultCommandResult {
  requireRunOfAgreement(agreement, run);
  const side = requireParty(agreement, actor, 'approve results');
  if (run.release?.approvals[side]?.resultHash === command.resultHash && run.summary?.resultHash === command.resultHash) {
    return { result: { outcome: 'unchanged', agreement }, run };
  }
  const { release, resultHash } = requireAwaitingApproval(agreement, run, 'results can be approved');
  if (command.resultHash !== resultHash) {
    throw new ConflictError(`the results approved (${command.resultHash}) are not the run’s results (${resultHash}): preview them again`, {
      code: 'stale_result_hash',
      details: [{ path: 'resultHash', message: 'is not the hash of the run’s results' }],
    });
  }
  const approvals = { ...release.approvals, [side]: { partnerId: actor.partnerId, keyId: actor.keyId, resultHash, at: now.toISOString() } };
  const both = approvals[otherSide(side)]?.resultHash === resultHash;
  const at = now.toISOString();
  if (!both) {
    return {
      result: { outcome: 'changed', agreement: next(agreement, {}, now), audit: audit(agreement, 'results_approved', agreement.status, { runId: run.id, resultHash, bothApproved: false }) },
      run: changedRun(run, {}, { approvals }),
    };
  }
  if (!canTransition(agreement.status, 'released')) throw wrongStatus(agreement, 'results can be released', 'while they await release');
  const expiresAt = new Date(now.getTime() + agreement.terms.retention.resultsKeptDays * DAY_MS).toISOString();
  return {
    result: {
      outcome: 'changed',
      agreement: next(agreement, { status: 'released' }, now),
      audit: audit(agreement, 'results_released', 'released', { runId: run.id, resultHash, bothApproved: true, expiresAt }),
    },
    run: changedRun(run, { status: 'released' }, { approvals, releasedAt: at, expiresAt }),
  };
}

export interface DeclineResultsCommand {
  reason?: string | undefined;
}

function withhold(agreement: Agreement, run: Run, now: Date, withheld: NonNullable<Release['withheld']>, action: string): ResultCommandResult {
  if (!canTransition(agreement.status, 'withheld')) throw wrongStatus(agreement, 'results can be withheld', 'while they await release');
  return {
    result: {
      outcome: 'changed',
      agreement: next(agreement, { status: 'withheld' }, now),
      audit: audit(agreement, action, 'withheld', {
        runId: run.id,
        because: withheld.because,
        ...(withheld.by ? { by: withheld.by } : {}),
        ...(withheld.reason ? { reason: withheld.reason } : {}),
      }),
    },
    run: changedRun(run, { status: 'withheld' }, { withheld }),
  };
}

/** The actor's partner declines the run's results: withheld, nothing is released. Declining again changes nothing. */
export function declineResults(agreement: Agreement, run: Run, command: DeclineResultsCommand, actor: Actor, now: Date): ResultCommandResult {
  requireRunOfAgreement(agreement, run);
  const side = requireParty(agreement, actor, 'decline results');
  if (run.status === 'withheld' && run.release?.withheld?.by === side) return { result: { outcome: 'unchanged', agreement }, run };
  requireAwaitingApproval(agreement, run, 'results can be declined');
  const reason = command.reason?.trim();
  return withhold(agreement, run, now, { at: now.toISOString(), because: 'declined', by: side, ...(reason ? { reason } : {}) }, 'results_declined');
}

/** The approval deadline passed without both approvals: withheld (the workflow decides when). */
export function withholdAtDeadline(agreement: Agreement, run: Run, actor: Actor, now: Date): ResultCommandResult {
  requireSystem(agreement, actor, 'withhold results');
  requireRunOfAgreement(agreement, run);
  if (run.status === 'withheld') return { result: { outcome: 'unchanged', agreement }, run };
  const { release } = requireAwaitingApproval(agreement, run, 'results can be withheld');
  if (now.getTime() < Date.parse(release.deadline)) throw new ConflictError(`the approval deadline of run ${run.id} is ${release.deadline}`, { code: 'deadline_not_reached' });
  return withhold(agreement, run, now, { at: now.toISOString(), because: 'deadline' }, 'results_withheld');
}

/**
 * The run's results objects are deleted: at expiry (the run becomes
 * `expired`), after a withholding, or because the agreement ended (the run
 * keeps its status; `release.resultsDeleted` says why). The agreement's
 * status is unchanged; the audit log says what went.
 */
export function markResultsDeleted(agreement: Agreement, run: Run, because: 'expired' | 'withheld' | 'agreement_ended', actor: Actor, now: Date): ResultCommandResult {
  requireSystem(agreement, actor, 'delete results');
  requireRunOfAgreement(agreement, run);
  if (!run.release || run.release.resultsDeleted) return { result: { outcome: 'unchanged', agreement }, run };
  const status = because === 'expired' ? 'expired' : run.status;
  return {
    result: {
      outcome: 'changed',
      agreement: next(agreement, {}, now),
      audit: audit(agreement, because === 'expired' ? 'results_expired' : 'results_deleted', agreement.status, { runId: run.id, because }),
    },
    run: changedRun(run, { status }, { resultsDeleted: { at: now.toISOString(), because } }),
  };
}

/** Roles that may flag a released match: everyone but a read-only viewer. */
export const FLAGGING_ROLES: readonly string[] = ['admin', 'approver', 'contributor'];

export interface FlagMatchCommand {
  matchId: string;
  reason: string;
}

/**
 * The actor's partner says a released match is wrong. The audit log keeps
 * the match and the reason; the run counts its flagged matches. Whether the
 * match is one the actor can see is for the caller to check (it needs the
 * results objects); the flag itself is stored beside (one per side and match).
 */
export function flagMatch(agreement: Agreement, run: Run, command: FlagMatchCommand, actor: Actor, now: Date, options: { alreadyFlagged: boolean }): ResultCommandResult {
  requireRunOfAgreement(agreement, run);
  if (actor.role === 'system') throw new ForbiddenError('the system does not flag matches: a party does');
  const side = sideOf(agreement, actor.partnerId);
  if (!side) throw new NotFoundError(`agreement ${agreement.id} was not found`);
  if (!FLAGGING_ROLES.includes(actor.role)) throw new ForbiddenError(`to flag a match needs a key with the role admin, approver or contributor; this key has the role ${actor.role}`);
  if (run.status !== 'released' || !run.release) {
    throw new ConflictError(`run ${run.id} is ${run.status}: only released matches can be flagged`, { code: run.status === 'expired' ? 'results_expired' : 'results_not_released' });
  }
  const flaggedCount = run.release.flaggedCount + (options.alreadyFlagged ? 0 : 1);
  return {
    result: {
      outcome: 'changed',
      agreement: next(agreement, {}, now),
      audit: audit(agreement, 'match_flagged', agreement.status, { runId: run.id, matchId: command.matchId, side, reason: command.reason.trim() }),
    },
    run: changedRun(run, {}, { flaggedCount }),
  };
}

/** Where the approval of the run's results stands, for `side`. */
export function resultApprovalState(run: Run, side: Side): ResultApprovalState {
  const release = run.release;
  const resultHash = run.summary?.resultHash;
  if (!release || !resultHash) throw new ConflictError(`run ${run.id} has no results awaiting approval`, { code: 'results_not_ready' });
  const approved = (who: Side) => release.approvals[who]?.resultHash === resultHash;
  const status = run.status === 'withheld' ? 'withheld' : run.status === 'released' || run.status === 'expired' ? 'released' : 'awaiting_approval';
  return {
    agreementId: run.agreementId,
    runId: run.id,
    status,
    resultHash,
    approvalDeadline: release.deadline,
    approved: { mine: approved(side), theirs: approved(otherSide(side)) },
    releasedAt: release.releasedAt ?? null,
    expiresAt: release.expiresAt ?? null,
  };
}
