import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';

/**
 * The AWS SDK v3 clients, created once per module as Lambda best practice asks.
 * On AWS they use the defaults; the embedded stack sets the SDK's own
 * service-specific endpoint variables (AWS_ENDPOINT_URL_DYNAMODB,
 * AWS_ENDPOINT_URL_S3), so the code path is the same and only endpoints differ.
 */

export const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});

// s3rver, like any non-AWS endpoint, serves path-style URLs only.
export const s3 = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });

export const sfn = new SFNClient({});
