import { describe, expect, it } from 'vitest';
import { addKeyParams, listKeysParams, revokeKeyParams, signUpParams } from '../../functions/store/partner-store.ts';
import type { ApiKey, Partner } from '../../shared/partner.ts';

const partner: Partner = { id: 'ptn_aaaaaaaaaaaaaaaaaaaa', name: 'Acme', domain: 'acme.com', contactEmail: 'a@acme.com', createdAt: '2026-11-23T10:00:00.000Z' };
const adminKey: ApiKey = { id: 'key_bbbbbbbbbbbbbbbbbbbb', role: 'admin', label: 'first', prefix: 'acc_123456', createdAt: partner.createdAt };
const viewerKey: ApiKey = { ...adminKey, id: 'key_cccccccccccccccccccc', role: 'viewer' };

describe('partner store requests', () => {
  it('signs up atomically: partner, domain claim, key and key lookup, each only if new', () => {
    const items = signUpParams('t', partner, adminKey, 'hash1').TransactItems ?? [];
    expect(items.map((item) => String(item.Put?.Item?.pk))).toEqual(['PARTNER#ptn_aaaaaaaaaaaaaaaaaaaa', 'DOMAIN#acme.com', 'PARTNER#ptn_aaaaaaaaaaaaaaaaaaaa', 'APIKEY#hash1']);
    for (const item of items) expect(item.Put?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(items[0]?.Put?.Item).toMatchObject({ activeAdminKeys: 1, version: 1 });
  });

  it('counts admin keys when adding them, not other roles', () => {
    const admin = addKeyParams('t', partner.id, adminKey, 'h').TransactItems?.at(-1)?.Update;
    const viewer = addKeyParams('t', partner.id, viewerKey, 'h').TransactItems?.at(-1)?.Update;
    expect(admin?.UpdateExpression).toContain('activeAdminKeys = activeAdminKeys + :one');
    expect(viewer?.UpdateExpression).not.toContain('activeAdminKeys');
    expect(viewer?.ConditionExpression).toBe('attribute_exists(pk)');
  });

  it('revokes an admin key only while another admin key stays active', () => {
    const admin = revokeKeyParams('t', partner.id, adminKey, 'h', '2026-11-23T11:00:00.000Z').TransactItems ?? [];
    expect(admin[0]?.Update?.ConditionExpression).toContain('attribute_not_exists(revokedAt)');
    expect(admin[1]?.Delete?.Key).toEqual({ pk: 'APIKEY#h', sk: 'APIKEY' });
    expect(admin[2]?.Update?.ConditionExpression).toBe('activeAdminKeys > :one');
    expect(revokeKeyParams('t', partner.id, viewerKey, 'h', 'x').TransactItems).toHaveLength(2);
  });

  it("lists keys from the partner's own partition only", () => {
    const params = listKeysParams('t', partner.id);
    expect(params.KeyConditionExpression).toBe('pk = :pk AND begins_with(sk, :prefix)');
    expect(params.ExpressionAttributeValues).toEqual({ ':pk': 'PARTNER#ptn_aaaaaaaaaaaaaaaaaaaa', ':prefix': 'KEY#' });
  });
});
