import { z } from 'zod';
import { matchBlockShard, matchShard } from '../../shared/matching/matcher.ts';
import { candidatesToJsonLines, domainStageToJson, parseBlockShard, parseRowShard } from '../../shared/matching/shard-files.ts';
import { getResultsText, putResultsText } from '../lib/match-shards.ts';
import { parseTaskInput } from './task-input.ts';

const ShardItemSchema = z.object({
  stage: z.enum(['rows', 'blocks']),
  shard: z.int().min(0),
  input: z.string().regex(/^results\/agr_[0-9a-z]{20}\/run_[0-9a-z]{20}\/shards\//),
  output: z.string().regex(/^results\/agr_[0-9a-z]{20}\/run_[0-9a-z]{20}\/shards\//),
  options: z.object({ domain: z.boolean(), name: z.boolean(), fuzzyThreshold: z.number().min(0.5).max(1) }),
});

/**
 * One iteration of a Distributed Map over shards (its item: a ShardItem of
 * the manifest). `rows`: deduplicates both sides of a row shard and matches
 * them on domain (`matchShard`); `blocks`: scores the names of a block shard
 * (`matchBlockShard`). Reads its input from and writes its output to the
 * results bucket; returns counts only, so the Map's output stays small.
 */
export const handler = async (event: unknown): Promise<{ stage: string; shard: number; pairs?: number; candidates?: number }> => {
  const item = parseTaskInput(ShardItemSchema, event);
  const text = await getResultsText(item.input);
  if (item.stage === 'rows') {
    const { a, b } = parseRowShard(text);
    const stage = matchShard(a, b, item.options);
    await putResultsText(item.output, domainStageToJson(stage));
    return { stage: item.stage, shard: item.shard, pairs: stage.pairs.length };
  }
  const candidates = matchBlockShard(parseBlockShard(text), item.options);
  await putResultsText(item.output, candidatesToJsonLines(candidates), 'application/x-ndjson');
  return { stage: item.stage, shard: item.shard, candidates: candidates.length };
};
