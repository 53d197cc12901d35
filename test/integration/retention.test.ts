import { ListObjectsV2Command, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { dynamodb, s3, sfn } from '../../functions/lib/clients.ts';
import { runUploadsPrefix } from '../../functions/lib/delete-uploads.ts';
import { agreementStore } from '../../functions/lib/stores.ts';
import { executionArnOf } from '../../functions/lib/workflow.ts';
import { ENV } from '../../infra/definitions.ts';
import type { ApiServer } from '../../local/api-server.ts';
import { startLocalWorkflows } from '../../local/local-stack.ts';
import type { LocalStepFunctions } from '../../local/stepfunctions-service.ts';
import { resultsPrefixOf } from '../../shared/results-objects.ts';
import type { TermsInput } from '../../shared/terms.ts';
import { seedAcceptedContribution } from '../support/seed-contribution.ts';
import { type ApiClient, signUpWithKeys, type SignedUpPartner, startTestApi } from '../support/api-client.ts';

/*
 * Retention, as a set: what the terms promise about the partners' data is what
 * the stores hold, on the embedded stack with the engagement workflow on a
 * virtual clock.
 *
 * - raw contributions are gone (every version) once matched, unless the terms keep them;
 * - kept ones, and the results, are gone at the results' expiry;
 * - a lapsed run keeps no upload;
 * - a withdrawn agreement's S3 objects are purged and its DynamoDB items name no account of either list.
 *
 * On AWS the buckets' lifecycle rules back this (test/infra/retention.test.ts).
 */

let workflows: LocalStepFunctions;
let server: ApiServer;
let api: ApiClient;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'accord-retention-'));
  workflows = await startLocalWorkflows({ dataDir, clock: 'virtual' });
  Object.assign(process.env, workflows.environment, { ACCORD_MAIL_OUTBOX_DIR: join(dataDir, 'outbox') });
  ({ server, api } = await startTestApi());
});

// The API's Date follows the workflow's virtual clock, so that expiry times set by one are reached in the other.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  vi.setSystemTime(workflows.service.now());
});

afterAll(async () => {
  vi.useRealTimers();
  await server?.close();
  await workflows?.service.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function advance(to: number): Promise<void> {
  await workflows.service.advance(to - workflows.service.now());
  vi.setSystemTime(workflows.service.now());
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    await workflows.service.advance(0);
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function executionStatus(name: string): Promise<string | undefined> {
  try {
    return (await sfn.send(new DescribeExecutionCommand({ executionArn: executionArnOf(name) }))).status;
  } catch {
    return undefined;
  }
}

/** Every version and delete marker under a prefix: what a deletion "for good" must leave empty. */
async function versionsUnder(bucketEnv: string, prefix: string): Promise<string[]> {
  const Bucket = process.env[bucketEnv];
  try {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: prefix }));
    return [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((version) => version.Key ?? '');
  } catch (error) {
    // s3rver keeps no versions (and lists none): its objects are all there is.
    if ((error as { name?: string }).name !== 'MethodNotAllowed') throw error;
    return ((await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }))).Contents ?? []).map((object) => object.Key ?? '');
  }
}

const A_CSV = ['Account Name,Website,Type', 'Initech,initech.com,Customer', 'Hooli,hooli.com,Customer', 'Vandelay Industries,vandelay-industries.com,Customer'].join('\n');
const B_CSV = ['Company,Domain,Stage', 'Initech Inc.,www.initech.com,Prospect', 'Hooli Corp,hooli.com,Customer', 'Cyberdyne Systems,cyberdyne.com,Prospect'].join('\n');
/** What of the two lists must not outlive them. */
const ACCOUNT_TEXT = ['Initech', 'initech.com', 'Hooli', 'hooli.com', 'Vandelay', 'vandelay-industries.com', 'Cyberdyne', 'cyberdyne.com'];

interface Engagement {
  a: SignedUpPartner;
  b: SignedUpPartner;
  agreementId: string;
  runId: string;
}

async function agree(terms: TermsInput): Promise<Engagement> {
  const [a, b] = [await signUpWithKeys(api, 'Acme'), await signUpWithKeys(api, 'Globex')];
  const proposed = await api.call<{ id: string; terms: { hash: string } }>('POST', '/v1/agreements', { key: a.keys.approver, body: { counterpartyId: b.id, terms } });
  expect(proposed.status).toBe(201);
  for (const party of [a, b]) {
    expect((await api.call('POST', `/v1/agreements/${proposed.body.id}/approvals`, { key: party.keys.approver, body: { termsHash: proposed.body.terms.hash } })).status).toBe(200);
  }
  const runId = await eventually('the run to open', async () => (await agreementStore().get(proposed.body.id))?.agreement.currentRunId);
  return { a, b, agreementId: proposed.body.id, runId };
}

/** A contribution as the upload path leaves it once validated (the object in the uploads bucket), counted for the run. */
async function contribute(engagement: Engagement, side: 'proposer' | 'counterparty', csv: string): Promise<void> {
  const partner = side === 'proposer' ? engagement.a : engagement.b;
  await seedAcceptedContribution({ agreementId: engagement.agreementId, runId: engagement.runId, partnerId: partner.id, side }, csv, new Date(workflows.service.now()));
}

async function matched(engagement: Engagement): Promise<string> {
  await contribute(engagement, 'proposer', A_CSV);
  await contribute(engagement, 'counterparty', B_CSV);
  return eventually('the results to await approval', async () => (await agreementStore().getRun(engagement.agreementId, engagement.runId))?.summary?.resultHash);
}

async function released(engagement: Engagement, resultHash: string): Promise<string> {
  const path = `/v1/agreements/${engagement.agreementId}/runs/${engagement.runId}/results`;
  for (const party of [engagement.a, engagement.b]) {
    expect((await api.call('POST', `${path}/approvals`, { key: party.keys.approver, body: { resultHash } })).status).toBe(200);
  }
  const view = await api.call<{ expiresAt: string }>('GET', path, { key: engagement.a.keys.viewer });
  expect(view.status).toBe(200);
  return view.body.expiresAt;
}

const uploadsOf = (engagement: Engagement) => versionsUnder(ENV.uploadsBucket, runUploadsPrefix(engagement.agreementId, engagement.runId));
const resultsOf = (engagement: Engagement) => versionsUnder(ENV.resultsBucket, resultsPrefixOf({ agreementId: engagement.agreementId, id: engagement.runId }));

describe('retention', () => {
  it('deletes every version of the raw contributions once matched, and keeps the results', async () => {
    const engagement = await agree({});
    expect(await uploadsOf(engagement)).toEqual([]);
    await matched(engagement);
    expect(await eventually('the uploads to go', async () => ((await uploadsOf(engagement)).length === 0 ? true : undefined))).toBe(true);
    expect((await resultsOf(engagement)).length).toBeGreaterThan(0);
  });

  it('keeps the raw contributions when the terms say so, and deletes them with the results at expiry', async () => {
    const engagement = await agree({ retention: { deleteUploadsAfterMatching: false, resultsKeptDays: 10 } });
    const resultHash = await matched(engagement);
    expect(await uploadsOf(engagement)).toHaveLength(2);
    const expiresAt = await released(engagement, resultHash);
    expect(Date.parse(expiresAt) - workflows.service.now()).toBeLessThanOrEqual(10 * 86_400_000 + 60_000);
    // A day before: everything is still there.
    await advance(Date.parse(expiresAt) - 86_400_000);
    expect(await uploadsOf(engagement)).toHaveLength(2);
    await advance(Date.parse(expiresAt) + 1_000);
    expect(await eventually('the expiry to finish', async () => ((await executionStatus(`${engagement.runId}-expiry`)) === 'SUCCEEDED' ? true : undefined))).toBe(true);
    expect(await resultsOf(engagement)).toEqual([]);
    expect(await uploadsOf(engagement)).toEqual([]);
    const gone = await api.call('GET', `/v1/agreements/${engagement.agreementId}/runs/${engagement.runId}/results`, { key: engagement.b.keys.viewer });
    expect(gone.status).toBe(410);
  });

  it('deletes the upload of the side that contributed when the run lapses', async () => {
    const engagement = await agree({ schedule: { contributionDeadlineDays: 10 } });
    await contribute(engagement, 'proposer', A_CSV);
    expect(await uploadsOf(engagement)).toHaveLength(1);
    const deadline = Date.parse((await agreementStore().getRun(engagement.agreementId, engagement.runId))?.deadline ?? '');
    // As the workflow wakes: the reminders of days 1, 3 and 7, the escalation two days before the deadline, the deadline.
    const runOf = async () => agreementStore().getRun(engagement.agreementId, engagement.runId);
    const opened = Date.parse((await runOf())?.openedAt ?? '');
    for (const [index, day] of [1, 3, 7].entries()) {
      await advance(opened + day * 86_400_000 + 1_000);
      await eventually(`the day ${day} reminder`, async () => (((await runOf())?.remindersSent.length ?? 0) > index ? true : undefined));
    }
    await advance(deadline - 2 * 86_400_000 + 1_000);
    await eventually('the escalation', async () => ((await runOf())?.escalated ? true : undefined));
    await advance(deadline + 1_000);
    expect(await eventually('the run to lapse', async () => ((await agreementStore().get(engagement.agreementId))?.agreement.status === 'lapsed' ? true : undefined))).toBe(true);
    expect(await eventually('the upload to go', async () => ((await uploadsOf(engagement)).length === 0 ? true : undefined))).toBe(true);
  });

  it('purges a withdrawn agreement: no object in either bucket, no account of either list in its DynamoDB items', async () => {
    // Recurring: released, the agreement goes on (a one-off released agreement has nothing left to withdraw).
    const engagement = await agree({ schedule: { recurrenceEveryDays: 30 }, retention: { deleteUploadsAfterMatching: false } });
    await released(engagement, await matched(engagement));
    expect(await uploadsOf(engagement)).toHaveLength(2);
    expect((await resultsOf(engagement)).length).toBeGreaterThan(0);
    expect((await api.call('POST', `/v1/agreements/${engagement.agreementId}/withdraw`, { key: engagement.b.keys.admin, body: { reason: 'reorganisation' } })).status).toBe(200);
    expect(await eventually('the purge to finish', async () => ((await executionStatus(`${engagement.agreementId}-purge`)) === 'SUCCEEDED' ? true : undefined))).toBe(true);
    expect(await uploadsOf(engagement)).toEqual([]);
    expect(await resultsOf(engagement)).toEqual([]);
    const items = await dynamodb.send(new QueryCommand({ TableName: process.env[ENV.tableName], KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `AGREEMENT#${engagement.agreementId}` } }));
    expect(items.Items?.length).toBeGreaterThan(0);
    const stored = JSON.stringify(items.Items);
    expect(ACCOUNT_TEXT.filter((text) => stored.includes(text))).toEqual([]);
  });
});
