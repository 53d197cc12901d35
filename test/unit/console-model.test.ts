import { describe, expect, it } from 'vitest';
import { type Actor, type Agreement, approve, counterPropose, propose, SYSTEM_ACTOR } from '../../shared/agreement.ts';
import { appendEvent, type AuditEvent } from '../../shared/audit-chain.ts';
import { termsHash } from '../../shared/terms.ts';
import { href, parseRoute } from '../../console/src/model/route.ts';
import { compareWithPrevious, partyNames, showValue, termsHashInput } from '../../console/src/model/terms-view.ts';
import { timeline } from '../../console/src/model/timeline.ts';
import { waitingOn } from '../../console/src/model/waiting.ts';
import { sha256Hex } from '../../shared/canonical-json.ts';
import type { Referral } from '../../shared/referral.ts';
import type { Population } from '../../shared/terms.ts';
import { balanceWords, directionWords, entryAmount, pipeline, referralNextStep } from '../../console/src/model/referrals.ts';
import { cellName, firstCell, heatOf, levelWords, maxCount } from '../../console/src/model/nine-box.ts';

const ACME: Actor = { partnerId: 'ptn_acme0000000000000000', keyId: 'key_acme0000000000000000', role: 'approver' };
const GLOBEX: Actor = { partnerId: 'ptn_globex00000000000000', keyId: 'key_globex00000000000000', role: 'approver' };
const NOW = new Date('2026-11-23T10:00:00.000Z');

function proposed(): Agreement {
  const result = propose({ counterpartyId: GLOBEX.partnerId, terms: {} }, ACME, NOW, { id: 'agr_console0000000000000' });
  return result.agreement;
}

describe('what an agreement waits on', () => {
  it('names whose approval is missing, from the caller’s side', () => {
    const agreement = proposed();
    expect(waitingOn(agreement, 'proposer')).toEqual({ on: 'both', what: 'both sides’ approval of terms version 1' });
    const acmeApproved = approve(agreement, { termsHash: agreement.terms.hash }, ACME, NOW).agreement;
    expect(waitingOn(acmeApproved, 'proposer')).toEqual({ on: 'partner', what: 'the partner’s approval of terms version 1' });
    expect(waitingOn(acmeApproved, 'counterparty')).toEqual({ on: 'you', what: 'your approval of terms version 1' });
  });

  it('forgets approvals of earlier terms, and names contributions from the run', () => {
    const agreement = proposed();
    const approved = approve(agreement, { termsHash: agreement.terms.hash }, ACME, NOW).agreement;
    const countered = counterPropose(approved, { basedOnVersion: 1, terms: { incentives: { referralFeeBps: 100 } } }, GLOBEX, NOW).agreement;
    expect(waitingOn(countered, 'proposer').what).toBe('both sides’ approval of terms version 2');
    const open: Agreement = { ...countered, status: 'awaiting_contributions', currentRunId: 'run_console0000000000000' };
    expect(waitingOn(open, 'counterparty', { contributed: { proposer: true, counterparty: false } })).toEqual({ on: 'you', what: 'your contribution' });
    expect(waitingOn(open, 'counterparty', { contributed: { proposer: true, counterparty: true } }).on).toBe('system');
    expect(waitingOn({ ...open, status: 'declined' }, 'proposer')).toEqual({ on: 'nobody', what: 'nothing: the agreement was declined' });
  });
});

describe('terms as the console shows them', () => {
  it('says what changed, in words and field by field', () => {
    const agreement = proposed();
    const countered = counterPropose(agreement, { basedOnVersion: 1, terms: { incentives: { referralFeeBps: 250 } } }, GLOBEX, NOW).agreement;
    const comparison = compareWithPrevious(countered, partyNames('proposer', 'Acme'));
    expect(comparison?.previous.version).toBe(1);
    expect(comparison?.changes).toEqual([{ path: 'incentives.referralFeeBps', before: 0, after: 250 }]);
    expect(comparison?.removed).toEqual(['No referral fee.']);
    expect(comparison?.added).toEqual([expect.stringMatching(/^Referral fee: 2\.5% of the value of a deal/)]);
    expect(compareWithPrevious(agreement, partyNames('proposer', 'Acme'))).toBeUndefined();
  });

  it('hashes to the terms’ hash from the text it gives WebCrypto', () => {
    const agreement = proposed();
    expect(`sha256:${sha256Hex(termsHashInput(agreement.terms))}`).toBe(agreement.terms.hash);
    expect(agreement.terms.hash).toBe(termsHash({}));
  });

  it('shows values for people', () => {
    expect([showValue([1, 3, 7]), showValue(undefined), showValue([]), showValue(true), showValue('blind')]).toEqual(['1, 3, 7', '(none)', '(empty)', 'true', 'blind']);
  });
});

describe('the run timeline', () => {
  it('orders the audit events, the caller’s contributions and what is due, and tells past from upcoming', () => {
    const agreement = proposed();
    const events: AuditEvent[] = [];
    const add = (action: string, actor: Actor, at: string, details?: Record<string, string | boolean>) => {
      events.push(
        appendEvent(events.at(-1), {
          agreementId: agreement.id,
          action,
          actor,
          at,
          statusBefore: 'proposed',
          statusAfter: action === 'approved' && actor === GLOBEX ? 'awaiting_contributions' : 'proposed',
          termsVersion: 1,
          termsHash: agreement.terms.hash,
          ...(details ? { details } : {}),
        }),
      );
    };
    add('proposed', ACME, '2026-11-23T10:00:00.000Z');
    add('approved', ACME, '2026-11-23T10:05:00.000Z');
    add('approved', GLOBEX, '2026-11-23T10:06:00.000Z');
    add('run_opened', SYSTEM_ACTOR, '2026-11-23T10:07:00.000Z', { runId: 'run_console0000000000000' });
    add('results_approved', GLOBEX, '2026-11-23T10:08:00.000Z');
    const entries = timeline({
      events,
      run: {
        id: 'run_console0000000000000',
        agreementId: agreement.id,
        status: 'open',
        sequence: 1,
        openedAt: '2026-11-23T10:07:00.000Z',
        deadline: '2026-12-07T10:07:00.000Z',
        reminderTimes: ['2026-11-24T10:07:00.000Z', '2026-11-26T10:07:00.000Z'],
        contributed: { proposer: true, counterparty: false },
      },
      contributions: [
        {
          id: 'ctb_console0000000000000',
          agreementId: agreement.id,
          runId: 'run_console0000000000000',
          partnerId: ACME.partnerId,
          side: 'proposer',
          status: 'accepted',
          filename: 'crm.csv',
          createdAt: '2026-11-23T11:00:00.000Z',
          validatedAt: '2026-11-23T11:01:00.000Z',
          report: { verdict: 'accepted', rowsRead: 10, accepted: 9, rejected: 1, rejections: [], populations: {}, columns: {}, delimiter: ',', bytes: 100 },
        },
      ],
      myPartnerId: ACME.partnerId,
      now: new Date('2026-11-25T00:00:00.000Z'),
    });
    expect(entries.map((entry) => [entry.when, entry.text])).toEqual([
      ['past', 'Proposed by you: terms version 1.'],
      ['past', 'Terms version 1 approved by you.'],
      ['past', 'Terms version 1 approved by the partner: both sides have approved.'],
      ['past', 'Run run_console0000000000000 opened: contributions are due.'],
      ['past', 'Results approved by the partner.'],
      ['past', 'Your contribution (crm.csv) was accepted: 9 rows, 1 rejected.'],
      ['past', 'Day 1: reminder time for any side that had not contributed.'],
      ['upcoming', 'Day 3: a side that has not contributed by then is reminded.'],
      ['upcoming', 'Contribution deadline: the run lapses unless both sides have contributed.'],
    ]);
  });
});

describe('console routes', () => {
  it('reads pages from the URL fragment and writes links back', () => {
    expect(parseRoute('')).toEqual({ page: 'agreements' });
    expect(parseRoute('#/agreements/agr_abc/timeline')).toEqual({ page: 'timeline', agreementId: 'agr_abc' });
    expect(parseRoute('#/nowhere')).toEqual({ page: 'not-found', hash: '#/nowhere' });
    expect(href({ page: 'agreement', agreementId: 'agr_abc' })).toBe('#/agreements/agr_abc');
  });
});

describe('the 9-box heat map', () => {
  const cell = (mine: Population, theirs: Population, count: number | null, level: 'hidden' | 'count' | 'accounts' = 'accounts') => ({
    mine,
    theirs,
    level,
    fields: [],
    count,
    rule: { play: 'co-sell', acts: 'both' as const, note: '' },
  });

  it('shades cells by their share of the fullest one, hidden cells never', () => {
    expect([heatOf(0, 8), heatOf(1, 8), heatOf(2, 8), heatOf(5, 8), heatOf(8, 8), heatOf(null, 8), heatOf(3, 0)]).toEqual([0, 1, 1, 3, 4, 0, 0]);
    expect(maxCount({ cells: [cell('customer', 'customer', 3), cell('customer', 'prospect', null, 'hidden'), cell('prospect', 'prospect', 7, 'count')] })).toBe(7);
  });

  it('opens on the fullest cell whose accounts the reader may see', () => {
    const view = { cells: [cell('customer', 'customer', 3), cell('prospect', 'prospect', 7, 'count'), cell('opportunity', 'customer', 4)] };
    expect(firstCell(view)).toMatchObject({ mine: 'opportunity', theirs: 'customer' });
    expect(cellName({ mine: 'customer', theirs: 'prospect' })).toBe('your customers × the partner’s prospects');
    expect(levelWords({ level: 'accounts', fields: ['owner'], limitedBy: 'give_to_get' })).toBe('accounts with owner (narrowed by give-to-get)');
  });
});

describe('referrals and the ledger in words', () => {
  const base = { introducer: 'counterparty' as const, introduced: 'proposer' as const, registeredBy: 'counterparty' as const, dispute: undefined };

  it('counts the pipeline by stage with the deal values per currency', () => {
    const referrals = [
      { ...base, stage: 'opportunity', opportunity: { amountMinor: 50_000, currency: 'EUR', recordedAt: '2026-11-23T10:00:00.000Z' } },
      { ...base, stage: 'opportunity', opportunity: { amountMinor: 25_000, currency: 'EUR', recordedAt: '2026-11-23T10:00:00.000Z' } },
      { ...base, stage: 'won', deal: { closedAt: '2026-11-23T10:00:00.000Z', amountMinor: 100_000, currency: 'USD' } },
      { ...base, stage: 'proposed' },
    ] as unknown as Referral[];
    expect(pipeline(referrals).map((stage) => [stage.stage, stage.count, stage.amounts])).toEqual([
      ['proposed', 1, []],
      ['accepted', 0, []],
      ['opportunity', 2, ['EUR 750.00']],
      ['won', 1, ['USD 1,000.00']],
      ['lost', 0, []],
      ['declined', 0, []],
      ['void', 0, []],
    ]);
  });

  it('says who introduced whom, what is next, and who owes whom', () => {
    const proposed = { ...base, stage: 'proposed' } as unknown as Referral;
    expect(directionWords(proposed, 'proposer')).toBe('the partner introduced you');
    expect(referralNextStep(proposed, 'proposer')).toBe('you to accept or decline it');
    expect(referralNextStep(proposed, 'counterparty')).toBe('the partner to accept it');
    const balance = { currency: 'USD', payerId: 'ptn_a', payeeId: 'ptn_b', amountMinor: 7_000, entries: 1 };
    expect(balanceWords(balance, 'ptn_a')).toBe('You owe the partner USD 70.00 (1 entry).');
    expect(balanceWords(balance, 'ptn_b')).toBe('The partner owes you USD 70.00 (1 entry).');
    expect(entryAmount({ amountMinor: -7_000, currency: 'USD' })).toBe('−USD 70.00');
  });
});
