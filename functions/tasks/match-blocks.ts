import { z } from 'zod';
import { AgreementIdSchema, RunIdSchema } from '../../shared/agreement.ts';
import { type Leftover, partitionBlocks } from '../../shared/matching/matcher.ts';
import { blockShardToJson, parseDomainStage, type ShardItem } from '../../shared/matching/shard-files.ts';
import { getManifest, getResultsText, type ManifestLocation, putManifest, putResultsText, shardKeys } from '../lib/match-shards.ts';
import { parseTaskInput } from './task-input.ts';

const BlocksInputSchema = z.object({ agreementId: AgreementIdSchema, runId: RunIdSchema });

/**
 * The sharded match, step 2: gathers the accounts every row shard left
 * unmatched by domain, splits them into block shards (`partitionBlocks`,
 * which also gives each side's leftovers their canonical order) and writes
 * them with the manifest the second Distributed Map reads. With the name
 * stage off, or a side with nothing left, the manifest is empty.
 */
export const handler = async (event: unknown): Promise<{ manifest: ManifestLocation; shards: number }> => {
  const input = parseTaskInput(BlocksInputSchema, event);
  const keys = shardKeys({ agreementId: input.agreementId, id: input.runId });
  const rows = await getManifest(keys.rowsManifest);
  const options = rows[0]?.options;
  const leftA: Leftover[] = [];
  const leftB: Leftover[] = [];
  for (const item of rows) {
    const stage = parseDomainStage(await getResultsText(item.output));
    for (const leftover of stage.leftA) leftA.push(leftover);
    for (const leftover of stage.leftB) leftB.push(leftover);
  }
  const items: ShardItem[] = [];
  if (options?.name && leftA.length > 0 && leftB.length > 0) {
    const parts = partitionBlocks(leftA, leftB, rows.length);
    for (const [shard, part] of parts.entries()) {
      await putResultsText(keys.blocks(shard), blockShardToJson(part));
      items.push({ stage: 'blocks', shard, input: keys.blocks(shard), output: keys.candidates(shard), options });
    }
  }
  return { manifest: await putManifest(keys.blocksManifest, items), shards: items.length };
};
