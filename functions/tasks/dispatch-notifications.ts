import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { logger } from '../lib/logger.ts';
import { partnerStore } from '../lib/stores.ts';
import { mailFrom, mailOutboxDir, sesConfigurationSet, webhookUrlPolicy } from '../notifications/config.ts';
import { type DispatchOptions, type DispatchReport, Dispatcher } from '../notifications/dispatcher.ts';
import { type Mailer, OutboxFolderMailer, SesMailer } from '../notifications/mailer.ts';
import { outboxStore, webhookStore } from '../notifications/stores.ts';
import { FetchWebhookSender } from '../notifications/webhook-sender.ts';

/**
 * The notification dispatcher: EventBridge invokes it every minute on AWS;
 * the embedded stack calls `dispatchDue` on a timer. E-mail goes through SES,
 * or into the folder named by ACCORD_MAIL_OUTBOX_DIR when that is set.
 */

let dispatcher: Dispatcher | undefined;

function mailer(): Mailer {
  const dir = mailOutboxDir();
  return dir ? new OutboxFolderMailer(dir) : new SesMailer(new SESv2Client({}), sesConfigurationSet());
}

export function defaultDispatcher(): Dispatcher {
  dispatcher ??= new Dispatcher({
    outbox: outboxStore(),
    webhooks: webhookStore(),
    partners: partnerStore(),
    mailer: mailer(),
    webhookSender: new FetchWebhookSender({ policy: webhookUrlPolicy() }),
    mailFrom: mailFrom(),
    log: logger,
  });
  return dispatcher;
}

/** Delivers everything due at `now`. */
export function dispatchDue(now: Date, options: DispatchOptions = {}): Promise<DispatchReport> {
  return defaultDispatcher().dispatchDue(now, options);
}

/** Stop claiming with this much of the Lambda's time left: a claimed item may still take a webhook timeout per channel. */
const SAFETY_MARGIN_MS = 30_000;

export async function handler(_event: ScheduledEvent, context: Context): Promise<DispatchReport> {
  const report = await dispatchDue(new Date(), { deadline: Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS });
  if (report.settled > 0 || report.lost > 0) logger.info('notifications dispatched', { ...report });
  return report;
}
