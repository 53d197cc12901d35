/**
 * The one definition of Accord's storage: the CDK stack builds the table and
 * buckets from it on AWS, and the embedded stack creates them from it locally.
 * Plain data only — no CDK or SDK imports — so both sides can read it.
 */

export const TABLE = {
  /** Name used by the embedded stack; on AWS CloudFormation names the table. */
  localName: 'accord',
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Items with this attribute (epoch seconds) are expired by DynamoDB TTL. */
  timeToLiveAttribute: 'expiresAt',
  globalSecondaryIndexes: [
    /** Listings across entities, e.g. a partner's agreements by status. */
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  ],
} as const;

/**
 * The longest any object of the data buckets may lawfully live, in days: a run
 * open for the longest contribution deadline the terms allow (365), its results
 * awaiting approval the longest (90), then kept the longest (3650), with the
 * uploads kept as long as the results. The workflow deletes far sooner; a
 * lifecycle rule expires whatever a failed deletion left after this.
 */
export const LONGEST_RETENTION_DAYS = 365 + 90 + 3650;

export type BucketRole = 'uploads' | 'results';

export const BUCKETS: Record<BucketRole, { localName: string; purpose: string }> = {
  uploads: { localName: 'accord-uploads', purpose: 'raw contributions uploaded by partners' },
  results: { localName: 'accord-results', purpose: 'match results and exports' },
};

/** Environment variables the functions read their resource names from. */
export const ENV = {
  tableName: 'ACCORD_TABLE_NAME',
  uploadsBucket: 'ACCORD_UPLOADS_BUCKET',
  resultsBucket: 'ACCORD_RESULTS_BUCKET',
} as const;
