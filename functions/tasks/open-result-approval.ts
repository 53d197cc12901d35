import { type Agreement, next, requireSystem, SYSTEM_ACTOR, termsOf } from '../../shared/agreement.ts';
import { checkResultApproval, openResultApproval } from '../../shared/result-approval.ts';
import { resultHashOf } from '../../shared/results.ts';
import type { Run } from '../../shared/run.ts';
import { runResultsCommand } from '../lib/results-commands.ts';
import { readRunPairs, runObjectDigests, writePreviousKeys } from '../lib/results-store.ts';
import { agreementStore } from '../lib/stores.ts';
import { parseTaskInput, secondsUntil, TaskInputSchema } from './task-input.ts';

/** The agreement's last released run before `run` whose results are still kept: what is new is decided against it. */
function previousReleased(runs: readonly Run[], run: Run): Run | undefined {
  return runs.filter((candidate) => (candidate.sequence ?? 1) < (run.sequence ?? 1) && candidate.release?.releasedAt !== undefined).at(-1);
}

/**
 * The run's results are written: fixes what the parties approve — the result
 * hash over the results objects and the terms — and the approval schedule,
 * keeps the previous released run's overlap keys beside the results (for
 * isNew), and says when to look next. Once: a retried step finds it done.
 */
export const handler = async (event: unknown): Promise<{ nextCheckSeconds: number }> => {
  const input = parseTaskInput(TaskInputSchema, event);
  const store = agreementStore();
  const [stored, run] = await Promise.all([store.get(input.agreementId), input.runId ? store.getRun(input.agreementId, input.runId) : undefined]);
  if (!stored || !run) throw new Error(`run ${input.runId ?? '(none)'} of agreement ${input.agreementId} does not exist`);

  let current = run;
  if (!run.release) {
    const resultHash = resultHashOf(stored.agreement.terms.hash, await runObjectDigests(run));
    const previous = previousReleased(await store.listRuns(input.agreementId), run);
    const previousKept = previous && !previous.release?.resultsDeleted ? previous : undefined;
    if (previousKept) await writePreviousKeys(run, { runId: previousKept.id, pairs: await readRunPairs(previousKept) });
    const terms = termsOf(stored.agreement.terms);
    ({ run: current } = await runResultsCommand(
      input.agreementId,
      run.id,
      SYSTEM_ACTOR,
      (agreement: Agreement, latest, actor, now) => {
        requireSystem(agreement, actor, 'open result approval');
        const opened = openResultApproval(latest, terms, resultHash, previousKept?.id, now);
        if (opened === latest) return { result: { outcome: 'unchanged', agreement }, run: latest };
        return {
          result: {
            outcome: 'changed',
            agreement: next(agreement, {}, now),
            audit: {
              action: 'results_ready',
              statusBefore: agreement.status,
              statusAfter: agreement.status,
              termsVersion: agreement.terms.version,
              termsHash: agreement.terms.hash,
              details: { runId: latest.id, resultHash, approvalDeadline: opened.release?.deadline ?? null, previousRunId: previousKept?.id ?? null },
            },
          },
          run: opened,
        };
      },
      { now: input.now },
    ));
  }
  const check = checkResultApproval(current, input.now);
  return { nextCheckSeconds: check.outcome === 'waiting' ? secondsUntil(check.nextCheckAt, input.now) : 1 };
};
