import type { S3EventRecord } from 'aws-lambda';

/** An S3 object-created notification record, as S3 (and the embedded stack) delivers it: the key URL-encoded. */
export function objectCreatedRecord(bucket: string, key: string, size: number, eventTime = new Date().toISOString()): S3EventRecord {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime,
    eventName: 'ObjectCreated:Post',
    userIdentity: { principalId: 'test' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': 'test', 'x-amz-id-2': 'test' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'test',
      bucket: { name: bucket, ownerIdentity: { principalId: 'test' }, arn: `arn:aws:s3:::${bucket}` },
      object: { key: encodeURIComponent(key), size, eTag: 'test', sequencer: '0' },
    },
  };
}
