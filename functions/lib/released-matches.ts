import type { Agreement } from '../../shared/agreement.ts';
import { NotFoundError } from '../../shared/errors.ts';
import type { VisibleMatch } from '../../shared/referral.ts';
import type { Side } from '../../shared/terms.ts';
import type { Run } from '../../shared/run.ts';
import { agreementStore } from './stores.ts';

/**
 * Whether a side may register a referral on a match: the match must be in the
 * side's released view of the run, in a cell the side sees at level
 * `accounts` (it knows which account it is), and not flagged as wrong. A
 * count-only or hidden cell names no match, so nothing can be referred there.
 *
 * The released view belongs to the results code (release, results API);
 * this is the one place referrals ask it.
 */
export type MatchLookup =
  | { outcome: 'visible'; match: VisibleMatch }
  | { outcome: 'not_released' }
  | { outcome: 'not_visible' }
  | { outcome: 'flagged' };

export async function findReleasedMatch(agreement: Agreement, runId: string, side: Side, matchId: string): Promise<MatchLookup> {
  void side;
  void matchId;
  const run = await agreementStore().getRun(agreement.id, runId);
  if (!run) throw new NotFoundError(`run ${runId} of agreement ${agreement.id} was not found`);
  // Release is not built yet: no run is released.
  return { outcome: 'not_released' };
}

/** When a run's results were released, or undefined while they are not. */
export function releasedAtOf(run: Run): string | undefined {
  void run;
  // Release is not built yet: no run is released.
  return undefined;
}
