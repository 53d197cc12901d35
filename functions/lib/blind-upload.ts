import { DeleteObjectCommand, DeleteObjectsCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { s3 } from './clients.ts';
import { versionIdentifiers } from './delete-uploads.ts';

/**
 * Deletes an upload for good: every version and delete marker of exactly this
 * key (the uploads bucket is versioned, and a plain DeleteObject would keep
 * the data as a noncurrent version). A blind agreement does this to a file
 * it refuses, which may be the partner's clear list uploaded by mistake. An
 * endpoint without versions (s3rver) gets a plain DeleteObject.
 */
export async function deleteUploadForGood(bucket: string, key: string): Promise<void> {
  let page;
  try {
    page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name !== 'MethodNotAllowed' && name !== 'NotImplemented') throw error;
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    return;
  }
  const exact = (entries: readonly { Key?: string; VersionId?: string }[] | undefined) => (entries ?? []).filter((entry) => entry.Key === key);
  const objects = versionIdentifiers(exact(page.Versions), exact(page.DeleteMarkers));
  if (objects.length === 0) return;
  const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
  const first = result.Errors?.[0];
  if (first) throw new Error(`S3 refused to delete ${key}: ${first.Code ?? ''} ${first.Message ?? ''}`);
}
