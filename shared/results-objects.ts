import { createHash } from 'node:crypto';
import type { Population, Side } from './terms.ts';

/**
 * Where a run's results live in the results bucket, and the identity of a
 * match. The matching step writes these objects; release, export, flags and
 * referrals read them.
 *
 *   results/{agreementId}/{runId}/pairs.jsonl                one MatchPair per line (shared/matching/matcher.ts)
 *   results/{agreementId}/{runId}/accounts-proposer.jsonl    one MatchedAccountRow per line: every row of the
 *   results/{agreementId}/{runId}/accounts-counterparty.jsonl  side that is part of a pair, in line order
 */
export interface ResultsObjectKeys {
  pairs: string;
  accounts: Record<Side, string>;
}

export function resultsObjectKeys(run: { agreementId: string; id: string }): ResultsObjectKeys {
  const prefix = `results/${run.agreementId}/${run.id}/`;
  return {
    pairs: `${prefix}pairs.jsonl`,
    accounts: { proposer: `${prefix}accounts-proposer.jsonl`, counterparty: `${prefix}accounts-counterparty.jsonl` },
  };
}

/** The prefix under which everything of one run's results lives (for expiry and purge). */
export function resultsPrefixOf(run: { agreementId: string; id: string }): string {
  return `results/${run.agreementId}/${run.id}/`;
}

/** A contributed row that is part of a match, as written (for display), with its normalised domain. */
export interface MatchedAccountRow {
  /** The row's reference: the `id` column, else its line number (what MatchPair.a/b hold). */
  ref: string;
  line: number;
  population: Population;
  name: string;
  /** The website/domain column as written. */
  website?: string;
  /** The registrable domain the matcher used. */
  domain?: string;
  /** Extra columns by field name (camelCase), e.g. country, owner: what terms' visibility `fields` may name. */
  fields: Record<string, string>;
}

/**
 * A match's id: `mch_` and 20 base-36 characters of SHA-256 over the run id
 * and both sides' sorted refs. The same pair in the same run has the same id
 * (results are byte-identical for the same inputs), a pair in another run has
 * another. Access to a match is always checked against the released view.
 */
export function matchIdOf(runId: string, pair: { a: readonly string[]; b: readonly string[] }): string {
  const digest = createHash('sha256')
    .update(`${runId}\n${[...pair.a].sort().join('\u0000')}\n${[...pair.b].sort().join('\u0000')}`)
    .digest();
  let id = '';
  for (let index = 0; id.length < 20; index += 1) id += (digest[index]! % 36).toString(36);
  return `mch_${id}`;
}
