import { describe, expect, it } from 'vitest';
import {
  claimParams,
  findDueParams,
  OUTBOX_DUE_PARTITION,
  outboxPut,
  settleParams,
  toOutboxEntry,
} from '../../functions/store/outbox-store.ts';
import { putWebhookParams, rotateSecretParams } from '../../functions/store/webhook-store.ts';
import { buildNotification } from '../../shared/notifications.ts';

const TABLE = 'accord';
const T0 = new Date('2026-11-23T10:00:00.000Z');
const notification = buildNotification('run.lapsed', { partnerId: 'ptn_aaaaaaaaaaaaaaaaaaaa', agreementId: 'agr_bbbbbbbbbbbbbbbbbbbb' }, T0);

describe('outbox requests', () => {
  it('enqueue as a conditional Put that fits in the caller’s transaction, in the recipient’s partition, due at once', () => {
    const put = outboxPut(TABLE, notification);
    expect(put.Put).toMatchObject({
      TableName: TABLE,
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        pk: `PARTNER#${notification.partnerId}`,
        sk: `OUTBOX#${notification.occurredAt}#${notification.id}`,
        gsi1pk: OUTBOX_DUE_PARTITION,
        gsi1sk: `${notification.occurredAt}#${notification.id}`,
        entity: 'outbox',
        status: 'pending',
        email: { state: 'pending', attempts: 0, nextAttemptAt: notification.occurredAt },
        webhook: { state: 'pending', attempts: 0, nextAttemptAt: notification.occurredAt },
        id: notification.id,
        type: 'run.lapsed',
        subject: notification.subject,
        expiresAt: Math.floor(T0.getTime() / 1000) + 90 * 24 * 3600,
      },
    });
  });

  it('find due work with one Query of the due partition of the index, never a Scan', () => {
    const params = findDueParams(TABLE, T0, 25);
    expect(params).toMatchObject({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :due AND gsi1sk <= :upTo',
      ExpressionAttributeValues: { ':due': 'OUTBOX#DUE', ':upTo': '2026-11-23T10:00:00.000Z#~' },
      Limit: 25,
    });
    expect(findDueParams(TABLE, T0, 25, ['ptn_1', 'ptn_2']).FilterExpression).toBe('partnerId IN (:p0, :p1)');
  });

  it('claim only while due, moving the due time to the end of the lease', () => {
    const ref = { key: { pk: 'PARTNER#p', sk: 'OUTBOX#x' }, eventId: notification.id, partnerId: 'p' };
    const params = claimParams(TABLE, ref, T0, new Date(T0.getTime() + 300_000), 'token-1');
    expect(params.ConditionExpression).toBe('gsi1pk = :due AND gsi1sk <= :upTo');
    expect(params.ExpressionAttributeValues).toMatchObject({ ':lease': `2026-11-23T10:05:00.000Z#${notification.id}`, ':token': 'token-1' });
    expect(params.ReturnValues).toBe('ALL_NEW');
  });

  it('settle under the claim: the next due time while work is left, out of the index and dead letters when not', () => {
    const entry = toOutboxEntry(outboxPut(TABLE, notification).Put?.Item ?? {});
    const retry = settleParams(
      TABLE,
      entry,
      'token-1',
      { email: { state: 'delivered', attempts: 1 }, webhook: { state: 'pending', attempts: 1, nextAttemptAt: '2026-11-23T10:01:00.000Z' } },
      [],
    );
    const update = retry.TransactItems?.[0]?.Update;
    expect(update?.ConditionExpression).toBe('claimToken = :token');
    expect(update?.UpdateExpression).toContain('gsi1sk = :next REMOVE claimToken');
    expect(update?.ExpressionAttributeValues?.[':next']).toBe(`2026-11-23T10:01:00.000Z#${notification.id}`);
    expect(update?.ExpressionAttributeValues?.[':status']).toBe('pending');

    const dead = settleParams(
      TABLE,
      entry,
      'token-1',
      { email: { state: 'delivered', attempts: 1 }, webhook: { state: 'dead', attempts: 6, lastError: 'HTTP 500' } },
      [
        {
          eventId: notification.id,
          partnerId: notification.partnerId,
          channel: 'webhook',
          type: notification.type,
          subject: notification.subject,
          occurredAt: notification.occurredAt,
          deadAt: '2026-11-23T18:36:00.000Z',
          attempts: 6,
          lastError: 'HTTP 500',
        },
      ],
    );
    expect(dead.TransactItems?.[0]?.Update?.UpdateExpression).toContain('REMOVE claimToken, gsi1pk, gsi1sk');
    expect(dead.TransactItems?.[0]?.Update?.ExpressionAttributeValues?.[':status']).toBe('dead');
    expect(dead.TransactItems?.[1]?.Put?.Item).toMatchObject({
      pk: `PARTNER#${notification.partnerId}`,
      sk: `DEADLETTER#2026-11-23T18:36:00.000Z#${notification.id}#webhook`,
      entity: 'dead-letter',
    });
  });
});

describe('webhook requests', () => {
  it('register with one upsert that keeps an existing secret', () => {
    const params = putWebhookParams(TABLE, 'ptn_1', 'https://hooks.example.com/x', T0, 'whsec_new');
    expect(params.Key).toEqual({ pk: 'PARTNER#ptn_1', sk: 'WEBHOOK' });
    expect(params.UpdateExpression).toContain('secret = if_not_exists(secret, :secret)');
    expect(params.UpdateExpression).toContain('createdAt = if_not_exists(createdAt, :now)');
  });

  it('rotate by moving the current secret to previousSecret in the same write, with a 24 h grace period', () => {
    const params = rotateSecretParams(TABLE, 'ptn_1', T0, 'whsec_new');
    expect(params.UpdateExpression).toContain('previousSecret = secret, secret = :secret');
    expect(params.ConditionExpression).toBe('attribute_exists(pk)');
    expect(params.ExpressionAttributeValues?.[':expires']).toBe('2026-11-24T10:00:00.000Z');
  });
});
