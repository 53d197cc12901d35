import { randomUUID } from 'node:crypto';
import type { Partner } from '../../shared/partner.ts';
import {
  afterAttempt,
  type Channel,
  CHANNELS,
  type ChannelDelivery,
  type DeliveryOutcome,
  renderEml,
  signingSecrets,
  webhookBody,
  webhookHeaders,
} from '../../shared/notifications.ts';
import type { DeadLetter, OutboxEntry, OutboxStore } from '../store/outbox-store.ts';
import type { StoredWebhook } from '../store/webhook-store.ts';
import type { Mailer } from './mailer.ts';
import type { WebhookSender } from './webhook-sender.ts';

export interface DispatcherLog {
  warn(message: string, extra: { eventId: string; channel?: string; error?: string }): void;
}

export interface DispatcherDeps {
  outbox: OutboxStore;
  webhooks: { getWebhook(partnerId: string): Promise<StoredWebhook | undefined> };
  partners: { getPartner(partnerId: string): Promise<Partner | undefined> };
  mailer: Mailer;
  webhookSender: WebhookSender;
  /** `From` of the e-mails. */
  mailFrom: string;
  /** Draws the jitter of a retry, in [0, 1). @default Math.random */
  random?: () => number;
  /** A dispatcher holds a claimed item this long; longer than one item can take. @default 300 s */
  leaseSeconds?: number;
  /** Items read from the due index per query. @default 25 */
  batchSize?: number;
  /** Items worked on at once. @default 5 */
  concurrency?: number;
  /** At most this many items per call, so one call ends. @default 200 */
  maxItems?: number;
  log?: DispatcherLog;
}

export interface DispatchOptions {
  /** Only items of these partners (tests, a manual redrive of one tenant). */
  onlyPartners?: readonly string[];
  /** Epoch ms after which no new item is claimed (the Lambda's remaining time). */
  deadline?: number;
}

type Counts = Record<Channel, number>;

export interface DispatchReport {
  /** Items this call claimed and settled. */
  settled: number;
  /** Items another dispatcher took first, or whose claim ran out before they were settled. */
  lost: number;
  delivered: Counts;
  failed: Counts;
  dead: Counts;
  skipped: Counts;
}

const zero = (): Counts => ({ email: 0, webhook: 0 });

/**
 * Delivers what the outbox has due: claims each due item with a conditional
 * write, tries each of its due channels (e-mail and webhook, independently),
 * and records the outcome with the next attempt time or a dead letter.
 * `now` is passed in, so tests move the clock instead of sleeping.
 */
export class Dispatcher {
  private readonly random: () => number;
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly maxItems: number;

  constructor(private readonly deps: DispatcherDeps) {
    this.random = deps.random ?? Math.random;
    this.leaseMs = (deps.leaseSeconds ?? 300) * 1000;
    this.batchSize = deps.batchSize ?? 25;
    this.concurrency = deps.concurrency ?? 5;
    this.maxItems = deps.maxItems ?? 200;
  }

  async dispatchDue(now: Date, options: DispatchOptions = {}): Promise<DispatchReport> {
    const report: DispatchReport = { settled: 0, lost: 0, delivered: zero(), failed: zero(), dead: zero(), skipped: zero() };
    let seen = 0;
    while (seen < this.maxItems && (options.deadline === undefined || Date.now() < options.deadline)) {
      const due = await this.deps.outbox.findDue(now, Math.min(this.batchSize, this.maxItems - seen), options.onlyPartners);
      if (due.length === 0) break;
      seen += due.length;
      let progressed = false;
      const queue = [...due];
      const worker = async () => {
        for (let ref = queue.shift(); ref; ref = queue.shift()) {
          if (options.deadline !== undefined && Date.now() >= options.deadline) return;
          const entry = await this.deps.outbox.claim(ref, now, new Date(now.getTime() + this.leaseMs), randomUUID());
          if (!entry?.claimToken) {
            report.lost += 1;
            continue;
          }
          progressed = true;
          await this.deliver(entry, entry.claimToken, now, report);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, due.length) }, worker));
      // Everything found was taken by others (or the index lags): stop rather than spin.
      if (!progressed) break;
    }
    return report;
  }

  private async deliver(entry: OutboxEntry, token: string, now: Date, report: DispatchReport): Promise<void> {
    const { notification } = entry;
    const deliveries = { ...entry.deliveries };
    const deadLetters: DeadLetter[] = [];
    const due = CHANNELS.filter((channel) => {
      const delivery = entry.deliveries[channel];
      return delivery.state === 'pending' && (delivery.nextAttemptAt === undefined || Date.parse(delivery.nextAttemptAt) <= now.getTime());
    });

    await Promise.all(
      due.map(async (channel) => {
        const attempt = await this.attempt(channel, entry, now);
        if (attempt === 'skipped') {
          deliveries[channel] = { state: 'skipped', attempts: entry.deliveries[channel].attempts };
          report.skipped[channel] += 1;
          return;
        }
        const next: ChannelDelivery = afterAttempt(entry.deliveries[channel], attempt.outcome, now, this.random());
        deliveries[channel] = next;
        if (next.state === 'delivered') report.delivered[channel] += 1;
        else report.failed[channel] += 1;
        if (next.state === 'dead') {
          report.dead[channel] += 1;
          deadLetters.push({
            eventId: notification.id,
            partnerId: notification.partnerId,
            channel,
            type: notification.type,
            ...(notification.agreementId ? { agreementId: notification.agreementId } : {}),
            subject: notification.subject,
            occurredAt: notification.occurredAt,
            deadAt: now.toISOString(),
            attempts: next.attempts,
            lastError: next.lastError ?? 'failed',
            ...(attempt.destination ? { destination: attempt.destination } : {}),
          });
        }
      }),
    );

    const settled = await this.deps.outbox.settle(entry, token, deliveries, deadLetters);
    if (settled) report.settled += 1;
    else {
      report.lost += 1;
      this.deps.log?.warn('outbox item claim was lost before it was settled; another dispatcher owns it', { eventId: notification.id });
    }
  }

  private async attempt(channel: Channel, entry: OutboxEntry, now: Date): Promise<'skipped' | { outcome: DeliveryOutcome; destination?: string }> {
    const { notification } = entry;
    try {
      if (channel === 'email') {
        const to = notification.recipientEmail ?? (await this.deps.partners.getPartner(notification.partnerId))?.contactEmail;
        if (!to) return 'skipped';
        const raw = renderEml(notification, { from: this.deps.mailFrom, to });
        await this.deps.mailer.send({ notification, from: this.deps.mailFrom, to, raw });
        return { outcome: { ok: true }, destination: to };
      }
      // A notification for someone who is not a partner yet goes by e-mail only.
      if (notification.recipientEmail) return 'skipped';
      const webhook = await this.deps.webhooks.getWebhook(notification.partnerId);
      if (!webhook) return 'skipped';
      const body = webhookBody(notification);
      const headers = webhookHeaders(notification, body, signingSecrets(webhook, now), now);
      const outcome = await this.deps.webhookSender.post({ url: webhook.url, body, headers });
      return { outcome, destination: webhook.url };
    } catch (error) {
      // Never the secret or the body: only what went wrong.
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.deps.log?.warn('notification delivery failed', { eventId: notification.id, channel, error: message });
      return { outcome: { ok: false, error: message } };
    }
  }
}
