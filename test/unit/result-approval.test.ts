import { describe, expect, it } from 'vitest';
import { type Actor, type Agreement, approve, openRun, propose, startMatching, completeMatching, SYSTEM_ACTOR } from '../../shared/agreement.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import type { Role } from '../../shared/partner.ts';
import {
  approveResults,
  checkResultApproval,
  declineResults,
  flagMatch,
  markResultsDeleted,
  openResultApproval,
  resultApprovalState,
  withholdAtDeadline,
} from '../../shared/result-approval.ts';
import { openRunSchedule, type Run } from '../../shared/run.ts';
import type { TermsInput } from '../../shared/terms.ts';

const P = newId('partner');
const C = newId('partner');
const T0 = new Date('2026-11-23T10:00:00.000Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(T0.getTime() + days * DAY);
const HASH = `sha256:${'1'.repeat(64)}`;
const OTHER_HASH = `sha256:${'2'.repeat(64)}`;
const actor = (partnerId: string, role: Role): Actor => ({ partnerId, keyId: newId('key'), role });

function changed(result: { outcome: string; agreement: Agreement }): Agreement {
  expect(result.outcome).toBe('changed');
  return result.agreement;
}

/** An agreement awaiting release and its matched run with results ready on day 0. */
function awaitingRelease(terms: TermsInput = {}): { agreement: Agreement; run: Run } {
  let agreement = changed(propose({ counterpartyId: C, terms }, actor(P, 'approver'), T0));
  agreement = changed(approve(agreement, { termsHash: agreement.terms.hash }, actor(P, 'approver'), T0));
  agreement = changed(approve(agreement, { termsHash: agreement.terms.hash }, actor(C, 'approver'), T0));
  const opened = openRunSchedule(agreement.terms, { runId: newId('run'), agreementId: agreement.id, executionName: agreement.id }, T0);
  agreement = changed(openRun(agreement, opened.id, SYSTEM_ACTOR, T0));
  agreement = changed(startMatching(agreement, SYSTEM_ACTOR, T0));
  agreement = changed(completeMatching(agreement, SYSTEM_ACTOR, T0));
  const matched: Run = {
    ...opened,
    status: 'matched',
    summary: { pairs: 2, byMethod: { domain: 2 }, nineBox: {}, rows: { proposer: 3, counterparty: 3 }, accounts: { proposer: 3, counterparty: 3 }, resultsKey: 'k', matchedAt: T0.toISOString() },
  };
  return { agreement, run: openResultApproval(matched, agreement.terms, HASH, undefined, T0) };
}

describe('opening result approval', () => {
  it('fixes the hash on the summary, the deadline and the reminders before it, once', () => {
    const { agreement, run } = awaitingRelease({ schedule: { resultApprovalDeadlineDays: 7, reminderDays: [1, 3, 7] } });
    expect(run.summary?.resultHash).toBe(HASH);
    expect(run.release).toMatchObject({ deadline: at(7).toISOString(), reminderTimes: [at(1), at(3)].map((d) => d.toISOString()), approvals: {}, flaggedCount: 0 });
    expect(openResultApproval(run, agreement.terms, OTHER_HASH, undefined, at(1))).toBe(run);
  });

  it('reminds the sides that have not approved, each reminder once, and reaches the deadline', () => {
    const { agreement, run } = awaitingRelease();
    expect(checkResultApproval(run, at(0.5))).toEqual({ outcome: 'waiting', remindersDue: [], pending: ['proposer', 'counterparty'], nextCheckAt: at(1).toISOString() });
    const first = approveResults(agreement, run, { resultHash: HASH }, actor(P, 'admin'), at(0.5));
    const check = checkResultApproval(first.run, at(3.5));
    expect(check).toEqual({ outcome: 'waiting', remindersDue: [at(1), at(3)].map((d) => d.toISOString()), pending: ['counterparty'], nextCheckAt: at(7).toISOString() });
    expect(checkResultApproval(first.run, at(7))).toEqual({ outcome: 'deadline' });
  });
});

describe('approving results', () => {
  it('releases when both parties approved the same hash, and keeps them for the terms’ days', () => {
    const { agreement, run } = awaitingRelease({ retention: { resultsKeptDays: 30 } });
    const first = approveResults(agreement, run, { resultHash: HASH }, actor(P, 'approver'), at(1));
    expect(first.result.agreement.status).toBe('awaiting_release');
    expect(first.run.status).toBe('matched');
    expect(resultApprovalState(first.run, 'proposer').approved).toEqual({ mine: true, theirs: false });
    // Again by another key of the same party: nothing changes.
    expect(approveResults(first.result.agreement, first.run, { resultHash: HASH }, actor(P, 'admin'), at(1)).result.outcome).toBe('unchanged');

    const second = approveResults(first.result.agreement, first.run, { resultHash: HASH }, actor(C, 'admin'), at(2));
    expect(second.result.agreement.status).toBe('released');
    expect(second.result.outcome === 'changed' && second.result.audit).toMatchObject({ action: 'results_released', statusAfter: 'released' });
    expect(second.run).toMatchObject({ status: 'released', release: { releasedAt: at(2).toISOString(), expiresAt: at(32).toISOString() } });
    expect(checkResultApproval(second.run, at(3))).toEqual({ outcome: 'released' });
  });

  it('refuses a stale hash (409 stale_result_hash), a non-party (404) and a contributor or viewer (403)', () => {
    const { agreement, run } = awaitingRelease();
    expect(() => approveResults(agreement, run, { resultHash: OTHER_HASH }, actor(P, 'approver'), at(1))).toThrow(expect.objectContaining({ code: 'stale_result_hash' }));
    expect(() => approveResults(agreement, run, { resultHash: HASH }, actor(newId('partner'), 'admin'), at(1))).toThrow(NotFoundError);
    for (const role of ['contributor', 'viewer'] as const) expect(() => approveResults(agreement, run, { resultHash: HASH }, actor(C, role), at(1))).toThrow(ForbiddenError);
  });

  it('withholds on a decline: nothing can be approved afterwards', () => {
    const { agreement, run } = awaitingRelease();
    const declined = declineResults(agreement, run, { reason: 'too many false matches' }, actor(C, 'approver'), at(1));
    expect(declined.result.agreement.status).toBe('withheld');
    expect(declined.run).toMatchObject({ status: 'withheld', release: { withheld: { because: 'declined', by: 'counterparty', reason: 'too many false matches' } } });
    expect(declineResults(declined.result.agreement, declined.run, {}, actor(C, 'admin'), at(1)).result.outcome).toBe('unchanged');
    expect(() => approveResults(declined.result.agreement, declined.run, { resultHash: HASH }, actor(P, 'approver'), at(2))).toThrow(ConflictError);
    expect(checkResultApproval(declined.run, at(2))).toEqual({ outcome: 'withheld' });
  });

  it('withholds at the deadline, never before, and only by the system', () => {
    const { agreement, run } = awaitingRelease();
    expect(() => withholdAtDeadline(agreement, run, SYSTEM_ACTOR, at(6))).toThrow(expect.objectContaining({ code: 'deadline_not_reached' }));
    expect(() => withholdAtDeadline(agreement, run, actor(P, 'admin'), at(8))).toThrow(ForbiddenError);
    const withheld = withholdAtDeadline(agreement, run, SYSTEM_ACTOR, at(7));
    expect(withheld.run.release?.withheld).toEqual({ at: at(7).toISOString(), because: 'deadline' });
    expect(withheld.result.agreement.status).toBe('withheld');
  });
});

describe('after release', () => {
  function released() {
    const { agreement, run } = awaitingRelease();
    const first = approveResults(agreement, run, { resultHash: HASH }, actor(P, 'approver'), at(1));
    return approveResults(first.result.agreement, first.run, { resultHash: HASH }, actor(C, 'approver'), at(1));
  }

  it('counts flagged matches once per match; a viewer cannot flag; only released runs', () => {
    const { result, run } = released();
    const flagged = flagMatch(result.agreement, run, { matchId: 'mch_x', reason: 'wrong' }, actor(C, 'contributor'), at(2), { alreadyFlagged: false });
    expect(flagged.run.release?.flaggedCount).toBe(1);
    expect(flagMatch(flagged.result.agreement, flagged.run, { matchId: 'mch_x', reason: 'wrong' }, actor(P, 'admin'), at(2), { alreadyFlagged: true }).run.release?.flaggedCount).toBe(1);
    expect(() => flagMatch(result.agreement, run, { matchId: 'mch_x', reason: 'wrong' }, actor(C, 'viewer'), at(2), { alreadyFlagged: false })).toThrow(ForbiddenError);
    const { agreement, run: matched } = awaitingRelease();
    expect(() => flagMatch(agreement, matched, { matchId: 'mch_x', reason: 'wrong' }, actor(C, 'admin'), at(2), { alreadyFlagged: false })).toThrow(expect.objectContaining({ code: 'results_not_released' }));
  });

  it('marks the run expired once its results are deleted, once', () => {
    const { result, run } = released();
    const expired = markResultsDeleted(result.agreement, run, 'expired', SYSTEM_ACTOR, at(91));
    expect(expired.run).toMatchObject({ status: 'expired', release: { resultsDeleted: { because: 'expired' } } });
    expect(expired.result.agreement.status).toBe('released');
    expect(markResultsDeleted(expired.result.agreement, expired.run, 'expired', SYSTEM_ACTOR, at(92)).result.outcome).toBe('unchanged');
  });
});
