import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  type Channel,
  CHANNELS,
  type ChannelDelivery,
  type Notification,
  type NotificationType,
  nextDueAt,
  overallStatus,
} from '../../shared/notifications.ts';
import { ENTITY, type ItemKey, keys } from './table-keys.ts';

/**
 * The transactional outbox of notifications.
 *
 * A notification is enqueued by putting an outbox item into the recipient
 * partner's partition, in the same transaction as the change it announces
 * (`outboxPut`). While any channel has work due, the item carries the GSI keys
 * `gsi1pk = OUTBOX#DUE`, `gsi1sk = <due ISO time>#<evt id>`, so dispatchers
 * find due work with one Query of one index partition and never scan tenants;
 * once every channel is delivered, skipped or dead, the GSI keys are removed
 * and the index holds only due work.
 *
 * A dispatcher claims an item with a conditional write that moves its due time
 * to the end of a lease, so two dispatchers never work on the same item at
 * once and a crashed one's item comes due again when the lease ends. Delivery
 * is therefore at least once: receivers de-duplicate on the event id.
 */

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export const OUTBOX_DUE_PARTITION = 'OUTBOX#DUE';
/** Outbox items and dead letters are deleted by TTL this long after they were created. */
export const OUTBOX_RETENTION_SECONDS = 90 * 24 * 60 * 60;

export type OutboxStatus = 'pending' | 'delivered' | 'dead';

export interface OutboxEntry {
  key: ItemKey;
  notification: Notification;
  status: OutboxStatus;
  deliveries: Record<Channel, ChannelDelivery>;
  /** Set while a dispatcher holds the item. */
  claimToken?: string;
}

export interface DeadLetter {
  eventId: string;
  partnerId: string;
  channel: Channel;
  type: NotificationType;
  agreementId?: string;
  subject: string;
  occurredAt: string;
  deadAt: string;
  attempts: number;
  lastError: string;
  /** Where it could not be delivered: the webhook URL or the e-mail address. */
  destination?: string;
}

/** An outbox item found on the due index: enough to claim it. */
export interface DueRef {
  key: ItemKey;
  eventId: string;
  partnerId: string;
}

export interface OutboxStore {
  /** Enqueues on its own, outside any other change (prefer `outboxPut` in the change's transaction). Idempotent per event id and time. */
  enqueue(notification: Notification): Promise<void>;
  /** Outbox items due at `now`, oldest first; optionally only those of some partners. */
  findDue(now: Date, limit: number, onlyPartners?: readonly string[]): Promise<DueRef[]>;
  /** Claims a due item until `leaseUntil`; undefined when it is not due any more or another dispatcher holds it. */
  claim(ref: DueRef, now: Date, leaseUntil: Date, token: string): Promise<OutboxEntry | undefined>;
  /**
   * Records the outcome of a round of deliveries, releases the claim and
   * writes a dead letter per channel that just died, in one transaction.
   * Answers false when the claim was lost (the lease ran out and another
   * dispatcher took the item): nothing is written then.
   */
  settle(entry: OutboxEntry, token: string, deliveries: Record<Channel, ChannelDelivery>, deadLetters: DeadLetter[]): Promise<boolean>;
  listNotifications(partnerId: string, limit: number): Promise<OutboxEntry[]>;
  listDeadLetters(partnerId: string, limit: number): Promise<DeadLetter[]>;
}

// ---- request builders: pure, unit-testable without a database ----

function epochSeconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

/** The stored outbox item of a new notification: both channels pending, due at once. */
export function outboxItem(notification: Notification): Record<string, unknown> {
  const pending: ChannelDelivery = { state: 'pending', attempts: 0, nextAttemptAt: notification.occurredAt };
  return {
    ...keys.outbox(notification.partnerId, notification.occurredAt, notification.id),
    ...keys.outboxDue(notification.occurredAt, notification.id),
    entity: ENTITY.outbox,
    ...notification,
    status: 'pending' satisfies OutboxStatus,
    email: pending,
    webhook: pending,
    expiresAt: epochSeconds(notification.occurredAt) + OUTBOX_RETENTION_SECONDS,
  };
}

/**
 * Enqueues `notification` as one item of a `TransactWriteItems` request, so
 * the caller can put it in the same transaction as the state change it
 * announces (the transactional outbox): both are written, or neither.
 *
 *   await client.send(new TransactWriteCommand({ TransactItems: [agreementUpdate, outboxPut(table, notification)] }));
 *
 * The put is conditional on the item being new, so replaying a step with the
 * same event id and time (see `deterministicEventId`) fails the transaction
 * instead of resetting delivery state.
 */
export function outboxPut(tableName: string, notification: Notification): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: outboxItem(notification),
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** The due index up to `now`: `gsi1sk` sorts by due time, and `~` sorts after every id character. */
export function findDueParams(tableName: string, now: Date, limit: number, onlyPartners?: readonly string[]): QueryCommandInput {
  const values: Record<string, unknown> = { ':due': OUTBOX_DUE_PARTITION, ':upTo': `${now.toISOString()}#~` };
  let filter: string | undefined;
  if (onlyPartners && onlyPartners.length > 0) {
    const names = onlyPartners.map((partnerId, index) => {
      values[`:p${index}`] = partnerId;
      return `:p${index}`;
    });
    filter = `partnerId IN (${names.join(', ')})`;
  }
  return {
    TableName: tableName,
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :due AND gsi1sk <= :upTo',
    ...(filter ? { FilterExpression: filter } : {}),
    ExpressionAttributeValues: values,
    ProjectionExpression: 'pk, sk, id, partnerId',
    Limit: limit,
  };
}

/** Claims an item that is still due: its due time moves to the end of the lease, so nobody else sees it due until then. */
export function claimParams(tableName: string, ref: DueRef, now: Date, leaseUntil: Date, token: string): UpdateCommandInput {
  return {
    TableName: tableName,
    Key: ref.key,
    UpdateExpression: 'SET gsi1sk = :lease, claimToken = :token',
    ConditionExpression: 'gsi1pk = :due AND gsi1sk <= :upTo',
    ExpressionAttributeValues: {
      ':lease': keys.outboxDue(leaseUntil.toISOString(), ref.eventId).gsi1sk,
      ':token': token,
      ':due': OUTBOX_DUE_PARTITION,
      ':upTo': `${now.toISOString()}#~`,
    },
    ReturnValues: 'ALL_NEW',
  };
}

export function deadLetterItem(deadLetter: DeadLetter): Record<string, unknown> {
  return {
    ...keys.deadLetter(deadLetter.partnerId, deadLetter.deadAt, deadLetter.eventId, deadLetter.channel),
    entity: ENTITY.deadLetter,
    ...deadLetter,
    expiresAt: epochSeconds(deadLetter.deadAt) + OUTBOX_RETENTION_SECONDS,
  };
}

export function settleParams(
  tableName: string,
  entry: OutboxEntry,
  token: string,
  deliveries: Record<Channel, ChannelDelivery>,
  deadLetters: readonly DeadLetter[],
): TransactWriteCommandInput {
  const dueAt = nextDueAt(deliveries);
  const values: Record<string, unknown> = {
    ':email': deliveries.email,
    ':webhook': deliveries.webhook,
    ':status': overallStatus(deliveries),
    ':token': token,
  };
  let update = 'SET #email = :email, #webhook = :webhook, #status = :status';
  if (dueAt) {
    update += ', gsi1sk = :next REMOVE claimToken';
    values[':next'] = keys.outboxDue(dueAt, entry.notification.id).gsi1sk;
  } else {
    // Nothing left to do: out of the due index.
    update += ' REMOVE claimToken, gsi1pk, gsi1sk';
  }
  return {
    TransactItems: [
      {
        Update: {
          TableName: tableName,
          Key: entry.key,
          UpdateExpression: update,
          ConditionExpression: 'claimToken = :token',
          ExpressionAttributeNames: { '#email': 'email', '#webhook': 'webhook', '#status': 'status' },
          ExpressionAttributeValues: values,
        },
      },
      ...deadLetters.map((deadLetter) => ({
        Put: { TableName: tableName, Item: deadLetterItem(deadLetter), ConditionExpression: 'attribute_not_exists(pk)' },
      })),
    ],
  };
}

/** A partner's notifications (or dead letters), newest first: one Query of its own partition. */
export function listOfPartnerParams(tableName: string, prefix: { pk: string; skPrefix: string }, limit: number): QueryCommandInput {
  return {
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': prefix.pk, ':prefix': prefix.skPrefix },
    ScanIndexForward: false,
    Limit: limit,
  };
}

// ---- mapping stored items back ----

function toDelivery(value: unknown): ChannelDelivery {
  const raw = (value ?? {}) as Record<string, unknown>;
  const optional = (name: keyof ChannelDelivery) => (typeof raw[name] === 'string' ? { [name]: raw[name] } : {});
  return {
    state: (raw.state as ChannelDelivery['state'] | undefined) ?? 'pending',
    attempts: typeof raw.attempts === 'number' ? raw.attempts : 0,
    ...optional('nextAttemptAt'),
    ...optional('lastAttemptAt'),
    ...optional('lastError'),
    ...optional('deliveredAt'),
  };
}

export function toOutboxEntry(item: Record<string, unknown>): OutboxEntry {
  const notification: Notification = {
    id: String(item.id),
    partnerId: String(item.partnerId),
    ...(typeof item.recipientEmail === 'string' ? { recipientEmail: item.recipientEmail } : {}),
    type: item.type as NotificationType,
    ...(typeof item.agreementId === 'string' ? { agreementId: item.agreementId } : {}),
    occurredAt: String(item.occurredAt),
    subject: String(item.subject),
    text: String(item.text),
    data: (item.data ?? {}) as Notification['data'],
  };
  return {
    key: { pk: String(item.pk), sk: String(item.sk) },
    notification,
    status: item.status as OutboxStatus,
    deliveries: Object.fromEntries(CHANNELS.map((channel) => [channel, toDelivery(item[channel])])) as Record<Channel, ChannelDelivery>,
    ...(typeof item.claimToken === 'string' ? { claimToken: item.claimToken } : {}),
  };
}

function toDeadLetter(item: Record<string, unknown>): DeadLetter {
  return {
    eventId: String(item.eventId),
    partnerId: String(item.partnerId),
    channel: item.channel as Channel,
    type: item.type as NotificationType,
    ...(typeof item.agreementId === 'string' ? { agreementId: item.agreementId } : {}),
    subject: String(item.subject),
    occurredAt: String(item.occurredAt),
    deadAt: String(item.deadAt),
    attempts: Number(item.attempts),
    lastError: String(item.lastError),
    ...(typeof item.destination === 'string' ? { destination: item.destination } : {}),
  };
}

export class DynamoOutboxStore implements OutboxStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async enqueue(notification: Notification): Promise<void> {
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: [outboxPut(this.tableName, notification)] }));
    } catch (error) {
      // Already enqueued: the same event is not queued twice.
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return;
      throw error;
    }
  }

  async findDue(now: Date, limit: number, onlyPartners?: readonly string[]): Promise<DueRef[]> {
    // A filter applies after Limit, so with one the pages are followed until enough items match.
    const found: DueRef[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(new QueryCommand({ ...findDueParams(this.tableName, now, limit, onlyPartners), ExclusiveStartKey }));
      for (const item of page.Items ?? []) {
        if (found.length < limit) found.push({ key: { pk: String(item.pk), sk: String(item.sk) }, eventId: String(item.id), partnerId: String(item.partnerId) });
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey && found.length < limit);
    return found;
  }

  async claim(ref: DueRef, now: Date, leaseUntil: Date, token: string): Promise<OutboxEntry | undefined> {
    try {
      const { Attributes } = await this.client.send(new UpdateCommand(claimParams(this.tableName, ref, now, leaseUntil, token)));
      return Attributes ? toOutboxEntry(Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async settle(entry: OutboxEntry, token: string, deliveries: Record<Channel, ChannelDelivery>, deadLetters: DeadLetter[]): Promise<boolean> {
    try {
      await this.client.send(new TransactWriteCommand(settleParams(this.tableName, entry, token, deliveries, deadLetters)));
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  async listNotifications(partnerId: string, limit: number): Promise<OutboxEntry[]> {
    const { Items = [] } = await this.client.send(new QueryCommand(listOfPartnerParams(this.tableName, keys.outboxPrefixOfPartner(partnerId), limit)));
    return Items.map(toOutboxEntry);
  }

  async listDeadLetters(partnerId: string, limit: number): Promise<DeadLetter[]> {
    const { Items = [] } = await this.client.send(new QueryCommand(listOfPartnerParams(this.tableName, keys.deadLettersPrefixOfPartner(partnerId), limit)));
    return Items.map(toDeadLetter);
  }
}
