import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../functions/notifications/dispatcher.ts';
import { type Mailer, OutboxFolderMailer } from '../../functions/notifications/mailer.ts';
import { FetchWebhookSender } from '../../functions/notifications/webhook-sender.ts';
import { DynamoOutboxStore, outboxPut } from '../../functions/store/outbox-store.ts';
import { DynamoPartnerStore } from '../../functions/store/partner-store.ts';
import { keys } from '../../functions/store/table-keys.ts';
import { DynamoWebhookStore } from '../../functions/store/webhook-store.ts';
import { ENV } from '../../infra/definitions.ts';
import type { ApiServer } from '../../local/api-server.ts';
import { buildNotification, MAX_ATTEMPTS, type Notification, RETRY_DELAYS_SECONDS, verifyWebhookSignature } from '../../shared/notifications.ts';
import { type ApiClient, startTestApi, uniqueSignUp } from '../support/api-client.ts';

/*
 * Notifications end to end on the embedded stack: a notification enqueued in
 * the same transaction as a change, dispatched with an injected clock to an
 * outbox folder of .eml files and to a real HTTP receiver on 127.0.0.1 that
 * verifies the signature.
 */

// The embedded stack lets webhooks use http:// on loopback; the API handlers read this per request.
process.env.ACCORD_WEBHOOK_ALLOW_LOOPBACK_HTTP = 'true';

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

let server: ApiServer;
let api: ApiClient;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
let mailDir: string;

const TABLE = (): string => process.env[ENV.tableName] ?? '';
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

beforeAll(async () => {
  ({ server, api } = await startTestApi());
  mailDir = await mkdtemp(join(tmpdir(), 'accord-outbox-'));
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
      received.push({ path: request.url ?? '', headers, body: Buffer.concat(chunks).toString('utf8') });
      response.statusCode = request.url?.startsWith('/fail') ? 500 : 204;
      response.end();
    });
  });
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await server.close();
  await new Promise((done) => receiver.close(done));
  await rm(mailDir, { recursive: true, force: true });
});

function dispatcher(mailer: Mailer = new OutboxFolderMailer(mailDir)): Dispatcher {
  return new Dispatcher({
    outbox: new DynamoOutboxStore(client, TABLE()),
    webhooks: new DynamoWebhookStore(client, TABLE()),
    partners: new DynamoPartnerStore(client, TABLE()),
    mailer,
    webhookSender: new FetchWebhookSender({ policy: { allowLoopbackHttp: true }, timeoutMs: 2_000 }),
    mailFrom: 'Accord <notifications@accord.example.com>',
    // The exact backoff: no jitter.
    random: () => 0.5,
  });
}

/** A mailer that counts what it is given before writing it. */
class CountingMailer implements Mailer {
  readonly sent: string[] = [];
  private readonly folder = new OutboxFolderMailer(mailDir);
  async send(email: Parameters<Mailer['send']>[0]): Promise<void> {
    this.sent.push(email.notification.id);
    await this.folder.send(email);
  }
}

async function signUp(name: string) {
  const response = await api.call<{ partner: { id: string; contactEmail: string }; apiKey: string }>('POST', '/v1/partners', { body: uniqueSignUp(name) });
  expect(response.status).toBe(201);
  return response.body;
}

async function registerWebhook(adminKey: string, path: string) {
  const response = await api.call<{ webhook: { url: string; secretHint: string }; secret: string }>('PUT', '/v1/partners/me/webhook', {
    key: adminKey,
    body: { url: `${receiverUrl}${path}` },
  });
  expect(response.status).toBe(201);
  return response.body.secret;
}

/** Enqueues in a transaction together with another write, as a state change would. */
async function enqueueWithChange(notification: Notification): Promise<void> {
  await client.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: TABLE(),
            Item: { pk: `PARTNER#${notification.partnerId}`, sk: `TEST#${notification.id}`, entity: 'test-change' },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        outboxPut(TABLE(), notification),
      ],
    }),
  );
}

async function outboxItem(notification: Notification): Promise<Record<string, unknown> | undefined> {
  const { Item } = await client.send(
    new GetCommand({ TableName: TABLE(), Key: keys.outbox(notification.partnerId, notification.occurredAt, notification.id), ConsistentRead: true }),
  );
  return Item;
}

const receivedFor = (eventId: string) => received.filter((r) => r.headers['accord-event-id'] === eventId);
const at = (base: Date, seconds: number) => new Date(base.getTime() + seconds * 1000);

describe('the transactional outbox', () => {
  it('enqueues only when the change it announces commits', async () => {
    const partner = await signUp('Outbox Rollback');
    const notification = buildNotification('agreement.approved', { partnerId: partner.partner.id }, new Date());
    // The change fails its condition: the whole transaction, outbox item included, is cancelled.
    await client.send(new PutCommand({ TableName: TABLE(), Item: { pk: `PARTNER#${partner.partner.id}`, sk: `TEST#${notification.id}` } }));
    await expect(enqueueWithChange(notification)).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(await outboxItem(notification)).toBeUndefined();
  });
});

describe('dispatch', () => {
  it('e-mails an .eml to the contact address and posts a signed webhook that verifies', async () => {
    const { partner, apiKey } = await signUp('Reminded');
    const secret = await registerWebhook(apiKey, '/ok/reminded');
    const now = new Date();
    const notification = buildNotification(
      'contribution.reminder',
      { partnerId: partner.id, agreementId: 'agr_0123456789abcdefghij', counterpartyName: 'Müller & Söhne', reminderDay: 1, deadline: '2026-12-01T17:00:00.000Z' },
      now,
    );
    await enqueueWithChange(notification);
    expect(await outboxItem(notification)).toMatchObject({ gsi1pk: 'OUTBOX#DUE', status: 'pending' });

    const report = await dispatcher().dispatchDue(now, { onlyPartners: [partner.id] });
    expect(report).toMatchObject({ settled: 1, delivered: { email: 1, webhook: 1 } });

    const eml = await readFile(join(mailDir, `${notification.id}.eml`), 'utf8');
    const mail = await PostalMime.parse(eml);
    expect(mail.to?.[0]?.address).toBe(partner.contactEmail);
    expect(mail.subject).toBe(notification.subject);
    expect(mail.text).toContain('Müller & Söhne');

    const [delivery, ...more] = receivedFor(notification.id);
    expect(more).toEqual([]);
    expect(delivery?.path).toBe('/ok/reminded');
    expect(delivery?.headers['content-type']).toBe('application/json');
    expect(delivery?.headers['accord-event-type']).toBe('contribution.reminder');
    expect(verifyWebhookSignature(secret, delivery?.headers['accord-signature'], delivery?.body ?? '', now)).toMatchObject({ valid: true });
    expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({ id: notification.id, type: 'contribution.reminder', partnerId: partner.id, data: { reminderDay: 1 } });

    const item = await outboxItem(notification);
    expect(item).toMatchObject({ status: 'delivered', email: { state: 'delivered', attempts: 1 }, webhook: { state: 'delivered', attempts: 1 } });
    expect(item?.gsi1pk).toBeUndefined();
    expect(item?.claimToken).toBeUndefined();

    // Nothing is due any more.
    expect(await dispatcher().dispatchDue(at(now, 3600), { onlyPartners: [partner.id] })).toMatchObject({ settled: 0 });
  });

  it('sends reminders of days 1, 3 and 7 each once, to the outbox folder and the receiver', async () => {
    const { partner, apiKey } = await signUp('Reminder Days');
    const secret = await registerWebhook(apiKey, '/ok/days');
    const opened = new Date();
    const ids: string[] = [];
    for (const day of [1, 3, 7]) {
      const occurredAt = at(opened, day * 86_400);
      const notification = buildNotification('contribution.reminder', { partnerId: partner.id, reminderDay: day }, occurredAt);
      await enqueueWithChange(notification);
      ids.push(notification.id);
      await dispatcher().dispatchDue(occurredAt, { onlyPartners: [partner.id] });
      const [delivery] = receivedFor(notification.id);
      expect(verifyWebhookSignature(secret, delivery?.headers['accord-signature'], delivery?.body ?? '', occurredAt).valid).toBe(true);
    }
    const files = await readdir(mailDir);
    for (const id of ids) {
      expect(files).toContain(`${id}.eml`);
      expect(receivedFor(id)).toHaveLength(1);
    }
  });

  it('e-mails only when the partner has no webhook', async () => {
    const { partner } = await signUp('Email Only');
    const now = new Date();
    const notification = buildNotification('run.lapsed', { partnerId: partner.id }, now);
    await enqueueWithChange(notification);
    const report = await dispatcher().dispatchDue(now, { onlyPartners: [partner.id] });
    expect(report).toMatchObject({ delivered: { email: 1, webhook: 0 }, skipped: { webhook: 1 } });
    expect(await outboxItem(notification)).toMatchObject({ status: 'delivered', webhook: { state: 'skipped' } });
  });

  it('retries a failing webhook at the backoff times, independently of the e-mail, then writes a dead letter', async () => {
    const { partner, apiKey } = await signUp('Failing Receiver');
    const secret = await registerWebhook(apiKey, '/fail/always');
    const t0 = new Date();
    const notification = buildNotification('results.released', { partnerId: partner.id }, t0);
    await enqueueWithChange(notification);
    const only = { onlyPartners: [partner.id] };

    let now = t0;
    const attemptTimes: Date[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (attempt > 1) {
        const delay = RETRY_DELAYS_SECONDS[attempt - 2] ?? 0;
        // One second early: not due yet, nothing is sent.
        expect(await dispatcher().dispatchDue(at(now, delay - 1), only)).toMatchObject({ settled: 0 });
        expect(receivedFor(notification.id)).toHaveLength(attempt - 1);
        now = at(now, delay);
      }
      const report = await dispatcher().dispatchDue(now, only);
      expect(report.failed.webhook).toBe(1);
      attemptTimes.push(now);
      expect(receivedFor(notification.id)).toHaveLength(attempt);
      const item = await outboxItem(notification);
      expect(item?.email).toMatchObject({ state: 'delivered', attempts: 1 });
      if (attempt < MAX_ATTEMPTS) {
        expect(item).toMatchObject({ status: 'pending', webhook: { state: 'pending', attempts: attempt, lastError: 'HTTP 500' } });
        expect((item?.webhook as { nextAttemptAt: string }).nextAttemptAt).toBe(at(now, RETRY_DELAYS_SECONDS[attempt - 1] ?? 0).toISOString());
      }
    }

    // Each delivery was signed at its own attempt time.
    receivedFor(notification.id).forEach((delivery, index) => {
      const when = attemptTimes[index] ?? t0;
      expect(verifyWebhookSignature(secret, delivery.headers['accord-signature'], delivery.body, when).valid).toBe(true);
    });
    // The e-mail went once, at the first attempt.
    expect(await readdir(mailDir)).toContain(`${notification.id}.eml`);

    const item = await outboxItem(notification);
    expect(item).toMatchObject({ status: 'dead', webhook: { state: 'dead', attempts: MAX_ATTEMPTS, lastError: 'HTTP 500' } });
    expect(item?.gsi1pk).toBeUndefined();
    expect(await dispatcher().dispatchDue(at(now, 86_400), only)).toMatchObject({ settled: 0 });
    expect(receivedFor(notification.id)).toHaveLength(MAX_ATTEMPTS);

    const deadLetters = await api.call<{ deadLetters: { eventId: string; channel: string; attempts: number; lastError: string; destination: string }[] }>(
      'GET',
      '/v1/partners/me/notifications/dead-letters',
      { key: apiKey },
    );
    expect(deadLetters.status).toBe(200);
    expect(deadLetters.body.deadLetters).toEqual([
      expect.objectContaining({ eventId: notification.id, channel: 'webhook', attempts: MAX_ATTEMPTS, lastError: 'HTTP 500', destination: `${receiverUrl}/fail/always` }),
    ]);
  });

  it('sends once when two dispatchers run at the same time', async () => {
    const { partner, apiKey } = await signUp('Concurrent');
    await registerWebhook(apiKey, '/ok/concurrent');
    const now = new Date();
    const notifications = [1, 2, 3].map(() => buildNotification('agreement.approval_needed', { partnerId: partner.id }, now));
    for (const notification of notifications) await enqueueWithChange(notification);

    const mailers = [new CountingMailer(), new CountingMailer(), new CountingMailer()];
    const reports = await Promise.all(mailers.map((mailer) => dispatcher(mailer).dispatchDue(now, { onlyPartners: [partner.id] })));

    expect(reports.reduce((sum, report) => sum + report.settled, 0)).toBe(3);
    const mailed = mailers.flatMap((mailer) => mailer.sent);
    expect(mailed.sort()).toEqual(notifications.map((n) => n.id).sort());
    for (const notification of notifications) expect(receivedFor(notification.id)).toHaveLength(1);
  });
});

describe('the webhook API', () => {
  it('registers, shows the secret once, rotates (both secrets sign for a while), and deletes', async () => {
    const { partner, apiKey } = await signUp('Webhook Admin');
    expect((await api.call('GET', '/v1/partners/me/webhook', { key: apiKey })).status).toBe(404);

    const created = await api.call<{ webhook: { url: string; secretHint: string }; secret: string }>('PUT', '/v1/partners/me/webhook', {
      key: apiKey,
      body: { url: `${receiverUrl}/ok/admin` },
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[0-9a-z]{40}$/);
    expect(created.body.webhook).toMatchObject({ url: `${receiverUrl}/ok/admin`, secretHint: `${created.body.secret.slice(0, 10)}…` });
    const first = created.body.secret;

    const shown = await api.call<{ webhook: Record<string, unknown> }>('GET', '/v1/partners/me/webhook', { key: apiKey });
    expect(shown.status).toBe(200);
    expect(shown.text).not.toContain(first);
    expect(shown.text).not.toMatch(/whsec_[0-9a-z]{40}/);

    // A new URL keeps the secret and does not show it again.
    const moved = await api.call<{ webhook: { url: string }; secret?: string }>('PUT', '/v1/partners/me/webhook', { key: apiKey, body: { url: `${receiverUrl}/ok/admin2` } });
    expect(moved.status).toBe(200);
    expect(moved.body.secret).toBeUndefined();
    expect(moved.body.webhook.url).toBe(`${receiverUrl}/ok/admin2`);

    const rotated = await api.call<{ webhook: { previousSecretExpiresAt: string }; secret: string }>('POST', '/v1/partners/me/webhook/rotate-secret', { key: apiKey });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(first);
    const second = rotated.body.secret;
    const graceEnds = Date.parse(rotated.body.webhook.previousSecretExpiresAt);
    expect(graceEnds - Date.now()).toBeGreaterThan(23.9 * 3600_000);

    // Deliveries now carry two signatures: a receiver still on the old secret and one on the new both verify.
    const now = new Date();
    const notification = buildNotification('agreement.countered', { partnerId: partner.id, termsVersion: 2 }, now);
    await enqueueWithChange(notification);
    await dispatcher().dispatchDue(now, { onlyPartners: [partner.id] });
    const [delivery] = receivedFor(notification.id);
    expect(delivery?.path).toBe('/ok/admin2');
    expect(delivery?.headers['accord-signature']?.match(/v1=/g)).toHaveLength(2);
    expect(verifyWebhookSignature(first, delivery?.headers['accord-signature'], delivery?.body ?? '', now).valid).toBe(true);
    expect(verifyWebhookSignature(second, delivery?.headers['accord-signature'], delivery?.body ?? '', now).valid).toBe(true);

    // After the grace period only the new secret signs.
    const later = new Date(graceEnds + 1000);
    const after = buildNotification('agreement.approved', { partnerId: partner.id }, later);
    await enqueueWithChange(after);
    await dispatcher().dispatchDue(later, { onlyPartners: [partner.id] });
    const [late] = receivedFor(after.id);
    expect(late?.headers['accord-signature']?.match(/v1=/g)).toHaveLength(1);
    expect(verifyWebhookSignature(first, late?.headers['accord-signature'], late?.body ?? '', later).valid).toBe(false);
    expect(verifyWebhookSignature(second, late?.headers['accord-signature'], late?.body ?? '', later).valid).toBe(true);

    const deleted = await api.call('DELETE', '/v1/partners/me/webhook', { key: apiKey });
    expect(deleted.status).toBe(200);
    expect(deleted.text).not.toContain(second);
    expect((await api.call('GET', '/v1/partners/me/webhook', { key: apiKey })).status).toBe(404);
    expect((await api.call('DELETE', '/v1/partners/me/webhook', { key: apiKey })).status).toBe(404);
    expect((await api.call('POST', '/v1/partners/me/webhook/rotate-secret', { key: apiKey })).status).toBe(404);
  });

  it('stores the secret only where the dispatcher needs it, never in the outbox', async () => {
    const { partner, apiKey } = await signUp('Secret Keeper');
    const secret = await registerWebhook(apiKey, '/ok/keeper');
    const now = new Date();
    const notification = buildNotification('run.opened', { partnerId: partner.id }, now);
    await enqueueWithChange(notification);
    await dispatcher().dispatchDue(now, { onlyPartners: [partner.id] });
    expect(JSON.stringify(await outboxItem(notification))).not.toContain(secret);
  });

  it('refuses a viewer with 403 and a bad URL with 400, changing nothing', async () => {
    const { apiKey } = await signUp('Webhook Roles');
    const viewer = await api.call<{ apiKey: string }>('POST', '/v1/partners/me/keys', { key: apiKey, body: { role: 'viewer', label: 'read only' } });
    const forbidden = await api.call<{ error: { code: string } }>('PUT', '/v1/partners/me/webhook', { key: viewer.body.apiKey, body: { url: 'https://hooks.example.com/x' } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
    expect((await api.call('GET', '/v1/partners/me/webhook', { key: viewer.body.apiKey })).status).toBe(403);
    expect((await api.call('POST', '/v1/partners/me/webhook/rotate-secret', { key: viewer.body.apiKey })).status).toBe(403);
    expect((await api.call('GET', '/v1/partners/me/notifications/dead-letters', { key: viewer.body.apiKey })).status).toBe(403);

    for (const url of ['ftp://hooks.example.com/x', 'https://10.0.0.7/hook', 'https://169.254.169.254/latest', 'not a url', 'http://hooks.example.com/x']) {
      const bad = await api.call<{ error: { code: string; details: { path: string }[] } }>('PUT', '/v1/partners/me/webhook', { key: apiKey, body: { url } });
      expect(bad.status, url).toBe(400);
      expect(bad.body.error.code).toBe('invalid_webhook_url');
      expect(bad.body.error.details[0]?.path).toBe('url');
    }
    expect((await api.call('PUT', '/v1/partners/me/webhook', { key: apiKey, body: { url: 'https://x.example.com', extra: 1 } })).status).toBe(400);
    expect((await api.call('GET', '/v1/partners/me/webhook', { key: apiKey })).status).toBe(404);
  });
});
