/**
 * One whole engagement, driven through the API by a client that survives
 * crashes: propose, both approve, both upload, matching, both approve the
 * results, then a referral on a released match is accepted, becomes an
 * opportunity and is won, which books the revenue-share ledger. Every step
 * waits for what it needs and accepts the outcome of a retried command whose
 * first attempt had already taken effect before the crash.
 */
import type { RetryingClient } from './harness.ts';

export const TERMS = {
  incentives: { currency: 'USD', referralFeeBps: 1000, revenueShareBps: 500, attributionWindowDays: 180, capMinorUnits: 100_000 },
};

export const PROPOSER_CSV = ['Account Name,Website,Type', 'Initech,initech.com,Customer', 'Hooli,hooli.com,Customer', 'Umbrella,umbrella-corp.com,Prospect', 'Acme Only,acme-only.example,Customer', ''].join('\r\n');
export const COUNTERPARTY_CSV = ['Company,Domain,Stage', 'Initech Inc.,www.initech.com,Prospect', 'Hooli,hooli.com,Customer', 'Umbrella Corporation,umbrella-corp.com,Prospect', 'Globex Only,globex-only.example,Customer', ''].join('\r\n');

export interface Partner {
  id: string;
  key: string;
}

export interface Engagement {
  agreementId: string;
  runId: string;
  referralId: string;
}

interface AgreementView {
  id: string;
  status: string;
  currentRunId?: string;
  terms: { hash: string };
  approvals?: Record<string, unknown>;
}

export async function signUp(client: RetryingClient, name: string, webhookUrl: string): Promise<Partner> {
  const domain = `${name.toLowerCase()}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.com`;
  const created = await client.call<{ partner: { id: string }; apiKey: string }>('POST', '/v1/partners', undefined, { name, domain, contactEmail: `partners@${domain}` });
  if (created.status !== 201) throw new Error(`sign-up answered ${created.status}: ${JSON.stringify(created.body)}`);
  const partner = { id: created.body.partner.id, key: created.body.apiKey };
  const hook = await client.call('PUT', '/v1/partners/me/webhook', partner.key, { url: `${webhookUrl}/hooks/${partner.id}` });
  if (hook.status !== 201) throw new Error(`webhook answered ${hook.status}: ${JSON.stringify(hook.body)}`);
  return partner;
}

function expectStatus(step: string, answer: { status: number; body: unknown; retried: boolean }, ok: number, alsoAfterRetry: readonly number[] = []): void {
  if (answer.status === ok || (answer.retried && alsoAfterRetry.includes(answer.status))) return;
  throw new Error(`${step}: answered ${answer.status}${answer.retried ? ' (retried after a crash)' : ''}: ${JSON.stringify(answer.body)}`);
}

async function contribute(client: RetryingClient, who: Partner, agreementId: string, runId: string, csv: string): Promise<void> {
  const contributions = `/v1/agreements/${agreementId}/runs/${runId}/contributions`;
  const slot = await client.call<{ contribution: { id: string }; upload: { url: string; fields: Record<string, string> } }>('POST', contributions, who.key, {});
  expectStatus('upload slot', slot, 201);
  await client.upload(slot.body.upload.url, slot.body.upload.fields, csv);
  const status = await client.until(`contribution ${slot.body.contribution.id} to be validated`, async () => {
    const listed = await client.call<{ contributions: { id: string; status: string }[] }>('GET', contributions, who.key);
    const found = listed.body.contributions.find((contribution) => contribution.id === slot.body.contribution.id);
    return found && found.status !== 'awaiting_upload' && found.status !== 'validating' ? found.status : undefined;
  });
  if (status !== 'accepted') throw new Error(`contribution ${slot.body.contribution.id} ended ${status}`);
}

export async function runEngagement(client: RetryingClient, proposer: Partner, counterparty: Partner): Promise<Engagement> {
  const proposed = await client.call<AgreementView>('POST', '/v1/agreements', proposer.key, { counterpartyId: counterparty.id, terms: TERMS });
  expectStatus('propose', proposed, 201);
  const agreementId = proposed.body.id;
  const at = `/v1/agreements/${agreementId}`;
  for (const party of [proposer, counterparty]) {
    // Approving again changes nothing: a retry answers 200 whatever the first attempt did.
    expectStatus('approve terms', await client.call('POST', `${at}/approvals`, party.key, { termsHash: proposed.body.terms.hash }), 200);
  }
  const runId = await client.until('the run to open', async () => (await client.call<AgreementView>('GET', at, proposer.key)).body.currentRunId);
  await contribute(client, proposer, agreementId, runId, PROPOSER_CSV);
  await contribute(client, counterparty, agreementId, runId, COUNTERPARTY_CSV);
  let lastSeen = '';
  const resultHash = await client.until(`the results of ${agreementId} to await approval`, async () => {
    const preview = await client.call<{ resultHash: string; status: string }>('GET', `${at}/runs/${runId}/results/preview`, proposer.key);
    if (preview.status === 200 && preview.body.status === 'awaiting_approval') return preview.body.resultHash;
    // Named in the error if this never comes: what the run and the agreement were last seen as.
    const [run, agreement] = [await client.call('GET', `${at}/runs/${runId}`, proposer.key), await client.call<AgreementView>('GET', at, proposer.key)];
    lastSeen = `agreement ${agreement.body.status}; run ${JSON.stringify(run.body)}`;
    return undefined;
  }).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\nlast seen: ${lastSeen}`);
  });
  for (const party of [proposer, counterparty]) {
    // A retry after both approved finds the results released: 409 is then the answer, and the state is what was asked.
    expectStatus('approve results', await client.call('POST', `${at}/runs/${runId}/results/approvals`, party.key, { resultHash }), 200, [409]);
  }
  const matches = await client.until('the results to be released', async () => {
    const results = await client.call<{ matches: { matchId: string; theirs: { domain?: string }[] }[] }>('GET', `${at}/runs/${runId}/results`, proposer.key);
    return results.status === 200 ? results.body.matches : undefined;
  });
  const initech = matches.find((match) => match.theirs.some((account) => account.domain === 'initech.com'));
  if (!initech) throw new Error(`no visible Initech match: ${JSON.stringify(matches)}`);

  const referrals = `${at}/referrals`;
  const registered = await client.call<{ id: string }>('POST', referrals, proposer.key, { runId, matchId: initech.matchId, introducer: 'proposer', note: 'intro call' });
  let referralId: string;
  if (registered.status === 201) {
    referralId = registered.body.id;
  } else {
    // Registered before the crash, but the answer was lost: the referral is there, once (409 for a second one).
    expectStatus('register referral', registered, 201, [409]);
    const listed = await client.call<{ referrals: { id: string; matchId: string }[] }>('GET', referrals, proposer.key);
    const found = listed.body.referrals.filter((referral) => referral.matchId === initech.matchId);
    if (found.length !== 1 || !found[0]) throw new Error(`expected one referral on ${initech.matchId}, found ${found.length}`);
    referralId = found[0].id;
  }
  const stageOf = async () => (await client.call<{ stage: string }>('GET', `${referrals}/${referralId}`, proposer.key)).body.stage;
  const step = async (action: string, body: unknown, reached: string) => {
    const answer = await client.call('POST', `${referrals}/${referralId}/${action}`, counterparty.key, body);
    if (answer.status === 200) return;
    // A retried step whose first attempt had moved the referral on is refused as a wrong stage: check it moved.
    if (answer.retried && answer.status === 409 && (await stageOf()) === reached) return;
    expectStatus(action, answer, 200);
  };
  await step('accept', undefined, 'accepted');
  await step('opportunity', { amountMinor: 250_000, currency: 'USD' }, 'opportunity');
  await step('won', { closedAt: new Date().toISOString(), amountMinor: 200_000, currency: 'USD' }, 'won');
  return { agreementId, runId, referralId };
}
