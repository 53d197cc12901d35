import { expect } from 'vitest';
import { type ApiClient, type SignedUpPartner, signUpWithKeys, until } from './api-client.ts';

/**
 * Drives an agreement to released through the HTTP API on the embedded stack,
 * as two partners would: sign up (a key per role), propose and approve the
 * terms, upload both account lists with the presigned POST, wait for
 * matching, and both approve the result hash. Real time: the engagement
 * workflow of the shared embedded stack moves it on.
 */

export type Party = SignedUpPartner;

/** The engagement's steps run in the shared embedded stack: a minute for each. */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => until(what, probe, 60_000);

export interface ReleasedRun {
  proposer: Party;
  counterparty: Party;
  agreementId: string;
  runId: string;
}

interface AgreementView {
  id: string;
  status: string;
  currentRunId?: string;
  terms: { hash: string };
}

async function upload(api: ApiClient, who: Party, agreementId: string, runId: string, csv: string): Promise<void> {
  const slot = await api.call<{ contribution: { id: string }; upload: { url: string; fields: Record<string, string> } }>(
    'POST',
    `/v1/agreements/${agreementId}/runs/${runId}/contributions`,
    { key: who.keys.contributor, body: {} },
  );
  expect(slot.status).toBe(201);
  const form = new FormData();
  for (const [name, value] of Object.entries(slot.body.upload.fields)) form.append(name, value);
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'accounts.csv');
  const uploaded = await fetch(slot.body.upload.url, { method: 'POST', body: form });
  expect(uploaded.status).toBeLessThan(300);
  const status = await waitFor(`contribution ${slot.body.contribution.id} to be validated`, async () => {
    const listed = await api.call<{ contributions: { id: string; status: string }[] }>('GET', `/v1/agreements/${agreementId}/runs/${runId}/contributions`, { key: who.keys.viewer });
    const found = listed.body.contributions.find((contribution) => contribution.id === slot.body.contribution.id);
    return found && found.status !== 'awaiting_upload' && found.status !== 'validating' ? found.status : undefined;
  });
  expect(status).toBe('accepted');
}

export interface MatchedRun extends ReleasedRun {
  resultHash: string;
}

/** Both parties agree `terms` and contribute the two CSV files: answers once the results await approval. */
export async function matchedRun(api: ApiClient, options: { terms: unknown; proposerCsv: string; counterpartyCsv: string; names?: [string, string] }): Promise<MatchedRun> {
  const [proposer, counterparty] = [await signUpWithKeys(api, options.names?.[0] ?? 'Acme'), await signUpWithKeys(api, options.names?.[1] ?? 'Globex')];
  const proposed = await api.call<AgreementView>('POST', '/v1/agreements', { key: proposer.keys.approver, body: { counterpartyId: counterparty.id, terms: options.terms } });
  expect(proposed.status).toBe(201);
  const agreementId = proposed.body.id;
  for (const party of [proposer, counterparty]) {
    const approved = await api.call('POST', `/v1/agreements/${agreementId}/approvals`, { key: party.keys.approver, body: { termsHash: proposed.body.terms.hash } });
    expect(approved.status).toBe(200);
  }
  const runId = await waitFor('the run to open', async () => (await api.call<AgreementView>('GET', `/v1/agreements/${agreementId}`, { key: proposer.keys.viewer })).body.currentRunId);
  await upload(api, proposer, agreementId, runId, options.proposerCsv);
  await upload(api, counterparty, agreementId, runId, options.counterpartyCsv);
  const resultHash = await waitFor('the results to await approval', async () => {
    const preview = await api.call<{ resultHash: string; status: string }>('GET', `/v1/agreements/${agreementId}/runs/${runId}/results/preview`, { key: proposer.keys.approver });
    return preview.status === 200 && preview.body.status === 'awaiting_approval' ? preview.body.resultHash : undefined;
  });
  return { proposer, counterparty, agreementId, runId, resultHash };
}

/** Both approvers approve the result hash: answers once the results are released. */
export async function release(api: ApiClient, run: MatchedRun): Promise<ReleasedRun> {
  const { proposer, counterparty, agreementId, runId, resultHash } = run;
  for (const party of [proposer, counterparty]) {
    const approved = await api.call('POST', `/v1/agreements/${agreementId}/runs/${runId}/results/approvals`, { key: party.keys.approver, body: { resultHash } });
    expect(approved.status).toBe(200);
  }
  await waitFor('the results to be released', async () => {
    const results = await api.call('GET', `/v1/agreements/${agreementId}/runs/${runId}/results`, { key: proposer.keys.viewer });
    return results.status === 200 ? true : undefined;
  });
  return { proposer, counterparty, agreementId, runId };
}
