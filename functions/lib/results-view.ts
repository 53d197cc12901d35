import { termsOf, type Agreement } from '../../shared/agreement.ts';
import { ConflictError, GoneError } from '../../shared/errors.ts';
import type { ResultsInput, ResultsView } from '../../shared/results.ts';
import type { Run } from '../../shared/run.ts';
import { agreementStore, flagStore } from './stores.ts';
import { readPreviousKeys, readRunAccounts, readRunPairs, ResultsObjectMissingError } from './results-store.ts';

/** Refuses a run whose results are gone (410) or were withheld (409). */
export function requireResultsKept(run: Run): void {
  const deleted = run.release?.resultsDeleted;
  if (run.status === 'expired' || deleted?.because === 'expired') {
    throw new GoneError(`the results of run ${run.id} expired${deleted ? ` at ${deleted.at}` : ''} and were deleted, as the terms say`, { code: 'results_expired' });
  }
  if (run.status === 'withheld') throw new ConflictError(`the results of run ${run.id} were withheld: nothing is released`, { code: 'results_withheld' });
  if (deleted) throw new GoneError(`the results of run ${run.id} were deleted when the agreement ended`, { code: 'results_deleted' });
}

/** Refuses a run whose results are not released (409), withheld (409) or gone (410). */
export function requireReleased(run: Run): void {
  requireResultsKept(run);
  if (run.status !== 'released') throw new ConflictError(`the results of run ${run.id} are not released (the run is ${run.status})`, { code: 'results_not_released' });
}

/**
 * Refuses, with 409 `blind_results`, what needs the matched accounts
 * themselves on a blind run: a blind view shows each side only its own
 * record references, so there is no match to flag or to refer, and a
 * blind run's keys (tokens of this run only) could not exclude a pair from
 * later runs.
 */
export function requireClearResults(input: Pick<ResultsInput, 'terms' | 'runId'>, what: string): void {
  if (input.terms.matching.mode !== 'blind') return;
  throw new ConflictError(`run ${input.runId} matched blind: its results show each side only its own records, so there is no match to ${what}`, { code: 'blind_results' });
}

/** Everything a view of the run is derived from: its results objects, its flags and the terms. */
export async function loadResultsInput(agreement: Agreement, run: Run): Promise<ResultsInput> {
  const resultHash = run.summary?.resultHash;
  if (!run.release || !resultHash) throw new ConflictError(`the results of run ${run.id} are not ready for approval yet`, { code: 'results_not_ready' });
  let objects: [Awaited<ReturnType<typeof readRunPairs>>, Awaited<ReturnType<typeof readRunAccounts>>];
  try {
    objects = await Promise.all([readRunPairs(run), readRunAccounts(run)]);
  } catch (error) {
    if (!(error instanceof ResultsObjectMissingError)) throw error;
    // Deleted while this request read them: the run, read again, says why (expiry, or the agreement ended).
    const now = await agreementStore().getRun(run.agreementId, run.id);
    if (now) requireResultsKept(now);
    throw new GoneError(`the results of run ${run.id} were deleted`, { code: 'results_deleted', cause: error });
  }
  const [pairs, accounts] = objects;
  const [flags, previousKeys] = await Promise.all([flagStore().list(run.agreementId, run.id), readPreviousKeys(run)]);
  const status: ResultsView['status'] = run.status === 'released' ? 'released' : 'awaiting_approval';
  return {
    agreementId: run.agreementId,
    runId: run.id,
    terms: termsOf(agreement.terms),
    pairs,
    accounts,
    flags,
    previousKeys,
    status,
    resultHash,
    releasedAt: run.release.releasedAt,
    expiresAt: run.release.expiresAt,
  };
}
