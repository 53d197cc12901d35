import { describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { handler } from '../../functions/events/contribution-uploaded.ts';
import { s3 } from '../../functions/lib/clients.ts';
import { agreementStore, contributionStore } from '../../functions/lib/stores.ts';
import { ENV } from '../../infra/definitions.ts';
import { type Contribution as ContributionRecord, contributionObjectKey } from '../../shared/contributions/contribution.ts';
import { newId } from '../../shared/ids.ts';
import { signUpWithKeys, until, useTestApi } from '../support/api-client.ts';
import { objectCreatedRecord } from '../support/s3-events.ts';

/**
 * Contributions as a partner makes them: an upload slot from the API, the
 * file POSTed to S3 (s3rver) with the presigned form, validation started by
 * the object-created event, the report read back through the API, and the
 * engagement moving on when both sides are in. Real time: the run is open
 * for 14 days, the test takes seconds.
 */

interface Agreement {
  id: string;
  status: string;
  currentRunId?: string;
  terms: { hash: string };
}
interface Contribution {
  id: string;
  status: string;
  side: string;
  report?: { verdict: string; reason?: string; rowsRead: number; accepted: number; rejected: number; rejections: { line: number; reason: string }[]; populations: Record<string, number> };
}
interface Slot {
  contribution: Contribution;
  upload: { url: string; fields: Record<string, string>; maxBytes: number };
}
interface Company {
  id: string;
  admin: string;
  approver: string;
  contributor: string;
  viewer: string;
}

const api = useTestApi();

/** A company with one key of each role. */
async function company(name: string): Promise<Company> {
  const partner = await signUpWithKeys(api, name);
  return { id: partner.id, ...partner.keys };
}

async function openRun(): Promise<{ acme: Company; globex: Company; agreementId: string; runId: string }> {
  const [acme, globex] = [await company('Acme'), await company('Globex')];
  const proposed = await api.call<Agreement>('POST', '/v1/agreements', { key: acme.admin, body: { counterpartyId: globex.id, terms: {} } });
  for (const party of [acme, globex]) await api.call('POST', `/v1/agreements/${proposed.body.id}/approvals`, { key: party.admin, body: { termsHash: proposed.body.terms.hash } });
  const agreement = await until('the run to open', async () => {
    const current = (await api.call<Agreement>('GET', `/v1/agreements/${proposed.body.id}`, { key: acme.viewer })).body;
    return current.currentRunId ? current : undefined;
  });
  return { acme, globex, agreementId: agreement.id, runId: agreement.currentRunId ?? '' };
}

/** Asks for a slot and uploads `file` with the presigned POST; answers the contribution once validated. */
async function contribute(who: Company, agreementId: string, runId: string, file: string | Buffer, options: Record<string, unknown> = {}): Promise<Contribution> {
  const slot = await api.call<Slot>('POST', `/v1/agreements/${agreementId}/runs/${runId}/contributions`, { key: who.contributor, body: options });
  expect(slot.status).toBe(201);
  const form = new FormData();
  for (const [name, value] of Object.entries(slot.body.upload.fields)) form.append(name, value);
  form.append('file', new Blob([file], { type: 'text/csv' }), 'accounts.csv');
  const uploaded = await fetch(slot.body.upload.url, { method: 'POST', body: form });
  expect(uploaded.status).toBeLessThan(300);
  return until(`contribution ${slot.body.contribution.id} to be validated`, async () => {
    const listed = await api.call<{ contributions: Contribution[] }>('GET', `/v1/agreements/${agreementId}/runs/${runId}/contributions`, { key: who.viewer });
    const found = listed.body.contributions.find((c) => c.id === slot.body.contribution.id);
    return found && (found.status === 'accepted' || found.status === 'rejected') ? found : undefined;
  });
}

const FILLER = Array.from({ length: 12 }, (_, i) => `Filler ${i} Ltd,filler${i}.example,Customer`);
const GOOD = ['Account Name,Website,Type', 'Initech,https://www.initech.com,Customer', 'Globex Corporation,globex.example,Prospect', 'Umbrella,,Opportunity', ',,Customer', ...FILLER, ''].join('\r\n');

describe('contributions', () => {
  it('accepts a valid file uploaded through the presigned POST and reports on it to its own side only', async () => {
    const { acme, globex, agreementId, runId } = await openRun();
    const contribution = await contribute(acme, agreementId, runId, GOOD);
    expect(contribution.status).toBe('accepted');
    expect(contribution.report).toMatchObject({ verdict: 'accepted', rowsRead: 16, accepted: 15, rejected: 1, populations: { customer: 13, prospect: 1, opportunity: 1 } });
    expect(contribution.report?.rejections[0]?.line).toBe(5);
    const theirs = await api.call<{ contributions: Contribution[] }>('GET', `/v1/agreements/${agreementId}/runs/${runId}/contributions`, { key: globex.admin });
    expect(theirs.body.contributions).toEqual([]);
    const run = await api.call<{ contributed: Record<string, boolean> }>('GET', `/v1/agreements/${agreementId}/runs/${runId}`, { key: globex.viewer });
    expect(run.body.contributed).toEqual({ proposer: true, counterparty: false });
  });

  it('refuses a viewer an upload slot, and an outsider the run', async () => {
    const { acme, agreementId, runId } = await openRun();
    const outsider = await company('Initech');
    expect((await api.call('POST', `/v1/agreements/${agreementId}/runs/${runId}/contributions`, { key: acme.viewer, body: {} })).status).toBe(403);
    expect((await api.call('POST', `/v1/agreements/${agreementId}/runs/${runId}/contributions`, { key: outsider.contributor, body: {} })).status).toBe(404);
    expect((await api.call('GET', `/v1/agreements/${agreementId}/runs/${runId}`, { key: outsider.admin })).status).toBe(404);
  });

  it('rejects each kind of bad file with a clear reason, and the run keeps waiting', async () => {
    const { acme, agreementId, runId } = await openRun();
    const bad: [string, string | Buffer, RegExp][] = [
      ['an empty file', '', /empty/i],
      ['a binary file', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]), /not.*CSV|binary/i],
      ['a file without a name or domain column', 'Owner,Country\r\nAlice,DE\r\n', /name|domain/i],
      ['a file of mostly bad rows', ['Account Name,Website,Type', ...Array.from({ length: 20 }, () => ',,Customer'), 'Initech,initech.com,Customer'].join('\n'), /bad rows|rejected/i],
      ['invalid UTF-8', Buffer.concat([Buffer.from('Account Name,Website,Type\nInitech,initech.com,Customer\n'), Buffer.from([0xc3, 0x28]), Buffer.from(',x.com,Customer\n')]), /UTF-8/i],
      ['a file over the size limit', Buffer.alloc(17 * 1024 * 1024, 'a'), /limit|large/i],
    ];
    for (const [what, file, reason] of bad) {
      const contribution = await contribute(acme, agreementId, runId, file);
      expect({ what, status: contribution.status }).toEqual({ what, status: 'rejected' });
      expect(contribution.report?.reason, what).toMatch(reason);
    }
    const run = await api.call<{ contributed: Record<string, boolean> }>('GET', `/v1/agreements/${agreementId}/runs/${runId}`, { key: acme.viewer });
    expect(run.body.contributed.proposer).toBe(false);
    expect((await api.call<Agreement>('GET', `/v1/agreements/${agreementId}`, { key: acme.viewer })).body.status).toBe('awaiting_contributions');
  });

  it('rejects a row with a 10 MB field and keeps the rest', async () => {
    const { acme, agreementId, runId } = await openRun();
    const file = ['Account Name,Website', `Huge,"${'x'.repeat(10 * 1024 * 1024)}"`, 'Initech,initech.com', 'Hooli,hooli.com', ...FILLER.map((row) => row.replace(/,Customer$/, '')), ''].join('\n');
    const contribution = await contribute(acme, agreementId, runId, file, { defaultPopulation: 'customer' });
    expect(contribution.status).toBe('accepted');
    expect(contribution.report).toMatchObject({ accepted: 14, rejected: 1 });
    expect(contribution.report?.rejections[0]?.reason).toMatch(/larger than/);
    expect(contribution.report?.rejections[0]?.line).toBe(2);
  });

  it('takes over a validation that died half-way when the event is delivered again', async () => {
    const { acme, agreementId, runId } = await openRun();
    const stuck: ContributionRecord = {
      id: newId('contribution'),
      agreementId,
      runId,
      partnerId: acme.id,
      side: 'proposer',
      status: 'validating',
      createdAt: new Date(Date.now() - 20 * 60_000).toISOString(),
      uploadedAt: new Date(Date.now() - 17 * 60_000).toISOString(),
    };
    // The object first: the event its upload raises finds no contribution yet, so only the redelivery below validates.
    await s3.send(new PutObjectCommand({ Bucket: process.env[ENV.uploadsBucket], Key: contributionObjectKey(stuck), Body: GOOD }));
    await contributionStore().create(stuck);
    await handler({ Records: [objectCreatedRecord(process.env[ENV.uploadsBucket] ?? '', contributionObjectKey(stuck), Buffer.byteLength(GOOD))] });
    const after = await contributionStore().get(agreementId, runId, stuck.id);
    expect(after?.status).toBe('accepted');
    // A fresh validation in progress is left alone.
    const busy: ContributionRecord = { ...stuck, id: newId('contribution'), uploadedAt: new Date().toISOString() };
    await contributionStore().create(busy);
    await handler({ Records: [objectCreatedRecord(process.env[ENV.uploadsBucket] ?? '', contributionObjectKey(busy), 10)] });
    expect((await contributionStore().get(agreementId, runId, busy.id))?.status).toBe('validating');
  });

  it('counts the newest valid upload, and moves the engagement on when both sides are in', async () => {
    const { acme, globex, agreementId, runId } = await openRun();
    const first = await contribute(acme, agreementId, runId, GOOD);
    const second = await contribute(acme, agreementId, runId, 'Company;Domain\nInitech;initech.com\n', { defaultPopulation: 'customer' });
    expect([first.status, second.status]).toEqual(['accepted', 'accepted']);
    // The newest valid upload is the one the run counts (the run is told just after the report is stored).
    const counted = await until('the run to count the newest upload', async () => {
      const id = (await agreementStore().getRun(agreementId, runId))?.contributions.proposer?.contributionId;
      return id === first.id ? undefined : id;
    });
    expect(counted).toBe(second.id);
    expect((await api.call<Agreement>('GET', `/v1/agreements/${agreementId}`, { key: acme.viewer })).body.status).toBe('awaiting_contributions');
    const theirs = await contribute(globex, agreementId, runId, 'Name\tWebsite\tStatus\nInitech Inc.\twww.initech.com\tOpen Opportunity\n');
    expect(theirs.report).toMatchObject({ verdict: 'accepted', populations: { opportunity: 1 } });
    const moved = await until('the engagement to leave awaiting_contributions', async () => {
      const current = (await api.call<Agreement>('GET', `/v1/agreements/${agreementId}`, { key: acme.viewer })).body;
      return current.status !== 'awaiting_contributions' ? current : undefined;
    });
    expect(['matching', 'awaiting_release']).toContain(moved.status);
  });
});
