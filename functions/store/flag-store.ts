import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { PairKeys } from '../../shared/flags.ts';
import type { Flag } from '../../shared/results.ts';
import type { TransactItem } from './agreement-store.ts';
import { ENTITY, keys } from './table-keys.ts';
import { prefixQuery, queryAll } from './query-all.ts';

/**
 * Flags on released matches, one per side and match, under the agreement's
 * partition. A flag keeps the pair's keys (what matched) so that later runs
 * can leave the pair out (shared/flags.ts excludeFlagged).
 */

export interface StoredFlag extends Flag {
  partnerId: string;
  keyId: string;
  /** What matched, oriented as the matcher writes pairs (a = proposer). */
  keys: PairKeys;
}

/** A new flag, in the same transaction as its audit event; refused if the side flagged the match already. */
export function flagPut(tableName: string, flag: StoredFlag): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: { ...keys.flag(flag.agreementId, flag.runId, flag.matchId, flag.side), entity: ENTITY.flag, ...flag },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

function toFlag(item: Record<string, unknown>): StoredFlag {
  const { pk: _pk, sk: _sk, entity: _entity, ...flag } = item;
  return flag as unknown as StoredFlag;
}

export class DynamoFlagStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(agreementId: string, runId: string, matchId: string, side: string): Promise<StoredFlag | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.flag(agreementId, runId, matchId, side), ConsistentRead: true }));
    return Item ? toFlag(Item) : undefined;
  }

  /** Every flag of the agreement, of every run; `runId` narrows to one run. */
  async list(agreementId: string, runId?: string): Promise<StoredFlag[]> {
    const { pk, skPrefix } = keys.flagsPrefix(agreementId);
    const items = await queryAll(this.client, prefixQuery(this.tableName, { pk, skPrefix: runId ? `${skPrefix}${runId}#` : skPrefix }));
    return items.map(toFlag);
  }
}
