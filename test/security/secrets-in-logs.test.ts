import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { s3, sfn } from '../../functions/lib/clients.ts';
import { logger } from '../../functions/lib/logger.ts';
import { executionArnOf } from '../../functions/lib/workflow.ts';
import { handler as dispatchNotifications } from '../../functions/tasks/dispatch-notifications.ts';
import { ENV } from '../../infra/definitions.ts';
import type { ApiServer } from '../../local/api-server.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import { type EmbeddedServices, startEmbeddedServices } from '../../local/embedded-services.ts';
import { startLocalWorkflows } from '../../local/local-stack.ts';
import { provisionStorage } from '../../local/provision.ts';
import { deliverObjectCreated } from '../../local/s3-events.ts';
import type { LocalStepFunctions } from '../../local/stepfunctions-service.ts';
import { type ApiClient, startTestApi } from '../support/api-client.ts';
import { type Company, company, until } from '../reliability/support.ts';

/**
 * Whole engagements with everything that logs running in this process — the
 * API, the workflow's tasks on a local Step Functions runtime, the upload
 * validation, the notification dispatcher — at DEBUG, plus hostile requests.
 * Everything written to stdout and stderr, the execution history, the e-mails
 * and the webhook bodies are then searched for key material and for the
 * account names and domains that were uploaded: none may appear.
 */

let services: EmbeddedServices;
let workflows: LocalStepFunctions;
let server: ApiServer;
let api: ApiClient;
let receiver: Server;
let dataDir: string;
const webhookBodies: string[] = [];

beforeAll(async () => {
  // A stack of its own, in this process: S3's object-created events reach the validation here too, so its logs are captured.
  dataDir = await mkdtemp(join(tmpdir(), 'accord-logs-'));
  services = await startEmbeddedServices({ dataDir, onObjectCreated: deliverObjectCreated });
  await provisionStorage(services);
  Object.assign(process.env, services.environment);
  workflows = await startLocalWorkflows({ dataDir, clock: 'virtual' });
  Object.assign(process.env, workflows.environment, { ACCORD_MAIL_OUTBOX_DIR: join(dataDir, 'mail'), ACCORD_WEBHOOK_ALLOW_LOOPBACK_HTTP: 'true' });
  ({ server, api } = await startTestApi());
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      webhookBodies.push(JSON.stringify(request.headers) + Buffer.concat(chunks).toString('utf8'));
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
});

afterAll(async () => {
  await server?.close();
  await new Promise((done) => receiver?.close(done));
  await workflows?.service.stop();
  await services?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Everything written to stdout and stderr while `body` runs. */
async function capturing(body: (written: () => string) => Promise<void>): Promise<string> {
  const written: string[] = [];
  const record = (chunk: string | Uint8Array): boolean => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies = [vi.spyOn(process.stdout, 'write').mockImplementation(record), vi.spyOn(process.stderr, 'write').mockImplementation(record)];
  try {
    await body(() => written.join(''));
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return written.join('');
}

interface Slot {
  contribution: { id: string };
  upload: { url: string; fields: Record<string, string> };
}

/** A contributor's upload, as a partner makes it: a slot from the API, the file POSTed to S3, validated on the event. */
async function upload(who: Company, agreementId: string, runId: string, csv: string, filename: string): Promise<string> {
  const slot = await api.call<Slot>('POST', `/v1/agreements/${agreementId}/runs/${runId}/contributions`, { key: who.keys.contributor, body: { filename } });
  expect(slot.status).toBe(201);
  const form = new FormData();
  for (const [name, value] of Object.entries(slot.body.upload.fields)) form.append(name, value);
  form.append('file', new Blob([csv], { type: 'text/csv' }), filename);
  expect((await fetch(slot.body.upload.url, { method: 'POST', body: form })).status).toBeLessThan(300);
  return slot.body.contribution.id;
}

const unique = `${process.pid}${Date.now().toString(36)}`;
const ACCOUNTS = [`Zorblax Dynamics ${unique}`, `Quillfeather Analytics ${unique}`, `Vexmoor Holdings ${unique}`];
const DOMAINS = [`zorblax-${unique}.com`, `quillfeather-${unique}.io`, `vexmoor-${unique}.co.uk`];
const csvOf = (rows: number[]) => ['Account Name,Website,Type', ...rows.map((i) => `${ACCOUNTS[i]},https://www.${DOMAINS[i]}/,Customer`)].join('\n');

describe('logs and other traces', () => {
  it('never hold key material or uploaded account data', async () => {
    const secrets: string[] = [];
    let agreementId = '';
    logger.setLogLevel('DEBUG');
    const captured = await capturing(async (written) => {
      const [acme, globex] = [await company(api, 'Acme'), await company(api, 'Globex')];
      for (const party of [acme, globex]) {
        secrets.push(...Object.values(party.keys));
        const hook = await api.call<{ secret: string }>('PUT', '/v1/partners/me/webhook', { key: party.keys.admin, body: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/${party.id}` } });
        expect(hook.status).toBe(201);
        secrets.push(hook.body.secret);
      }
      // Hostile callers: a well-formed key nobody has, garbage, account data in refused bodies.
      const forged = `acc_${'7'.repeat(40)}`;
      secrets.push(forged);
      expect((await api.call('GET', '/v1/agreements', { key: forged })).status).toBe(401);
      expect((await api.call('GET', '/v1/agreements', { headers: { authorization: `Basic ${forged}` } })).status).toBe(401);
      expect((await api.call('POST', '/v1/partners', { body: { name: ACCOUNTS[0], domain: DOMAINS[0], contactEmail: 'not an address' } })).status).toBe(400);
      expect((await api.call('POST', '/v1/agreements', { key: acme.keys.admin, rawBody: `{"terms": "${ACCOUNTS[1]}"`, headers: { 'content-type': 'application/json' } })).status).toBe(400);

      // The engagement: proposed, approved, both upload, matched, told.
      const proposed = await api.call<{ id: string; terms: { hash: string } }>('POST', '/v1/agreements', { key: acme.keys.approver, body: { counterpartyId: globex.id, terms: {} } });
      agreementId = proposed.body.id;
      for (const party of [acme, globex]) {
        expect((await api.call('POST', `/v1/agreements/${agreementId}/approvals`, { key: party.keys.approver, body: { termsHash: proposed.body.terms.hash } })).status).toBe(200);
      }
      const runId = await until('the run to open', async () => {
        await workflows.service.settled();
        return (await api.call<{ currentRunId?: string }>('GET', `/v1/agreements/${agreementId}`, { key: acme.keys.viewer })).body.currentRunId;
      });
      await upload(acme, agreementId, runId, csvOf([0, 1, 2]), `${ACCOUNTS[2]}.csv`);
      await upload(globex, agreementId, runId, csvOf([0, 2]), 'accounts.csv');
      await until('the results', async () => {
        await workflows.service.settled();
        const agreement = await api.call<{ status: string }>('GET', `/v1/agreements/${agreementId}`, { key: acme.keys.viewer });
        return agreement.body.status === 'awaiting_release' ? true : undefined;
      });
      // An upload slot after the run closed is refused; an object that is no contribution is ignored (and logged).
      expect((await api.call('POST', `/v1/agreements/${agreementId}/runs/${runId}/contributions`, { key: acme.keys.contributor, body: {} })).status).toBe(409);
      await s3.send(new PutObjectCommand({ Bucket: process.env[ENV.uploadsBucket], Key: 'stray/object.csv', Body: csvOf([1]) }));
      await until('the stray object to be logged', () => Promise.resolve(written().includes('object is not a contribution') ? true : undefined));
      await dispatchNotifications({} as never, lambdaContext('accord-dispatch-notifications', 60_000));
    });
    logger.setLogLevel('INFO');

    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: executionArnOf(agreementId), maxResults: 1000 }));
    const mailDir = join(dataDir, 'mail');
    const mails = await Promise.all((await readdir(mailDir)).map((file) => readFile(join(mailDir, file), 'utf8')));
    const traces: Record<string, string> = {
      logs: captured,
      'execution history': JSON.stringify(history.events),
      'e-mails': mails.join('\n'),
      'webhook deliveries': webhookBodies.join('\n'),
    };
    // Not vacuous: each trace was written to.
    expect(captured).toMatch(/object is not a contribution/);
    expect(captured).toMatch(/notifications dispatched/);
    expect(history.events?.length).toBeGreaterThan(10);
    expect(mails.length).toBeGreaterThan(0);
    expect(webhookBodies.length).toBeGreaterThan(0);

    const forbidden = [
      ...secrets,
      ...secrets.map((secret) => secret.replace(/^(acc_|whsec_)/, '')),
      ...ACCOUNTS,
      ...ACCOUNTS.map((name) => name.split(' ')[0] ?? name),
      ...DOMAINS,
    ];
    const found = Object.entries(traces).flatMap(([where, text]) => forbidden.filter((needle) => text.includes(needle)).map((needle) => `${where}: ${needle}`));
    expect(found).toEqual([]);
  }, 120_000);
});

