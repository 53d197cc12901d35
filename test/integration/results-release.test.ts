import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { s3, sfn } from '../../functions/lib/clients.ts';
import { agreementStore } from '../../functions/lib/stores.ts';
import { executionArnOf } from '../../functions/lib/workflow.ts';
import { outboxStore } from '../../functions/notifications/stores.ts';
import { ENV } from '../../infra/definitions.ts';
import type { ApiServer } from '../../local/api-server.ts';
import { startLocalWorkflows } from '../../local/local-stack.ts';
import type { LocalStepFunctions } from '../../local/stepfunctions-service.ts';
import { resultsObjectKeys } from '../../shared/results-objects.ts';
import type { ResultApprovalState, ResultsPreview, ResultsView } from '../../shared/results.ts';
import type { TermsInput } from '../../shared/terms.ts';
import { seedAcceptedContribution } from '../support/seed-contribution.ts';
import { type ApiClient, startTestApi, uniqueSignUp } from '../support/api-client.ts';

/**
 * Result approval, release, expiry and recurring runs, end to end: the HTTP
 * API, the engagement state machine CDK synthesises on the local runtime
 * under a virtual clock, DynamoDB Local and s3rver.
 */

const DAY = 86_400_000;

interface Agreement {
  id: string;
  status: string;
  currentRunId?: string;
  terms: { hash: string };
}
interface Company {
  id: string;
  admin: string;
  approver: string;
  contributor: string;
  viewer: string;
}

let workflows: LocalStepFunctions;
let server: ApiServer;
let api: ApiClient;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'accord-release-'));
  workflows = await startLocalWorkflows({ dataDir, clock: 'virtual' });
  Object.assign(process.env, workflows.environment, { ACCORD_MAIL_OUTBOX_DIR: join(dataDir, 'outbox') });
  ({ server, api } = await startTestApi());
});

// The API reads the wall clock, the workflow the virtual one: the API's Date follows the virtual clock here,
// so that a release's expiry and the workflow's wait for it agree. Moving on in real time from where it was set.
function syncClock(): void {
  vi.setSystemTime(workflows.service.now());
}
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  syncClock();
});

async function advance(to: number): Promise<void> {
  await workflows.service.advance(to - workflows.service.now());
  syncClock();
}

afterAll(async () => {
  vi.useRealTimers();
  await server?.close();
  await workflows?.service.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const virtualNow = () => new Date(workflows.service.now());

async function company(name: string): Promise<Company> {
  const signUp = await api.call<{ partner: { id: string }; apiKey: string }>('POST', '/v1/partners', { body: uniqueSignUp(name) });
  const admin = signUp.body.apiKey;
  const key = async (role: string) => (await api.call<{ apiKey: string }>('POST', '/v1/partners/me/keys', { key: admin, body: { role, label: role } })).body.apiKey;
  return { id: signUp.body.partner.id, admin, approver: await key('approver'), contributor: await key('contributor'), viewer: await key('viewer') };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    // Fires the timers a step armed after the last advance for a time already passed (a task's result may land after it).
    await workflows.service.advance(0);
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function read(agreementId: string, who: Company): Promise<Agreement> {
  return (await api.call<Agreement>('GET', `/v1/agreements/${agreementId}`, { key: who.admin })).body;
}

async function executionStatus(name: string): Promise<string | undefined> {
  try {
    return (await sfn.send(new DescribeExecutionCommand({ executionArn: executionArnOf(name) }))).status;
  } catch {
    return undefined;
  }
}

async function agree(acme: Company, globex: Company, terms: TermsInput): Promise<Agreement> {
  const proposed = await api.call<Agreement>('POST', '/v1/agreements', { key: acme.approver, body: { counterpartyId: globex.id, terms } });
  expect(proposed.status).toBe(201);
  for (const party of [acme, globex]) {
    expect((await api.call('POST', `/v1/agreements/${proposed.body.id}/approvals`, { key: party.approver, body: { termsHash: proposed.body.terms.hash } })).status).toBe(200);
  }
  return eventually('the run to open', async () => {
    const agreement = await read(proposed.body.id, acme);
    return agreement.currentRunId ? agreement : undefined;
  });
}

/** A contribution as the upload path leaves it once validated, counted for the run. */
async function contribute(agreementId: string, runId: string, partnerId: string, side: 'proposer' | 'counterparty', csv: string): Promise<void> {
  await seedAcceptedContribution({ agreementId, runId, partnerId, side }, csv, virtualNow());
}

/** Both contribute; answers the result hash once the results await approval. */
async function matchRun(agreementId: string, runId: string, acme: Company, globex: Company, files: { acme: string; globex: string }): Promise<string> {
  await contribute(agreementId, runId, acme.id, 'proposer', files.acme);
  await contribute(agreementId, runId, globex.id, 'counterparty', files.globex);
  return eventually('the results to await approval', async () => (await agreementStore().getRun(agreementId, runId))?.summary?.resultHash);
}

async function notificationTypes(partnerId: string): Promise<string[]> {
  return (await outboxStore().listNotifications(partnerId, 200)).map((entry) => entry.notification.type);
}

async function objectExists(key: string): Promise<boolean> {
  try {
    await s3.send(new GetObjectCommand({ Bucket: process.env[ENV.resultsBucket], Key: key }));
    return true;
  } catch {
    return false;
  }
}

// Acme (proposer) and Globex (counterparty). Each file has accounts only it has, with refs, names,
// domains and owners that must never reach the other side.
const ACME = [
  'Account ID,Account Name,Website,Type,Country,Owner',
  'ACM-001,Initech,initech.com,Customer,US,alice@acme.example',
  'ACM-002,Hooli,hooli.com,Customer,US,bob@acme.example',
  'ACM-003,Umbrella Corp,umbrella.com,Prospect,US,carol@acme.example',
  'ACM-004,Vandelay Industries,vandelay-industries.com,Customer,US,dan@acme.example',
  'ACM-005,Massive Dynamic,massivedynamic.com,Opportunity,US,erin@acme.example',
].join('\n');
const GLOBEX = [
  'Account ID,Company,Domain,Stage,Country,Owner',
  'GLX-001,Initech Inc.,www.initech.com,Customer,DE,secret-owner-1@globex.example',
  'GLX-002,Hooli Corp,hooli.com,Prospect,FR,secret-owner-2@globex.example',
  'GLX-003,Umbrella Corporation,umbrella.com,Prospect,ES,secret-owner-3@globex.example',
  'GLX-004,Wayne Enterprises,wayne-enterprises.com,Customer,US,secret-owner-4@globex.example',
  'GLX-005,Stark Industries,starkindustries.com,Open Opportunity,US,secret-owner-5@globex.example',
  'GLX-006,Cyberdyne Systems,cyberdyne.com,Prospect,US,secret-owner-6@globex.example',
].join('\n');

/** Customers on both sides: accounts with the country; customer x prospect: a count; prospect x prospect: hidden. */
const TERMS: TermsInput = {
  visibility: {
    proposer: { customer: { customer: { level: 'accounts', fields: ['country'] }, prospect: { level: 'count' } }, prospect: { prospect: { level: 'hidden' } } },
    counterparty: { customer: { customer: { level: 'accounts', fields: ['country'] } }, prospect: { customer: { level: 'count' }, prospect: { level: 'hidden' } } },
  },
  retention: { resultsKeptDays: 30 },
};

/** Everything of a side's input that the other side must never see under TERMS: what only it has, and what the hidden and count-only cells hold. */
const NEVER_SEEN_BY_ACME = ['GLX-', 'secret-owner', 'Hooli Corp', 'Umbrella Corporation', 'umbrella.com', 'hooli.com', 'Wayne', 'wayne-enterprises', 'Stark', 'starkindustries', 'Cyberdyne', 'cyberdyne'];
const NEVER_SEEN_BY_GLOBEX = ['ACM-', '@acme.example', 'Hooli', 'hooli.com', 'Umbrella', 'umbrella.com', 'Vandelay', 'vandelay-industries', 'Massive Dynamic', 'massivedynamic'];

const resultsPath = (agreement: Agreement, runId = agreement.currentRunId ?? '') => `/v1/agreements/${agreement.id}/runs/${runId}/results`;

describe('releasing results', () => {
  it('previews, refuses a stale hash, releases on both approvals, shows each side only what the terms allow, and expires', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreement = await agree(acme, globex, TERMS);
    const runId = agreement.currentRunId ?? '';
    const path = resultsPath(agreement);
    expect((await api.call('GET', path, { key: acme.viewer })).body).toMatchObject({ error: { code: 'results_not_released' } });
    const resultHash = await matchRun(agreement.id, runId, acme, globex, { acme: ACME, globex: GLOBEX });

    // Before release: approvers and admins preview both directions; contributors and viewers cannot.
    const preview = await api.call<ResultsPreview>('GET', `${path}/preview`, { key: acme.approver });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ side: 'proposer', status: 'awaiting_approval', resultHash, approved: { mine: false, theirs: false } });
    expect(preview.body.youWillSee.matches.map((match) => match.theirs)).toEqual([[{ name: 'Initech Inc.', domain: 'initech.com', fields: { country: 'DE' } }]]);
    expect(preview.body.theyWillSee.matches.map((match) => match.accounts)).toEqual([[{ name: 'Initech', domain: 'initech.com', fields: { country: 'US' } }]]);
    for (const key of [acme.contributor, acme.viewer]) expect((await api.call('GET', `${path}/preview`, { key })).status).toBe(403);
    for (const key of [acme.admin, globex.admin, globex.approver]) expect((await api.call('GET', `${path}/preview`, { key })).status).toBe(200);
    const stranger = await company('Initrode');
    expect((await api.call('GET', `${path}/preview`, { key: stranger.admin })).status).toBe(404);

    // Approval: governing roles only, exactly this hash.
    const stale = await api.call('POST', `${path}/approvals`, { key: acme.approver, body: { resultHash: `sha256:${'0'.repeat(64)}` } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: { code: 'stale_result_hash' } });
    for (const key of [acme.contributor, acme.viewer]) expect((await api.call('POST', `${path}/approvals`, { key, body: { resultHash } })).status).toBe(403);
    expect((await api.call('POST', `${path}/approvals`, { key: stranger.admin, body: { resultHash } })).status).toBe(404);
    const first = await api.call<ResultApprovalState>('POST', `${path}/approvals`, { key: acme.approver, body: { resultHash } });
    expect(first.body).toMatchObject({ status: 'awaiting_approval', approved: { mine: true, theirs: false } });
    expect((await api.call('GET', path, { key: acme.admin })).body).toMatchObject({ error: { code: 'results_not_released' } });
    const second = await api.call<ResultApprovalState>('POST', `${path}/approvals`, { key: globex.admin, body: { resultHash } });
    expect(second.body).toMatchObject({ status: 'released', approved: { mine: true, theirs: true } });
    expect((await read(agreement.id, acme)).status).toBe('released');
    const runView = await api.call('GET', `/v1/agreements/${agreement.id}/runs/${runId}`, { key: globex.viewer });
    expect(runView.body).toMatchObject({ status: 'released', sequence: 1, results: { resultHash, approved: { proposer: true, counterparty: true }, flaggedCount: 0 } });
    expect(await notificationTypes(acme.id)).toEqual(expect.arrayContaining(['results.approval_needed', 'results.released']));
    expect(await notificationTypes(globex.id)).toEqual(expect.arrayContaining(['results.approval_needed', 'results.approved_by_partner', 'results.released']));

    // Every role of a party reads its view; nobody else.
    for (const key of [acme.admin, acme.approver, acme.contributor, acme.viewer]) expect((await api.call('GET', path, { key })).status).toBe(200);
    expect((await api.call('GET', path, { key: stranger.viewer })).status).toBe(404);

    const acmeView = await api.call<ResultsView>('GET', path, { key: acme.viewer });
    const globexView = await api.call<ResultsView>('GET', path, { key: globex.viewer });
    expect(acmeView.body).toMatchObject({ side: 'proposer', status: 'released', resultHash, releasedAt: expect.any(String) as unknown, expiresAt: expect.any(String) as unknown });
    expect(acmeView.body.nineBox).toEqual({
      customer: { customer: 1, opportunity: 0, prospect: 1 },
      opportunity: { customer: 0, opportunity: 0, prospect: 0 },
      prospect: { customer: 0, opportunity: 0, prospect: null },
    });
    expect(globexView.body.nineBox.prospect).toEqual({ customer: 1, opportunity: 0, prospect: null });
    expect(acmeView.body.matches).toHaveLength(1);
    expect(acmeView.body.matches[0]?.mine.map((row) => row.ref)).toEqual(['ACM-001']);
    expect(acmeView.body.cells.find((cell) => cell.mine === 'customer' && cell.theirs === 'prospect')?.rule).toMatchObject({ play: 'referral', acts: 'me' });
    expect(globexView.body.cells.find((cell) => cell.mine === 'prospect' && cell.theirs === 'customer')?.rule).toMatchObject({ play: 'referral', acts: 'them' });

    // The proof: nothing the terms hide is anywhere in either side's view, JSON or CSV.
    const acmeCsv = await api.call('GET', `${path}?format=csv`, { key: acme.viewer });
    expect(acmeCsv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(acmeCsv.text.split('\r\n')[1]).toMatch(/^customer,prospect,count,1,/);
    const globexCsv = await api.call('GET', `${path}?format=csv`, { key: globex.viewer });
    for (const text of NEVER_SEEN_BY_ACME) {
      expect(acmeView.text, text).not.toContain(text);
      expect(acmeCsv.text, text).not.toContain(text);
    }
    for (const text of NEVER_SEEN_BY_GLOBEX) {
      expect(globexView.text, text).not.toContain(text);
      expect(globexCsv.text, text).not.toContain(text);
    }
    expect(acmeView.text).toContain('Initech Inc.');
    expect(globexView.text).toContain('"country":"US"');
    // And by construction: accounts only in cells at level accounts; a hidden cell has not even its count.
    for (const view of [acmeView.body, globexView.body]) {
      const levelOf = (cell: { mine: string; theirs: string }) => view.cells.find((c) => c.mine === cell.mine && c.theirs === cell.theirs)?.level;
      expect(view.matches.map((match) => levelOf(match.cell))).toEqual(view.matches.map(() => 'accounts'));
      for (const cell of view.cells.filter((c) => c.level === 'hidden')) expect([cell.count, view.nineBox[cell.mine][cell.theirs]]).toEqual([null, null]);
    }

    // Flags: anyone but a viewer, on a match of their view; both sides see it.
    const matchId = acmeView.body.matches[0]?.matchId ?? '';
    expect((await api.call('POST', `${path}/flags`, { key: globex.viewer, body: { matchId, reason: 'not the same company' } })).status).toBe(403);
    expect((await api.call('POST', `${path}/flags`, { key: globex.contributor, body: { matchId: 'mch_00000000000000000000', reason: 'x' } })).status).toBe(404);
    const flagged = await api.call('POST', `${path}/flags`, { key: globex.contributor, body: { matchId, reason: 'not the same company' } });
    expect(flagged.status).toBe(201);
    expect((await api.call('POST', `${path}/flags`, { key: globex.admin, body: { matchId, reason: 'again' } })).status).toBe(200);
    const afterFlag = await api.call<ResultsView>('GET', path, { key: acme.viewer });
    expect(afterFlag.body.matches[0]).toMatchObject({ flagged: true, flags: [{ by: 'them', reason: 'not the same company' }] });
    expect((await agreementStore().getRun(agreement.id, runId))?.release?.flaggedCount).toBe(1);

    // Expiry: the results go at releasedAt + 30 days, and reading them answers 410.
    const expiresAt = Date.parse(acmeView.body.expiresAt ?? '');
    await advance(expiresAt + 1_000);
    const gone = await eventually('the results to expire', async () => {
      const response = await api.call('GET', path, { key: acme.viewer });
      return response.status === 410 ? response : undefined;
    });
    expect(gone.body).toMatchObject({ error: { code: 'results_expired' } });
    // The run is marked first (readers get 410 from then on); the objects go before the execution ends.
    expect(await eventually('the expiry to finish', async () => ((await executionStatus(`${runId}-expiry`)) === 'SUCCEEDED' ? true : undefined))).toBe(true);
    expect(await objectExists(resultsObjectKeys({ agreementId: agreement.id, id: runId }).pairs)).toBe(false);
    expect(await objectExists(resultsObjectKeys({ agreementId: agreement.id, id: runId }).accounts.counterparty)).toBe(false);
    expect((await agreementStore().getRun(agreement.id, runId))?.status).toBe('expired');
    expect(await notificationTypes(globex.id)).toContain('results.expired');
    expect(await executionStatus(`${runId}-expiry`)).toBe('SUCCEEDED');
    expect(await executionStatus(agreement.id)).toBe('SUCCEEDED');
  });

  it('withholds declined results: nothing is released, nothing is visible, and the results are deleted', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreement = await agree(acme, globex, TERMS);
    const runId = agreement.currentRunId ?? '';
    const path = resultsPath(agreement);
    const resultHash = await matchRun(agreement.id, runId, acme, globex, { acme: ACME, globex: GLOBEX });
    expect((await api.call('POST', `${path}/approvals`, { key: acme.approver, body: { resultHash } })).status).toBe(200);
    expect((await api.call('POST', `${path}/decline`, { key: globex.contributor, body: {} })).status).toBe(403);
    const declined = await api.call<ResultApprovalState>('POST', `${path}/decline`, { key: globex.approver, body: { reason: 'we found duplicates' } });
    expect(declined.body).toMatchObject({ status: 'withheld' });
    expect((await api.call('POST', `${path}/approvals`, { key: globex.admin, body: { resultHash } })).status).toBe(409);
    expect((await read(agreement.id, acme)).status).toBe('withheld');
    for (const key of [acme.viewer, globex.viewer]) expect((await api.call('GET', path, { key })).body).toMatchObject({ error: { code: 'results_withheld' } });
    expect((await api.call('GET', `${path}/preview`, { key: acme.admin })).body).toMatchObject({ error: { code: 'results_withheld' } });
    expect(await eventually('the execution to end', async () => ((await executionStatus(agreement.id)) === 'SUCCEEDED' ? true : undefined))).toBe(true);
    expect((await agreementStore().getRun(agreement.id, runId))?.release?.resultsDeleted?.because).toBe('withheld');
    expect(await objectExists(resultsObjectKeys({ agreementId: agreement.id, id: runId }).pairs)).toBe(false);
    expect(await notificationTypes(acme.id)).toContain('results.withheld');
    expect(await notificationTypes(acme.id)).not.toContain('results.released');
    // One-off terms: the agreement ends with its run.
    expect(await executionStatus(`${agreement.id}-run-2`)).toBeUndefined();
  });

  it('reminds approvers and withholds the results when the approval deadline passes', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreement = await agree(acme, globex, { ...TERMS, schedule: { resultApprovalDeadlineDays: 5, reminderDays: [1, 3] } });
    const runId = agreement.currentRunId ?? '';
    const resultHash = await matchRun(agreement.id, runId, acme, globex, { acme: ACME, globex: GLOBEX });
    expect((await api.call('POST', `${resultsPath(agreement)}/approvals`, { key: acme.approver, body: { resultHash } })).status).toBe(200);
    const readyAt = Date.parse((await agreementStore().getRun(agreement.id, runId))?.release?.readyAt ?? '');
    const reminders = (types: string[]) => types.filter((type) => type === 'results.approval_reminder').length;
    for (const [day, sent] of [[1, 1], [3, 2]] as const) {
      await advance(readyAt + day * DAY + 1_000);
      await eventually(`the day ${day} reminder`, async () => (reminders(await notificationTypes(globex.id)) === sent ? true : undefined));
    }
    await advance(readyAt + 5 * DAY + 1_000);
    await eventually('the withholding', async () => ((await read(agreement.id, acme)).status === 'withheld' ? true : undefined));
    expect(reminders(await notificationTypes(globex.id))).toBe(2);
    expect(reminders(await notificationTypes(acme.id))).toBe(0); // Acme approved before the first reminder.
    expect((await api.call('GET', resultsPath(agreement), { key: acme.admin })).body).toMatchObject({ error: { code: 'results_withheld' } });
  });

  it('opens the next run of recurring terms as a new execution, leaves flagged pairs out, and marks the new overlaps', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreement = await agree(acme, globex, { ...TERMS, schedule: { recurrenceEveryDays: 30 }, retention: { resultsKeptDays: 90 } });
    const firstRun = agreement.currentRunId ?? '';
    const openedAt = Date.parse((await agreementStore().getRun(agreement.id, firstRun))?.openedAt ?? '');
    const firstHash = await matchRun(agreement.id, firstRun, acme, globex, { acme: ACME, globex: GLOBEX });
    for (const party of [acme, globex]) await api.call('POST', `${resultsPath(agreement)}/approvals`, { key: party.approver, body: { resultHash: firstHash } });
    const first = await api.call<ResultsView>('GET', resultsPath(agreement), { key: acme.viewer });
    expect(first.body.matches.map((match) => match.isNew)).toEqual([true]);
    // Acme flags Initech as a wrong match: it is left out of later runs.
    expect((await api.call('POST', `${resultsPath(agreement)}/flags`, { key: acme.contributor, body: { matchId: first.body.matches[0]?.matchId, reason: 'different Initech' } })).status).toBe(201);

    // Day 30: the next run opens in its own execution; contributions are due again.
    await advance(openedAt + 30 * DAY + 1_000);
    const reopened = await eventually('the next run', async () => {
      const current = await read(agreement.id, acme);
      return current.currentRunId !== firstRun && current.status === 'awaiting_contributions' ? current : undefined;
    });
    const secondRun = reopened.currentRunId ?? '';
    expect(await executionStatus(`${agreement.id}-run-2`)).toBe('RUNNING');
    expect((await notificationTypes(globex.id)).filter((type) => type === 'run.opened')).toHaveLength(2);
    // The first run's results are still there for their 90 days.
    expect((await api.call('GET', resultsPath(agreement, firstRun), { key: acme.viewer })).status).toBe(200);

    // Run 2: the same accounts plus Wayne Enterprises, now a customer of both.
    const secondHash = await matchRun(agreement.id, secondRun, acme, globex, {
      acme: `${ACME}\nACM-006,Wayne Enterprises,wayneenterprises.com,Customer,US,frank@acme.example`,
      globex: GLOBEX.replace('wayne-enterprises.com', 'wayneenterprises.com'),
    });
    for (const party of [acme, globex]) await api.call('POST', `${resultsPath(agreement, secondRun)}/approvals`, { key: party.approver, body: { resultHash: secondHash } });
    const second = await api.call<ResultsView>('GET', resultsPath(agreement, secondRun), { key: acme.viewer });
    expect(second.status).toBe(200);
    expect(second.body.matches.map((match) => [match.mine[0]?.name, match.isNew])).toEqual([['Wayne Enterprises', true]]);
    expect(second.body).toMatchObject({ newCount: 1, flaggedCount: 0 });
    // Initech was flagged: not matched again, in no cell.
    expect(second.body.nineBox.customer.customer).toBe(1);
    expect((await read(agreement.id, acme)).status).toBe('released');
  });

  it('goes on to the next run of recurring terms when a run is withheld or lapses, until a party withdraws', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreement = await agree(acme, globex, { ...TERMS, schedule: { recurrenceEveryDays: 30, contributionDeadlineDays: 14, reminderDays: [] } });
    const firstRun = agreement.currentRunId ?? '';
    const openedAt = Date.parse((await agreementStore().getRun(agreement.id, firstRun))?.openedAt ?? '');
    const nextRun = (after: string) =>
      eventually(`the run after ${after}`, async () => {
        const current = await read(agreement.id, acme);
        return current.currentRunId !== after && current.status === 'awaiting_contributions' ? (current.currentRunId ?? '') : undefined;
      });

    // Run 1 is declined: withheld, nothing released; the agreement waits for its next run.
    await matchRun(agreement.id, firstRun, acme, globex, { acme: ACME, globex: GLOBEX });
    expect((await api.call('POST', `${resultsPath(agreement)}/decline`, { key: globex.approver, body: { reason: 'duplicates' } })).status).toBe(200);
    expect(await eventually('run 2’s execution to wait', async () => ((await executionStatus(`${agreement.id}-run-2`)) === 'RUNNING' ? true : undefined))).toBe(true);
    expect((await read(agreement.id, acme)).status).toBe('withheld');
    await advance(openedAt + 30 * DAY + 1_000);
    const secondRun = await nextRun(firstRun);
    expect((await agreementStore().getRun(agreement.id, secondRun))?.sequence).toBe(2);
    expect((await api.call('GET', resultsPath(agreement, firstRun), { key: acme.viewer })).body).toMatchObject({ error: { code: 'results_withheld' } });

    // Run 2: nobody contributes; approvers hear of it two days before the deadline, it lapses at the deadline, and run 3 opens on its date all the same.
    await advance(openedAt + (30 + 13) * DAY);
    await eventually('the escalation', async () => ((await notificationTypes(acme.id)).includes('contribution.deadline_near') ? true : undefined));
    await advance(openedAt + (30 + 15) * DAY);
    await eventually('run 2 to lapse', async () => ((await read(agreement.id, acme)).status === 'lapsed' ? true : undefined));
    expect(await notificationTypes(acme.id)).toContain('run.lapsed');
    await advance(openedAt + 61 * DAY);
    const thirdRun = await nextRun(secondRun);
    expect((await agreementStore().getRun(agreement.id, thirdRun))?.sequence).toBe(3);
    expect((await notificationTypes(globex.id)).filter((type) => type === 'run.opened')).toHaveLength(3);

    // Withdrawn: no run follows.
    expect((await api.call('POST', `/v1/agreements/${agreement.id}/withdraw`, { key: acme.admin, body: { reason: 'no budget' } })).status).toBe(200);
    expect(await eventually('run 3 to be stopped', async () => ((await executionStatus(`${agreement.id}-run-3`)) === 'ABORTED' ? true : undefined))).toBe(true);
    await advance(openedAt + 120 * DAY + 1_000);
    expect(await read(agreement.id, acme)).toMatchObject({ status: 'withdrawn', currentRunId: thirdRun });
    expect(await executionStatus(`${agreement.id}-run-4`)).toBeUndefined();
  });

  it('attributes a referral won inside the window as time passes, and nothing to one won after it', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const incentives = { currency: 'EUR', referralFeeBps: 1000, attributionWindowDays: 180 };
    const agreement = await agree(acme, globex, { ...TERMS, incentives, retention: { resultsKeptDays: 365 } });
    const runId = agreement.currentRunId ?? '';
    const resultHash = await matchRun(agreement.id, runId, acme, globex, { acme: ACME, globex: GLOBEX });
    for (const party of [acme, globex]) await api.call('POST', `${resultsPath(agreement)}/approvals`, { key: party.approver, body: { resultHash } });
    const matchId = (await api.call<ResultsView>('GET', resultsPath(agreement), { key: acme.viewer })).body.matches[0]?.matchId;
    const referrals = `/v1/agreements/${agreement.id}/referrals`;
    type Referral = { id: string; stage: string; attribution?: { outcome: string; totalMinor?: number } };
    // Introduced today, both ways round: Acme introduces Globex, and Globex Acme. The side introduced accepts and opens a deal.
    const introduce = async (introducer: Company, introduced: Company) => {
      const body = { runId, matchId, introducer: introducer === acme ? 'proposer' : 'counterparty' };
      const registered = await api.call<Referral>('POST', referrals, { key: introducer.admin, body });
      expect(registered.status).toBe(201);
      expect((await api.call('POST', `${referrals}/${registered.body.id}/accept`, { key: introduced.admin })).status).toBe(200);
      expect((await api.call('POST', `${referrals}/${registered.body.id}/opportunity`, { key: introduced.admin, body: { amountMinor: 5_000_000, currency: 'EUR' } })).status).toBe(200);
      return registered.body.id;
    };
    const introducedAt = workflows.service.now();
    const toGlobex = await introduce(acme, globex);
    const toAcme = await introduce(globex, acme);
    const win = async (id: string, who: Company) =>
      (await api.call<Referral>('POST', `${referrals}/${id}/won`, { key: who.admin, body: { amountMinor: 4_812_345, currency: 'EUR', closedAt: virtualNow().toISOString() } })).body;

    // 100 days on, Globex wins its deal: 10% of EUR 48,123.45, rounded half to even, is owed to Acme.
    await advance(introducedAt + 100 * DAY);
    expect(await win(toGlobex, globex)).toMatchObject({ stage: 'won', attribution: { outcome: 'attributed', totalMinor: 481_234 } });
    // 200 days on, Acme wins its deal: the 180-day window has ended, nothing is owed.
    await advance(introducedAt + 200 * DAY);
    expect(await win(toAcme, acme)).toMatchObject({ stage: 'won', attribution: { outcome: 'outside_window' } });
    const ledger = await api.call<{ entries: { referralId: string; amountMinor: number; payerId: string; payeeId: string }[] }>('GET', `/v1/agreements/${agreement.id}/ledger`, { key: acme.viewer });
    expect(ledger.body.entries.map((entry) => [entry.referralId, entry.amountMinor, entry.payerId, entry.payeeId])).toEqual([[toGlobex, 481_234, globex.id, acme.id]]);
  });

  it('deletes every run’s results when a party withdraws', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreement = await agree(acme, globex, { ...TERMS, schedule: { recurrenceEveryDays: 30 } });
    const runId = agreement.currentRunId ?? '';
    const resultHash = await matchRun(agreement.id, runId, acme, globex, { acme: ACME, globex: GLOBEX });
    for (const party of [acme, globex]) await api.call('POST', `${resultsPath(agreement)}/approvals`, { key: party.approver, body: { resultHash } });
    expect((await api.call('GET', resultsPath(agreement), { key: acme.viewer })).status).toBe(200);
    await eventually('the next run’s execution to wait', async () => ((await executionStatus(`${agreement.id}-run-2`)) === 'RUNNING' ? true : undefined));
    expect((await api.call('POST', `/v1/agreements/${agreement.id}/withdraw`, { key: globex.admin, body: { reason: 'reorganisation' } })).status).toBe(200);
    const gone = await eventually('the results to go', async () => {
      const response = await api.call('GET', resultsPath(agreement), { key: acme.viewer });
      return response.status === 410 ? response : undefined;
    });
    expect(gone.body).toMatchObject({ error: { code: 'results_deleted' } });
    expect(await eventually('the purge to finish', async () => ((await executionStatus(`${agreement.id}-purge`)) === 'SUCCEEDED' ? true : undefined))).toBe(true);
    expect(await objectExists(resultsObjectKeys({ agreementId: agreement.id, id: runId }).accounts.proposer)).toBe(false);
    expect(await eventually('the next run to be stopped', async () => ((await executionStatus(`${agreement.id}-run-2`)) === 'ABORTED' ? true : undefined))).toBe(true);
  });
});
