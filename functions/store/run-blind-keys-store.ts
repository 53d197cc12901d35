import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { type RunBlindKeys, RunBlindKeysSchema } from '../../shared/blind/keys.ts';
import { ENTITY, keys } from './table-keys.ts';

/** Building the write is separate from sending it: the first fixing wins, a second never overwrites it. */
export function fixRunBlindKeysParams(tableName: string, fixed: RunBlindKeys): PutCommandInput {
  return {
    TableName: tableName,
    Item: { ...keys.runBlindKeys(fixed.agreementId, fixed.runId), entity: ENTITY.runBlindKeys, ...fixed },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

/** The public keys each run's blind contributions are made with, in the agreement's partition. */
export class DynamoRunBlindKeysStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(agreementId: string, runId: string): Promise<RunBlindKeys | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.runBlindKeys(agreementId, runId), ConsistentRead: true }));
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, entity: _entity, ...fixed } = Item;
    return RunBlindKeysSchema.parse(fixed);
  }

  /** Fixes the run's keys, or answers the ones fixed before (by a concurrent request of either party). */
  async fix(fixed: RunBlindKeys): Promise<RunBlindKeys> {
    try {
      await this.client.send(new PutCommand(fixRunBlindKeysParams(this.tableName, fixed)));
      return fixed;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const earlier = await this.get(fixed.agreementId, fixed.runId);
      if (!earlier) throw error;
      return earlier;
    }
  }
}
