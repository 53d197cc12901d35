import { describe, expect, it, vi } from 'vitest';
import { ENV } from '../../infra/definitions.ts';
import { contributionObjectKey, maxUploadBytes, UPLOAD_SLOT_SECONDS } from '../../shared/contributions/contribution.ts';
import { useTestApi } from '../support/api-client.ts';
import { company, openRun } from '../reliability/support.ts';

/**
 * An upload slot is a presigned S3 POST whose policy allows exactly one
 * object key, one size range and a short expiry. s3rver does not enforce
 * POST policies (real S3 does), so the policy document itself is checked.
 */

// Whole engagements on the shared stack: generous under a full, parallel test run.
vi.setConfig({ testTimeout: 90_000 });

const api = useTestApi();

interface Slot {
  contribution: { id: string; agreementId: string; runId: string; partnerId: string; side: 'proposer' | 'counterparty' };
  upload: { url: string; fields: Record<string, string>; expiresAt: string; maxBytes: number };
}

type Condition = Record<string, string> | [string, string, string] | [string, number, number];

describe('upload slots', () => {
  it('sign a policy for one key, one size range and fifteen minutes', async () => {
    const [acme, globex] = [await company(api, 'Acme'), await company(api, 'Globex')];
    const agreement = await openRun(api, acme, globex);
    const asked = Date.now();
    const response = await api.call<Slot>('POST', `/v1/agreements/${agreement.id}/runs/${agreement.currentRunId}/contributions`, { key: acme.keys.contributor, body: {} });
    expect(response.status).toBe(201);
    const { contribution, upload } = response.body;
    const objectKey = contributionObjectKey(contribution);
    expect(upload.fields.key).toBe(objectKey);
    expect(objectKey).toContain(contribution.id);

    const policy = JSON.parse(Buffer.from(upload.fields.Policy ?? '', 'base64').toString('utf8')) as { expiration: string; conditions: Condition[] };
    const expiresInSeconds = (Date.parse(policy.expiration) - asked) / 1000;
    expect(expiresInSeconds).toBeGreaterThan(UPLOAD_SLOT_SECONDS - 60);
    expect(expiresInSeconds).toBeLessThanOrEqual(UPLOAD_SLOT_SECONDS + 5);
    expect(UPLOAD_SLOT_SECONDS).toBeLessThanOrEqual(15 * 60);
    expect(Math.abs(Date.parse(upload.expiresAt) - Date.parse(policy.expiration))).toBeLessThan(5_000);

    const keyConditions = policy.conditions.filter((condition) => (Array.isArray(condition) ? condition[1] === '$key' : 'key' in condition));
    expect(keyConditions).toEqual([{ key: objectKey }]);
    // No other condition loosens the key or names another bucket.
    expect(policy.conditions.filter((condition) => Array.isArray(condition) && condition[0] === 'starts-with')).toEqual([]);
    expect(policy.conditions).toContainEqual({ bucket: process.env[ENV.uploadsBucket] });
    expect(policy.conditions).toContainEqual(['content-length-range', 1, maxUploadBytes()]);
    expect(upload.maxBytes).toBe(maxUploadBytes());
  });
});
