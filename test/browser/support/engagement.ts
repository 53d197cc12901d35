import { type ApiClient, signUpWithKeys, until } from '../../support/api-client.ts';

/**
 * The API calls the browser tests need to set a scene (companies, keys,
 * agreements, contributions): what the partners' other tools would do while
 * an approver works in the console.
 */

export interface Company {
  id: string;
  name: string;
  admin: string;
  approver: string;
  contributor: string;
  viewer: string;
}

export interface AgreementBody {
  id: string;
  status: string;
  currentRunId?: string;
  terms: { version: number; hash: string };
}

export async function signUpCompany(api: ApiClient, name: string): Promise<Company> {
  const partner = await signUpWithKeys(api, name);
  return { id: partner.id, name, ...partner.keys };
}

export { until };

export async function agreementOf(api: ApiClient, key: string, agreementId: string): Promise<AgreementBody> {
  return (await api.call<AgreementBody>('GET', `/v1/agreements/${agreementId}`, { key })).body;
}

/** Uploads `csv` through an upload slot and waits for its validation; answers the contribution's status. */
export async function contribute(api: ApiClient, who: Company, agreementId: string, runId: string, csv: string): Promise<string> {
  const slot = await api.call<{ contribution: { id: string }; upload: { url: string; fields: Record<string, string> } }>(
    'POST',
    `/v1/agreements/${agreementId}/runs/${runId}/contributions`,
    { key: who.contributor, body: { filename: 'accounts.csv' } },
  );
  if (slot.status !== 201) throw new Error(`no upload slot: ${slot.status} ${slot.text}`);
  const form = new FormData();
  for (const [name, value] of Object.entries(slot.body.upload.fields)) form.append(name, value);
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'accounts.csv');
  const uploaded = await fetch(slot.body.upload.url, { method: 'POST', body: form });
  if (uploaded.status >= 300) throw new Error(`upload failed: ${uploaded.status}`);
  return until(`contribution ${slot.body.contribution.id} to be validated`, async () => {
    const listed = await api.call<{ contributions: { id: string; status: string }[] }>('GET', `/v1/agreements/${agreementId}/runs/${runId}/contributions`, {
      key: who.contributor,
    });
    const found = listed.body.contributions.find((c) => c.id === slot.body.contribution.id);
    return found && (found.status === 'accepted' || found.status === 'rejected') ? found.status : undefined;
  });
}
