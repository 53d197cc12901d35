import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { S3EventRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as contributionUploaded } from '../../functions/events/contribution-uploaded.ts';
import { s3, sfn } from '../../functions/lib/clients.ts';
import { agreementStore, contributionStore } from '../../functions/lib/stores.ts';
import { answerWait, executionArnOf } from '../../functions/lib/workflow.ts';
import { Dispatcher } from '../../functions/notifications/dispatcher.ts';
import { OutboxFolderMailer } from '../../functions/notifications/mailer.ts';
import { FetchWebhookSender } from '../../functions/notifications/webhook-sender.ts';
import { DynamoOutboxStore } from '../../functions/store/outbox-store.ts';
import { DynamoPartnerStore } from '../../functions/store/partner-store.ts';
import { DynamoWebhookStore } from '../../functions/store/webhook-store.ts';
import { ENV } from '../../infra/definitions.ts';
import { type Contribution, contributionObjectKey } from '../../shared/contributions/contribution.ts';
import { newId } from '../../shared/ids.ts';
import { buildNotification, EVENT_ID_HEADER, verifyWebhookSignature } from '../../shared/notifications.ts';
import { useTestApi } from '../support/api-client.ts';
import { objectCreatedRecord } from '../support/s3-events.ts';
import { type Company, company, documentClient, openRun, partitionItems, propose, tableName, until } from './support.ts';

/**
 * Duplicate and out-of-order delivery on the embedded stack, each harmless:
 * S3 object-created events delivered twice, at once or late; workflow task
 * tokens answered twice; webhooks retried (the receiver de-duplicates on the
 * event id). Retried API requests are in idempotency-key.test.ts.
 */

// Webhooks to the loopback receiver below; the API handlers read this per request.
process.env.ACCORD_WEBHOOK_ALLOW_LOOPBACK_HTTP = 'true';

// Whole engagements on the shared stack: generous under a full, parallel test run.
vi.setConfig({ testTimeout: 90_000 });

const api = useTestApi();
const uploadsBucket = (): string => process.env[ENV.uploadsBucket] ?? '';

const ACCOUNTS = ['Account Name,Website,Type', 'Initech,initech.com,Customer', 'Hooli,hooli.com,Prospect', ...Array.from({ length: 10 }, (_, i) => `Filler ${i},filler${i}.example,Customer`), ''].join('\n');

/** A contribution awaiting its upload, as the upload-slot route makes it. */
async function slot(who: Company, side: 'proposer' | 'counterparty', agreementId: string, runId: string, createdAt = new Date()): Promise<Contribution> {
  const contribution: Contribution = {
    id: newId('contribution'),
    agreementId,
    runId,
    partnerId: who.id,
    side,
    status: 'awaiting_upload',
    createdAt: createdAt.toISOString(),
  };
  await contributionStore().create(contribution);
  return contribution;
}

/**
 * Puts the object (s3rver announces it once, to the handler in the stack's
 * process) and delivers the same event `times` more, all at once.
 */
async function uploadAndDeliver(contribution: Contribution, times: number, file = ACCOUNTS): Promise<S3EventRecord> {
  const key = contributionObjectKey(contribution);
  const record = objectCreatedRecord(uploadsBucket(), key, Buffer.byteLength(file), new Date().toISOString());
  await s3.send(new PutObjectCommand({ Bucket: uploadsBucket(), Key: key, Body: file }));
  await Promise.all(Array.from({ length: times }, () => contributionUploaded({ Records: [record] })));
  return record;
}

async function validated(contribution: Contribution): Promise<Contribution> {
  return until(`contribution ${contribution.id} to be validated`, async () => {
    const current = await contributionStore().get(contribution.agreementId, contribution.runId, contribution.id);
    return current && (current.status === 'accepted' || current.status === 'rejected') ? current : undefined;
  });
}

/**
 * Validated, and everything after validation done: one more delivery of the
 * event, once the report is written, repeats the follow-ups and returns when they are.
 */
async function settled(contribution: Contribution, record: S3EventRecord): Promise<Contribution> {
  const done = await validated(contribution);
  await contributionUploaded({ Records: [record] });
  return done;
}

/** The outbox items of a partner about one contribution. */
async function notificationsAbout(partnerId: string, contributionId: string): Promise<Record<string, unknown>[]> {
  return (await partitionItems(`PARTNER#${partnerId}`)).filter(
    (item) => item.entity === 'outbox' && (item.data as Record<string, unknown> | undefined)?.contributionId === contributionId,
  );
}

async function outboxOfType(partnerId: string, type: string): Promise<Record<string, unknown>[]> {
  return (await partitionItems(`PARTNER#${partnerId}`)).filter((item) => item.entity === 'outbox' && item.type === type);
}

describe('S3 object-created events', () => {
  it('validate, notify and count once when delivered several times at once and again later', async () => {
    const [acme, globex] = [await company(api, 'Acme'), await company(api, 'Globex')];
    const agreement = await openRun(api, acme, globex);
    const contribution = await slot(acme, 'proposer', agreement.id, agreement.currentRunId);
    const record = await uploadAndDeliver(contribution, 3);
    const first = await validated(contribution);
    expect(first.status).toBe('accepted');
    const run = await until('the run to count the contribution', async () => {
      const current = await agreementStore().getRun(agreement.id, agreement.currentRunId);
      return current?.contributions.proposer ? current : undefined;
    });
    expect(run.contributions.proposer?.contributionId).toBe(contribution.id);
    expect(run.version).toBe(2);

    // Late: the same event once more, after everything settled.
    await contributionUploaded({ Records: [record] });
    expect(await contributionStore().get(agreement.id, agreement.currentRunId, contribution.id)).toEqual(first);
    expect(await agreementStore().getRun(agreement.id, agreement.currentRunId)).toEqual(run);
    const notifications = await notificationsAbout(acme.id, contribution.id);
    expect(notifications.map((item) => item.type)).toEqual(['contribution.accepted']);
  });

  it('never let a late event for an older upload replace the newer one the run counts', async () => {
    const [acme, globex] = [await company(api, 'Acme'), await company(api, 'Globex')];
    const agreement = await openRun(api, acme, globex);
    const older = await slot(acme, 'proposer', agreement.id, agreement.currentRunId, new Date(Date.now() - 60_000));
    const newer = await slot(acme, 'proposer', agreement.id, agreement.currentRunId);
    await settled(newer, await uploadAndDeliver(newer, 1));
    expect((await agreementStore().getRun(agreement.id, agreement.currentRunId))?.contributions.proposer?.contributionId).toBe(newer.id);
    expect((await settled(older, await uploadAndDeliver(older, 1))).status).toBe('accepted');
    expect((await agreementStore().getRun(agreement.id, agreement.currentRunId))?.contributions.proposer?.contributionId).toBe(newer.id);
  });

  it('leave a run that closed meanwhile as it is: the late upload is refused and deleted', async () => {
    const [acme, globex] = [await company(api, 'Acme'), await company(api, 'Globex')];
    const agreement = await openRun(api, acme, globex);
    const late = await slot(globex, 'counterparty', agreement.id, agreement.currentRunId);
    expect((await api.call('POST', `/v1/agreements/${agreement.id}/withdraw`, { key: acme.keys.admin, body: {} })).status).toBe(200);
    const before = await agreementStore().getRun(agreement.id, agreement.currentRunId);
    // No new slot either: the run of a withdrawn agreement takes nothing more.
    const refused = await api.call<{ error: { code: string } }>('POST', `/v1/agreements/${agreement.id}/runs/${agreement.currentRunId}/contributions`, { key: globex.keys.contributor, body: {} });
    expect({ status: refused.status, code: refused.body.error.code }).toEqual({ status: 409, code: 'run_closed' });
    const refusedLate = await settled(late, await uploadAndDeliver(late, 2));
    expect(refusedLate.status).toBe('rejected');
    expect(refusedLate.report?.reason).toMatch(/withdrawn.*deleted/);
    await expect(s3.send(new HeadObjectCommand({ Bucket: process.env[ENV.uploadsBucket], Key: contributionObjectKey(late) }))).rejects.toThrow();
    expect(await agreementStore().getRun(agreement.id, agreement.currentRunId)).toEqual(before);
    expect((await api.call<{ status: string }>('GET', `/v1/agreements/${agreement.id}`, { key: acme.keys.viewer })).body.status).toBe('withdrawn');
  });

  it('finish, when redelivered, what a crash right after validation left undone', async () => {
    const [acme, globex] = [await company(api, 'Acme'), await company(api, 'Globex')];
    const agreement = await openRun(api, acme, globex);
    // The validating function wrote its report and died before telling anyone or counting the upload.
    const contribution = await slot(acme, 'proposer', agreement.id, agreement.currentRunId);
    const report = {
      verdict: 'accepted' as const,
      rowsRead: 12,
      accepted: 12,
      rejected: 0,
      rejections: [],
      populations: { customer: 11, prospect: 1 },
      columns: {},
      delimiter: ',',
      bytes: Buffer.byteLength(ACCOUNTS),
    };
    const crashed: Contribution = { ...contribution, status: 'accepted', uploadedAt: new Date().toISOString(), validatedAt: new Date().toISOString(), report };
    expect(await contributionStore().transition(crashed, ['awaiting_upload'])).toBe(true);
    const key = contributionObjectKey(contribution);
    const record = objectCreatedRecord(uploadsBucket(), key, Buffer.byteLength(ACCOUNTS), new Date().toISOString());
    // Redelivered (twice), as S3 or the Lambda retry does after a failure.
    await contributionUploaded({ Records: [record] });
    await contributionUploaded({ Records: [record] });
    expect((await agreementStore().getRun(agreement.id, agreement.currentRunId))?.contributions.proposer?.contributionId).toBe(contribution.id);
    expect((await notificationsAbout(acme.id, contribution.id)).map((item) => item.type)).toEqual(['contribution.accepted']);
  });
});

describe('workflow task tokens', () => {
  it('answered twice, or long after, change nothing', async () => {
    const [acme, globex] = [await company(api, 'Acme'), await company(api, 'Globex')];
    const proposed = await propose(api, acme, globex);
    const wait = await until('the engagement to wait for approvals', () => agreementStore().getWait(proposed.id, 'approvals'));
    // Both approvers at once: each approval route may answer the token.
    await Promise.all(
      [acme, globex].map((party) => api.call('POST', `/v1/agreements/${proposed.id}/approvals`, { key: party.keys.approver, body: { termsHash: proposed.terms.hash } })),
    );
    const opened = await until('the run to open', async () => {
      const current = await agreementStore().get(proposed.id);
      return current?.agreement.currentRunId ? current : undefined;
    });
    // The old token again, straight to Step Functions: refused by name, as on AWS.
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: wait.taskToken, output: '{"status":"awaiting_contributions"}' }))).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
    // And through answerWait, as a retried API call would, with the old token put back where it is looked for.
    await agreementStore().putWait(proposed.id, 'approvals', wait.taskToken, wait.since);
    expect(await Promise.all([answerWait(proposed.id, 'approvals', { status: 'x' }), answerWait(proposed.id, 'approvals', { status: 'x' })])).toContain(true);
    expect(await agreementStore().getWait(proposed.id, 'approvals')).toBeUndefined();

    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArnOf(proposed.id) }));
    expect(execution.status).toBe('RUNNING');
    const after = await agreementStore().get(proposed.id);
    expect(after?.agreement).toEqual(opened.agreement);
    const runs = (await partitionItems(`AGREEMENT#${proposed.id}`)).filter((item) => item.entity === 'run');
    expect(runs).toHaveLength(1);
    for (const party of [acme, globex]) expect(await outboxOfType(party.id, 'run.opened')).toHaveLength(1);
    const audit = await api.call<{ verification: { ok: boolean } }>('GET', `/v1/agreements/${proposed.id}/audit`, { key: acme.keys.viewer });
    expect(audit.body.verification.ok).toBe(true);
  });

  it('both contributions at once, with their events duplicated, match once', async () => {
    const [acme, globex] = [await company(api, 'Acme'), await company(api, 'Globex')];
    const agreement = await openRun(api, acme, globex);
    const ours = await slot(acme, 'proposer', agreement.id, agreement.currentRunId);
    const theirs = await slot(globex, 'counterparty', agreement.id, agreement.currentRunId);
    await Promise.all([uploadAndDeliver(ours, 2), uploadAndDeliver(theirs, 2, ACCOUNTS.replace('Hooli,hooli.com,Prospect', 'Hooli Inc,www.hooli.com,Opportunity'))]);
    await Promise.all([validated(ours), validated(theirs)]);
    // The engagement's wait may be answered again by anyone who thinks it is still open.
    await Promise.all([answerWait(agreement.id, 'contributions', { outcome: 'contributed' }), answerWait(agreement.id, 'contributions', { outcome: 'contributed' })]);
    const matched = await until(
      'the run to be matched',
      async () => {
        const current = await api.call<{ status: string }>('GET', `/v1/agreements/${agreement.id}`, { key: acme.keys.viewer });
        return current.body.status === 'awaiting_release' ? current.body : undefined;
      },
      60_000,
    );
    expect(matched.status).toBe('awaiting_release');
    const run = await agreementStore().getRun(agreement.id, agreement.currentRunId);
    expect(run?.status).toBe('matched');
    expect(run?.summary?.pairs).toBe(12);
    for (const party of [acme, globex]) expect(await outboxOfType(party.id, 'results.approval_needed')).toHaveLength(1);
    const audit = await api.call<{ events: { statusBefore: string | null; statusAfter: string }[]; verification: { ok: boolean } }>(
      'GET',
      `/v1/agreements/${agreement.id}/audit`,
      { key: acme.keys.viewer },
    );
    expect(audit.body.verification.ok).toBe(true);
    // Each change of status happened once.
    const transitions = audit.body.events.filter((event) => event.statusBefore !== event.statusAfter).map((event) => `${event.statusBefore} -> ${event.statusAfter}`);
    expect(transitions).toEqual(['null -> proposed', 'proposed -> awaiting_contributions', 'awaiting_contributions -> matching', 'matching -> awaiting_release']);
  });
});

describe('webhook retries', () => {
  let receiver: Server;
  let receiverUrl: string;
  let mailDir: string;
  const deliveries: { eventId: string; signature: string; body: string }[] = [];
  /** What a careful receiver does: acts on each event id once. */
  const processed = new Map<string, number>();
  let dropNextAck = true;

  beforeAll(async () => {
    mailDir = await mkdtemp(join(tmpdir(), 'accord-dup-mail-'));
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const eventId = String(request.headers[EVENT_ID_HEADER.toLowerCase()]);
        deliveries.push({ eventId, signature: String(request.headers['accord-signature']), body: Buffer.concat(chunks).toString('utf8') });
        if (!processed.has(eventId)) processed.set(eventId, 0);
        processed.set(eventId, (processed.get(eventId) ?? 0) + (deliveries.filter((d) => d.eventId === eventId).length === 1 ? 1 : 0));
        // The receiver acted, but its answer is lost on the way back: Accord must retry.
        if (dropNextAck) {
          dropNextAck = false;
          response.destroy();
          return;
        }
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((done) => receiver.close(done));
    await rm(mailDir, { recursive: true, force: true });
  });

  it('carry the same event id and body, each signed, so the receiver acts once', async () => {
    const acme = await company(api, 'Acme');
    const registered = await api.call<{ secret: string }>('PUT', '/v1/partners/me/webhook', { key: acme.keys.admin, body: { url: `${receiverUrl}/hooks` } });
    expect(registered.status).toBe(201);
    const dispatcher = new Dispatcher({
      outbox: new DynamoOutboxStore(documentClient, tableName()),
      webhooks: new DynamoWebhookStore(documentClient, tableName()),
      partners: new DynamoPartnerStore(documentClient, tableName()),
      mailer: new OutboxFolderMailer(mailDir),
      webhookSender: new FetchWebhookSender({ policy: { allowLoopbackHttp: true }, timeoutMs: 2_000 }),
      mailFrom: 'Accord <notifications@accord.example.com>',
      random: () => 0.5,
    });
    const t0 = new Date();
    const notification = buildNotification('results.released', { partnerId: acme.id }, t0);
    await new DynamoOutboxStore(documentClient, tableName()).enqueue(notification);
    const first = await dispatcher.dispatchDue(t0, { onlyPartners: [acme.id] });
    expect(first.failed.webhook).toBe(1);
    const second = await dispatcher.dispatchDue(new Date(t0.getTime() + 61_000), { onlyPartners: [acme.id] });
    expect(second.delivered.webhook).toBe(1);
    // Delivered: nothing more is sent.
    expect((await dispatcher.dispatchDue(new Date(t0.getTime() + 86_400_000), { onlyPartners: [acme.id] })).settled).toBe(0);

    const mine = deliveries.filter((delivery) => delivery.eventId === notification.id);
    expect(mine).toHaveLength(2);
    expect(mine[1]?.body).toBe(mine[0]?.body);
    mine.forEach((delivery, index) => {
      const when = new Date(t0.getTime() + index * 61_000);
      expect(verifyWebhookSignature(registered.body.secret, delivery.signature, delivery.body, when).valid).toBe(true);
    });
    expect(processed.get(notification.id)).toBe(1);
  });
});
