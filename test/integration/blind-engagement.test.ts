import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { s3 } from '../../functions/lib/clients.ts';
import { agreementStore } from '../../functions/lib/stores.ts';
import { ENV } from '../../infra/definitions.ts';
import { blindContributionFile } from '../../shared/blind/contribution.ts';
import { type BlindKeyPair, generateBlindKeyPair } from '../../shared/blind/keys.ts';
import { deriveRunSecret } from '../../shared/blind/secret.ts';
import { type BlindResultsPreview, type BlindResultsView, blindSeenOfMe, blindView, ownRowsOfView } from '../../shared/blind/view.ts';
import type { AccountRow } from '../../shared/contributions/validate.ts';
import { AccountTable, matchAccounts, type MatchPair, nineBox } from '../../shared/matching/matcher.ts';
import { normaliseRow } from '../../shared/matching/pipeline.ts';
import { resultsObjectKeys } from '../../shared/results-objects.ts';
import { parseTerms, type Side, type TermsInput } from '../../shared/terms.ts';
import { uniqueSignUp, until, useTestApi } from '../support/api-client.ts';
import { COUNTERPARTY_CSV, leaks, namesAndDomainsOf, PROPOSER_CSV, rowsOf, storedItemsOf, storedObjectsOf } from '../support/blind-proof.ts';

/**
 * A blind engagement on the embedded stack, driven through the HTTP API as
 * the CLI drives it (test/cli/blind-engagement.test.ts drives one through the CLI itself): each partner registers an X25519 public key, derives the
 * run's secret from its private key and the other's public key, blinds its
 * list locally and uploads tokens only; the workflow matches the tokens; each
 * side's view maps back to its own rows on its own side. Then the proof: no
 * item of the table and no object of the buckets that belongs to the
 * agreement holds a domain or a name of either list.
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
  blindKeys?: { proposer: string; counterparty: string };
  report?: { verdict: string; reason?: string; accepted: number; rejected: number };
}
interface Slot {
  contribution: Contribution;
  upload: { url: string; fields: Record<string, string> };
}
interface BlindKeys {
  fixed: boolean;
  proposer?: { publicKey: string; fingerprint: string };
  counterparty?: { publicKey: string; fingerprint: string };
}
interface Company {
  id: string;
  admin: string;
  contributor: string;
  viewer: string;
}

const api = useTestApi();

async function company(name: string): Promise<Company> {
  const signUp = await api.call<{ partner: { id: string }; apiKey: string }>('POST', '/v1/partners', { body: uniqueSignUp(name) });
  const key = async (role: string) => (await api.call<{ apiKey: string }>('POST', '/v1/partners/me/keys', { key: signUp.body.apiKey, body: { role, label: role } })).body.apiKey;
  return { id: signUp.body.partner.id, admin: signUp.body.apiKey, contributor: await key('contributor'), viewer: await key('viewer') };
}

async function registerKey(who: Company, pair: BlindKeyPair): Promise<number> {
  return (await api.call('PUT', '/v1/partners/me/blind-key', { key: who.contributor, body: { publicKey: pair.publicKey } })).status;
}

async function agree(proposer: Company, counterparty: Company, terms: TermsInput): Promise<{ agreementId: string; runId: string }> {
  const proposed = await api.call<Agreement>('POST', '/v1/agreements', { key: proposer.admin, body: { counterpartyId: counterparty.id, terms } });
  expect(proposed.status).toBe(201);
  for (const party of [proposer, counterparty]) {
    expect((await api.call('POST', `/v1/agreements/${proposed.body.id}/approvals`, { key: party.admin, body: { termsHash: proposed.body.terms.hash } })).status).toBe(200);
  }
  const agreement = await until(
    'the run to open',
    async () => {
      const current = (await api.call<Agreement>('GET', `/v1/agreements/${proposed.body.id}`, { key: proposer.viewer })).body;
      return current.currentRunId ? current : undefined;
    },
    60_000,
  );
  return { agreementId: agreement.id, runId: agreement.currentRunId ?? '' };
}

async function upload(who: Company, agreementId: string, runId: string, body: Record<string, unknown>, file: string): Promise<Contribution> {
  const slot = await api.call<Slot>('POST', `/v1/agreements/${agreementId}/runs/${runId}/contributions`, { key: who.contributor, body });
  expect(slot.status, slot.text).toBe(201);
  const form = new FormData();
  for (const [name, value] of Object.entries(slot.body.upload.fields)) form.append(name, value);
  form.append('file', new Blob([file], { type: 'text/csv' }), 'blind.csv');
  expect((await fetch(slot.body.upload.url, { method: 'POST', body: form })).status).toBeLessThan(300);
  return until(`contribution ${slot.body.contribution.id} to be validated`, async () => {
    const listed = await api.call<{ contributions: Contribution[] }>('GET', `/v1/agreements/${agreementId}/runs/${runId}/contributions`, { key: who.viewer });
    const found = listed.body.contributions.find((c) => c.id === slot.body.contribution.id);
    return found && (found.status === 'accepted' || found.status === 'rejected') ? found : undefined;
  }, 60_000);
}

/** What the CLI does for `accord contribute --blind`: keys of the run, the secret, the tokens of the local file, the upload. */
async function contributeBlind(who: Company, side: Side, privateKeyPem: string, agreementId: string, runId: string, file: string, terms: TermsInput) {
  const keys = await api.call<BlindKeys>('GET', `/v1/agreements/${agreementId}/blind-keys?runId=${runId}`, { key: who.viewer });
  expect(keys.status).toBe(200);
  const theirs = side === 'proposer' ? keys.body.counterparty : keys.body.proposer;
  const secret = deriveRunSecret({ privateKey: privateKeyPem, side, theirPublicKey: theirs?.publicKey ?? '', agreementId, runId });
  const blinded = await blindContributionFile(Readable.from([Buffer.from(file)]), {}, secret, parseTerms(terms).matching);
  expect(blinded.report.verdict).toBe('accepted');
  const contribution = await upload(who, agreementId, runId, { blindKeys: secret.keys }, blinded.csv);
  return { contribution, records: blinded.records, csv: blinded.csv };
}

const BLIND_TERMS: TermsInput = {
  matching: { mode: 'blind', fuzzyThreshold: 1, blindCountry: true },
  // Keep the uploads, so that the proof inspects them too.
  retention: { deleteUploadsAfterMatching: false },
};

describe('a blind engagement', () => {
  it('matches tokens only, gives each side its own records back, and stores no name or domain of either list', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const acmeKeys = generateBlindKeyPair();
    const globexKeys = generateBlindKeyPair();

    // Keys: registered by a contributor, again without change, refused to a viewer and when malformed.
    expect(await registerKey(acme, acmeKeys)).toBe(201);
    expect(await registerKey(acme, acmeKeys)).toBe(200);
    expect((await api.call('PUT', '/v1/partners/me/blind-key', { key: acme.viewer, body: { publicKey: acmeKeys.publicKey } })).status).toBe(403);
    const malformed = await api.call<{ error: { details: { path: string }[] } }>('PUT', '/v1/partners/me/blind-key', { key: acme.admin, body: { publicKey: 'AAAA' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details[0]?.path).toBe('publicKey');
    expect(await registerKey(globex, globexKeys)).toBe(201);

    // Blind terms must say exact names.
    const contradictory = await api.call<{ error: { details: { path: string }[] } }>('POST', '/v1/agreements', {
      key: acme.admin,
      body: { counterpartyId: globex.id, terms: { matching: { mode: 'blind' } } },
    });
    expect(contradictory.status).toBe(400);
    expect(contradictory.body.error.details.map((detail) => detail.path)).toEqual(['terms.matching.fuzzyThreshold']);

    const { agreementId, runId } = await agree(acme, globex, BLIND_TERMS);
    const keysBefore = await api.call<BlindKeys>('GET', `/v1/agreements/${agreementId}/blind-keys?runId=${runId}`, { key: globex.viewer });
    expect(keysBefore.body).toMatchObject({ fixed: false, proposer: { publicKey: acmeKeys.publicKey }, counterparty: { publicKey: globexKeys.publicKey } });
    const outsider = await company('Initech');
    expect((await api.call('GET', `/v1/agreements/${agreementId}/blind-keys`, { key: outsider.admin })).status).toBe(404);

    // Refused slots change nothing: no blindKeys, clear-only options, keys that are not the run's.
    const slotPath = `/v1/agreements/${agreementId}/runs/${runId}/contributions`;
    const refused = async (body: Record<string, unknown>) => (await api.call<{ error: { code: string } }>('POST', slotPath, { key: acme.contributor, body })).body.error.code;
    const fingerprints = { proposer: acmeKeys.fingerprint, counterparty: globexKeys.fingerprint };
    expect(await refused({})).toBe('blind_keys_required');
    expect(await refused({ blindKeys: fingerprints, defaultPopulation: 'customer' })).toBe('blind_contribution');
    expect(await refused({ blindKeys: { ...fingerprints, counterparty: acmeKeys.fingerprint } })).toBe('blind_keys_changed');
    expect((await api.call<BlindKeys>('GET', `/v1/agreements/${agreementId}/blind-keys?runId=${runId}`, { key: acme.viewer })).body.fixed).toBe(false);

    // A clear list uploaded by mistake is refused and deleted at once.
    const mistake = await upload(acme, agreementId, runId, { blindKeys: fingerprints }, PROPOSER_CSV);
    expect(mistake.status).toBe('rejected');
    expect(mistake.report?.reason).toMatch(/this agreement matches blind/);
    const mistakeKey = `contributions/${agreementId}/${runId}/${mistake.id}.csv`;
    await expect(s3.send(new HeadObjectCommand({ Bucket: process.env[ENV.uploadsBucket], Key: mistakeKey }))).rejects.toThrow();

    // The first slot fixed the run's keys: a key registered now serves later runs, not this one.
    const rotated = generateBlindKeyPair();
    expect(await registerKey(acme, rotated)).toBe(201);
    const fixedKeys = await api.call<BlindKeys>('GET', `/v1/agreements/${agreementId}/blind-keys?runId=${runId}`, { key: globex.viewer });
    expect(fixedKeys.body).toMatchObject({ fixed: true, proposer: { fingerprint: acmeKeys.fingerprint } });
    const history = await api.call<{ blindKey: { fingerprint: string }; history: { fingerprint: string; retiredAt?: string }[] }>('GET', '/v1/partners/me/blind-key', { key: acme.viewer });
    expect(history.body.blindKey.fingerprint).toBe(rotated.fingerprint);
    expect(history.body.history.map((key) => [key.fingerprint, key.retiredAt !== undefined])).toEqual([
      [acmeKeys.fingerprint, true],
      [rotated.fingerprint, false],
    ]);

    // Both sides blind their lists locally with the run's keys and upload tokens only.
    const [proposerRows, counterpartyRows] = [await rowsOf(PROPOSER_CSV), await rowsOf(COUNTERPARTY_CSV)];
    const mine = await contributeBlind(acme, 'proposer', acmeKeys.privateKeyPem, agreementId, runId, PROPOSER_CSV, BLIND_TERMS);
    const theirs = await contributeBlind(globex, 'counterparty', globexKeys.privateKeyPem, agreementId, runId, COUNTERPARTY_CSV, BLIND_TERMS);
    for (const made of [mine, theirs]) {
      expect(made.contribution.status, made.contribution.report?.reason).toBe('accepted');
      expect(made.contribution.blindKeys).toEqual(fingerprints);
    }

    const matched = await until('the blind run to be matched', async () => {
      const current = (await api.call<Agreement>('GET', `/v1/agreements/${agreementId}`, { key: acme.viewer })).body;
      return current.status === 'awaiting_release' ? current : undefined;
    }, 60_000);
    expect(matched.status).toBe('awaiting_release');

    // The 9-box is the clear matcher's with exact names, on the same rows.
    const clearTable = (rows: AccountRow[]) => AccountTable.from(rows.map(normaliseRow));
    const clear = matchAccounts(clearTable(proposerRows), clearTable(counterpartyRows), { domain: true, name: true, fuzzyThreshold: 1 });
    const run = await agreementStore().getRun(agreementId, runId);
    expect(run?.summary?.nineBox).toEqual(nineBox(clear.pairs, 'a'));
    expect(run?.summary?.pairs).toBe(clear.pairs.length);
    expect(clear.pairs.length).toBe(6);

    // The pairs hold record references; each side's view maps back to its own rows only.
    const results = await s3.send(new GetObjectCommand({ Bucket: process.env[ENV.resultsBucket], Key: run?.summary?.resultsKey }));
    const pairs = ((await results.Body?.transformToString()) ?? '')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as MatchPair);
    const terms = parseTerms(BLIND_TERMS);
    const proposerView = blindView(terms, 'proposer', pairs);
    const counterpartyView = blindView(terms, 'counterparty', pairs);
    const [proposerRowsBack, counterpartyRowsBack] = [ownRowsOfView(proposerView, mine.records), ownRowsOfView(counterpartyView, theirs.records)];
    const refsOf = (accounts: AccountRow[][] | undefined) => (accounts ?? []).map((account) => account.map((row) => row.ref).sort()).sort();
    // Quillfeather: two rows of the proposer (p-01 customer, p-07 prospect) on one domain, the counterparty's prospect.
    expect(refsOf(proposerRowsBack.customer.prospect.accounts)).toEqual([['p-01', 'p-07']]);
    // Brambleworth .de / .com: a name match, same label; Cobblewick: a name match, no domain on one side.
    expect(refsOf(proposerRowsBack.customer.opportunity.accounts)).toEqual([['p-02'], ['p-06']]);
    expect(refsOf(counterpartyRowsBack.opportunity.customer.accounts)).toEqual([['c-02'], ['c-06']]);
    expect(counterpartyRowsBack.opportunity.customer.unknown).toBeUndefined();
    expect(JSON.stringify(proposerView)).not.toContain([...theirs.records.keys()][0]);
    expect([...mine.records.keys()].some((record) => JSON.stringify(counterpartyView).includes(record))).toBe(false);

    // The results routes serve the blind views: before release the preview, then each side's released view and CSV.
    const resultsPath = `/v1/agreements/${agreementId}/runs/${runId}/results`;
    const preview = await api.call<BlindResultsPreview>('GET', `${resultsPath}/preview`, { key: acme.admin });
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body.youWillSee).toMatchObject({ mode: 'blind', side: 'proposer', status: 'awaiting_approval', cells: proposerView.cells });
    expect(preview.body.resultHash).toBe((await agreementStore().getRun(agreementId, runId))?.summary?.resultHash);
    expect(preview.body.theyWillSee).toEqual(blindSeenOfMe(terms, 'proposer', pairs));
    expect(preview.text).not.toContain([...theirs.records.keys()][0]);
    expect((await api.call<{ error: { code: string } }>('GET', resultsPath, { key: acme.viewer })).body.error.code).toBe('results_not_released');
    for (const party of [acme, globex]) {
      const approved = await api.call<{ status: string }>('POST', `${resultsPath}/approvals`, { key: party.admin, body: { resultHash: preview.body.resultHash } });
      expect(approved.status, approved.text).toBe(200);
    }
    const released = await api.call<BlindResultsView>('GET', resultsPath, { key: globex.viewer });
    expect(released.status, released.text).toBe(200);
    expect(released.body).toMatchObject({ mode: 'blind', side: 'counterparty', status: 'released', cells: counterpartyView.cells });
    expect(released.body.releasedAt).not.toBeNull();
    const csv = await api.call('GET', `${resultsPath}?format=csv`, { key: acme.viewer });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.text.split('\r\n')[0]).toBe('my_population,their_population,level,count,my_records');
    expect(csv.text).toContain(`customer,prospect,accounts,1,${proposerView.cells.customer.prospect.records?.[0]?.join(' ')}`);
    expect([...theirs.records.keys()].some((record) => csv.text.includes(record))).toBe(false);
    // There is no match to flag or refer: each side sees only its own records.
    const matchId = 'mch_00000000000000000000';
    const flagged = await api.call<{ error: { code: string } }>('POST', `${resultsPath}/flags`, { key: acme.contributor, body: { matchId, reason: 'wrong' } });
    expect([flagged.status, flagged.body.error.code]).toEqual([409, 'blind_results']);
    const referred = await api.call<{ error: { code: string } }>('POST', `/v1/agreements/${agreementId}/referrals`, { key: acme.contributor, body: { runId, matchId, introducer: 'proposer' } });
    expect([referred.status, referred.body.error.code]).toEqual([409, 'blind_results']);

    // The proof: nothing stored for the agreement or its parties holds a name or a domain of either list.
    const forbidden = await namesAndDomainsOf([PROPOSER_CSV, COUNTERPARTY_CSV]);
    expect(forbidden).toEqual(expect.arrayContaining(['quillfeather-analytics.com', 'Brambleworth Logistics GmbH', 'zephyrine biotech']));
    const items = await storedItemsOf([agreementId, acme.id, globex.id]);
    const objects = await storedObjectsOf(agreementId);
    expect(items.map((item) => item.entity)).toEqual(expect.arrayContaining(['agreement', 'run', 'contribution', 'audit-event', 'run-blind-keys', 'blind-key']));
    const resultsKeys = resultsObjectKeys({ agreementId, id: runId });
    expect(objects.map((object) => object.key)).toEqual(
      expect.arrayContaining([
        `contributions/${agreementId}/${runId}/${mine.contribution.id}.csv`,
        `contributions/${agreementId}/${runId}/${theirs.contribution.id}.csv`,
        resultsKeys.pairs,
        resultsKeys.accounts.proposer,
        resultsKeys.accounts.counterparty,
      ]),
    );
    // No row of either list is kept for display: the accounts objects of a blind run are empty.
    expect(objects.filter((object) => Object.values(resultsKeys.accounts).includes(object.key)).map((object) => object.text)).toEqual(['', '']);
    expect(objects.some((object) => object.key === mistakeKey)).toBe(false);
    expect(leaks(items, objects, forbidden)).toEqual([]);

    // The same rows in another agreement between the same partners give other tokens.
    const second = await agree(acme, globex, BLIND_TERMS);
    const again = await contributeBlind(acme, 'proposer', rotated.privateKeyPem, second.agreementId, second.runId, PROPOSER_CSV, BLIND_TERMS);
    expect(again.contribution.status).toBe('accepted');
    const tokensOf = (csv: string) => new Set(csv.split('\n').slice(1).flatMap((line) => line.split(',').slice(2)).filter(Boolean));
    const [first, other] = [tokensOf(mine.csv), tokensOf(again.csv)];
    expect(first.size).toBeGreaterThan(20);
    expect([...other].filter((token) => first.has(token))).toEqual([]);
  }, 180_000);

  it('refuses a blind slot while a party has no key, and blindKeys in a clear agreement', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const acmeKeys = generateBlindKeyPair();
    expect(await registerKey(acme, acmeKeys)).toBe(201);
    const blind = await agree(acme, globex, BLIND_TERMS);
    const keys = await api.call<BlindKeys>('GET', `/v1/agreements/${blind.agreementId}/blind-keys?runId=${blind.runId}`, { key: acme.viewer });
    expect(keys.body.proposer?.fingerprint).toBe(acmeKeys.fingerprint);
    expect(keys.body.counterparty).toBeUndefined();
    const missing = await api.call<{ error: { code: string; message: string } }>('POST', `/v1/agreements/${blind.agreementId}/runs/${blind.runId}/contributions`, {
      key: acme.contributor,
      body: { blindKeys: { proposer: acmeKeys.fingerprint, counterparty: acmeKeys.fingerprint } },
    });
    expect(missing.status).toBe(409);
    expect(missing.body.error).toMatchObject({ code: 'blind_key_missing', message: expect.stringMatching(/counterparty .* no blind key/) as string });

    const clear = await agree(acme, globex, {});
    const notBlind = await api.call<{ error: { code: string } }>('POST', `/v1/agreements/${clear.agreementId}/runs/${clear.runId}/contributions`, {
      key: acme.contributor,
      body: { blindKeys: { proposer: acmeKeys.fingerprint, counterparty: acmeKeys.fingerprint } },
    });
    expect(notBlind.status).toBe(400);
    expect(notBlind.body.error.code).toBe('not_blind');
    expect((await api.call('GET', '/v1/partners/me/blind-key', { key: globex.viewer })).status).toBe(404);
  }, 60_000);
});
