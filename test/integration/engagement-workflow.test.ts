import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3, sfn } from '../../functions/lib/clients.ts';
import { agreementStore } from '../../functions/lib/stores.ts';
import { ENV } from '../../infra/definitions.ts';
import { contributionObjectKey } from '../../shared/contributions/contribution.ts';
import { executionArnOf } from '../../functions/lib/workflow.ts';
import { outboxStore } from '../../functions/notifications/stores.ts';
import { dispatchDue } from '../../functions/tasks/dispatch-notifications.ts';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../shared/notifications.ts';
import type { ApiServer } from '../../local/api-server.ts';
import { startLocalWorkflows } from '../../local/local-stack.ts';
import type { LocalStepFunctions } from '../../local/stepfunctions-service.ts';
import { seedAcceptedContribution } from '../support/seed-contribution.ts';
import { type ApiClient, startTestApi, uniqueSignUp } from '../support/api-client.ts';

/**
 * Whole engagements on the embedded stack, driven through the HTTP API, with
 * the engagement state machine that CDK synthesises running on the local Step
 * Functions runtime under a virtual clock: fourteen days pass in a second.
 */

const DAY = 86_400_000;

interface Agreement {
  id: string;
  status: string;
  currentRunId?: string;
  terms: { version: number; hash: string };
}
interface Company {
  id: string;
  admin: string;
  approver: string;
  webhookSecret: string;
}
interface Delivery {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let workflows: LocalStepFunctions;
let server: ApiServer;
let api: ApiClient;
let receiver: Server;
let receiverUrl: string;
let mailDir: string;
let dataDir: string;
const deliveries: Delivery[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'accord-engagement-'));
  mailDir = join(dataDir, 'outbox');
  workflows = await startLocalWorkflows({ dataDir, clock: 'virtual' });
  // This test file's own runtime, on a virtual clock, replaces the shared one for the code under test.
  Object.assign(process.env, workflows.environment, { ACCORD_MAIL_OUTBOX_DIR: mailDir, ACCORD_WEBHOOK_ALLOW_LOOPBACK_HTTP: 'true' });
  ({ server, api } = await startTestApi());
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      deliveries.push({ path: request.url ?? '', headers: request.headers, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
});

afterAll(async () => {
  await server?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  await workflows?.service.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const virtualNow = () => new Date(workflows.service.now());

async function company(name: string): Promise<Company> {
  const signUp = await api.call<{ partner: { id: string }; apiKey: string }>('POST', '/v1/partners', { body: uniqueSignUp(name) });
  const admin = signUp.body.apiKey;
  const approver = await api.call<{ apiKey: string }>('POST', '/v1/partners/me/keys', { key: admin, body: { role: 'approver', label: 'legal' } });
  const webhook = await api.call<{ secret: string }>('PUT', '/v1/partners/me/webhook', { key: admin, body: { url: `${receiverUrl}/${signUp.body.partner.id}` } });
  expect(webhook.status).toBe(201);
  return { id: signUp.body.partner.id, admin, approver: approver.body.apiKey, webhookSecret: webhook.body.secret };
}

async function read(agreementId: string, who: Company): Promise<Agreement> {
  return (await api.call<Agreement>('GET', `/v1/agreements/${agreementId}`, { key: who.admin })).body;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    await workflows.service.settled();
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function executionStatus(agreementId: string): Promise<string | undefined> {
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArnOf(agreementId) }));
  if (process.env.DEBUG_ENGAGEMENT) console.log(execution.status, execution.error, execution.cause);
  return execution.status;
}

/** Both approve the same terms after a counter-proposal; answers the agreement once its run is open. */
async function agreeOnTerms(acme: Company, globex: Company): Promise<Agreement> {
  const proposed = await api.call<Agreement>('POST', '/v1/agreements', { key: acme.approver, body: { counterpartyId: globex.id, terms: {} } });
  expect(proposed.status).toBe(201);
  const countered = await api.call<Agreement>('POST', `/v1/agreements/${proposed.body.id}/counter-proposals`, {
    key: globex.approver,
    body: { basedOnVersion: 1, terms: { purpose: 'Find shared customers in EMEA.' } },
  });
  expect(countered.status).toBe(200);
  const hash = countered.body.terms.hash;
  for (const party of [acme, globex]) {
    expect((await api.call('POST', `/v1/agreements/${proposed.body.id}/approvals`, { key: party.approver, body: { termsHash: hash } })).status).toBe(200);
  }
  return eventually('the run to open', async () => {
    const agreement = await read(proposed.body.id, acme);
    return agreement.currentRunId ? agreement : undefined;
  });
}

/** A contribution as the upload path leaves it once validated, counted for the run at the workflow's time. */
const seedContribution = (agreementId: string, runId: string, partnerId: string, side: 'proposer' | 'counterparty', csv: string): Promise<string> =>
  seedAcceptedContribution({ agreementId, runId, partnerId, side }, csv, virtualNow());

async function notificationTypes(partnerId: string): Promise<string[]> {
  const entries = await outboxStore().listNotifications(partnerId, 100);
  return entries
    .map((entry) => {
      const day = entry.notification.data.reminderDay;
      return typeof day === 'number' ? `${entry.notification.type}:${day}` : entry.notification.type;
    })
    .sort();
}

describe('an engagement on the virtual clock', () => {
  it('opens a run when both approve, reminds on days 1, 3 and 7, escalates, and lapses at the deadline', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreement = await agreeOnTerms(acme, globex);
    expect(agreement.status).toBe('awaiting_contributions');
    const opened = workflows.service.now();

    for (const day of [1, 3, 7]) {
      await workflows.service.advance(opened + day * DAY + 1_000 - workflows.service.now());
      const reminders = await eventually(`the day ${day} reminders`, async () => {
        const types = await notificationTypes(globex.id);
        return types.includes(`contribution.reminder:${day}`) ? types : undefined;
      });
      expect(reminders.filter((type) => type === `contribution.reminder:${day}`)).toHaveLength(1);
      expect(await notificationTypes(acme.id)).toContain(`contribution.reminder:${day}`);
    }

    // Escalation to the approvers two days before the deadline, then the deadline itself.
    await workflows.service.advance(opened + 12 * DAY + 1_000 - workflows.service.now());
    await eventually('the escalation', async () => ((await notificationTypes(acme.id)).includes('contribution.deadline_near') ? true : undefined));
    await workflows.service.advance(opened + 14 * DAY + 1_000 - workflows.service.now());
    const lapsed = await eventually('the lapse', async () => {
      const current = await read(agreement.id, acme);
      return current.status === 'lapsed' ? current : undefined;
    });
    expect(lapsed.status).toBe('lapsed');
    expect(await eventually('the execution to end', async () => ((await executionStatus(agreement.id)) === 'SUCCEEDED' ? 'SUCCEEDED' : undefined))).toBe('SUCCEEDED');
    expect(await notificationTypes(globex.id)).toEqual(
      [
        'agreement.approval_needed',
        'agreement.approved',
        'agreement.proposed',
        'contribution.deadline_near',
        'contribution.reminder:1',
        'contribution.reminder:3',
        'contribution.reminder:7',
        'run.lapsed',
        'run.opened',
      ].sort(),
    );

    // Delivery: every notification reaches the outbox folder as e-mail and the webhook, signed.
    const now = virtualNow();
    await dispatchDue(now, { onlyPartners: [acme.id, globex.id] });
    const emails = await readdir(mailDir);
    const globexReminders = deliveries.filter((d) => d.path === `/${globex.id}` && d.headers['accord-event-type'] === 'contribution.reminder');
    expect(globexReminders).toHaveLength(3);
    for (const delivery of deliveries.filter((d) => d.path === `/${globex.id}`)) {
      const header = delivery.headers[SIGNATURE_HEADER.toLowerCase()];
      expect(verifyWebhookSignature(globex.webhookSecret, typeof header === 'string' ? header : undefined, delivery.body, now)).toMatchObject({ valid: true });
      expect(verifyWebhookSignature(acme.webhookSecret, typeof header === 'string' ? header : undefined, delivery.body, now)).toMatchObject({ valid: false });
    }
    const reminderMails = [];
    for (const file of emails) {
      const text = await readFile(join(mailDir, file), 'utf8');
      if (/^Subject: .*Reminder/im.test(text) && text.includes(agreement.id)) reminderMails.push(file);
    }
    expect(reminderMails).toHaveLength(6);
  });

  it('matches when both contribute before the deadline, keeps the results and deletes the raw uploads', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreement = await agreeOnTerms(acme, globex);
    const runId = agreement.currentRunId ?? '';
    await workflows.service.advance(2 * DAY);
    const mine = await seedContribution(agreement.id, runId, acme.id, 'proposer', 'Account Name,Website,Type\nInitech,initech.com,Customer\nHooli,https://www.hooli.com,Prospect\nUmbrella Corp,,Customer\n');
    expect((await read(agreement.id, acme)).status).toBe('awaiting_contributions');
    await seedContribution(agreement.id, runId, globex.id, 'counterparty', 'Company;Domain;Stage\nInitech Inc.;www.initech.com;Open Opportunity\nUmbrella Corporation;;Customer\nPied Piper;piedpiper.com;Customer\n');
    const released = await eventually('the matched results', async () => {
      const current = await read(agreement.id, acme);
      return current.status === 'awaiting_release' ? current : undefined;
    });
    expect(released.status).toBe('awaiting_release');
    // The execution goes on to wait for both parties to approve the results (test/integration/results-release.test.ts).
    const run = await eventually('the result hash', async () => {
      const current = await agreementStore().getRun(agreement.id, runId);
      return current?.summary?.resultHash ? current : undefined;
    });
    expect(await executionStatus(agreement.id)).toBe('RUNNING');
    expect(run?.status).toBe('matched');
    expect(run?.summary).toMatchObject({ pairs: 2, byMethod: { domain: 1, name: 1 }, rows: { proposer: 3, counterparty: 3 } });
    expect(run?.summary?.nineBox.customer).toEqual({ customer: 1, opportunity: 1, prospect: 0 });
    const results = await s3.send(new GetObjectCommand({ Bucket: process.env[ENV.resultsBucket], Key: run?.summary?.resultsKey }));
    const lines = (await results.Body?.transformToString())?.trim().split('\n') ?? [];
    expect(lines.map((line) => (JSON.parse(line) as { method: string }).method).sort()).toEqual(['domain', 'name']);
    // The terms' default retention deletes the raw uploads once matched.
    await expect(s3.send(new GetObjectCommand({ Bucket: process.env[ENV.uploadsBucket], Key: contributionObjectKey({ agreementId: agreement.id, runId, id: mine }) }))).rejects.toThrow();
    // Only the day 1 reminder went out before both contributed.
    expect((await notificationTypes(globex.id)).filter((type) => type.startsWith('contribution.reminder'))).toEqual(['contribution.reminder:1']);
    expect(await notificationTypes(globex.id)).toContain('results.approval_needed');
  });

  it('stops the execution when a party withdraws', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreement = await agreeOnTerms(acme, globex);
    const withdrawn = await api.call<Agreement>('POST', `/v1/agreements/${agreement.id}/withdraw`, { key: globex.admin, body: { reason: 'reorganisation' } });
    expect(withdrawn.body.status).toBe('withdrawn');
    expect(await eventually('the execution to stop', async () => ((await executionStatus(agreement.id)) === 'ABORTED' ? 'ABORTED' : undefined))).toBe('ABORTED');
    await workflows.service.advance(20 * DAY);
    expect((await read(agreement.id, acme)).status).toBe('withdrawn');
  });
});
