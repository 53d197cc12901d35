import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Contribution, type ContributionStatus, ContributionSchema } from '../../shared/contributions/contribution.ts';
import { ENTITY, keys } from './table-keys.ts';
import { prefixQuery, queryAll } from './query-all.ts';

/** Contributions of a run, in the agreement's partition. */
export class DynamoContributionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(contribution: Contribution): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.contribution(contribution.agreementId, contribution.runId, contribution.id), entity: ENTITY.contribution, ...contribution },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(agreementId: string, runId: string, contributionId: string): Promise<Contribution | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.contribution(agreementId, runId, contributionId), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, entity: _entity, ...contribution } = Item;
    return ContributionSchema.parse(contribution);
  }

  /**
   * Writes a contribution's next state only if it is still in `expected`:
   * a duplicated or late object-created event finds it moved on and changes
   * nothing. Answers whether this call made the change.
   */
  async transition(contribution: Contribution, expected: readonly ContributionStatus[]): Promise<boolean> {
    const values = Object.fromEntries(expected.map((status, index) => [`:s${index}`, status]));
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.contribution(contribution.agreementId, contribution.runId, contribution.id), entity: ENTITY.contribution, ...contribution },
          ConditionExpression: `#status IN (${Object.keys(values).join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async listOfRun(agreementId: string, runId: string): Promise<Contribution[]> {
    const items = await queryAll(this.client, prefixQuery(this.tableName, keys.contributionsOfRunPrefix(agreementId, runId)));
    const found = items.map(({ pk: _pk, sk: _sk, entity: _entity, ...item }) => ContributionSchema.parse(item));
    return found.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }
}
