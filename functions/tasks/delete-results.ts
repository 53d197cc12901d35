import { z } from 'zod';
import { SYSTEM_ACTOR } from '../../shared/agreement.ts';
import { markResultsDeleted } from '../../shared/result-approval.ts';
import type { Run } from '../../shared/run.ts';
import { announce } from '../lib/announcements.ts';
import { runResultsCommand } from '../lib/results-commands.ts';
import { deleteRunUploads } from '../lib/delete-uploads.ts';
import { deleteRunResults } from '../lib/results-store.ts';
import { agreementStore } from '../lib/stores.ts';
import { parseTaskInput, TaskInputSchema } from './task-input.ts';

const InputSchema = TaskInputSchema.extend({ because: z.enum(['expired', 'withheld', 'agreement_ended']) });

/**
 * Deletes results and the raw uploads the terms kept, and marks the runs:
 * - `expired`: the run's results at the end of their retention (`later` when
 *   woken before it: the state machine waits again);
 * - `withheld`: the run's results once withheld (nothing is ever released);
 * - `agreement_ended`: every run's, once the agreement is withdrawn or declined.
 * Safe to repeat: what is gone stays gone, and a run is marked once.
 */
export const handler = async (event: unknown): Promise<{ outcome: 'deleted' | 'later' }> => {
  const input = parseTaskInput(InputSchema, event);
  const store = agreementStore();
  const stored = await store.get(input.agreementId);
  if (!stored) throw new Error(`agreement ${input.agreementId} does not exist`);
  const { agreement } = stored;

  let runs: Run[];
  if (input.because === 'agreement_ended') {
    runs = await store.listRuns(input.agreementId);
  } else {
    const run = input.runId ? await store.getRun(input.agreementId, input.runId) : undefined;
    if (!run) throw new Error(`run ${input.runId ?? '(none)'} of agreement ${input.agreementId} does not exist`);
    const expiresAt = run.release?.expiresAt;
    if (input.because === 'expired' && !run.release?.resultsDeleted && (!expiresAt || input.now.getTime() < Date.parse(expiresAt))) return { outcome: 'later' };
    runs = [run];
  }

  for (const run of runs) {
    // Marked first, so that readers answer 410 from here on; the objects go right after (again on a retry).
    await runResultsCommand(input.agreementId, run.id, SYSTEM_ACTOR, (current, latest, actor, now) => markResultsDeleted(current, latest, input.because, actor, now), {
      now: input.now,
      extraItems: () =>
        input.because === 'expired' ? announce('results.expired', [agreement.proposerId, agreement.counterpartyId], { agreementId: agreement.id, runId: run.id }, input.now, [run.id]) : [],
    });
    await deleteRunResults(run);
    await deleteRunUploads(run.agreementId, run.id);
  }
  return { outcome: 'deleted' };
};
