import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { routeByHandler } from '../../functions/api/routes.ts';
import { deriveIdempotencyKeys, idempotencyKeyOf, openResponse, requestFingerprint, sealResponse } from '../../functions/lib/idempotency.ts';
import { claimParams, completeParams, releaseParams } from '../../functions/store/idempotency-store.ts';

/** The pure parts of idempotent retries: no network. */

const PROPOSE = routeByHandler('propose-agreement');
const CREATE_KEY = routeByHandler('create-key');

function event(method: string, path: string, body?: string, headers: Record<string, string> = {}, query = ''): APIGatewayProxyEventV2 {
  return { headers, body, isBase64Encoded: false, rawPath: path, rawQueryString: query, requestContext: { http: { method } } } as unknown as APIGatewayProxyEventV2;
}

describe('idempotency keys', () => {
  it('derive a record id and a sealing key that differ per partner and route, and reveal nothing of the key', () => {
    const key = 'b5a3f2a0-7c1e-4f55-9d3e-1f2a3b4c5d6e';
    const a = deriveIdempotencyKeys(key, 'ptn_a', PROPOSE);
    expect(deriveIdempotencyKeys(key, 'ptn_a', PROPOSE)).toEqual(a);
    const others = [deriveIdempotencyKeys(key, 'ptn_b', PROPOSE), deriveIdempotencyKeys(key, 'ptn_a', CREATE_KEY), deriveIdempotencyKeys(key, undefined, PROPOSE)];
    for (const other of others) {
      expect(other.recordId).not.toBe(a.recordId);
      expect(other.sealKey.equals(a.sealKey)).toBe(false);
    }
    expect(a.recordId).toMatch(/^[0-9a-f]{64}$/);
    expect(a.recordId).not.toContain(a.sealKey.toString('hex'));
  });

  it('read the header, quoted or not, and refuse malformed ones', () => {
    expect(idempotencyKeyOf(event('POST', '/x'))).toBeUndefined();
    expect(idempotencyKeyOf(event('POST', '/x', undefined, { 'idempotency-key': '"0123456789abcdef"' }))).toBe('0123456789abcdef');
    expect(idempotencyKeyOf(event('POST', '/x', undefined, { 'idempotency-key': ' 0123456789abcdef ' }))).toBe('0123456789abcdef');
    for (const bad of ['', 'short', 'a'.repeat(256), 'has a space in it.', 'tab\tinside-1234567']) {
      expect(() => idempotencyKeyOf(event('POST', '/x', undefined, { 'idempotency-key': bad })), bad).toThrow(/Idempotency-Key/);
    }
  });

  it('fingerprint method, path, query and the canonical body', () => {
    const base = requestFingerprint(event('POST', '/v1/agreements', '{"a":1,"b":[1,2]}'));
    expect(requestFingerprint(event('POST', '/v1/agreements', '{ "b": [1, 2], "a": 1 }'))).toBe(base);
    expect(requestFingerprint(event('POST', '/v1/agreements', '{"a":1,"b":[2,1]}'))).not.toBe(base);
    expect(requestFingerprint(event('PUT', '/v1/agreements', '{"a":1,"b":[1,2]}'))).not.toBe(base);
    expect(requestFingerprint(event('POST', '/v1/agreements/x', '{"a":1,"b":[1,2]}'))).not.toBe(base);
    expect(requestFingerprint(event('POST', '/v1/agreements', '{"a":1,"b":[1,2]}', {}, 'q=1'))).not.toBe(base);
    // Not JSON: byte for byte.
    expect(requestFingerprint(event('POST', '/v1/agreements', 'not json'))).not.toBe(requestFingerprint(event('POST', '/v1/agreements', 'not  json')));
  });

  it('seal an answer so that only the same key opens it, and a tampered one does not open', () => {
    const { sealKey } = deriveIdempotencyKeys('0123456789abcdef', 'ptn_a', PROPOSE);
    const answer = { statusCode: 201, headers: { 'content-type': 'application/json' }, body: '{"apiKey":"acc_secret"}' };
    const sealed = sealResponse(answer, sealKey);
    expect(JSON.stringify(sealed)).not.toContain('acc_secret');
    expect(openResponse(sealed, sealKey)).toEqual(answer);
    const other = deriveIdempotencyKeys('0123456789abcdeg', 'ptn_a', PROPOSE).sealKey;
    expect(() => openResponse(sealed, other)).toThrow();
    const data = Buffer.from(sealed.data, 'base64');
    data[0] = (data[0] ?? 0) ^ 1;
    expect(() => openResponse({ ...sealed, data: data.toString('base64') }, sealKey)).toThrow();
  });
});

describe('idempotency record requests', () => {
  const key = { partnerId: 'ptn_a', recordId: 'f'.repeat(64) };
  const now = new Date('2026-11-23T12:00:00.000Z');

  it('claim a record only when absent, expired, or held by a request whose lease lapsed', () => {
    const params = claimParams('t', { key, fingerprint: 'fp', lockToken: 'lock', now, leaseMs: 60_000, ttlSeconds: 86_400 });
    expect(params.Item).toMatchObject({
      pk: 'PARTNER#ptn_a',
      sk: `IDEMPOTENCY#${'f'.repeat(64)}`,
      entity: 'idempotency',
      status: 'in_progress',
      lockedUntil: now.getTime() + 60_000,
      expiresAt: now.getTime() / 1000 + 86_400,
    });
    expect(params.ConditionExpression).toBe('attribute_not_exists(pk) OR expiresAt < :nowSeconds OR (#status = :inProgress AND lockedUntil < :nowMs)');
    expect(params.ExpressionAttributeValues).toEqual({ ':nowSeconds': now.getTime() / 1000, ':nowMs': now.getTime(), ':inProgress': 'in_progress' });
  });

  it('complete and release only under the claim that holds the record', () => {
    expect(completeParams('t', key, 'lock', { iv: 'i', tag: 't', data: 'd' })).toMatchObject({
      ConditionExpression: 'lockToken = :token',
      ExpressionAttributeValues: { ':token': 'lock', ':completed': 'completed' },
    });
    expect(releaseParams('t', key, 'lock')).toMatchObject({ ConditionExpression: 'lockToken = :token AND #status = :inProgress' });
    expect(releaseParams('t', { partnerId: undefined, recordId: 'ab' }, 'lock').Key).toEqual({ pk: 'IDEMPOTENCY#ab', sk: 'IDEMPOTENCY#ab' });
  });
});
