import { randomUUID } from 'node:crypto';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { deriveIdempotencyKeys, IDEMPOTENCY_TTL_SECONDS, requestFingerprint } from '../../functions/lib/idempotency.ts';
import { routeByHandler } from '../../functions/api/routes.ts';
import { keys } from '../../functions/store/table-keys.ts';
import { uniqueSignUp, useTestApi } from '../support/api-client.ts';
import { type AgreementBody, company, documentClient, partitionItems, tableName } from './support.ts';

/**
 * A client retrying a write with the same `Idempotency-Key` gets the first
 * answer again and nothing happens twice; on the embedded stack, through HTTP.
 */

// Whole engagements on the shared stack: generous under a full, parallel test run.
vi.setConfig({ testTimeout: 90_000 });

const api = useTestApi();
const PROPOSE = routeByHandler('propose-agreement');

interface ErrorBody {
  error: { code: string; message: string };
}

async function agreementsOf(key: string): Promise<AgreementBody[]> {
  return (await api.call<{ agreements: AgreementBody[] }>('GET', '/v1/agreements', { key })).body.agreements;
}

function idempotencyItems(items: Record<string, unknown>[]) {
  return items.filter((item) => item.entity === 'idempotency');
}

describe('Idempotency-Key', () => {
  it('replays the first answer, same status and body, and proposes once', async () => {
    const [acme, globex] = [await company(api, 'Acme'), await company(api, 'Globex')];
    const key = randomUUID();
    const body = { counterpartyId: globex.id, terms: {} };
    const first = await api.call<AgreementBody>('POST', '/v1/agreements', { key: acme.keys.approver, body, headers: { 'idempotency-key': key } });
    const retry = await api.call<AgreementBody>('POST', '/v1/agreements', { key: acme.keys.admin, body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.text).toBe(first.text);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await agreementsOf(acme.keys.viewer)).toHaveLength(1);
    expect(await agreementsOf(globex.keys.viewer)).toHaveLength(1);
    // The record lives in the partner's partition, for a day, and holds neither the key nor the answer in the clear.
    const [record] = idempotencyItems(await partitionItems(`PARTNER#${acme.id}`));
    expect(record).toBeDefined();
    expect(Number(record?.expiresAt) - Date.now() / 1000).toBeGreaterThan(IDEMPOTENCY_TTL_SECONDS - 60);
    expect(Number(record?.expiresAt) - Date.now() / 1000).toBeLessThanOrEqual(IDEMPOTENCY_TTL_SECONDS);
    expect(JSON.stringify(record)).not.toContain(key);
    expect(JSON.stringify(record)).not.toContain(first.body.id);
  });

  it('refuses the same key with another body with 422 idempotency_key_reused, changing nothing', async () => {
    const [acme, globex, initech] = [await company(api, 'Acme'), await company(api, 'Globex'), await company(api, 'Initech')];
    const key = randomUUID();
    const first = await api.call('POST', '/v1/agreements', { key: acme.keys.admin, body: { counterpartyId: globex.id, terms: {} }, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    const reused = await api.call<ErrorBody>('POST', '/v1/agreements', { key: acme.keys.admin, body: { counterpartyId: initech.id, terms: {} }, headers: { 'idempotency-key': key } });
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    expect(await agreementsOf(acme.keys.admin)).toHaveLength(1);
    expect(await agreementsOf(initech.keys.admin)).toHaveLength(0);
    // The same JSON with its keys in another order is the same request.
    const reordered = await api.call('POST', '/v1/agreements', { key: acme.keys.admin, rawBody: JSON.stringify({ terms: {}, counterpartyId: globex.id }), headers: { 'idempotency-key': key, 'content-type': 'application/json' } });
    expect(reordered.status).toBe(201);
    expect(reordered.headers.get('idempotent-replayed')).toBe('true');
    // Another path with the same key (an approval of another agreement) is another request too.
    const agreements = await agreementsOf(acme.keys.admin);
    const approve = (id: string, hash: string) =>
      api.call<ErrorBody>('POST', `/v1/agreements/${id}/approvals`, { key: globex.keys.admin, body: { termsHash: hash }, headers: { 'idempotency-key': `approve-${key}` } });
    const firstAgreement = agreements[0];
    if (!firstAgreement) throw new Error('no agreement');
    expect((await approve(firstAgreement.id, firstAgreement.terms.hash)).status).toBe(200);
    const other = await api.call<AgreementBody>('POST', '/v1/agreements', { key: initech.keys.admin, body: { counterpartyId: globex.id, terms: {} } });
    const elsewhere = await approve(other.body.id, other.body.terms.hash);
    expect(elsewhere.status).toBe(422);
    expect((await api.call<AgreementBody & { approvals: unknown[] }>('GET', `/v1/agreements/${other.body.id}`, { key: globex.keys.admin })).body.approvals).toEqual([]);
  });

  it('scopes keys per partner and per route', async () => {
    const [acme, globex, initech] = [await company(api, 'Acme'), await company(api, 'Globex'), await company(api, 'Initech')];
    const key = randomUUID();
    const acmeProposes = await api.call('POST', '/v1/agreements', { key: acme.keys.admin, body: { counterpartyId: initech.id, terms: {} }, headers: { 'idempotency-key': key } });
    const globexProposes = await api.call('POST', '/v1/agreements', { key: globex.keys.admin, body: { counterpartyId: initech.id, terms: {} }, headers: { 'idempotency-key': key } });
    const acmeCreatesKey = await api.call('POST', '/v1/partners/me/keys', { key: acme.keys.admin, body: { role: 'viewer', label: 'x' }, headers: { 'idempotency-key': key } });
    expect([acmeProposes.status, globexProposes.status, acmeCreatesKey.status]).toEqual([201, 201, 201]);
    for (const response of [acmeProposes, globexProposes, acmeCreatesKey]) expect(response.headers.get('idempotent-replayed')).toBeNull();
    expect(await agreementsOf(initech.keys.admin)).toHaveLength(2);
  });

  it('replays a sign-up with its API key, which the table holds only sealed', async () => {
    const key = randomUUID();
    const body = uniqueSignUp('Hooli');
    const first = await api.call<{ partner: { id: string }; apiKey: string }>('POST', '/v1/partners', { body, headers: { 'idempotency-key': key } });
    const retry = await api.call<{ partner: { id: string }; apiKey: string }>('POST', '/v1/partners', { body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.text).toBe(first.text);
    const { recordId } = deriveIdempotencyKeys(key, undefined, routeByHandler('sign-up-partner'));
    const stored = await partitionItems(keys.idempotency(undefined, recordId).pk);
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(first.body.apiKey);
    expect(JSON.stringify(stored)).not.toContain(first.body.apiKey.slice(4));
    // The replayed key works: it is the one key that was made.
    expect((await api.call('GET', '/v1/partners/me', { key: retry.body.apiKey })).status).toBe(200);
    expect((await api.call<{ keys: unknown[] }>('GET', '/v1/partners/me/keys', { key: retry.body.apiKey })).body.keys).toHaveLength(1);
  });

  it('runs a request racing its own retry once', async () => {
    const [acme, globex] = [await company(api, 'Acme'), await company(api, 'Globex')];
    const key = randomUUID();
    const body = { counterpartyId: globex.id, terms: {} };
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => api.call<AgreementBody & ErrorBody>('POST', '/v1/agreements', { key: acme.keys.admin, body, headers: { 'idempotency-key': key } })),
    );
    const created = answers.filter((answer) => answer.status === 201);
    const busy = answers.filter((answer) => answer.status === 409);
    expect(created.length + busy.length).toBe(answers.length);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((answer) => answer.body.id)).size).toBe(1);
    for (const answer of busy) expect(answer.body.error.code).toBe('idempotency_request_in_progress');
    expect(await agreementsOf(acme.keys.admin)).toHaveLength(1);
  });

  it('keeps no record of a refused request: its retry runs afresh', async () => {
    const [acme, globex] = [await company(api, 'Acme'), await company(api, 'Globex')];
    const key = randomUUID();
    const proposed = await api.call<AgreementBody>('POST', '/v1/agreements', { key: acme.keys.admin, body: { counterpartyId: globex.id, terms: {} } });
    const before = idempotencyItems(await partitionItems(`PARTNER#${globex.id}`));
    const stale = await api.call<ErrorBody>('POST', `/v1/agreements/${proposed.body.id}/approvals`, {
      key: globex.keys.admin,
      body: { termsHash: `sha256:${'0'.repeat(64)}` },
      headers: { 'idempotency-key': key },
    });
    expect(stale.status).toBe(409);
    expect(idempotencyItems(await partitionItems(`PARTNER#${globex.id}`))).toEqual(before);
    const again = await api.call<ErrorBody>('POST', `/v1/agreements/${proposed.body.id}/approvals`, {
      key: globex.keys.admin,
      body: { termsHash: `sha256:${'0'.repeat(64)}` },
      headers: { 'idempotency-key': key },
    });
    expect(again.status).toBe(409);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    // A body that fails validation is refused before any record is claimed.
    const invalid = await api.call('POST', '/v1/agreements', { key: acme.keys.admin, body: { counterpartyId: 42 }, headers: { 'idempotency-key': key } });
    expect(invalid.status).toBe(400);
    expect(idempotencyItems(await partitionItems(`PARTNER#${acme.id}`))).toEqual([]);
  });

  it('forgets a key after its day, and takes over the claim of a request that died', async () => {
    const [acme, globex] = [await company(api, 'Acme'), await company(api, 'Globex')];
    const key = randomUUID();
    const body = { counterpartyId: globex.id, terms: {} };
    const send = () => api.call<AgreementBody & ErrorBody>('POST', '/v1/agreements', { key: acme.keys.admin, body, headers: { 'idempotency-key': key } });
    const first = await send();
    expect(first.status).toBe(201);
    const { recordId } = deriveIdempotencyKeys(key, acme.id, PROPOSE);
    const recordKey = keys.idempotency(acme.id, recordId);
    // Past its TTL but not swept yet: treated as gone.
    await documentClient.send(
      new UpdateCommand({ TableName: tableName(), Key: recordKey, UpdateExpression: 'SET expiresAt = :past', ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 } }),
    );
    const afterExpiry = await send();
    expect(afterExpiry.status).toBe(201);
    expect(afterExpiry.body.id).not.toBe(first.body.id);
    // A claim whose request is still within its lease answers 409; once the lease lapsed, the retry runs.
    const fingerprint = requestFingerprint({
      body: JSON.stringify(body),
      isBase64Encoded: false,
      rawPath: '/v1/agreements',
      rawQueryString: '',
      requestContext: { http: { method: 'POST' } },
    } as APIGatewayProxyEventV2);
    const claim = (lockedUntil: number) =>
      documentClient.send(
        new PutCommand({
          TableName: tableName(),
          Item: { ...recordKey, entity: 'idempotency', status: 'in_progress', fingerprint, lockToken: 'dead', lockedUntil, expiresAt: Math.floor(Date.now() / 1000) + 3600 },
        }),
      );
    await claim(Date.now() + 60_000);
    const busy = await send();
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('idempotency_request_in_progress');
    await claim(Date.now() - 1);
    const takenOver = await send();
    expect(takenOver.status).toBe(201);
    expect(await agreementsOf(acme.keys.admin)).toHaveLength(3);
  });

  it('refuses a malformed key with 400 and ignores the header on reads', async () => {
    const acme = await company(api, 'Acme');
    for (const bad of ['short', 'x'.repeat(256), 'with spaces in it ok?', 'ünïcødé-key-1234567']) {
      const response = await api.call<ErrorBody>('POST', '/v1/partners/me/keys', { key: acme.keys.admin, body: { role: 'viewer', label: 'v' }, headers: { 'idempotency-key': bad } });
      expect({ bad, status: response.status, code: response.body.error.code }).toEqual({ bad, status: 400, code: 'invalid_idempotency_key' });
    }
    expect((await api.call<{ keys: unknown[] }>('GET', '/v1/partners/me/keys', { key: acme.keys.admin })).body.keys).toHaveLength(4);
    const quoted = `"${randomUUID()}"`;
    const read = await api.call('GET', '/v1/partners/me', { key: acme.keys.viewer, headers: { 'idempotency-key': quoted } });
    expect(read.status).toBe(200);
    expect(idempotencyItems(await partitionItems(`PARTNER#${acme.id}`))).toEqual([]);
  });
});
