import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VISIBILITY, parseTerms, POPULATIONS, type Population, ruleOfEngagement, SIDES, type TermsInput, VISIBILITY_LEVELS, type VisibilityLevel } from '../../shared/terms.ts';
import { effectiveVisibility, effectiveVisibilityMatrix, giveToGetNarrows, VISIBILITY_RANK } from '../../shared/visibility.ts';

const cell = (level: VisibilityLevel, fields: string[] = []) => ({ level, fields });

/** Terms where the proposer's cell [mine][theirs] and the counterparty's mirrored cell [theirs][mine] are set. */
function termsWith(
  mine: Population,
  theirs: Population,
  proposerSees: { level: VisibilityLevel; fields?: string[] },
  counterpartySees: { level: VisibilityLevel; fields?: string[] },
  extra: TermsInput = {},
) {
  return parseTerms({
    ...extra,
    visibility: {
      ...extra.visibility,
      proposer: { [mine]: { [theirs]: proposerSees } },
      counterparty: { [theirs]: { [mine]: counterpartySees } },
    },
  });
}

describe('effective visibility', () => {
  it('shows the defaults as written: they already satisfy give-to-get', () => {
    const terms = parseTerms({});
    for (const side of SIDES) {
      for (const mine of POPULATIONS) {
        for (const theirs of POPULATIONS) {
          expect(effectiveVisibility(terms, side, mine, theirs)).toEqual(cell(DEFAULT_VISIBILITY[mine][theirs]));
        }
      }
    }
    expect(giveToGetNarrows(terms)).toBe(false);
  });

  const levelPairs = VISIBILITY_LEVELS.flatMap((proposer) => VISIBILITY_LEVELS.map((counterparty) => [proposer, counterparty] as const));

  it.each(levelPairs)('gives each side the lesser level: proposer wrote %s, counterparty %s', (proposerLevel, counterpartyLevel) => {
    const terms = termsWith('customer', 'prospect', { level: proposerLevel }, { level: counterpartyLevel });
    const expected = VISIBILITY_RANK[proposerLevel] <= VISIBILITY_RANK[counterpartyLevel] ? proposerLevel : counterpartyLevel;
    const proposer = effectiveVisibility(terms, 'proposer', 'customer', 'prospect');
    const counterparty = effectiveVisibility(terms, 'counterparty', 'prospect', 'customer');
    expect(proposer.level).toBe(expected);
    expect(counterparty.level).toBe(expected);
    expect(proposer.limitedBy).toBe(expected === proposerLevel ? undefined : 'give_to_get');
    expect(counterparty.limitedBy).toBe(expected === counterpartyLevel ? undefined : 'give_to_get');
  });

  it.each(levelPairs)('shows exactly what is written when asymmetric: proposer %s, counterparty %s', (proposerLevel, counterpartyLevel) => {
    const terms = termsWith('customer', 'prospect', { level: proposerLevel }, { level: counterpartyLevel }, { visibility: { asymmetric: true } });
    expect(effectiveVisibility(terms, 'proposer', 'customer', 'prospect')).toEqual(cell(proposerLevel));
    expect(effectiveVisibility(terms, 'counterparty', 'prospect', 'customer')).toEqual(cell(counterpartyLevel));
  });

  it('compares a cell with its mirror across, not with the same cell of the other side', () => {
    // The counterparty shows its prospects that are my customers only as a count...
    const terms = parseTerms({ visibility: { counterparty: { prospect: { customer: { level: 'count' } } } } });
    // ...so I see my customers that are its prospects only as a count.
    expect(effectiveVisibility(terms, 'proposer', 'customer', 'prospect')).toEqual({ level: 'count', fields: [], limitedBy: 'give_to_get' });
    // The counterparty's own view of that overlap is as written, and the other cells are untouched.
    expect(effectiveVisibility(terms, 'counterparty', 'prospect', 'customer')).toEqual(cell('count'));
    expect(effectiveVisibility(terms, 'proposer', 'prospect', 'customer')).toEqual(cell('accounts'));
    expect(effectiveVisibility(terms, 'counterparty', 'customer', 'prospect')).toEqual(cell('accounts'));
    expect(giveToGetNarrows(terms)).toBe(true);
  });

  it('shows only the extra fields both sides name', () => {
    const terms = termsWith('customer', 'customer', { level: 'accounts', fields: ['industry', 'ownerEmail'] }, { level: 'accounts', fields: ['ownerEmail', 'region'] });
    expect(effectiveVisibility(terms, 'proposer', 'customer', 'customer')).toEqual({ level: 'accounts', fields: ['ownerEmail'], limitedBy: 'give_to_get' });
    expect(effectiveVisibility(terms, 'counterparty', 'customer', 'customer')).toEqual({ level: 'accounts', fields: ['ownerEmail'], limitedBy: 'give_to_get' });
  });

  it('drops extra fields when the other side shows only a count', () => {
    const terms = termsWith('opportunity', 'customer', { level: 'accounts', fields: ['industry'] }, { level: 'count' });
    expect(effectiveVisibility(terms, 'proposer', 'opportunity', 'customer')).toEqual({ level: 'count', fields: [], limitedBy: 'give_to_get' });
  });

  it('keeps extra fields as written when asymmetric', () => {
    const terms = termsWith('customer', 'customer', { level: 'accounts', fields: ['industry'] }, { level: 'hidden' }, { visibility: { asymmetric: true } });
    expect(effectiveVisibility(terms, 'proposer', 'customer', 'customer')).toEqual(cell('accounts', ['industry']));
    expect(effectiveVisibility(terms, 'counterparty', 'customer', 'customer')).toEqual(cell('hidden'));
  });

  it('hides a cell whose population one side does not contribute', () => {
    const terms = parseTerms({ populations: { proposer: ['customer'], counterparty: ['customer', 'prospect'] } });
    expect(effectiveVisibility(terms, 'proposer', 'customer', 'prospect')).toEqual(cell('accounts'));
    expect(effectiveVisibility(terms, 'proposer', 'opportunity', 'customer')).toEqual({ level: 'hidden', fields: [], limitedBy: 'not_contributed' });
    expect(effectiveVisibility(terms, 'proposer', 'customer', 'opportunity')).toEqual({ level: 'hidden', fields: [], limitedBy: 'not_contributed' });
    expect(effectiveVisibility(terms, 'counterparty', 'prospect', 'prospect')).toEqual({ level: 'hidden', fields: [], limitedBy: 'not_contributed' });
    expect(effectiveVisibility(terms, 'counterparty', 'prospect', 'customer')).toEqual(cell('accounts'));
  });

  it('gives the whole matrix of a side', () => {
    const terms = parseTerms({ visibility: { counterparty: { prospect: { customer: { level: 'hidden' } } } } });
    const matrix = effectiveVisibilityMatrix(terms, 'proposer');
    expect(Object.keys(matrix)).toEqual(['customer', 'opportunity', 'prospect']);
    expect(matrix.customer.prospect).toEqual({ level: 'hidden', fields: [], limitedBy: 'give_to_get' });
    expect(matrix.opportunity.opportunity).toEqual(cell('accounts'));
  });

  const levelArb = fc.constantFrom(...VISIBILITY_LEVELS);
  const matrixArb = fc.record(
    Object.fromEntries(POPULATIONS.map((mine) => [mine, fc.record(Object.fromEntries(POPULATIONS.map((theirs) => [theirs, fc.record({ level: levelArb })])))])),
  );

  it('never lets a side see more of the other than it shows of itself, nor more than written (property)', () => {
    fc.assert(
      fc.property(matrixArb, matrixArb, (proposer, counterparty) => {
        const terms = parseTerms({ visibility: { proposer, counterparty } });
        for (const mine of POPULATIONS) {
          for (const theirs of POPULATIONS) {
            const mineSeen = effectiveVisibility(terms, 'proposer', mine, theirs);
            const theirsSeen = effectiveVisibility(terms, 'counterparty', theirs, mine);
            expect(mineSeen).toEqual(expect.objectContaining({ level: theirsSeen.level, fields: theirsSeen.fields }));
            expect(VISIBILITY_RANK[mineSeen.level]).toBeLessThanOrEqual(VISIBILITY_RANK[terms.visibility.proposer[mine][theirs].level]);
          }
        }
      }),
    );
  });
});

describe('rules of engagement from one side', () => {
  const terms = parseTerms({ rulesOfEngagement: { customer: { prospect: { note: 'Intro within 5 working days.' } } } });

  it('turns [proposer][counterparty] into [mine][theirs] and who acts into me or them', () => {
    expect(ruleOfEngagement(terms, 'proposer', 'customer', 'prospect')).toEqual({ play: 'referral', acts: 'me', note: 'Intro within 5 working days.' });
    expect(ruleOfEngagement(terms, 'counterparty', 'prospect', 'customer')).toEqual({ play: 'referral', acts: 'them', note: 'Intro within 5 working days.' });
    expect(ruleOfEngagement(terms, 'counterparty', 'customer', 'prospect')).toEqual(expect.objectContaining({ play: 'referral', acts: 'me' }));
    expect(ruleOfEngagement(terms, 'counterparty', 'opportunity', 'opportunity')).toEqual(expect.objectContaining({ play: 'co-sell', acts: 'both' }));
  });

  it('gives both sides the same play for the same overlap, and mirrors who acts', () => {
    for (const mine of POPULATIONS) {
      for (const theirs of POPULATIONS) {
        const proposer = ruleOfEngagement(terms, 'proposer', mine, theirs);
        const counterparty = ruleOfEngagement(terms, 'counterparty', theirs, mine);
        expect(counterparty.play).toBe(proposer.play);
        expect(counterparty.acts).toBe({ me: 'them', them: 'me', both: 'both', neither: 'neither' }[proposer.acts]);
      }
    }
  });
});
