import { DeleteObjectsCommand, ListObjectsV2Command, ListObjectVersionsCommand, type ObjectIdentifier } from '@aws-sdk/client-s3';
import { ENV } from '../../infra/definitions.ts';
import { s3 } from './clients.ts';
import { requireEnv } from './config.ts';
import { logger } from './logger.ts';

/**
 * True deletion of objects in a versioned bucket. A plain DeleteObject on a
 * versioned bucket only adds a delete marker and keeps the data as a
 * noncurrent version (for the lifecycle's 30 days); deleting by version id
 * removes it. So every version and every delete marker under the prefix is
 * listed (ListObjectVersions, page by page) and deleted by version id
 * (DeleteObjects, up to 1,000 a request); nothing under the prefix is left.
 *
 * An endpoint without object versions (s3rver answers ListObjectVersions
 * with MethodNotAllowed) keeps one copy of each key: there the keys under
 * the prefix are listed and deleted, which is complete deletion for it.
 */

/** DeleteObjects takes at most this many keys. */
export const DELETE_BATCH = 1000;

/** The prefix of a run's raw contributions in the uploads bucket. */
export function runUploadsPrefix(agreementId: string, runId: string): string {
  return `contributions/${agreementId}/${runId}/`;
}

/** Deletes every version of every upload of a run (release and purge call this too); returns how many versions were deleted. */
export function deleteRunUploads(agreementId: string, runId: string): Promise<number> {
  return deleteAllVersions(requireEnv(ENV.uploadsBucket), runUploadsPrefix(agreementId, runId));
}

/** Deletes every object version and delete marker under `prefix`; returns how many were deleted. */
export async function deleteAllVersions(bucket: string, prefix: string): Promise<number> {
  if (prefix === '' || !prefix.endsWith('/')) throw new Error(`refusing to delete under the prefix ${JSON.stringify(prefix)}: give a folder (ending in /)`);
  let deleted = 0;
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    let page;
    try {
      page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    } catch (error) {
      if (deleted === 0 && keyMarker === undefined && isUnsupported(error)) return deleteUnversioned(bucket, prefix);
      throw error;
    }
    deleted += await deleteBatches(bucket, versionIdentifiers(page.Versions ?? [], page.DeleteMarkers ?? []));
    if (!page.IsTruncated) return deleted;
    keyMarker = page.NextKeyMarker;
    versionIdMarker = page.NextVersionIdMarker;
  }
}

/** What DeleteObjects needs to remove listed versions and delete markers for good. */
export function versionIdentifiers(versions: readonly { Key?: string; VersionId?: string }[], markers: readonly { Key?: string; VersionId?: string }[]): ObjectIdentifier[] {
  const out: ObjectIdentifier[] = [];
  for (const entry of [...versions, ...markers]) {
    if (entry.Key === undefined) continue;
    out.push(entry.VersionId === undefined ? { Key: entry.Key } : { Key: entry.Key, VersionId: entry.VersionId });
  }
  return out;
}

async function deleteUnversioned(bucket: string, prefix: string): Promise<number> {
  logger.debug('the S3 endpoint lists no object versions: deleting the keys under the prefix', { bucket, prefix });
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    deleted += await deleteBatches(bucket, (page.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [{ Key: object.Key }])));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return deleted;
}

async function deleteBatches(bucket: string, objects: ObjectIdentifier[]): Promise<number> {
  for (let start = 0; start < objects.length; start += DELETE_BATCH) {
    const batch = objects.slice(start, start + DELETE_BATCH);
    const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
    const errors = result.Errors ?? [];
    if (errors.length > 0) {
      const first = errors[0];
      throw new Error(`S3 refused to delete ${errors.length} of ${batch.length} objects under s3://${bucket}: ${first?.Key} ${first?.Code} ${first?.Message}`);
    }
  }
  return objects.length;
}

function isUnsupported(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  return name === 'MethodNotAllowed' || name === 'NotImplemented';
}
