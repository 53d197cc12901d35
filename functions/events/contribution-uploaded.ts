import type { EventBridgeEvent, S3Event } from 'aws-lambda';
import { parseContributionObjectKey } from '../../shared/contributions/contribution.ts';
import { validateUploadedContribution } from '../lib/contribution-validation.ts';
import { logger } from '../lib/logger.ts';

/** The `detail` of S3's "Object Created" event on EventBridge. */
interface ObjectCreatedDetail {
  bucket: { name: string };
  object: { key: string; size?: number };
}

type Event = S3Event | EventBridgeEvent<'Object Created', ObjectCreatedDetail>;

interface CreatedObject {
  bucket: string;
  key: string;
  size: number;
  time: string;
}

/**
 * The objects an event announces, whichever way it came: on AWS the uploads
 * bucket notifies through EventBridge (keys plain); the embedded stack
 * delivers s3rver's events as S3 notification records (keys URL-encoded,
 * spaces as `+`, as S3 sends them).
 */
export function createdObjects(event: Event): CreatedObject[] {
  if ('Records' in event) {
    return event.Records.map((record) => ({
      bucket: record.s3.bucket.name,
      key: decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')),
      size: record.s3.object.size,
      time: record.eventTime,
    }));
  }
  return [{ bucket: event.detail.bucket.name, key: event.detail.object.key, size: event.detail.object.size ?? 0, time: event.time }];
}

export const handler = async (event: Event): Promise<void> => {
  for (const object of createdObjects(event)) {
    const ids = parseContributionObjectKey(object.key);
    if (!ids) {
      logger.warn('object is not a contribution; ignored', { key: object.key });
      continue;
    }
    await validateUploadedContribution(ids, object, new Date(object.time));
  }
};
