import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AGREEMENT_STATUSES,
  type Actor,
  type Agreement,
  AgreementSchema,
  type AgreementStatus,
  approve,
  ApproveTermsRequestSchema,
  canTransition,
  type CommandResult,
  counterPropose,
  CounterProposalRequestSchema,
  decline,
  expire,
  FINAL_STATUSES,
  isOpen,
  lapse,
  openRun,
  propose,
  ProposeAgreementRequestSchema,
  sideOf,
  SYSTEM_ACTOR,
  termsOf,
  withdraw,
} from '../../shared/agreement.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import type { Role } from '../../shared/partner.ts';
import { parseTerms, termsHash } from '../../shared/terms.ts';

const P = newId('partner');
const C = newId('partner');
const STRANGER = newId('partner');
const T0 = new Date('2026-11-23T10:00:00.000Z');
const later = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

const actor = (partnerId: string, role: Role): Actor => ({ partnerId, keyId: newId('key'), role });
const proposerAdmin = actor(P, 'admin');
const proposerApprover = actor(P, 'approver');
const counterpartyApprover = actor(C, 'approver');

function changed(result: CommandResult): Agreement {
  expect(result.outcome).toBe('changed');
  return result.agreement;
}

function proposed(terms = {}): Agreement {
  return changed(propose({ counterpartyId: C, terms }, proposerAdmin, T0));
}

/** A proposed agreement both parties approved. */
function approvedBoth(terms = {}): Agreement {
  const agreement = proposed(terms);
  const once = changed(approve(agreement, { termsHash: agreement.terms.hash }, proposerApprover, later(1)));
  return changed(approve(once, { termsHash: agreement.terms.hash }, counterpartyApprover, later(2)));
}

/** An agreement put in a status as the workflow would leave it (for the commands that end it). */
function inStatus(status: AgreementStatus, terms = {}): Agreement {
  return { ...approvedBoth(terms), status };
}

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the command to throw');
}

function expectError(run: () => unknown, type: abstract new (...args: never[]) => Error, code: string): Error {
  const error = thrown(run);
  expect(error).toBeInstanceOf(type);
  expect((error as Error & { code: string }).code).toBe(code);
  return error;
}

describe('transition table', () => {
  const allowed: [AgreementStatus, AgreementStatus][] = [
    ['proposed', 'proposed'],
    ['proposed', 'awaiting_contributions'],
    ['awaiting_contributions', 'lapsed'],
    ['awaiting_contributions', 'matching'],
    ['matching', 'awaiting_release'],
    ['awaiting_release', 'released'],
    ['awaiting_release', 'withheld'],
    // The next run of recurring terms, however the previous one ended.
    ['released', 'awaiting_contributions'],
    ['withheld', 'awaiting_contributions'],
    ['lapsed', 'awaiting_contributions'],
    ...(['proposed', 'awaiting_contributions', 'matching', 'awaiting_release', 'released', 'withheld', 'lapsed'] as const).flatMap((from) =>
      (['declined', 'withdrawn', 'expired'] as const).map((to): [AgreementStatus, AgreementStatus] => [from, to]),
    ),
  ];

  it('allows exactly the transitions DESIGN.md draws', () => {
    const actual = AGREEMENT_STATUSES.flatMap((from) => AGREEMENT_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from} → ${to}`));
    expect(actual.sort()).toEqual(allowed.map(([from, to]) => `${from} → ${to}`).sort());
  });

  it('has exactly these final statuses', () => {
    expect([...FINAL_STATUSES].sort()).toEqual(['declined', 'expired', 'withdrawn']);
  });

  it.each(['released', 'withheld', 'lapsed'] as const)('counts a %s agreement open only when its terms recur', (status) => {
    expect(isOpen(inStatus(status))).toBe(false);
    expect(isOpen(inStatus(status, { schedule: { recurrenceEveryDays: 90 } }))).toBe(true);
    expect(isOpen(inStatus('matching'))).toBe(true);
  });
});

describe('openRun', () => {
  it.each(['released', 'withheld', 'lapsed'] as const)('opens the next run of recurring terms after a %s run, and none after a one-off run', (status) => {
    const runId = newId('run');
    expectError(() => openRun(inStatus(status), runId, SYSTEM_ACTOR, later(10)), ConflictError, 'wrong_status');
    expect(changed(openRun(inStatus(status, { schedule: { recurrenceEveryDays: 90 } }), runId, SYSTEM_ACTOR, later(10)))).toMatchObject({ status: 'awaiting_contributions', currentRunId: runId });
  });

  it.each(['declined', 'withdrawn', 'expired'] as const)('opens no run once the agreement is %s, recurring or not', (status) => {
    expectError(() => openRun(inStatus(status, { schedule: { recurrenceEveryDays: 90 } }), newId('run'), SYSTEM_ACTOR, later(10)), ConflictError, 'wrong_status');
  });
});

describe('propose', () => {
  it('creates a proposed agreement at version 1 with terms version 1, hashed, and no approvals', () => {
    const id = newId('agreement');
    const result = propose({ counterpartyId: C, terms: { schedule: { contributionDeadlineDays: 21 } } }, proposerApprover, T0, { id });
    expect(result).toEqual({
      outcome: 'changed',
      agreement: {
        id,
        status: 'proposed',
        version: 1,
        proposerId: P,
        counterpartyId: C,
        terms: {
          version: 1,
          hash: termsHash({ schedule: { contributionDeadlineDays: 21 } }),
          proposedBy: P,
          proposedAt: T0.toISOString(),
          ...parseTerms({ schedule: { contributionDeadlineDays: 21 } }),
        },
        approvals: [],
        createdAt: T0.toISOString(),
        updatedAt: T0.toISOString(),
      },
      audit: {
        action: 'proposed',
        statusBefore: null,
        statusAfter: 'proposed',
        termsVersion: 1,
        termsHash: termsHash({ schedule: { contributionDeadlineDays: 21 } }),
        details: { invited: false },
      },
    });
    expect(AgreementSchema.parse(result.agreement)).toEqual(result.agreement);
    expect(result.agreement.id).toMatch(/^agr_[0-9a-z]{20}$/);
  });

  it('takes every default when terms are left out, and generates an id', () => {
    const agreement = changed(propose({ counterpartyId: C }, proposerAdmin, T0));
    expect(termsOf(agreement.terms)).toEqual(parseTerms({}));
    expect(agreement.terms.hash).toBe(termsHash({}));
    expect(agreement.id).toMatch(/^agr_[0-9a-z]{20}$/);
  });

  it('invites a counterparty that is not yet a partner', () => {
    const result = propose({ invitation: { email: 'legal@globex.example' } }, proposerAdmin, T0);
    expect(result.outcome === 'changed' && result.audit.details).toEqual({ invited: true });
    expect(result.agreement.counterpartyId).toBeUndefined();
    expect(result.agreement.invitation).toEqual({ email: 'legal@globex.example' });
    expect(AgreementSchema.parse(result.agreement)).toEqual(result.agreement);
  });

  it('needs an admin or approver key', () => {
    expectError(() => propose({ counterpartyId: C }, actor(P, 'contributor'), T0), ForbiddenError, 'forbidden');
    expectError(() => propose({ counterpartyId: C }, actor(P, 'viewer'), T0), ForbiddenError, 'forbidden');
    expectError(() => propose({ counterpartyId: C }, SYSTEM_ACTOR, T0), ForbiddenError, 'forbidden');
  });

  it('names the counterparty one way, and never the proposer itself', () => {
    expectError(() => propose({}, proposerAdmin, T0), ValidationError, 'validation_failed');
    expectError(() => propose({ counterpartyId: C, invitation: { email: 'a@b.example' } }, proposerAdmin, T0), ValidationError, 'validation_failed');
    expectError(() => propose({ counterpartyId: P }, proposerAdmin, T0), ValidationError, 'self_agreement');
  });

  it('refuses invalid terms, naming the field', () => {
    const error = expectError(() => propose({ counterpartyId: C, terms: { schedule: { colour: 'red' } } as never }, proposerAdmin, T0), ValidationError, 'invalid_terms');
    expect((error as ValidationError).details).toEqual([{ path: 'terms.schedule.colour', message: 'is not a known field' }]);
  });
});

describe('counterPropose', () => {
  const counter = { basedOnVersion: 1, terms: { incentives: { referralFeeBps: 1000 } } };

  it('replaces the terms with version 2, keeps version 1 in the history and resets approvals', () => {
    const agreement = proposed();
    const approvedOnce = changed(approve(agreement, { termsHash: agreement.terms.hash }, proposerApprover, later(1)));
    const result = counterPropose(approvedOnce, counter, counterpartyApprover, later(5));
    const next = changed(result);
    expect(next.status).toBe('proposed');
    expect(next.version).toBe(approvedOnce.version + 1);
    expect(next.updatedAt).toBe(later(5).toISOString());
    expect(next.terms).toEqual(expect.objectContaining({ version: 2, hash: termsHash(counter.terms), proposedBy: C, proposedAt: later(5).toISOString() }));
    expect(next.termsHistory).toEqual([agreement.terms]);
    expect(next.approvals).toEqual([]);
    expect(result.outcome === 'changed' && result.audit).toEqual({
      action: 'counter_proposed',
      statusBefore: 'proposed',
      statusAfter: 'proposed',
      termsVersion: 2,
      termsHash: termsHash(counter.terms),
      details: { basedOnVersion: 1, previousTermsHash: agreement.terms.hash, changedFields: ['incentives.referralFeeBps'] },
    });
    expect(AgreementSchema.parse(next)).toEqual(next);

    const third = changed(counterPropose(next, { basedOnVersion: 2, terms: {} }, proposerAdmin, later(6)));
    expect(third.terms.version).toBe(3);
    expect(third.termsHistory?.map((record) => record.version)).toEqual([1, 2]);
  });

  it('answers stale_version when based on another version than the current one', () => {
    const agreement = changed(counterPropose(proposed(), counter, counterpartyApprover, later(1)));
    const error = expectError(
      () => counterPropose(agreement, { basedOnVersion: 1, terms: { incentives: { referralFeeBps: 500 } } }, proposerAdmin, later(2)),
      ConflictError,
      'stale_version',
    );
    expect(error.message).toBe('the terms are at version 2, not 1: read the current terms and answer those');
    expectError(() => counterPropose(agreement, { basedOnVersion: 3, terms: {} }, proposerAdmin, later(2)), ConflictError, 'stale_version');
  });

  it('changes nothing when the terms are the current ones (a retried counter-proposal)', () => {
    const agreement = changed(counterPropose(proposed(), counter, counterpartyApprover, later(1)));
    expect(counterPropose(agreement, counter, counterpartyApprover, later(2))).toEqual({ outcome: 'unchanged', agreement });
    expect(counterPropose(agreement, { basedOnVersion: 2, terms: parseTerms(counter.terms) }, proposerAdmin, later(2)).outcome).toBe('unchanged');
  });

  it('is refused once the terms are approved by both', () => {
    expectError(() => counterPropose(approvedBoth(), { basedOnVersion: 1, terms: { purpose: 'Other' } }, proposerAdmin, later(9)), ConflictError, 'wrong_status');
  });

  it('lets the proposer revise while the invitation is pending', () => {
    const invited = changed(propose({ invitation: { email: 'legal@globex.example' } }, proposerAdmin, T0));
    expect(changed(counterPropose(invited, counter, proposerApprover, later(1))).terms.version).toBe(2);
  });

  it('answers a stranger not_found and a party without the role forbidden', () => {
    const agreement = proposed();
    expectError(() => counterPropose(agreement, counter, actor(STRANGER, 'admin'), later(1)), NotFoundError, 'not_found');
    expectError(() => counterPropose(agreement, counter, actor(C, 'contributor'), later(1)), ForbiddenError, 'forbidden');
    expectError(() => counterPropose(agreement, counter, SYSTEM_ACTOR, later(1)), ForbiddenError, 'forbidden');
  });

  it('refuses invalid terms', () => {
    expectError(() => counterPropose(proposed(), { basedOnVersion: 1, terms: { schedule: { reminderDays: [9, 2] } } }, proposerAdmin, later(1)), ValidationError, 'invalid_terms');
  });
});

describe('approve', () => {
  it('records one party’s approval and stays proposed', () => {
    const agreement = proposed();
    const result = approve(agreement, { termsHash: agreement.terms.hash }, proposerApprover, later(1));
    const next = changed(result);
    expect(next.status).toBe('proposed');
    expect(next.version).toBe(2);
    expect(next.approvals).toEqual([{ partnerId: P, keyId: proposerApprover.keyId, termsHash: agreement.terms.hash, at: later(1).toISOString() }]);
    expect(result.outcome === 'changed' && result.audit).toEqual({
      action: 'approved',
      statusBefore: 'proposed',
      statusAfter: 'proposed',
      termsVersion: 1,
      termsHash: agreement.terms.hash,
      details: { bothApproved: false },
    });
  });

  it('moves to awaiting_contributions when both parties approved the same hash', () => {
    const agreement = proposed();
    const once = changed(approve(agreement, { termsHash: agreement.terms.hash }, counterpartyApprover, later(1)));
    const result = approve(once, { termsHash: agreement.terms.hash }, proposerAdmin, later(2));
    const both = changed(result);
    expect(both.status).toBe('awaiting_contributions');
    expect(both.version).toBe(3);
    expect(both.approvals.map((approval) => approval.partnerId)).toEqual([C, P]);
    expect(result.outcome === 'changed' && result.audit).toEqual(
      expect.objectContaining({ action: 'approved', statusBefore: 'proposed', statusAfter: 'awaiting_contributions', details: { bothApproved: true } }),
    );
    expect(AgreementSchema.parse(both)).toEqual(both);
  });

  it('is idempotent: the same party approving the same hash again changes nothing, with any of its keys, in any status', () => {
    const agreement = proposed();
    const once = changed(approve(agreement, { termsHash: agreement.terms.hash }, proposerApprover, later(1)));
    expect(approve(once, { termsHash: agreement.terms.hash }, proposerApprover, later(2))).toEqual({ outcome: 'unchanged', agreement: once });
    expect(approve(once, { termsHash: agreement.terms.hash }, actor(P, 'admin'), later(2))).toEqual({ outcome: 'unchanged', agreement: once });
    const both = approvedBoth();
    expect(approve(both, { termsHash: both.terms.hash }, counterpartyApprover, later(3))).toEqual({ outcome: 'unchanged', agreement: both });
  });

  it('answers stale_terms for a hash that is not the current one, also after a counter-proposal', () => {
    const agreement = proposed();
    expectError(() => approve(agreement, { termsHash: termsHash({ purpose: 'Other' }) }, proposerApprover, later(1)), ConflictError, 'stale_terms');
    const once = changed(approve(agreement, { termsHash: agreement.terms.hash }, proposerApprover, later(1)));
    const countered = changed(counterPropose(once, { basedOnVersion: 1, terms: { purpose: 'Other' } }, counterpartyApprover, later(2)));
    // The proposer's approval of version 1 no longer counts: it must approve version 2.
    expectError(() => approve(countered, { termsHash: agreement.terms.hash }, counterpartyApprover, later(3)), ConflictError, 'stale_terms');
    const afterCounter = changed(approve(countered, { termsHash: countered.terms.hash }, counterpartyApprover, later(3)));
    expect(afterCounter.status).toBe('proposed');
    expect(changed(approve(afterCounter, { termsHash: countered.terms.hash }, proposerApprover, later(4))).status).toBe('awaiting_contributions');
  });

  it('waits for the invited counterparty to join', () => {
    const invited = changed(propose({ invitation: { email: 'legal@globex.example' } }, proposerAdmin, T0));
    const approvedByProposer = changed(approve(invited, { termsHash: invited.terms.hash }, proposerApprover, later(1)));
    expect(approvedByProposer.status).toBe('proposed');
    expectError(() => approve(approvedByProposer, { termsHash: invited.terms.hash }, counterpartyApprover, later(2)), NotFoundError, 'not_found');
  });

  it('answers wrong_status once the agreement has ended', () => {
    const declined = changed(decline(proposed(), {}, counterpartyApprover, later(1)));
    expectError(() => approve(declined, { termsHash: declined.terms.hash }, proposerApprover, later(2)), ConflictError, 'wrong_status');
  });

  it.each(['contributor', 'viewer'] as const)('forbids a party’s %s key', (role) => {
    const agreement = proposed();
    const error = expectError(() => approve(agreement, { termsHash: agreement.terms.hash }, actor(C, role), later(1)), ForbiddenError, 'forbidden');
    expect(error.message).toBe(`to approve terms needs a key with the role approver or admin; this key has the role ${role}`);
  });

  it('answers a stranger not_found, whatever its role, and the system forbidden', () => {
    const agreement = proposed();
    for (const role of ['admin', 'approver', 'viewer'] as const) {
      expectError(() => approve(agreement, { termsHash: agreement.terms.hash }, actor(STRANGER, role), later(1)), NotFoundError, 'not_found');
    }
    expectError(() => approve(agreement, { termsHash: agreement.terms.hash }, SYSTEM_ACTOR, later(1)), ForbiddenError, 'forbidden');
  });
});

describe('decline and withdraw', () => {
  const open = ['proposed', 'awaiting_contributions', 'matching', 'awaiting_release'] as const;
  const commands = [
    ['decline', decline, 'declined'],
    ['withdraw', withdraw, 'withdrawn'],
  ] as const;

  for (const [name, command, to] of commands) {
    it.each(open)(`${name} ends an agreement that is %s`, (status) => {
      const agreement = status === 'proposed' ? proposed() : inStatus(status);
      const result = command(agreement, { reason: '  Budget cut  ' }, counterpartyApprover, later(10));
      const next = changed(result);
      expect(next.status).toBe(to);
      expect(next.version).toBe(agreement.version + 1);
      expect(result.outcome === 'changed' && result.audit).toEqual({
        action: to,
        statusBefore: status,
        statusAfter: to,
        termsVersion: 1,
        termsHash: agreement.terms.hash,
        details: { reason: 'Budget cut' },
      });
    });

    it.each(['released', 'withheld', 'lapsed'] as const)(`${name} ends a %s agreement only when it recurs (between runs)`, (status) => {
      expectError(() => command(inStatus(status), {}, proposerAdmin, later(10)), ConflictError, 'wrong_status');
      const recurring = inStatus(status, { schedule: { recurrenceEveryDays: 90 } });
      expect(changed(command(recurring, {}, proposerAdmin, later(10))).status).toBe(to);
    });

    it.each(['expired', to === 'declined' ? 'withdrawn' : 'declined'] as const)(`${name} answers wrong_status when the agreement is %s`, (status) => {
      expectError(() => command(inStatus(status), {}, proposerAdmin, later(10)), ConflictError, 'wrong_status');
    });

    it(`${name} again changes nothing, by either party`, () => {
      const ended = changed(command(proposed(), {}, proposerAdmin, later(10)));
      expect(command(ended, {}, proposerAdmin, later(11))).toEqual({ outcome: 'unchanged', agreement: ended });
      expect(command(ended, {}, counterpartyApprover, later(11))).toEqual({ outcome: 'unchanged', agreement: ended });
    });

    it(`${name} leaves out details without a reason, and needs a party’s admin or approver`, () => {
      const agreement = proposed();
      const result = command(agreement, {}, proposerApprover, later(10));
      expect(result.outcome === 'changed' && 'details' in result.audit).toBe(false);
      expectError(() => command(agreement, {}, actor(STRANGER, 'admin'), later(10)), NotFoundError, 'not_found');
      expectError(() => command(agreement, {}, actor(P, 'viewer'), later(10)), ForbiddenError, 'forbidden');
      expectError(() => command(agreement, {}, SYSTEM_ACTOR, later(10)), ForbiddenError, 'forbidden');
    });
  }
});

describe('lapse and expire', () => {
  it('lapses an agreement awaiting contributions, by the system only', () => {
    const agreement = approvedBoth();
    const result = lapse(agreement, SYSTEM_ACTOR, later(60));
    expect(changed(result).status).toBe('lapsed');
    expect(result.outcome === 'changed' && result.audit).toEqual({
      action: 'lapsed',
      statusBefore: 'awaiting_contributions',
      statusAfter: 'lapsed',
      termsVersion: 1,
      termsHash: agreement.terms.hash,
    });
    expect(lapse(result.agreement, SYSTEM_ACTOR, later(61))).toEqual({ outcome: 'unchanged', agreement: result.agreement });
    expectError(() => lapse(proposed(), SYSTEM_ACTOR, later(60)), ConflictError, 'wrong_status');
    expectError(() => lapse(inStatus('matching'), SYSTEM_ACTOR, later(60)), ConflictError, 'wrong_status');
    expectError(() => lapse(agreement, proposerAdmin, later(60)), ForbiddenError, 'forbidden');
    expectError(() => lapse(agreement, actor(STRANGER, 'admin'), later(60)), NotFoundError, 'not_found');
  });

  it.each(['proposed', 'awaiting_contributions', 'matching', 'awaiting_release'] as const)('expires an agreement that is %s', (status) => {
    const agreement = status === 'proposed' ? proposed() : inStatus(status);
    const result = expire(agreement, SYSTEM_ACTOR, later(60));
    expect(changed(result).status).toBe('expired');
    expect(result.outcome === 'changed' && result.audit.statusBefore).toBe(status);
    expect(expire(result.agreement, SYSTEM_ACTOR, later(61)).outcome).toBe('unchanged');
  });

  it('does not expire an ended agreement, and only the system expires', () => {
    expectError(() => expire(inStatus('lapsed'), SYSTEM_ACTOR, later(60)), ConflictError, 'wrong_status');
    expectError(() => expire(inStatus('released'), SYSTEM_ACTOR, later(60)), ConflictError, 'wrong_status');
    expectError(() => expire(proposed(), counterpartyApprover, later(60)), ForbiddenError, 'forbidden');
    expectError(() => expire(proposed(), actor(STRANGER, 'approver'), later(60)), NotFoundError, 'not_found');
  });
});

describe('sides', () => {
  it('names each party’s side and nobody else’s', () => {
    const agreement = proposed();
    expect(sideOf(agreement, P)).toBe('proposer');
    expect(sideOf(agreement, C)).toBe('counterparty');
    expect(sideOf(agreement, STRANGER)).toBeUndefined();
  });
});

describe('request schemas', () => {
  it('fills the terms of a proposal with defaults and names the counterparty exactly one way', () => {
    expect(ProposeAgreementRequestSchema.parse({ counterpartyId: C }).terms).toEqual(parseTerms({}));
    expect(ProposeAgreementRequestSchema.safeParse({}).error?.issues.map((issue) => issue.path.join('.'))).toEqual(['counterpartyId']);
    expect(ProposeAgreementRequestSchema.safeParse({ counterpartyId: C, inviteEmail: 'a@b.example' }).success).toBe(false);
    expect(ProposeAgreementRequestSchema.safeParse({ inviteEmail: 'nope' }).success).toBe(false);
    expect(ProposeAgreementRequestSchema.safeParse({ counterpartyId: C, extra: 1 }).success).toBe(false);
  });

  it('needs the version and terms of a counter-proposal, and a well-formed hash to approve', () => {
    expect(CounterProposalRequestSchema.safeParse({ terms: {} }).success).toBe(false);
    expect(CounterProposalRequestSchema.safeParse({ basedOnVersion: 1 }).success).toBe(false);
    expect(CounterProposalRequestSchema.parse({ basedOnVersion: 1, terms: {} }).terms).toEqual(parseTerms({}));
    expect(ApproveTermsRequestSchema.safeParse({ termsHash: termsHash({}) }).success).toBe(true);
    expect(ApproveTermsRequestSchema.safeParse({ termsHash: 'sha256:abc' }).success).toBe(false);
  });
});

describe('any sequence of commands (property)', () => {
  const actors = [proposerAdmin, proposerApprover, counterpartyApprover, actor(C, 'admin'), actor(C, 'viewer'), actor(STRANGER, 'admin'), SYSTEM_ACTOR];
  const commandArb = fc.record({
    kind: fc.constantFrom('counter', 'approveCurrent', 'approveStale', 'decline', 'withdraw', 'lapse', 'expire'),
    actor: fc.constantFrom(...actors),
    fee: fc.integer({ min: 0, max: 3 }),
  });

  it('moves only along the transition table, + 1 version per change, and answers only Accord errors', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 12 }), (commands) => {
        let agreement = proposed();
        for (const [index, command] of commands.entries()) {
          const now = later(index + 1);
          const run = (): CommandResult => {
            switch (command.kind) {
              case 'counter':
                return counterPropose(agreement, { basedOnVersion: agreement.terms.version, terms: { incentives: { referralFeeBps: command.fee * 100 } } }, command.actor, now);
              case 'approveCurrent':
                return approve(agreement, { termsHash: agreement.terms.hash }, command.actor, now);
              case 'approveStale':
                return approve(agreement, { termsHash: termsHash({ purpose: 'stale' }) }, command.actor, now);
              case 'decline':
                return decline(agreement, {}, command.actor, now);
              case 'withdraw':
                return withdraw(agreement, {}, command.actor, now);
              case 'lapse':
                return lapse(agreement, command.actor, now);
              case 'expire':
                return expire(agreement, command.actor, now);
            }
          };
          let result: CommandResult;
          try {
            result = run();
          } catch (error) {
            expect([ConflictError, ForbiddenError, NotFoundError].some((type) => error instanceof type)).toBe(true);
            continue;
          }
          if (result.outcome === 'unchanged') {
            expect(result.agreement).toBe(agreement);
            continue;
          }
          expect(canTransition(agreement.status, result.agreement.status)).toBe(true);
          expect(result.agreement.version).toBe(agreement.version + 1);
          expect(result.audit.statusBefore).toBe(agreement.status);
          expect(result.audit.statusAfter).toBe(result.agreement.status);
          expect(result.audit.termsHash).toBe(result.agreement.terms.hash);
          if (result.agreement.status === 'awaiting_contributions') {
            const approvers = new Set(result.agreement.approvals.filter((a) => a.termsHash === result.agreement.terms.hash).map((a) => a.partnerId));
            expect(approvers).toEqual(new Set([P, C]));
          }
          agreement = result.agreement;
        }
      }),
    );
  });
});
