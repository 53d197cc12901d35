import { describe, expect, it } from 'vitest';
import { type Agreement, propose } from '../../shared/agreement.ts';
import { AccordError } from '../../shared/errors.ts';
import type { Role } from '../../shared/partner.ts';
import {
  acceptReferral,
  type Deal,
  declineReferral,
  disputeReferral,
  loseReferral,
  recordOpportunity,
  type Referral,
  type ReferralActor,
  type ReferralResult,
  registerReferral,
  resolveDispute,
  type TermsInForce,
  winReferral,
} from '../../shared/referral.ts';
import type { Side } from '../../shared/terms.ts';
import { saveReferralChangeParams } from '../../functions/store/referral-store.ts';
import { appendEvent } from '../../shared/audit-chain.ts';

const PROPOSER = 'ptn_aaaaaaaaaaaaaaaaaaaa';
const COUNTERPARTY = 'ptn_bbbbbbbbbbbbbbbbbbbb';
const T0 = new Date('2026-03-01T10:00:00.000Z');
const later = (days: number) => new Date(T0.getTime() + days * 86_400_000);

function actor(side: Side, role: Role = 'admin'): ReferralActor {
  return { partnerId: side === 'proposer' ? PROPOSER : COUNTERPARTY, keyId: 'key_cccccccccccccccccccc', role, side };
}

function agreement(incentives: Record<string, unknown> = { referralFeeBps: 1000, revenueShareBps: 500, capMinorUnits: 200_000 }): Agreement {
  const result = propose({ counterpartyId: COUNTERPARTY, terms: { incentives } }, actor('proposer', 'approver'), T0);
  if (result.outcome !== 'changed') throw new Error('expected a proposal');
  return { ...result.agreement, status: 'released' };
}

function terms(of: Agreement): TermsInForce {
  return { version: of.terms.version, hash: of.terms.hash, incentives: of.terms.incentives };
}

const match = {
  runId: 'run_dddddddddddddddddddd',
  matchId: 'mch_eeeeeeeeeeeeeeeeeeee',
  cell: { proposer: 'customer' as const, counterparty: 'prospect' as const },
  account: { name: 'Initech', domain: 'initech.com' },
};

function changedReferral(result: ReferralResult): Referral {
  if (result.outcome !== 'changed') throw new Error('expected a change');
  return result.referral;
}

/** The proposer introduces the counterparty; registered by the proposer. */
function proposed(of = agreement()): Referral {
  return registerReferral(of, match, { runId: match.runId, matchId: match.matchId, introducer: 'proposer' }, actor('proposer', 'contributor'), T0).referral;
}

function atOpportunity(of = agreement()): Referral {
  const accepted = changedReferral(acceptReferral(proposed(of), actor('counterparty'), later(1)));
  return changedReferral(recordOpportunity(accepted, { amountMinor: 500_000, currency: 'USD' }, actor('counterparty'), later(2)));
}

const deal: Deal = { closedAt: later(10).toISOString(), amountMinor: 1_000_000, currency: 'USD' };

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof AccordError) return `${error.constructor.name}:${error.code}`;
    throw error;
  }
  return 'ok';
}

describe('referral lifecycle', () => {
  it('goes proposed → accepted → opportunity → won and books fee and share on the ledger, payer the side introduced', () => {
    const of = agreement();
    const referral = proposed(of);
    expect(referral).toMatchObject({ stage: 'proposed', introducer: 'proposer', introduced: 'counterparty', introducerId: PROPOSER, introducedId: COUNTERPARTY, version: 1 });
    const won = winReferral(atOpportunity(of), deal, terms(of), actor('counterparty'), later(11));
    if (won.outcome !== 'changed') throw new Error('expected a change');
    expect(won.referral.stage).toBe('won');
    expect(won.referral.attribution).toMatchObject({ outcome: 'attributed', totalMinor: 150_000, capped: false });
    expect(won.entries.map((entry) => [entry.kind, entry.amountMinor, entry.payerId, entry.payeeId])).toEqual([
      ['referral_fee', 100_000, COUNTERPARTY, PROPOSER],
      ['revenue_share', 50_000, COUNTERPARTY, PROPOSER],
    ]);
    expect(won.audit).toMatchObject({ action: 'referral.won', details: { stageBefore: 'opportunity', stageAfter: 'won', attribution: 'attributed' } });
    expect(won.referral.history.map((step) => step.action)).toEqual(['registered', 'accepted', 'opportunity', 'won']);
    // Won again with the same deal changes nothing; with another deal it is refused.
    expect(winReferral(won.referral, deal, terms(of), actor('counterparty'), later(12)).outcome).toBe('unchanged');
    expect(codeOf(() => winReferral(won.referral, { ...deal, amountMinor: 5 }, terms(of), actor('counterparty'), later(12)))).toBe('ConflictError:wrong_stage');
  });

  it('lets only the other side accept, and only the side introduced record the deal', () => {
    const of = agreement();
    expect(codeOf(() => acceptReferral(proposed(of), actor('proposer'), later(1)))).toBe('ForbiddenError:wrong_party');
    const accepted = changedReferral(acceptReferral(proposed(of), actor('counterparty', 'contributor'), later(1)));
    expect(acceptReferral(accepted, actor('counterparty'), later(2)).outcome).toBe('unchanged');
    expect(codeOf(() => recordOpportunity(accepted, { amountMinor: 1, currency: 'USD' }, actor('proposer'), later(2)))).toBe('ForbiddenError:wrong_party');
    expect(codeOf(() => loseReferral(accepted, undefined, actor('proposer'), later(2)))).toBe('ForbiddenError:wrong_party');
    expect(codeOf(() => winReferral(accepted, deal, terms(of), actor('counterparty'), later(11)))).toBe('ConflictError:wrong_stage');
    expect(changedReferral(loseReferral(accepted, 'budget cut', actor('counterparty'), later(3)))).toMatchObject({ stage: 'lost', reason: 'budget cut' });
  });

  it('is declined by either side while proposed, and not after', () => {
    expect(changedReferral(declineReferral(proposed(), 'never met them', actor('counterparty'), later(1))).stage).toBe('declined');
    expect(changedReferral(declineReferral(proposed(), undefined, actor('proposer'), later(1))).stage).toBe('declined');
    const accepted = changedReferral(acceptReferral(proposed(), actor('counterparty'), later(1)));
    expect(codeOf(() => declineReferral(accepted, undefined, actor('counterparty'), later(2)))).toBe('ConflictError:wrong_stage');
  });

  it('checks the deal: not in the future, not before the introduction, a rate exactly when the currency differs', () => {
    const of = agreement();
    const open = atOpportunity(of);
    const win = (figures: Deal) => codeOf(() => winReferral(open, figures, terms(of), actor('counterparty'), later(11)));
    expect(win({ ...deal, closedAt: later(12).toISOString() })).toBe('ValidationError:validation_failed');
    expect(win({ ...deal, closedAt: later(-1).toISOString() })).toBe('ValidationError:validation_failed');
    expect(win({ ...deal, currency: 'EUR' })).toBe('ValidationError:validation_failed');
    expect(win({ ...deal, exchangeRate: '1.1' })).toBe('ValidationError:validation_failed');
    expect(win({ ...deal, currency: 'EUR', exchangeRate: '1.1' })).toBe('ok');
  });

  it('says why nothing is owed when the deal closed after the attribution window', () => {
    const of = agreement({ referralFeeBps: 1000, attributionWindowDays: 5 });
    const won = winReferral(atOpportunity(of), deal, terms(of), actor('counterparty'), later(11));
    if (won.outcome !== 'changed') throw new Error('expected a change');
    expect(won.entries).toEqual([]);
    expect(won.referral.stage).toBe('won');
    expect(won.referral.attribution).toMatchObject({ outcome: 'outside_window' });
  });
});

describe('roles and sides', () => {
  const roles: Role[] = ['admin', 'approver', 'contributor', 'viewer'];

  it('lets admin, approver and contributor work referrals, and only admin and approver dispute and resolve', () => {
    const of = agreement();
    const table = roles.map((role) => [
      role,
      codeOf(() => registerReferral(of, match, { runId: match.runId, matchId: match.matchId, introducer: 'counterparty' }, actor('proposer', role), T0)),
      codeOf(() => acceptReferral(proposed(of), actor('counterparty', role), later(1))),
      codeOf(() => disputeReferral(atOpportunity(of), 'not us', actor('proposer', role), later(3))),
    ]);
    expect(table).toEqual([
      ['admin', 'ok', 'ok', 'ok'],
      ['approver', 'ok', 'ok', 'ok'],
      ['contributor', 'ok', 'ok', 'ForbiddenError:forbidden'],
      ['viewer', 'ForbiddenError:forbidden', 'ForbiddenError:forbidden', 'ForbiddenError:forbidden'],
    ]);
  });
});

describe('disputes', () => {
  function disputedWon(by: Side) {
    const of = agreement();
    const won = changedReferral(winReferral(atOpportunity(of), deal, terms(of), actor('counterparty'), later(11)));
    return { of, won, disputed: changedReferral(disputeReferral(won, 'the deal was larger', actor(by), later(12))) };
  }

  it('freezes the referral, refuses a second dispute, and can be disputed only once accepted', () => {
    expect(codeOf(() => disputeReferral(proposed(), 'x', actor('counterparty'), later(1)))).toBe('ConflictError:wrong_stage');
    const of = agreement();
    const open = atOpportunity(of);
    const disputed = changedReferral(disputeReferral(open, 'we never met', actor('counterparty'), later(3)));
    expect(disputed.dispute).toMatchObject({ openedBy: 'counterparty', reason: 'we never met' });
    expect(codeOf(() => winReferral(disputed, deal, terms(of), actor('counterparty'), later(11)))).toBe('ConflictError:disputed');
    expect(codeOf(() => disputeReferral(disputed, 'again', actor('proposer'), later(4)))).toBe('ConflictError:disputed');
  });

  it('is withdrawn alone by the side that opened it (stands), but a resolution by the other side needs both', () => {
    const { of, disputed } = disputedWon('proposer');
    const withdrawn = changedReferral(resolveDispute(disputed, { outcome: 'stands' }, terms(of), actor('proposer'), later(13)));
    expect(withdrawn.dispute).toBeUndefined();
    expect(withdrawn.disputes).toHaveLength(1);
    expect(withdrawn.stage).toBe('won');

    const proposal = resolveDispute(disputed, { outcome: 'stands' }, terms(of), actor('counterparty'), later(13));
    if (proposal.outcome !== 'changed') throw new Error('expected a change');
    expect(proposal.notice).toBe('resolution_proposed');
    expect(proposal.referral.dispute?.proposal).toMatchObject({ by: 'counterparty', resolution: { outcome: 'stands' } });
    expect(resolveDispute(proposal.referral, { outcome: 'stands' }, terms(of), actor('counterparty'), later(14)).outcome).toBe('unchanged');
  });

  it('voids a won referral when both name void: its entries are reversed', () => {
    const { of, won, disputed } = disputedWon('counterparty');
    const proposal = changedReferral(resolveDispute(disputed, { outcome: 'void' }, terms(of), actor('counterparty'), later(13)));
    const settled = resolveDispute(proposal, { outcome: 'void' }, terms(of), actor('proposer'), later(14));
    if (settled.outcome !== 'changed') throw new Error('expected a change');
    expect(settled.referral).toMatchObject({ stage: 'void', entries: [] });
    expect(settled.entries.map((entry) => [entry.amountMinor, entry.reversesEntryId])).toEqual(won.entries.map((entry) => [-entry.amountMinor, entry.id]));
  });

  it('amends a won referral’s deal when both name the same amendment: reversed and booked again, capped', () => {
    const { of, won, disputed } = disputedWon('proposer');
    const amended = { outcome: 'amended' as const, deal: { ...deal, amountMinor: 2_000_000 } };
    const proposal = changedReferral(resolveDispute(disputed, amended, terms(of), actor('proposer'), later(13)));
    // A different amendment from the other side replaces the proposal instead of settling.
    const counter = changedReferral(resolveDispute(proposal, { outcome: 'amended', deal: { ...deal, amountMinor: 1_500_000 } }, terms(of), actor('counterparty'), later(13)));
    expect(counter.dispute?.proposal?.by).toBe('counterparty');
    const settled = resolveDispute(counter, { outcome: 'amended', deal: { ...deal, amountMinor: 1_500_000 } }, terms(of), actor('proposer'), later(14));
    if (settled.outcome !== 'changed') throw new Error('expected a change');
    const reversals = settled.entries.filter((entry) => entry.reversesEntryId);
    const booked = settled.entries.filter((entry) => !entry.reversesEntryId);
    expect(reversals.map((entry) => entry.reversesEntryId)).toEqual(won.entries.map((entry) => entry.id));
    // 10% of 1.5M + 5% of 1.5M = 225,000, capped at 200,000 and split 2:1 (133,333.33 and 66,666.67: the unit left goes to the larger remainder).
    expect(booked.map((entry) => entry.amountMinor)).toEqual([133_333, 66_667]);
    expect(settled.referral).toMatchObject({ stage: 'won', dealValueMinor: 1_500_000, attribution: { capped: true, totalMinor: 200_000 } });
    expect(settled.referral.entries).toEqual(booked);
  });
});

describe('referral store requests', () => {
  it('writes the referral over its version, moves the chain head only from the head read, and guards one open referral per match and direction', () => {
    const of = agreement();
    const referral = proposed(of);
    const event = appendEvent(undefined, {
      agreementId: of.id,
      at: T0,
      actor: actor('proposer'),
      action: 'referral.registered',
      statusBefore: 'released',
      statusAfter: 'released',
      termsVersion: 1,
      termsHash: of.terms.hash,
    });
    const { params, openMarkerIndex } = saveReferralChangeParams('t', {
      agreementId: of.id,
      referral,
      expectedVersion: undefined,
      auditHead: { seq: 0, hash: 'sha256:0' },
      event,
      openMarker: 'open',
      entries: [],
    });
    const items = params.TransactItems ?? [];
    expect(items[0]?.Put?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(items[1]?.Update?.ConditionExpression).toContain('auditHead.#seq = :seq');
    expect(items[2]?.Put?.Item).toMatchObject({ sk: 'AUDIT#0000000001' });
    expect(openMarkerIndex).toBe(3);
    expect(items[3]?.Put?.Item).toMatchObject({ sk: `REFOPEN#${match.matchId}#proposer`, referralId: referral.id });
  });
});
