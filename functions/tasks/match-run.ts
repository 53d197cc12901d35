import { startMatching, SYSTEM_ACTOR, termsOf } from '../../shared/agreement.ts';
import { MatchThreads } from '../../shared/matching/threads.ts';
import type { Side } from '../../shared/terms.ts';
import { runAgreementCommand } from '../lib/agreement-commands.ts';
import { matchBlindRun } from '../lib/blind-match.ts';
import { contributionSource, openContribution } from '../lib/contribution-source.ts';
import { completeMatch, matchOptionsOf } from '../lib/match-results.ts';
import { agreementStore } from '../lib/stores.ts';
import { parseTaskInput, TaskInputSchema } from './task-input.ts';

/**
 * Both contributions are in and small enough for one task (match-prepare
 * decides): matches the newest accepted contribution of each side (streamed
 * from S3 through the same validation and normalisation as the upload, each
 * side in a worker thread, both at once: `MatchThreads`) in memory, then completes the run as the sharded path does (lib/match-results:
 * pairs, matched accounts, summary, awaiting release, raw uploads deleted
 * unless the terms keep them) — all of it once: a retried step finds the run
 * matched.
 */
export const handler = async (event: unknown): Promise<{ status: string; pairs: number }> => {
  const input = parseTaskInput(TaskInputSchema, event);
  const store = agreementStore();
  const stored = await store.get(input.agreementId);
  const run = input.runId ? await store.getRun(input.agreementId, input.runId) : undefined;
  if (!stored || !run) throw new Error(`run ${input.runId ?? '(none)'} of agreement ${input.agreementId} does not exist`);
  if (run.status === 'matched' && run.summary) return { status: stored.agreement.status, pairs: run.summary.pairs };

  await runAgreementCommand(input.agreementId, SYSTEM_ACTOR, startMatching, { now: input.now });
  const terms = termsOf(stored.agreement.terms);
  // Each side read in a worker thread of its own (validation, normalisation, the side's index), both at once; another shares the name comparisons.
  const matchSides = async () => {
    const threads = new MatchThreads();
    try {
      const read = async (side: Side) => {
        const source = await contributionSource(run, terms, side);
        return threads.readSide(await openContribution(source), source.options, { domain: terms.matching.domain });
      };
      const [a, b] = await Promise.all([read('proposer'), read('counterparty')]);
      return await threads.matchAccounts(a.table, b.table, matchOptionsOf(terms));
    } finally {
      await threads.close();
    }
  };
  // Blind terms: the sides uploaded tokens, joined by lib/blind-match (match-prepare sends blind runs here); the rest is the same.
  const result = terms.matching.mode === 'blind' ? await matchBlindRun(run, terms) : await matchSides();
  return completeMatch({ stored, run, result, now: input.now });
};
