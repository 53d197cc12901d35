import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3EventRecord } from 'aws-lambda';
import { BUCKETS } from '../infra/definitions.ts';
import { parseContributionObjectKey } from '../shared/contributions/contribution.ts';

/**
 * The embedded stand-in for the uploads bucket's S3 notification: s3rver's
 * object-created events go to the same handler module Lambda runs, in the
 * same event shape. Other buckets notify nobody, as on AWS.
 */
export async function deliverObjectCreated(record: S3EventRecord): Promise<void> {
  if (record.s3.bucket.name !== BUCKETS.uploads.localName) return;
  const { handler } = await import('../functions/events/contribution-uploaded.ts');
  await handler({ Records: [record] });
}

/**
 * At start, what a stack that was killed left undone: s3rver's notifications
 * live in the process, so an upload stored just before a crash (or whose
 * validation the crash cut short) would otherwise wait forever. On AWS,
 * EventBridge retries the delivery; here every contribution object still in
 * the uploads bucket is delivered again. Validation is idempotent, so those
 * already validated change nothing (their notification and count are
 * repeated, both safe to repeat), and one left `validating` by a process that
 * died before `startedAt` is taken over. Answers how many objects were delivered.
 */
export async function redeliverPendingUploads(startedAt = new Date()): Promise<number> {
  // Loaded when called: the clients read their endpoints from the environment the stack sets up.
  const [{ s3 }, { validateUploadedContribution }] = await Promise.all([import('../functions/lib/clients.ts'), import('../functions/lib/contribution-validation.ts')]);
  let delivered = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKETS.uploads.localName, ...(token ? { ContinuationToken: token } : {}) }));
    for (const object of page.Contents ?? []) {
      const ids = object.Key ? parseContributionObjectKey(object.Key) : undefined;
      if (!ids || !object.Key) continue;
      const uploaded = { bucket: BUCKETS.uploads.localName, key: object.Key, size: object.Size ?? 0 };
      await validateUploadedContribution(ids, uploaded, object.LastModified ?? startedAt, { abandonedBefore: startedAt });
      delivered += 1;
    }
    token = page.NextContinuationToken;
  } while (token);
  return delivered;
}
