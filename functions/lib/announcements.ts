import { buildNotification, deterministicEventId, type NotificationInput, type NotificationType } from '../../shared/notifications.ts';
import { ENV } from '../../infra/definitions.ts';
import { outboxPut } from '../store/outbox-store.ts';
import type { TransactItem } from '../store/agreement-store.ts';
import { requireEnv } from './config.ts';

/**
 * Outbox entries announcing an event to each recipient, for the transaction
 * that makes the event happen (so an announcement exists exactly when its
 * event does). The event id derives from `key`, so a retried step enqueues
 * the same id and a receiver can de-duplicate.
 */
export function announce(
  type: NotificationType,
  partnerIds: readonly (string | undefined)[],
  input: Omit<NotificationInput, 'partnerId'>,
  at: Date,
  key: readonly string[],
): TransactItem[] {
  const tableName = requireEnv(ENV.tableName);
  return partnerIds
    .filter((id): id is string => id !== undefined)
    .map((partnerId) => outboxPut(tableName, buildNotification(type, { ...input, partnerId }, at, { id: deterministicEventId(type, ...key, partnerId) })));
}
