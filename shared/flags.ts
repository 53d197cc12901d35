import type { MatchPair } from './matching/matcher.ts';

/**
 * Flags: a party says a released match is wrong. A flagged pair is left out
 * of every later run of the agreement. A pair is known across runs by what
 * matched (its overlap keys): the registrable domain of a domain match, the
 * two name keys of a name match — never by refs or match ids, which change
 * from run to run. Pairs are oriented as the matcher writes them: `a` is the
 * proposer, `b` the counterparty.
 */

export type PairKeys = MatchPair['keys'];

/** The identities of a pair across runs: `domain:<key>` and/or `name:<proposer's key>␀<counterparty's key>`. */
export function overlapKeysOf(pair: { keys: PairKeys }): string[] {
  const keys: string[] = [];
  if (pair.keys.domain) keys.push(`domain:${pair.keys.domain}`);
  if (pair.keys.nameA !== undefined && pair.keys.nameB !== undefined) keys.push(`name:${pair.keys.nameA}\u0000${pair.keys.nameB}`);
  return keys;
}

/** The pairs that no flag names: a pair goes when any of its overlap keys was flagged before. */
export function excludeFlagged<P extends { keys: PairKeys }>(pairs: readonly P[], flags: readonly { keys: PairKeys }[]): P[] {
  const flagged = new Set(flags.flatMap(overlapKeysOf));
  if (flagged.size === 0) return [...pairs];
  return pairs.filter((pair) => !overlapKeysOf(pair).some((key) => flagged.has(key)));
}
