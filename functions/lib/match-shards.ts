import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ENV } from '../../infra/definitions.ts';
import type { ShardItem } from '../../shared/matching/shard-files.ts';
import { resultsPrefixOf } from '../../shared/results-objects.ts';
import { s3 } from './clients.ts';
import { requireEnv } from './config.ts';

/**
 * Where the sharded match of a run keeps its intermediate files, in the
 * results bucket under the run's results prefix (deleted, every version,
 * once the run is matched):
 *
 *   results/{agr}/{run}/shards/rows.json           manifest: ShardItem[] of the row shards (the first Map's ItemReader)
 *   results/{agr}/{run}/shards/rows-NN.jsonl       normalised rows of both sides whose shard key falls in shard NN
 *   results/{agr}/{run}/shards/domain-NN.json      deduplication and domain stage of row shard NN
 *   results/{agr}/{run}/shards/blocks.json         manifest: ShardItem[] of the block shards (the second Map's ItemReader)
 *   results/{agr}/{run}/shards/blocks-NN.json      leftovers and blocks of block shard NN
 *   results/{agr}/{run}/shards/candidates-NN.jsonl name candidates of block shard NN
 */
export function shardsPrefix(run: { agreementId: string; id: string }): string {
  return `${resultsPrefixOf(run)}shards/`;
}

const nn = (shard: number) => String(shard).padStart(2, '0');

export function shardKeys(run: { agreementId: string; id: string }) {
  const prefix = shardsPrefix(run);
  return {
    rowsManifest: `${prefix}rows.json`,
    rows: (shard: number) => `${prefix}rows-${nn(shard)}.jsonl`,
    domain: (shard: number) => `${prefix}domain-${nn(shard)}.json`,
    blocksManifest: `${prefix}blocks.json`,
    blocks: (shard: number) => `${prefix}blocks-${nn(shard)}.json`,
    candidates: (shard: number) => `${prefix}candidates-${nn(shard)}.jsonl`,
  };
}

/** Where the Distributed Map's ItemReader finds a manifest. */
export interface ManifestLocation {
  bucket: string;
  key: string;
}

export async function putResultsText(key: string, body: string, contentType = 'application/json'): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: requireEnv(ENV.resultsBucket), Key: key, Body: body, ContentType: contentType }));
}

export async function getResultsText(key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: requireEnv(ENV.resultsBucket), Key: key }));
  return (await object.Body?.transformToString('utf-8')) ?? '';
}

export async function putManifest(key: string, items: ShardItem[]): Promise<ManifestLocation> {
  await putResultsText(key, JSON.stringify(items));
  return { bucket: requireEnv(ENV.resultsBucket), key };
}

export async function getManifest(key: string): Promise<ShardItem[]> {
  return JSON.parse(await getResultsText(key)) as ShardItem[];
}
