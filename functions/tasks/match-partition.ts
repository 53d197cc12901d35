import { z } from 'zod';
import { startMatching, SYSTEM_ACTOR, termsOf } from '../../shared/agreement.ts';
import { validateContribution } from '../../shared/contributions/validate.ts';
import { rowShardKey, shardOf } from '../../shared/matching/matcher.ts';
import { normaliseRow } from '../../shared/matching/pipeline.ts';
import { rowShardLine, type ShardItem } from '../../shared/matching/shard-files.ts';
import type { Side } from '../../shared/terms.ts';
import { runAgreementCommand } from '../lib/agreement-commands.ts';
import { contributionSource, openContribution } from '../lib/contribution-source.ts';
import { matchOptionsOf } from '../lib/match-results.ts';
import { type ManifestLocation, putManifest, putResultsText, shardKeys } from '../lib/match-shards.ts';
import { agreementStore } from '../lib/stores.ts';
import { parseTaskInput, TaskInputSchema } from './task-input.ts';

const PartitionInputSchema = TaskInputSchema.extend({ shards: z.int().min(1).max(256) });

/**
 * The sharded match, step 1: streams both contributions from S3 through the
 * upload's validation and normalisation (as the one-task match reads them),
 * and writes each row to the row shard of its key (`rowShardKey`: its
 * domain, else its name), rows in file order; then the manifest the first
 * Distributed Map reads. Writes the same files when retried.
 */
export const handler = async (event: unknown): Promise<{ manifest: ManifestLocation; shards: number }> => {
  const input = parseTaskInput(PartitionInputSchema, event);
  const store = agreementStore();
  const stored = await store.get(input.agreementId);
  const run = input.runId ? await store.getRun(input.agreementId, input.runId) : undefined;
  if (!stored || !run) throw new Error(`run ${input.runId ?? '(none)'} of agreement ${input.agreementId} does not exist`);
  await runAgreementCommand(input.agreementId, SYSTEM_ACTOR, startMatching, { now: input.now });
  const terms = termsOf(stored.agreement.terms);
  const options = matchOptionsOf(terms);
  const { shards } = input;

  const parts: string[][] = Array.from({ length: shards }, () => []);
  const partition = async (side: Side, label: 'a' | 'b') => {
    const source = await contributionSource(run, terms, side);
    const lines: string[][] = Array.from({ length: shards }, () => []);
    const report = await validateContribution(await openContribution(source), source.options, (row) => {
      const account = normaliseRow(row);
      lines[shardOf(rowShardKey(account, options), shards)]!.push(rowShardLine(label, account));
    });
    // As in the one-task match (readSide): a side whose file no longer validates contributes no rows.
    if (report.verdict === 'accepted') lines.forEach((shardLines, shard) => parts[shard]!.push(shardLines.join('')));
  };
  await partition('proposer', 'a');
  await partition('counterparty', 'b');

  const keys = shardKeys(run);
  const items: ShardItem[] = [];
  for (let shard = 0; shard < shards; shard++) {
    await putResultsText(keys.rows(shard), parts[shard]!.join(''), 'application/x-ndjson');
    parts[shard] = [];
    items.push({ stage: 'rows', shard, input: keys.rows(shard), output: keys.domain(shard), options });
  }
  return { manifest: await putManifest(keys.rowsManifest, items), shards };
};
