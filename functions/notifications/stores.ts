import { ENV } from '../../infra/definitions.ts';
import { dynamodb } from '../lib/clients.ts';
import { requireEnv } from '../lib/config.ts';
import { DynamoOutboxStore, type OutboxStore } from '../store/outbox-store.ts';
import { DynamoWebhookStore, type WebhookStore } from '../store/webhook-store.ts';

let outbox: OutboxStore | undefined;
let webhooks: WebhookStore | undefined;

/** The outbox store of this function, created on first use. */
export function outboxStore(): OutboxStore {
  outbox ??= new DynamoOutboxStore(dynamodb, requireEnv(ENV.tableName));
  return outbox;
}

/** The webhook store of this function, created on first use. */
export function webhookStore(): WebhookStore {
  webhooks ??= new DynamoWebhookStore(dynamodb, requireEnv(ENV.tableName));
  return webhooks;
}
