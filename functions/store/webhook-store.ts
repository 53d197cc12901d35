import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DeleteCommandInput,
  type DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../../shared/errors.ts';
import { SECRET_ROTATION_GRACE_SECONDS, type WebhookSecrets } from '../../shared/notifications.ts';
import { ENTITY, keys } from './table-keys.ts';

/**
 * A partner's webhook: one per partner, in its own partition (`PARTNER#<id>` /
 * `WEBHOOK`). The signing secrets are stored as they are, because the
 * dispatcher needs them to sign; they are shown to the partner only in the
 * response that creates them, and the table is encrypted with the stack's
 * KMS key.
 */

export interface StoredWebhook extends WebhookSecrets {
  partnerId: string;
  url: string;
  createdAt: string;
  updatedAt: string;
  secretRotatedAt?: string;
  version: number;
}

export interface WebhookStore {
  getWebhook(partnerId: string): Promise<StoredWebhook | undefined>;
  /** Registers the webhook with `newSecret`, or changes the URL of the one registered (its secrets stay). */
  putWebhook(partnerId: string, url: string, now: Date, newSecret: string): Promise<{ webhook: StoredWebhook; created: boolean }>;
  /** `newSecret` signs from now on; the current secret keeps signing alongside it for the grace period. */
  rotateSecret(partnerId: string, now: Date, newSecret: string, graceSeconds?: number): Promise<StoredWebhook>;
  deleteWebhook(partnerId: string): Promise<StoredWebhook>;
}

// ---- request builders: pure ----

/** One atomic upsert: a new item gets `newSecret`; an existing one keeps its secrets and creation time. */
export function putWebhookParams(tableName: string, partnerId: string, url: string, now: Date, newSecret: string): UpdateCommandInput {
  return {
    TableName: tableName,
    Key: keys.webhook(partnerId),
    UpdateExpression:
      'SET #url = :url, updatedAt = :now, entity = :entity, partnerId = :partnerId, createdAt = if_not_exists(createdAt, :now), secret = if_not_exists(secret, :secret), version = if_not_exists(version, :zero) + :one',
    ExpressionAttributeNames: { '#url': 'url' },
    ExpressionAttributeValues: {
      ':url': url,
      ':now': now.toISOString(),
      ':entity': ENTITY.webhook,
      ':partnerId': partnerId,
      ':secret': newSecret,
      ':zero': 0,
      ':one': 1,
    },
    ReturnValues: 'ALL_NEW',
  };
}

/** The current secret becomes the previous one, in the same write that stores the new one. */
export function rotateSecretParams(tableName: string, partnerId: string, now: Date, newSecret: string, graceSeconds = SECRET_ROTATION_GRACE_SECONDS): UpdateCommandInput {
  return {
    TableName: tableName,
    Key: keys.webhook(partnerId),
    UpdateExpression:
      'SET previousSecret = secret, secret = :secret, previousSecretExpiresAt = :expires, secretRotatedAt = :now, updatedAt = :now, version = version + :one',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: {
      ':secret': newSecret,
      ':expires': new Date(now.getTime() + graceSeconds * 1000).toISOString(),
      ':now': now.toISOString(),
      ':one': 1,
    },
    ReturnValues: 'ALL_NEW',
  };
}

export function deleteWebhookParams(tableName: string, partnerId: string): DeleteCommandInput {
  return { TableName: tableName, Key: keys.webhook(partnerId), ConditionExpression: 'attribute_exists(pk)', ReturnValues: 'ALL_OLD' };
}

function toWebhook(item: Record<string, unknown>): StoredWebhook {
  const optional = (name: string) => (typeof item[name] === 'string' ? { [name]: item[name] } : {});
  return {
    partnerId: String(item.partnerId),
    url: String(item.url),
    secret: String(item.secret),
    ...optional('previousSecret'),
    ...optional('previousSecretExpiresAt'),
    ...optional('secretRotatedAt'),
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
    version: Number(item.version),
  };
}

export class DynamoWebhookStore implements WebhookStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getWebhook(partnerId: string): Promise<StoredWebhook | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.webhook(partnerId), ConsistentRead: true }));
    return Item ? toWebhook(Item) : undefined;
  }

  async putWebhook(partnerId: string, url: string, now: Date, newSecret: string): Promise<{ webhook: StoredWebhook; created: boolean }> {
    const { Attributes } = await this.client.send(new UpdateCommand(putWebhookParams(this.tableName, partnerId, url, now, newSecret)));
    if (!Attributes) throw new Error('UpdateItem with ReturnValues ALL_NEW answered no attributes');
    const webhook = toWebhook(Attributes);
    // The secret is random: it is ours exactly when this write created the item.
    return { webhook, created: webhook.secret === newSecret };
  }

  async rotateSecret(partnerId: string, now: Date, newSecret: string, graceSeconds?: number): Promise<StoredWebhook> {
    try {
      const { Attributes } = await this.client.send(new UpdateCommand(rotateSecretParams(this.tableName, partnerId, now, newSecret, graceSeconds)));
      if (!Attributes) throw new Error('UpdateItem with ReturnValues ALL_NEW answered no attributes');
      return toWebhook(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new NotFoundError('this partner has no webhook: register one first', { cause: error });
      throw error;
    }
  }

  async deleteWebhook(partnerId: string): Promise<StoredWebhook> {
    try {
      const { Attributes } = await this.client.send(new DeleteCommand(deleteWebhookParams(this.tableName, partnerId)));
      if (!Attributes) throw new Error('DeleteItem with ReturnValues ALL_OLD answered no attributes');
      return toWebhook(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new NotFoundError('this partner has no webhook', { cause: error });
      throw error;
    }
  }
}
