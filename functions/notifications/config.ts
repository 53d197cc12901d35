import type { WebhookUrlPolicy } from '../../shared/notifications.ts';
import { requireEnv } from '../lib/config.ts';

/**
 * Environment variables of notifications. Plain data and readers only (no SDK
 * imports), so the CDK construct can name the same variables it sets.
 */
export const NOTIFICATION_ENV = {
  /** `From` of every e-mail, e.g. `Accord <notifications@accord.example.com>`; required when mail goes through SES. */
  mailFrom: 'ACCORD_MAIL_FROM',
  /** When set, e-mails are written as `<evt id>.eml` files into this folder instead of being sent with SES (the embedded stack). */
  mailOutboxDir: 'ACCORD_MAIL_OUTBOX_DIR',
  /** Optional SES configuration set (event publishing, suppression, dedicated IPs). */
  sesConfigurationSet: 'ACCORD_SES_CONFIGURATION_SET',
  /** `true` lets webhooks use http:// on 127.0.0.1, ::1 and localhost. Only the embedded stack and tests set it; never on AWS. */
  webhookAllowLoopbackHttp: 'ACCORD_WEBHOOK_ALLOW_LOOPBACK_HTTP',
} as const;

/** The `From` used when e-mails go to the outbox folder and no ACCORD_MAIL_FROM is set. */
export const LOCAL_MAIL_FROM = 'Accord <notifications@accord.localhost>';

export function webhookUrlPolicy(): WebhookUrlPolicy {
  return { allowLoopbackHttp: process.env[NOTIFICATION_ENV.webhookAllowLoopbackHttp] === 'true' };
}

export function mailOutboxDir(): string | undefined {
  const dir = process.env[NOTIFICATION_ENV.mailOutboxDir];
  return dir === undefined || dir === '' ? undefined : dir;
}

/** The sender address: required with SES, a local default with the outbox folder. */
export function mailFrom(): string {
  if (mailOutboxDir() !== undefined) return process.env[NOTIFICATION_ENV.mailFrom] || LOCAL_MAIL_FROM;
  return requireEnv(NOTIFICATION_ENV.mailFrom);
}

export function sesConfigurationSet(): string | undefined {
  return process.env[NOTIFICATION_ENV.sesConfigurationSet] || undefined;
}
