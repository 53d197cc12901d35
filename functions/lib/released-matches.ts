import type { Agreement } from '../../shared/agreement.ts';
import { NotFoundError } from '../../shared/errors.ts';
import type { VisibleMatch } from '../../shared/referral.ts';
import { buildView } from '../../shared/results.ts';
import type { Side } from '../../shared/terms.ts';
import { loadResultsInput, requireClearResults, requireReleased } from './results-view.ts';
import { agreementStore } from './stores.ts';

/**
 * Whether a side may register a referral on a match: the match must be in the
 * side's released view of the run (shared/results.ts buildView), which lists
 * only matches of cells the side sees at level `accounts` — it knows which
 * account it is — and it must not be flagged as wrong. A count-only or hidden
 * cell names no match, so nothing can be referred there. A run that is not
 * released answers 409 (`results_not_released`, `results_withheld`), one whose
 * results are gone 410, as the results routes do.
 */
export type MatchLookup = { outcome: 'visible'; match: VisibleMatch } | { outcome: 'not_visible' } | { outcome: 'flagged' };

export async function findReleasedMatch(agreement: Agreement, runId: string, side: Side, matchId: string): Promise<MatchLookup> {
  const run = await agreementStore().getRun(agreement.id, runId);
  if (!run) throw new NotFoundError(`run ${runId} of agreement ${agreement.id} was not found`);
  requireReleased(run);
  const input = await loadResultsInput(agreement, run);
  requireClearResults(input, 'refer');
  const view = buildView(input, side);
  const found = view.matches.find((match) => match.matchId === matchId);
  if (!found) return { outcome: 'not_visible' };
  if (found.flagged) return { outcome: 'flagged' };
  const account = found.theirs[0];
  const [proposer, counterparty] = side === 'proposer' ? [found.cell.mine, found.cell.theirs] : [found.cell.theirs, found.cell.mine];
  return {
    outcome: 'visible',
    match: {
      runId,
      matchId,
      cell: { proposer, counterparty },
      // The other side's own row, as the registering side sees it: the referral tells the other side nothing new.
      account: { name: account?.name ?? '', ...(account?.domain ? { domain: account.domain } : {}) },
    },
  };
}
