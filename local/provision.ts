/**
 * Creates Accord's table and buckets in the embedded services, from the same
 * definitions the CDK stack builds them from (infra/definitions.ts). Only what
 * is missing is created, so a second start on the same data folder finds the
 * data of the first and changes nothing.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type AttributeDefinition,
  type GlobalSecondaryIndex,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { BUCKETS, TABLE } from '../infra/definitions.ts';
import { EmbeddedStackError, LOCAL_CREDENTIALS, LOCAL_REGION, type EmbeddedServices } from './embedded-services.ts';

export interface ProvisionReport {
  /** What this call created; empty lists and false when everything was there. */
  createdTable: boolean;
  createdIndexes: string[];
  enabledTimeToLive: boolean;
  createdBuckets: string[];
}

type GlobalIndexDefinition = (typeof TABLE.globalSecondaryIndexes)[number];

/** Creates what is missing of the table (with its indexes and TTL) and the buckets. */
export async function provisionStorage(
  services: Pick<EmbeddedServices, 'dynamodb' | 's3'>,
): Promise<ProvisionReport> {
  const clientConfig = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: services.dynamodb.endpoint });
  const s3 = new S3Client({ ...clientConfig, endpoint: services.s3.endpoint, forcePathStyle: true });
  try {
    const [table, createdBuckets] = await Promise.all([provisionTable(dynamodb), provisionBuckets(s3)]);
    return { ...table, createdBuckets };
  } finally {
    dynamodb.destroy();
    s3.destroy();
  }
}

async function provisionTable(dynamodb: DynamoDBClient): Promise<Omit<ProvisionReport, 'createdBuckets'>> {
  const tableName = TABLE.localName;
  let createdTable = false;
  let description = await describeTable(dynamodb, tableName);
  if (description === undefined) {
    try {
      await dynamodb.send(new CreateTableCommand(createTableInput()));
      createdTable = true;
    } catch (error) {
      // Another provisioner created it meanwhile: fine.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30, minDelay: 1 }, { TableName: tableName });
    description = await describeTable(dynamodb, tableName);
  }
  if (description === undefined) throw new EmbeddedStackError(`Table ${tableName} vanished while it was being created`);

  const expectedKey = `${TABLE.partitionKey}/${TABLE.sortKey}`;
  const actualKey = keyOf(description.KeySchema);
  if (actualKey !== expectedKey) {
    throw new EmbeddedStackError(
      `Table ${tableName} in the data folder has key ${actualKey}, the definitions say ${expectedKey}: delete the data folder's dynamodb/ and start again`,
    );
  }

  const existingIndexes = new Set((description.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  const createdIndexes: string[] = [];
  for (const index of TABLE.globalSecondaryIndexes) {
    if (existingIndexes.has(index.indexName)) continue;
    await dynamodb.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: attributeDefinitions([index.partitionKey, index.sortKey]),
        GlobalSecondaryIndexUpdates: [{ Create: globalSecondaryIndex(index) }],
      }),
    );
    createdIndexes.push(index.indexName);
  }

  const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const ttlStatus = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  let enabledTimeToLive = false;
  if (ttlStatus !== 'ENABLED' && ttlStatus !== 'ENABLING') {
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE.timeToLiveAttribute, Enabled: true },
      }),
    );
    enabledTimeToLive = true;
  }
  return { createdTable: createdTable, createdIndexes, enabledTimeToLive };
}

/** The CreateTable request for the definitions; separate so it can be checked without a database. */
export function createTableInput(): ConstructorParameters<typeof CreateTableCommand>[0] {
  const indexKeys = TABLE.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey]);
  return {
    TableName: TABLE.localName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: attributeDefinitions([TABLE.partitionKey, TABLE.sortKey, ...indexKeys]),
    GlobalSecondaryIndexes: TABLE.globalSecondaryIndexes.map(globalSecondaryIndex),
  };
}

function globalSecondaryIndex(index: GlobalIndexDefinition): GlobalSecondaryIndex {
  return {
    IndexName: index.indexName,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' },
      { AttributeName: index.sortKey, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'ALL' },
  };
}

function attributeDefinitions(names: string[]): AttributeDefinition[] {
  return [...new Set(names)].map((name) => ({ AttributeName: name, AttributeType: 'S' }));
}

function keyOf(schema: TableDescription['KeySchema']): string {
  const hash = schema?.find((key) => key.KeyType === 'HASH')?.AttributeName ?? '?';
  const range = schema?.find((key) => key.KeyType === 'RANGE')?.AttributeName ?? '-';
  return `${hash}/${range}`;
}

async function describeTable(dynamodb: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await dynamodb.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

async function provisionBuckets(s3: S3Client): Promise<string[]> {
  const listed = await s3.send(new ListBucketsCommand({}));
  const existing = new Set((listed.Buckets ?? []).map((bucket) => bucket.Name));
  const created: string[] = [];
  for (const { localName } of Object.values(BUCKETS)) {
    if (existing.has(localName)) continue;
    try {
      await s3.send(new CreateBucketCommand({ Bucket: localName }));
      created.push(localName);
    } catch (error) {
      if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
    }
  }
  return created;
}
