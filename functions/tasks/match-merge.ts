import { assignNames, type Candidate, comparePairs, type MatchPair, type SideCounts } from '../../shared/matching/matcher.ts';
import { parseCandidates, parseDomainStage } from '../../shared/matching/shard-files.ts';
import { ENV } from '../../infra/definitions.ts';
import { requireEnv } from '../lib/config.ts';
import { deleteAllVersions } from '../lib/delete-uploads.ts';
import { completeMatch } from '../lib/match-results.ts';
import { getManifest, getResultsText, shardKeys, shardsPrefix } from '../lib/match-shards.ts';
import { agreementStore } from '../lib/stores.ts';
import { parseTaskInput, TaskInputSchema } from './task-input.ts';

/**
 * The sharded match, step 3, composed as `matchAccounts` composes its shards:
 * the domain pairs and counts of every row shard, then one partner per
 * account over the name candidates of every block shard (`assignNames`),
 * all pairs in canonical order. Then the run is completed exactly as the
 * one-task match completes it (lib/match-results), and the shard files are
 * deleted, every version.
 */
export const handler = async (event: unknown): Promise<{ status: string; pairs: number }> => {
  const input = parseTaskInput(TaskInputSchema, event);
  const store = agreementStore();
  const stored = await store.get(input.agreementId);
  const run = input.runId ? await store.getRun(input.agreementId, input.runId) : undefined;
  if (!stored || !run) throw new Error(`run ${input.runId ?? '(none)'} of agreement ${input.agreementId} does not exist`);
  if (run.status === 'matched' && run.summary) {
    await deleteAllVersions(requireEnv(ENV.resultsBucket), shardsPrefix(run));
    return { status: stored.agreement.status, pairs: run.summary.pairs };
  }

  const keys = shardKeys(run);
  const rows = await getManifest(keys.rowsManifest);
  const pairs: MatchPair[] = [];
  const a: SideCounts = { rows: 0, accounts: 0 };
  const b: SideCounts = { rows: 0, accounts: 0 };
  for (const item of rows) {
    const stage = parseDomainStage(await getResultsText(item.output));
    for (const pair of stage.pairs) pairs.push(pair);
    a.rows += stage.a.rows;
    a.accounts += stage.a.accounts;
    b.rows += stage.b.rows;
    b.accounts += stage.b.accounts;
  }
  const candidates: Candidate[] = [];
  for (const item of await getManifest(keys.blocksManifest)) {
    for (const candidate of parseCandidates(await getResultsText(item.output))) candidates.push(candidate);
  }
  for (const pair of assignNames(candidates)) pairs.push(pair);
  pairs.sort(comparePairs);

  const outcome = await completeMatch({ stored, run, result: { pairs, a, b }, now: input.now, shards: rows.length });
  await deleteAllVersions(requireEnv(ENV.resultsBucket), shardsPrefix(run));
  return outcome;
};
