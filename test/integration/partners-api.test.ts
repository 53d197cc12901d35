import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../infra/definitions.ts';
import { ROUTES } from '../../functions/api/routes.ts';
import { type ApiClient, uniqueSignUp, useTestApi } from '../support/api-client.ts';

interface ErrorBody {
  error: { code: string; message: string; details: { path: string; message: string }[] };
}
interface KeyBody {
  id: string;
  role: string;
  label: string;
  prefix: string;
  createdAt: string;
  revokedAt?: string;
}
interface SignUpBody {
  partner: { id: string; name: string; domain: string; contactEmail: string; createdAt: string };
  key: KeyBody;
  apiKey: string;
}

const api = useTestApi();

async function signUp(name = 'Acme') {
  const request = uniqueSignUp(name);
  const response = await api.call<SignUpBody>('POST', '/v1/partners', { body: request });
  expect(response.status).toBe(201);
  return { request, ...response.body };
}

/** Everything a partner can read about itself: what must not change after a refused request. */
async function snapshot(adminKey: string) {
  const me = await api.call('GET', '/v1/partners/me', { key: adminKey });
  const keys = await api.call('GET', '/v1/partners/me/keys', { key: adminKey });
  return { me: me.body, keys: keys.body };
}

function expectError(response: { status: number; body: unknown }, status: number, code: string, message?: RegExp) {
  expect(response.status).toBe(status);
  const body = response.body as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(Array.isArray(body.error.details)).toBe(true);
  if (message) expect(body.error.message).toMatch(message);
}

describe('partner sign-up', () => {
  it('creates the partner and answers its first admin key once', async () => {
    const { request, partner, key, apiKey } = await signUp('Globex Corp');
    expect(partner).toMatchObject({ name: 'Globex Corp', domain: request.domain, contactEmail: request.contactEmail });
    expect(partner.id).toMatch(/^ptn_[0-9a-z]{20}$/);
    expect(partner.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(apiKey).toMatch(/^acc_[0-9a-z]{40}$/);
    expect(key).toMatchObject({ role: 'admin', prefix: apiKey.slice(0, 10) });

    const me = await api.call('GET', '/v1/partners/me', { key: apiKey });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(partner);
  });

  it('reduces a URL or subdomain to the registrable domain', async () => {
    const request = uniqueSignUp('Initech');
    const response = await api.call<SignUpBody>('POST', '/v1/partners', {
      body: { ...request, domain: `https://www.${request.domain.toUpperCase()}/about` },
    });
    expect(response.status).toBe(201);
    expect(response.body.partner.domain).toBe(request.domain);
  });

  it('refuses a second partner with the same domain with 409 and keeps the first', async () => {
    const first = await signUp('Umbrella');
    const again = await api.call('POST', '/v1/partners', {
      body: { name: 'Impostor', domain: `app.${first.request.domain}`, contactEmail: 'x@example.org' },
    });
    expectError(again, 409, 'domain_taken', new RegExp(first.request.domain.replace(/\./g, '\\.')));
    expect((await api.call('GET', '/v1/partners/me', { key: first.apiKey })).body).toEqual(first.partner);
  });

  it('stores no raw key: only its hash', async () => {
    const { partner, apiKey } = await signUp('Hooli');
    const table = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const { Items } = await table.send(
      new QueryCommand({
        TableName: process.env[ENV.tableName],
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `PARTNER#${partner.id}` },
      }),
    );
    expect(Items?.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(Items)).not.toContain(apiKey);
    expect(JSON.stringify(Items)).not.toContain(apiKey.slice(10));
  });
});

describe('bad input to sign-up is refused and stores nothing', () => {
  const cases: { name: string; send: (domain: string) => Parameters<ApiClient['call']>[2]; status: number; code: string; message: RegExp; path?: string }[] = [
    {
      name: 'malformed JSON',
      send: (domain) => ({ rawBody: `{"name": "Acme", "domain": "${domain}",`, headers: { 'content-type': 'application/json' } }),
      status: 400,
      code: 'invalid_json',
      message: /not valid JSON/,
    },
    { name: 'a missing field', send: (domain) => ({ body: { domain, contactEmail: `a@${domain}` } }), status: 400, code: 'validation_failed', message: /name: is required/, path: 'name' },
    {
      name: 'an extra field',
      send: (domain) => ({ body: { name: 'Acme', domain, contactEmail: `a@${domain}`, plan: 'gold' } }),
      status: 400,
      code: 'validation_failed',
      message: /plan/,
    },
    { name: 'a bad e-mail', send: (domain) => ({ body: { name: 'Acme', domain, contactEmail: 'not-an-email' } }), status: 400, code: 'validation_failed', message: /contactEmail: must be an e-mail address/, path: 'contactEmail' },
    { name: 'a domain that is only a public suffix', send: () => ({ body: { name: 'Acme', domain: 'co.uk', contactEmail: 'a@example.com' } }), status: 400, code: 'validation_failed', message: /not a registrable domain/, path: 'domain' },
    { name: 'an empty name', send: (domain) => ({ body: { name: '  ', domain, contactEmail: `a@${domain}` } }), status: 400, code: 'validation_failed', message: /name: must not be empty/, path: 'name' },
    { name: 'no body', send: () => ({ headers: { 'content-type': 'application/json' } }), status: 400, code: 'body_required', message: /JSON body is required/ },
    { name: 'a JSON array instead of an object', send: () => ({ body: [] }), status: 400, code: 'validation_failed', message: /must be object, not array/ },
    { name: 'a body that is not JSON', send: (domain) => ({ rawBody: `name=Acme&domain=${domain}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), status: 415, code: 'unsupported_media_type', message: /Content-Type: application\/json/ },
    {
      name: 'a 2 MiB body',
      send: (domain) => ({ body: { name: 'x'.repeat(2 * 1024 * 1024), domain, contactEmail: `a@${domain}` } }),
      status: 413,
      code: 'payload_too_large',
      message: /limit is 1048576/,
    },
  ];

  for (const testCase of cases) {
    it(`answers ${testCase.status} for ${testCase.name}`, async () => {
      const request = uniqueSignUp('Bad Input');
      const response = await api.call('POST', '/v1/partners', testCase.send(request.domain));
      expectError(response, testCase.status, testCase.code, testCase.message);
      if (testCase.path) expect((response.body as unknown as ErrorBody).error.details.map((d) => d.path)).toContain(testCase.path);
      // Nothing was stored: the same domain can still sign up.
      expect((await api.call('POST', '/v1/partners', { body: request })).status).toBe(201);
    });
  }
});

describe('routing', () => {
  it('answers 405 with Allow for a wrong method', async () => {
    const response = await api.call('PUT', '/v1/partners');
    expectError(response, 405, 'method_not_allowed', /use POST/);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('answers 404 for an unknown path', async () => {
    expectError(await api.call('GET', '/v1/nothing-here'), 404, 'not_found', /openapi\.json/);
  });

  it('serves /health and an OpenAPI document listing every route', async () => {
    const health = await api.call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok' });
    const openapi = await api.call<{ openapi: string; paths: Record<string, Record<string, unknown>> }>('GET', '/v1/openapi.json');
    expect(openapi.status).toBe(200);
    expect(openapi.body.openapi).toBe('3.1.0');
    for (const route of ROUTES) expect(openapi.body.paths[route.path]?.[route.method.toLowerCase()]).toBeDefined();
  });
});

describe('keys and roles', () => {
  it('refuses requests with no key, a malformed key, or an unknown key with 401', async () => {
    expectError(await api.call('GET', '/v1/partners/me'), 401, 'unauthenticated', /Authorization: Bearer/);
    expectError(await api.call('GET', '/v1/partners/me', { key: 'not-a-key' }), 401, 'unauthenticated', /unknown or has been revoked/);
    expectError(await api.call('GET', '/v1/partners/me', { key: `acc_${'0'.repeat(40)}` }), 401, 'unauthenticated');
    expectError(await api.call('GET', '/v1/partners/me', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 401, 'unauthenticated');
  });

  it('lets an admin create a key for each role, listed without secrets', async () => {
    const { apiKey } = await signUp('Stark');
    const created: Record<string, string> = {};
    for (const role of ['admin', 'approver', 'contributor', 'viewer']) {
      const response = await api.call<{ key: KeyBody; apiKey: string }>('POST', '/v1/partners/me/keys', { key: apiKey, body: { role, label: `${role} key` } });
      expect(response.status).toBe(201);
      expect(response.body.key).toMatchObject({ role, label: `${role} key` });
      created[role] = response.body.apiKey;
      const me = await api.call('GET', '/v1/partners/me', { key: response.body.apiKey });
      expect(me.status).toBe(200);
    }
    const list = await api.call<{ keys: KeyBody[] }>('GET', '/v1/partners/me/keys', { key: apiKey });
    expect(list.status).toBe(200);
    expect(list.body.keys).toHaveLength(5);
    expect(list.text).not.toMatch(/acc_[0-9a-z]{40}/);
    expect(list.text).not.toContain('keyHash');
    for (const secret of Object.values(created)) expect(list.text).not.toContain(secret);
  });

  it('refuses a viewer creating a key with 403 and changes nothing', async () => {
    const { apiKey } = await signUp('Wayne');
    const viewer = await api.call<{ apiKey: string }>('POST', '/v1/partners/me/keys', { key: apiKey, body: { role: 'viewer', label: 'read only' } });
    const before = await snapshot(apiKey);
    const response = await api.call('POST', '/v1/partners/me/keys', { key: viewer.body.apiKey, body: { role: 'admin', label: 'escalate' } });
    expectError(response, 403, 'forbidden', /role admin; yours has the role viewer/);
    expect(await snapshot(apiKey)).toEqual(before);
  });

  it('refuses a bad key request with 400 and changes nothing', async () => {
    const { apiKey } = await signUp('Tyrell');
    const before = await snapshot(apiKey);
    const response = await api.call('POST', '/v1/partners/me/keys', { key: apiKey, body: { role: 'owner', label: 'x' } });
    expectError(response, 400, 'validation_failed', /role/);
    expect((response.body as unknown as ErrorBody).error.details[0]?.path).toBe('role');
    expect(await snapshot(apiKey)).toEqual(before);
  });

  it('refuses a revoked key with 401 from the next request on', async () => {
    const { apiKey } = await signUp('Cyberdyne');
    const contributor = await api.call<{ key: KeyBody; apiKey: string }>('POST', '/v1/partners/me/keys', { key: apiKey, body: { role: 'contributor', label: 'uploads' } });
    expect((await api.call('GET', '/v1/partners/me', { key: contributor.body.apiKey })).status).toBe(200);

    const revoked = await api.call<{ key: KeyBody }>('DELETE', `/v1/partners/me/keys/${contributor.body.key.id}`, { key: apiKey });
    expect(revoked.status).toBe(200);
    expect(revoked.body.key.revokedAt).toBeDefined();
    expectError(await api.call('GET', '/v1/partners/me', { key: contributor.body.apiKey }), 401, 'unauthenticated', /revoked/);

    // Revoking again is harmless and answers the same key.
    const again = await api.call<{ key: KeyBody }>('DELETE', `/v1/partners/me/keys/${contributor.body.key.id}`, { key: apiKey });
    expect(again.status).toBe(200);
    expect(again.body.key.revokedAt).toBe(revoked.body.key.revokedAt);
    const list = await api.call<{ keys: KeyBody[] }>('GET', '/v1/partners/me/keys', { key: apiKey });
    expect(list.body.keys.find((k) => k.id === contributor.body.key.id)?.revokedAt).toBe(revoked.body.key.revokedAt);
  });

  it('refuses to revoke the last active admin key with 409', async () => {
    const { apiKey, key } = await signUp('Soylent');
    const before = await snapshot(apiKey);
    expectError(await api.call('DELETE', `/v1/partners/me/keys/${key.id}`, { key: apiKey }), 409, 'last_admin_key', /create another admin key/);
    expect(await snapshot(apiKey)).toEqual(before);

    const second = await api.call<{ apiKey: string }>('POST', '/v1/partners/me/keys', { key: apiKey, body: { role: 'admin', label: 'backup admin' } });
    expect((await api.call('DELETE', `/v1/partners/me/keys/${key.id}`, { key: second.body.apiKey })).status).toBe(200);
    expect((await api.call('GET', '/v1/partners/me', { key: apiKey })).status).toBe(401);
  });

  it("never reaches another partner's keys", async () => {
    const mine = await signUp('Oscorp');
    const theirs = await signUp('Aperture');
    const before = await snapshot(theirs.apiKey);
    expectError(await api.call('DELETE', `/v1/partners/me/keys/${theirs.key.id}`, { key: mine.apiKey }), 404, 'not_found');
    expectError(await api.call('DELETE', '/v1/partners/me/keys/nonsense', { key: mine.apiKey }), 404, 'not_found');
    expect(await snapshot(theirs.apiKey)).toEqual(before);
    const myKeys = await api.call<{ keys: KeyBody[] }>('GET', '/v1/partners/me/keys', { key: mine.apiKey });
    expect(myKeys.body.keys.map((k) => k.id)).toEqual([mine.key.id]);
  });
});
