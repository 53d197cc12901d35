import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  HttpMethods,
  ObjectOwnership,
  type BucketProps,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BUCKETS, type BucketRole, LONGEST_RETENTION_DAYS, TABLE } from '../definitions.ts';

/** What a function may do with the table. */
export type TableAccess = 'read' | 'readWrite';
/** What a function may do with the objects of a bucket; `write` is create, overwrite and delete. */
/** `upload`: put new objects only (what a presigned upload needs); `write` may also delete. */
export type BucketAccess = 'read' | 'upload' | 'write' | 'readWrite';

export interface StorageConstructProps {
  /**
   * Origins allowed to POST to the uploads bucket from a browser (presigned POST).
   * The presigned policy, not CORS, is what authorises an upload.
   * @default ['*']
   */
  readonly uploadCorsOrigins?: string[];
  /** Days a noncurrent object version is kept before it expires. @default 30 */
  readonly noncurrentVersionDays?: number;
  /** Days the S3 server access logs are kept. @default 365 */
  readonly accessLogDays?: number;
}

const TABLE_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];
/** Indexes are read-only, and Accord reads them by query only (no scans anywhere). */
const INDEX_READ_ACTIONS = ['dynamodb:Query'];

/*
 * KMS actions, spelled out instead of `kms:GenerateDataKey*` / `kms:ReEncrypt*`
 * so that no wildcard reaches IAM. Reading an SSE-KMS item or object needs
 * Decrypt; writing needs the data-key actions too.
 */
const KMS_DECRYPT_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
const KMS_ENCRYPT_ACTIONS = [
  'kms:Encrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
];

const BUCKET_READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectAttributes'];
const BUCKET_WRITE_ACTIONS = ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'];

/**
 * Accord's data at rest: the single DynamoDB table and the buckets, both built
 * from `infra/definitions.ts`, encrypted with one customer-managed key, and
 * retained when the stack is deleted.
 *
 * Functions get access through the `grant...` methods, which name each action,
 * the table and each of its indexes; never `dynamodb:*` or `index/*`.
 */
export class StorageConstruct extends Construct {
  readonly key: Key;
  readonly table: Table;
  readonly accessLogsBucket: Bucket;
  readonly buckets: Record<BucketRole, Bucket>;

  constructor(scope: Construct, id: string, props: StorageConstructProps = {}) {
    super(scope, id);

    this.key = new Key(this, 'DataKey', {
      description: 'Accord: encrypts the table and the uploads and results buckets',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const gsi of TABLE.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: gsi.indexName,
        partitionKey: { name: gsi.partitionKey, type: AttributeType.STRING },
        sortKey: { name: gsi.sortKey, type: AttributeType.STRING },
      });
    }

    // Server access logs must go to a bucket encrypted with S3-managed keys
    // (S3's log delivery cannot use a customer-managed KMS key).
    this.accessLogsBucket = new Bucket(this, 'AccessLogsBucket', {
      ...secureBucketDefaults(),
      encryption: BucketEncryption.S3_MANAGED,
      lifecycleRules: [
        { id: 'expire-access-logs', expiration: Duration.days(props.accessLogDays ?? 365) },
        { id: 'expire-noncurrent', noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket of the uploads and results buckets; logging it into itself would loop.',
    });

    const noncurrentDays = Duration.days(props.noncurrentVersionDays ?? 30);
    const dataBucket = (role: BucketRole, extra: Partial<BucketProps> = {}): Bucket =>
      new Bucket(this, `${capitalise(role)}Bucket`, {
        ...secureBucketDefaults(),
        encryption: BucketEncryption.KMS,
        encryptionKey: this.key,
        bucketKeyEnabled: true,
        serverAccessLogsBucket: this.accessLogsBucket,
        serverAccessLogsPrefix: `${BUCKETS[role].localName}/`,
        lifecycleRules: [
          {
            id: 'expire-noncurrent-versions',
            noncurrentVersionExpiration: noncurrentDays,
            expiredObjectDeleteMarker: true,
          },
          { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
          // The backstop of the terms' retention: nothing outlives the longest the terms allow, even if a deletion failed.
          { id: 'expire-after-longest-retention', expiration: Duration.days(LONGEST_RETENTION_DAYS) },
        ],
        ...extra,
      });

    this.buckets = {
      uploads: dataBucket('uploads', {
        cors: [
          {
            allowedMethods: [HttpMethods.POST],
            allowedOrigins: props.uploadCorsOrigins ?? ['*'],
            allowedHeaders: ['*'],
            maxAge: 3000,
          },
        ],
      }),
      results: dataBucket('results'),
    };
  }

  /** Lets `grantee` read (`read`) or read and write (`readWrite`) the table and query its indexes. */
  grantTable(grantee: IGrantable, access: TableAccess): Grant {
    const tableArn = this.table.tableArn;
    const indexArns = TABLE.globalSecondaryIndexes.map((gsi) => `${tableArn}/index/${gsi.indexName}`);
    const grants = [
      Grant.addToPrincipal({ grantee, actions: TABLE_READ_ACTIONS, resourceArns: [tableArn] }),
      this.key.grant(grantee, ...KMS_DECRYPT_ACTIONS),
    ];
    if (indexArns.length > 0) grants.push(Grant.addToPrincipal({ grantee, actions: INDEX_READ_ACTIONS, resourceArns: indexArns }));
    if (access === 'readWrite') {
      grants.push(
        Grant.addToPrincipal({ grantee, actions: TABLE_WRITE_ACTIONS, resourceArns: [tableArn] }),
        this.key.grant(grantee, ...KMS_ENCRYPT_ACTIONS),
      );
    }
    return combine(grants);
  }

  /**
   * Lets `grantee` read and/or write the objects of one bucket, optionally only
   * under a key prefix. Object ARNs end in a wildcard by nature (`<bucket>/*`
   * or `<bucket>/<prefix>*`); the grantee's construct carries that suppression.
   */
  grantBucket(grantee: IGrantable, role: BucketRole, access: BucketAccess, keyPrefix = ''): Grant {
    const actions = [
      ...(access === 'read' || access === 'readWrite' ? BUCKET_READ_ACTIONS : []),
      ...(access === 'upload' ? ['s3:PutObject'] : access === 'read' ? [] : BUCKET_WRITE_ACTIONS),
    ];
    const grants = [
      Grant.addToPrincipal({ grantee, actions, resourceArns: [this.buckets[role].arnForObjects(`${keyPrefix}*`)] }),
      this.key.grant(grantee, ...KMS_DECRYPT_ACTIONS),
    ];
    if (access !== 'read') grants.push(this.key.grant(grantee, ...KMS_ENCRYPT_ACTIONS));
    return combine(grants);
  }

  /**
   * Lets `grantee` delete objects for good under `keyPrefix`: list every
   * version and delete marker there (ListBucketVersions, and ListBucket for
   * endpoints without versions), and delete any of them by version id.
   */
  grantPurge(grantee: IGrantable, role: BucketRole, keyPrefix: string): Grant {
    const bucket = this.buckets[role];
    return combine([
      Grant.addToPrincipal({
        grantee,
        actions: ['s3:ListBucket', 's3:ListBucketVersions'],
        resourceArns: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${keyPrefix}*`] } },
      }),
      Grant.addToPrincipal({ grantee, actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'], resourceArns: [bucket.arnForObjects(`${keyPrefix}*`)] }),
    ]);
  }
}

function combine([first, ...rest]: Grant[]): Grant {
  if (!first) throw new Error('nothing to combine');
  return rest.reduce((all, grant) => all.combine(grant), first);
}

function secureBucketDefaults(): Partial<BucketProps> {
  return {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: true,
    removalPolicy: RemovalPolicy.RETAIN,
  };
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
