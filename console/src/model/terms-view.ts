import { type Agreement, type TermsRecord, termsOf } from '../../../shared/agreement.ts';
import { canonicalJson } from '../../../shared/canonical-json.ts';
import { describeTerms, diffTerms, parseTerms, type PartyNames, type Side, type TermsChange } from '../../../shared/terms.ts';

/**
 * The terms as an approver reads them in the console: in plain language
 * (shared/terms.ts describeTerms, with the signed-in company's name for its
 * side and "the partner" for the other), and what changed since the previous
 * version, both field by field (diffTerms) and sentence by sentence.
 */

export function partyNames(mySide: Side, myName: string): PartyNames {
  return mySide === 'proposer' ? { proposer: myName, counterparty: 'the partner' } : { proposer: 'the partner', counterparty: myName };
}

export interface TermsComparison {
  previous: TermsRecord;
  /** Fields whose value changed, by dotted path. */
  changes: TermsChange[];
  /** Sentences of the plain-language terms that the new version no longer says. */
  removed: string[];
  /** Sentences the new version says that the previous did not. */
  added: string[];
}

/** The version before the current terms, from the agreement's history. */
export function previousTerms(agreement: Pick<Agreement, 'terms' | 'termsHistory'>): TermsRecord | undefined {
  return (agreement.termsHistory ?? []).filter((record) => record.version < agreement.terms.version).sort((a, b) => b.version - a.version)[0];
}

export function compareWithPrevious(agreement: Pick<Agreement, 'terms' | 'termsHistory'>, names: PartyNames): TermsComparison | undefined {
  const previous = previousTerms(agreement);
  if (!previous) return undefined;
  const before = describeTerms(termsOf(previous), names);
  const after = describeTerms(termsOf(agreement.terms), names);
  return {
    previous,
    changes: diffTerms(termsOf(previous), termsOf(agreement.terms)),
    removed: before.filter((line) => !after.includes(line)),
    added: after.filter((line) => !before.includes(line)),
  };
}

/** A field's value for a person: lists joined, absent as "(none)". */
export function showValue(value: unknown): string {
  if (value === undefined || value === null) return '(none)';
  if (Array.isArray(value)) return value.length === 0 ? '(empty)' : value.map((item) => showValue(item)).join(', ');
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/**
 * The text whose SHA-256 is the terms' hash (shared/terms.ts termsHash): the
 * canonical JSON of the terms with defaults filled in. The console hashes it
 * with WebCrypto to check that what it shows is what the approval names.
 */
export function termsHashInput(record: TermsRecord): string {
  return canonicalJson(parseTerms(termsOf(record)));
}
