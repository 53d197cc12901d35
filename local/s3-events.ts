import type { S3EventRecord } from 'aws-lambda';
import { BUCKETS } from '../infra/definitions.ts';

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
