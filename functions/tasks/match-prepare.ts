import { termsOf } from '../../shared/agreement.ts';
import { contributionBytes, contributionSource } from '../lib/contribution-source.ts';
import { MATCH_SHARDS, matchShardThreshold } from '../lib/match-scale.ts';
import { agreementStore } from '../lib/stores.ts';
import { parseTaskInput, TaskInputSchema } from './task-input.ts';

/**
 * The first step of matching: how big both contributions are (S3
 * HeadObject), and so whether one task matches them (`inline`) or the
 * Distributed Map over shards (`sharded`). Reads only; a run already matched
 * goes the inline way, whose task finds it matched and changes nothing.
 */
export const handler = async (event: unknown): Promise<{ mode: 'inline' | 'sharded'; bytes: number; shards: number }> => {
  const input = parseTaskInput(TaskInputSchema, event);
  const store = agreementStore();
  const stored = await store.get(input.agreementId);
  const run = input.runId ? await store.getRun(input.agreementId, input.runId) : undefined;
  if (!stored || !run) throw new Error(`run ${input.runId ?? '(none)'} of agreement ${input.agreementId} does not exist`);
  if (run.status === 'matched') return { mode: 'inline', bytes: 0, shards: 1 };
  const terms = termsOf(stored.agreement.terms);
  // A blind run is a join of tokens in one task (functions/lib/blind-match.ts), whatever its size.
  if (terms.matching.mode === 'blind') return { mode: 'inline', bytes: 0, shards: 1 };
  const bytes = (await contributionBytes(await contributionSource(run, terms, 'proposer'))) + (await contributionBytes(await contributionSource(run, terms, 'counterparty')));
  return bytes > matchShardThreshold() ? { mode: 'sharded', bytes, shards: MATCH_SHARDS } : { mode: 'inline', bytes, shards: 1 };
};
