import type { Population, Side, Terms, VisibilityLevel } from './terms.ts';

/**
 * What a side may see of the other's matched accounts, cell by cell. Only
 * matched accounts are ever shown: nothing of a partner's non-overlapping
 * accounts reaches anyone, whatever the terms say.
 *
 * Give-to-get: in a cell [mine][theirs], a side sees at most what the other
 * side sees of it in the mirrored cell, [theirs][mine] of the other's matrix
 * (the same accounts, seen from across). Levels rank hidden < count <
 * accounts; with `accounts` on both sides the extra fields are those both
 * name. The terms' `visibility.asymmetric: true` turns this off: each side
 * then sees what is written, and both parties' approval of that hash is what
 * approved the asymmetry.
 */

export interface EffectiveVisibility {
  level: VisibilityLevel;
  /** Extra fields shown with each account, sorted; empty unless level is `accounts`. */
  fields: string[];
  /** Why the side sees less than its terms write, when it does. */
  limitedBy?: 'give_to_get' | 'not_contributed';
}

export const VISIBILITY_RANK: Readonly<Record<VisibilityLevel, number>> = { hidden: 0, count: 1, accounts: 2 };

const POPULATION_ORDER: readonly Population[] = ['customer', 'opportunity', 'prospect'];

function other(side: Side): Side {
  return side === 'proposer' ? 'counterparty' : 'proposer';
}

/**
 * What `side` sees of the other side's accounts that are `theirPopulation` to
 * them and `myPopulation` to `side`. A cell whose population one side does
 * not contribute is empty, so it is hidden.
 */
export function effectiveVisibility(terms: Terms, side: Side, myPopulation: Population, theirPopulation: Population): EffectiveVisibility {
  const otherSide = other(side);
  const written = terms.visibility[side][myPopulation][theirPopulation];
  if (!terms.populations[side].includes(myPopulation) || !terms.populations[otherSide].includes(theirPopulation)) {
    return { level: 'hidden', fields: [], limitedBy: 'not_contributed' };
  }
  if (terms.visibility.asymmetric) return { level: written.level, fields: [...written.fields] };

  const shown = terms.visibility[otherSide][theirPopulation][myPopulation];
  const level = VISIBILITY_RANK[shown.level] < VISIBILITY_RANK[written.level] ? shown.level : written.level;
  const fields = level === 'accounts' ? written.fields.filter((field) => shown.fields.includes(field)) : [];
  const narrowed = level !== written.level || fields.length !== written.fields.length;
  return narrowed ? { level, fields, limitedBy: 'give_to_get' } : { level, fields };
}

/** All nine cells of what `side` sees, [mine][theirs]. */
export function effectiveVisibilityMatrix(terms: Terms, side: Side): Record<Population, Record<Population, EffectiveVisibility>> {
  const row = (mine: Population) =>
    Object.fromEntries(POPULATION_ORDER.map((theirs) => [theirs, effectiveVisibility(terms, side, mine, theirs)])) as Record<
      Population,
      EffectiveVisibility
    >;
  return { customer: row('customer'), opportunity: row('opportunity'), prospect: row('prospect') };
}

/** Whether give-to-get narrows anything in these terms: what approvers should look at twice. */
export function giveToGetNarrows(terms: Terms): boolean {
  return (['proposer', 'counterparty'] as const).some((side) =>
    POPULATION_ORDER.some((mine) => POPULATION_ORDER.some((theirs) => effectiveVisibility(terms, side, mine, theirs).limitedBy === 'give_to_get')),
  );
}
