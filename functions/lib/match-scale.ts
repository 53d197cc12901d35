/**
 * When matching is sharded (docs/matching.md, "Scale-out"). Plain constants:
 * the state machine's definition (CDK) and the tasks read them.
 */

/**
 * Contributions larger than this together (bytes of both CSV files) are
 * matched by the Distributed Map over shards; smaller ones in one task.
 * 64 MiB of CSV is about half a million rows a side: one 3 GB task matches
 * a million rows a side within its memory and minutes, so the threshold
 * leaves room, and below it the Map's extra steps (files in S3, child
 * executions) would cost more than they save.
 */
export const MATCH_SHARD_THRESHOLD_BYTES = 64 * 1024 * 1024;
/** Another threshold for a deployment or a test (whole bytes; 0 shards every match). */
export const MATCH_SHARD_THRESHOLD_ENV = 'ACCORD_MATCH_SHARD_THRESHOLD_BYTES';
/** Row shards and block shards of a sharded match: each shard task gets about 1/16 of the rows. */
export const MATCH_SHARDS = 16;

export function matchShardThreshold(env: Record<string, string | undefined> = process.env): number {
  const configured = env[MATCH_SHARD_THRESHOLD_ENV];
  if (configured === undefined || configured === '') return MATCH_SHARD_THRESHOLD_BYTES;
  const value = Number(configured);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${MATCH_SHARD_THRESHOLD_ENV} must be a whole number of bytes, not ${JSON.stringify(configured)}`);
  return value;
}
