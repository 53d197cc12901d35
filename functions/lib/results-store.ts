import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import { overlapKeysOf } from '../../shared/flags.ts';
import type { MatchPair } from '../../shared/matching/matcher.ts';
import { type MatchedAccountRow, resultsObjectKeys, resultsPrefixOf } from '../../shared/results-objects.ts';
import type { ResultObjectsDigests } from '../../shared/results.ts';
import type { Side } from '../../shared/terms.ts';
import { ENV } from '../../infra/definitions.ts';
import { s3 } from './clients.ts';
import { deleteAllVersions } from './delete-uploads.ts';
import { requireEnv } from './config.ts';

/**
 * A run's results objects in the results bucket (shared/results-objects.ts):
 * read them, digest them for the result hash, and delete them. Besides the
 * matching step's objects, result approval keeps `previous-keys.json` there:
 * the overlap keys of the previous released run, so that what is new stays
 * the same whatever happens to that run's results later.
 */

type RunRef = { agreementId: string; id: string };

function resultsBucket(): string {
  return requireEnv(ENV.resultsBucket);
}

/** The object's bytes, or undefined when there is no such object. */
async function readBytes(bucket: string, key: string): Promise<Buffer | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from((await object.Body?.transformToByteArray()) ?? []);
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** A results object the run must have and has not: deleted, or never written. */
export class ResultsObjectMissingError extends Error {
  override name = 'ResultsObjectMissingError';
}

async function requireBytes(key: string): Promise<Buffer> {
  const bytes = await readBytes(resultsBucket(), key);
  if (!bytes) throw new ResultsObjectMissingError(`results object ${key} does not exist`);
  return bytes;
}

function jsonLines<T>(bytes: Buffer): T[] {
  return bytes
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

export async function readRunPairs(run: RunRef): Promise<MatchPair[]> {
  return jsonLines<MatchPair>(await requireBytes(resultsObjectKeys(run).pairs));
}

export async function readRunAccounts(run: RunRef): Promise<Record<Side, Map<string, MatchedAccountRow>>> {
  const keys = resultsObjectKeys(run).accounts;
  const bySide = async (side: Side) => new Map(jsonLines<MatchedAccountRow>(await requireBytes(keys[side])).map((row) => [row.ref, row]));
  return { proposer: await bySide('proposer'), counterparty: await bySide('counterparty') };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Hex SHA-256 of each results object, for shared/results.ts resultHashOf. */
export async function runObjectDigests(run: RunRef): Promise<ResultObjectsDigests> {
  const keys = resultsObjectKeys(run);
  return {
    pairs: sha256(await requireBytes(keys.pairs)),
    accounts: { proposer: sha256(await requireBytes(keys.accounts.proposer)), counterparty: sha256(await requireBytes(keys.accounts.counterparty)) },
  };
}

function previousKeysKey(run: RunRef): string {
  return `${resultsPrefixOf(run)}previous-keys.json`;
}

/** Keeps the overlap keys of the previous released run's pairs beside this run's results. */
export async function writePreviousKeys(run: RunRef, previous: { runId: string; pairs: readonly MatchPair[] }): Promise<void> {
  const keys = [...new Set(previous.pairs.flatMap(overlapKeysOf))].sort();
  await s3.send(
    new PutObjectCommand({ Bucket: resultsBucket(), Key: previousKeysKey(run), Body: JSON.stringify({ previousRunId: previous.runId, keys }), ContentType: 'application/json' }),
  );
}

/** The previous released run's overlap keys, or undefined when none were kept (the first run: every match is new). */
export async function readPreviousKeys(run: RunRef): Promise<Set<string> | undefined> {
  const bytes = await readBytes(resultsBucket(), previousKeysKey(run));
  return bytes ? new Set((JSON.parse(bytes.toString('utf8')) as { keys: string[] }).keys) : undefined;
}

/** Deletes the run's results objects (all of them, whatever the matching step wrote under the run's prefix). */
export function deleteRunResults(run: RunRef): Promise<number> {
  return deleteAllVersions(resultsBucket(), resultsPrefixOf(run));
}
