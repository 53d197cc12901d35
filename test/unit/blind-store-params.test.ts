import { describe, expect, it } from 'vitest';
import { listBlindKeysParams, putBlindKeyParams } from '../../functions/store/partner-store.ts';
import { fixRunBlindKeysParams } from '../../functions/store/run-blind-keys-store.ts';
import type { BlindKey } from '../../shared/blind/keys.ts';

const first: BlindKey = { publicKey: 'k1', fingerprint: 'sha256:1', registeredAt: '2026-11-23T10:00:00.000Z', registeredBy: 'key_1' };
const second: BlindKey = { publicKey: 'k2', fingerprint: 'sha256:2', registeredAt: '2026-11-24T10:00:00.000Z', registeredBy: 'key_2' };

describe('blind key requests', () => {
  it('register the first key only if none is in force, with its history item, for an existing partner', () => {
    const items = putBlindKeyParams('t', 'ptn_a', first, undefined).TransactItems ?? [];
    expect(items.map((item) => Object.keys(item)[0])).toEqual(['ConditionCheck', 'Put', 'Put']);
    expect(items[0]?.ConditionCheck).toMatchObject({ Key: { pk: 'PARTNER#ptn_a', sk: 'PROFILE' }, ConditionExpression: 'attribute_exists(pk)' });
    expect(items[1]?.Put).toMatchObject({ Item: { pk: 'PARTNER#ptn_a', sk: 'BLINDKEY', entity: 'blind-key', fingerprint: 'sha256:1' }, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(items[2]?.Put?.Item).toMatchObject({ sk: 'BLINDKEY#2026-11-23T10:00:00.000Z#sha256:1', entity: 'blind-key-history' });
  });

  it('rotate only from the key read as in force, and retire it in the same transaction', () => {
    const items = putBlindKeyParams('t', 'ptn_a', second, first).TransactItems ?? [];
    expect(items[1]?.Put).toMatchObject({ ConditionExpression: 'fingerprint = :previous', ExpressionAttributeValues: { ':previous': 'sha256:1' } });
    expect(items[3]?.Update).toMatchObject({
      Key: { pk: 'PARTNER#ptn_a', sk: 'BLINDKEY#2026-11-23T10:00:00.000Z#sha256:1' },
      UpdateExpression: 'SET retiredAt = :retiredAt',
      ExpressionAttributeValues: { ':retiredAt': second.registeredAt },
    });
    expect(items[1]?.Put?.Item).not.toHaveProperty('retiredAt');
  });

  it('list the history in the partner’s partition, never the current item', () => {
    expect(listBlindKeysParams('t', 'ptn_a')).toMatchObject({ ExpressionAttributeValues: { ':pk': 'PARTNER#ptn_a', ':prefix': 'BLINDKEY#' }, ConsistentRead: true });
  });

  it('fix a run’s keys once, in the agreement’s partition', () => {
    const key = { publicKey: 'k', fingerprint: 'sha256:1', registeredAt: first.registeredAt };
    const params = fixRunBlindKeysParams('t', { agreementId: 'agr_a', runId: 'run_b', proposer: key, counterparty: key, fixedAt: second.registeredAt });
    expect(params).toMatchObject({ Item: { pk: 'AGREEMENT#agr_a', sk: 'BLINDKEYS#run_b', entity: 'run-blind-keys' }, ConditionExpression: 'attribute_not_exists(pk)' });
  });
});
