import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DeleteCommandInput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ENTITY, keys, type ItemKey } from './table-keys.ts';

/**
 * Idempotency records of the API: one per (partner, route, Idempotency-Key),
 * claimed with a conditional write before the route runs and completed with
 * its sealed answer after, so a retried request is answered from the record
 * and never runs twice. DynamoDB's TTL removes a record a day after it was
 * claimed; until the TTL sweeper gets to it, an expired record counts as absent.
 */

export interface IdempotencyRecordKey {
  /** The calling partner's id, or undefined on a public route. */
  partnerId: string | undefined;
  /** A hex digest derived from the route and the client's key; the key itself is never stored. */
  recordId: string;
}

/** The answer of the first request, encrypted with a key only the client's Idempotency-Key derives. */
export interface SealedResponse {
  iv: string;
  tag: string;
  data: string;
}

export type ClaimOutcome =
  | { outcome: 'claimed' }
  | { outcome: 'completed'; fingerprint: string; response: SealedResponse }
  | { outcome: 'in_progress'; fingerprint: string };

export interface Claim {
  key: IdempotencyRecordKey;
  /** SHA-256 of what the request asked (method, path, query, body): a reused key with another request is refused. */
  fingerprint: string;
  /** Names this claim, so only its holder completes or releases the record. */
  lockToken: string;
  now: Date;
  /** How long the claim holds while the request runs (longer than the function's timeout). */
  leaseMs: number;
  ttlSeconds: number;
}

export function recordKeyOf(key: IdempotencyRecordKey): ItemKey {
  return keys.idempotency(key.partnerId, key.recordId);
}

// ---- request builders: pure, unit-testable without a database ----

export function claimParams(tableName: string, claim: Claim): PutCommandInput {
  const nowMs = claim.now.getTime();
  return {
    TableName: tableName,
    Item: {
      ...recordKeyOf(claim.key),
      entity: ENTITY.idempotency,
      status: 'in_progress',
      fingerprint: claim.fingerprint,
      lockToken: claim.lockToken,
      lockedUntil: nowMs + claim.leaseMs,
      createdAt: claim.now.toISOString(),
      expiresAt: Math.floor(nowMs / 1000) + claim.ttlSeconds,
    },
    // New, or expired but not yet swept by TTL, or claimed by a request that died (its lease ran out).
    ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :nowSeconds OR (#status = :inProgress AND lockedUntil < :nowMs)',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':nowSeconds': Math.floor(nowMs / 1000), ':nowMs': nowMs, ':inProgress': 'in_progress' },
  };
}

export function completeParams(tableName: string, key: IdempotencyRecordKey, lockToken: string, response: SealedResponse): UpdateCommandInput {
  return {
    TableName: tableName,
    Key: recordKeyOf(key),
    UpdateExpression: 'SET #status = :completed, #response = :response REMOVE lockedUntil',
    ConditionExpression: 'lockToken = :token',
    ExpressionAttributeNames: { '#status': 'status', '#response': 'response' },
    ExpressionAttributeValues: { ':completed': 'completed', ':response': response, ':token': lockToken },
  };
}

export function releaseParams(tableName: string, key: IdempotencyRecordKey, lockToken: string): DeleteCommandInput {
  return {
    TableName: tableName,
    Key: recordKeyOf(key),
    ConditionExpression: 'lockToken = :token AND #status = :inProgress',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':token': lockToken, ':inProgress': 'in_progress' },
  };
}

function toOutcome(item: Record<string, unknown>): ClaimOutcome {
  const fingerprint = String(item.fingerprint);
  if (item.status === 'completed') return { outcome: 'completed', fingerprint, response: item.response as SealedResponse };
  return { outcome: 'in_progress', fingerprint };
}

export class DynamoIdempotencyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Claims the record for this request, or answers what a previous request with the same key left. */
  async claim(claim: Claim): Promise<ClaimOutcome> {
    try {
      await this.client.send(new PutCommand(claimParams(this.tableName, claim)));
      return { outcome: 'claimed' };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // A retry (rare): read what the first request left. Released meanwhile: claim again.
      const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: recordKeyOf(claim.key), ConsistentRead: true }));
      return Item ? toOutcome(Item) : this.claim(claim);
    }
  }

  /** Keeps the sealed answer for replays; a claim taken over meanwhile (lease ran out) is left to its new holder. */
  async complete(key: IdempotencyRecordKey, lockToken: string, response: SealedResponse): Promise<void> {
    try {
      await this.client.send(new UpdateCommand(completeParams(this.tableName, key, lockToken, response)));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Forgets a claim whose request failed, so that the client's retry runs afresh. */
  async release(key: IdempotencyRecordKey, lockToken: string): Promise<void> {
    try {
      await this.client.send(new DeleteCommand(releaseParams(this.tableName, key, lockToken)));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
