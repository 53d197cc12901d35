import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/errors.ts';
import { describeTerms, parseTerms, type TermsInput, termsHash } from '../../shared/terms.ts';

function detailsOf(input: unknown) {
  try {
    parseTerms(input);
  } catch (error) {
    if (error instanceof ValidationError) return error.details;
    throw error;
  }
  return [];
}

const BLIND = { mode: 'blind', fuzzyThreshold: 1 } as const;

describe('blind terms', () => {
  it('compare names exactly: a threshold below 1 is refused unless names are off', () => {
    expect(detailsOf({ matching: { mode: 'blind' } })).toEqual([
      { path: 'terms.matching.fuzzyThreshold', message: 'blind matching compares names exactly (similarity needs the names themselves): set 1, or name: false (not 0.9)' },
    ]);
    expect(parseTerms({ matching: BLIND }).matching).toEqual({ mode: 'blind', domain: true, name: true, fuzzyThreshold: 1 });
    expect(parseTerms({ matching: { mode: 'blind', name: false } }).matching.mode).toBe('blind');
  });

  it('show no fields of the other side: "accounts" means which of one’s own records overlap', () => {
    const terms = { matching: BLIND, visibility: { counterparty: { prospect: { customer: { level: 'accounts', fields: ['industry'] } } } } } as TermsInput;
    expect(detailsOf(terms)).toEqual([
      {
        path: 'terms.visibility.counterparty.prospect.customer.fields',
        message: 'blind matching shows no fields of the other side (its rows never reach Accord): "accounts" means which of your own records overlap',
      },
    ]);
    const levels = parseTerms({ matching: BLIND, visibility: { proposer: { customer: { customer: { level: 'hidden' }, prospect: { level: 'count' } } } } });
    expect(levels.visibility.proposer.customer.customer.level).toBe('hidden');
    expect(levels.visibility.proposer.customer.opportunity.level).toBe('accounts');
  });

  it('ask for country tokens only in blind mode, and false is the same terms as absent', () => {
    expect(detailsOf({ matching: { blindCountry: true } })).toEqual([
      { path: 'terms.matching.blindCountry', message: 'applies to blind mode only; clear matching always compares countries' },
    ]);
    expect(parseTerms({ matching: { ...BLIND, blindCountry: true } }).matching.blindCountry).toBe(true);
    expect(parseTerms({ matching: { ...BLIND, blindCountry: false } }).matching).not.toHaveProperty('blindCountry');
    expect(termsHash({ matching: { ...BLIND, blindCountry: false } })).toBe(termsHash({ matching: BLIND }));
    expect(termsHash({ matching: { ...BLIND, blindCountry: true } })).not.toBe(termsHash({ matching: BLIND }));
    // Terms written before the field existed keep their hash.
    expect(termsHash({})).toBe('sha256:b84d5e441818b303c018ddce04a8e10a43206181bdfe12321f4d82a39d66b0d2');
  });

  it('are described as blind, with what "accounts" shows', () => {
    const lines = describeTerms({ matching: { ...BLIND, blindCountry: true } });
    expect(lines).toContain(
      'Accounts match on registrable web domain and exact company name; matching is blind: each side turns its keys into tokens that only the two sides can compute, and Accord compares the tokens, never the lists (with a token of the country, so that names of different countries never match). Accounts that do not match are never shown to anyone.',
    );
    expect(lines).toContain('The proposer sees, of accounts that are the proposer’s customers and the counterparty’s customers: which of its own accounts they are.');
  });
});
