import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, type QueryCommandInput, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../../shared/audit-chain.ts';
import { ConflictError } from '../../shared/errors.ts';
import { type LedgerEntry, LedgerEntrySchema } from '../../shared/ledger.ts';
import { type Referral, ReferralSchema } from '../../shared/referral.ts';
import type { AuditHead, TransactItem } from './agreement-store.ts';
import { ENTITY, keys } from './table-keys.ts';
import { queryAll } from './query-all.ts';

/**
 * Referrals and the revenue-share ledger of an agreement, in the agreement's
 * partition. A referral change is one transaction: the referral, written only
 * over the version it was computed from; its audit event on the agreement's
 * chain, with the chain's head on the agreement item moved only if it is the
 * head that was read (the agreement's own version is left alone: a referral
 * does not change the agreement); the marker that keeps one open referral per
 * match and direction; the ledger entries it books (never overwritten); and
 * the notifications. A change computed from a stale read loses with
 * StaleReferralError and is decided again.
 */

/** A concurrent change won (to the referral or to the agreement's audit chain): re-read and decide again. */
export class StaleReferralError extends ConflictError {}

export interface ReferralChange {
  agreementId: string;
  referral: Referral;
  /** The referral version the change was computed from; undefined when it creates the referral. */
  expectedVersion: number | undefined;
  /** The audit chain's head that was read, and the event appended to it. */
  auditHead: AuditHead;
  event: AuditEvent;
  /** `open`: the referral is new (fails if another is open on the match and direction); `close`: it left the open stages. */
  openMarker?: 'open' | 'close';
  entries: readonly LedgerEntry[];
  extraItems?: readonly TransactItem[];
}

// ---- request builders: pure, unit-testable without a database ----

export function referralItem(referral: Referral): Record<string, unknown> {
  return { ...keys.referral(referral.agreementId, referral.id), entity: ENTITY.referral, ...referral };
}

export function ledgerEntryItem(entry: LedgerEntry): Record<string, unknown> {
  return { ...keys.ledgerEntry(entry.agreementId, entry.bookedAt, entry.id), entity: ENTITY.ledgerEntry, ...entry };
}

/** The transaction of a referral change; `openMarkerIndex` says which item is the open marker, to tell its failure apart. */
export function saveReferralChangeParams(tableName: string, change: ReferralChange): { params: TransactWriteCommandInput; openMarkerIndex: number | undefined } {
  const { referral, event } = change;
  const items: TransactItem[] = [
    {
      Put: {
        TableName: tableName,
        Item: referralItem(referral),
        ...(change.expectedVersion === undefined
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': change.expectedVersion } }),
      },
    },
    {
      Update: {
        TableName: tableName,
        Key: keys.agreement(change.agreementId),
        UpdateExpression: 'SET auditHead = :head',
        ConditionExpression: 'auditHead.#seq = :seq AND auditHead.#hash = :hash',
        ExpressionAttributeNames: { '#seq': 'seq', '#hash': 'hash' },
        ExpressionAttributeValues: { ':head': { seq: event.seq, hash: event.hash }, ':seq': change.auditHead.seq, ':hash': change.auditHead.hash },
      },
    },
    {
      Put: {
        TableName: tableName,
        Item: { ...keys.auditEvent(change.agreementId, event.seq), entity: ENTITY.auditEvent, ...event },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
  let openMarkerIndex: number | undefined;
  const marker = keys.openReferralOfMatch(change.agreementId, referral.matchId, referral.introducer);
  if (change.openMarker === 'open') {
    openMarkerIndex = items.length;
    items.push({
      Put: { TableName: tableName, Item: { ...marker, entity: ENTITY.openReferral, referralId: referral.id }, ConditionExpression: 'attribute_not_exists(pk)' },
    });
  } else if (change.openMarker === 'close') {
    items.push({ Delete: { TableName: tableName, Key: marker, ConditionExpression: 'referralId = :referralId', ExpressionAttributeValues: { ':referralId': referral.id } } });
  }
  for (const entry of change.entries) {
    items.push({ Put: { TableName: tableName, Item: ledgerEntryItem(entry), ConditionExpression: 'attribute_not_exists(pk)' } });
  }
  items.push(...(change.extraItems ?? []));
  return { params: { TransactItems: items }, openMarkerIndex };
}

/** The ledger of an agreement, or the entries booked in [from, to) (ISO times), oldest first. */
export function ledgerQueryParams(tableName: string, agreementId: string, range?: { from: string; to: string }): QueryCommandInput {
  const { pk, skPrefix } = keys.ledgerPrefix(agreementId);
  return range
    ? {
        TableName: tableName,
        // LEDGER#<bookedAt>#...: every entry booked at or after `from` and before `to` sorts between these.
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': pk, ':from': `${skPrefix}${range.from}`, ':to': `${skPrefix}${range.to}` },
        ConsistentRead: true,
      }
    : {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
        ConsistentRead: true,
      };
}

function strip(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, entity: _entity, ...rest } = item;
  return rest;
}

export class DynamoReferralStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(agreementId: string, referralId: string): Promise<Referral | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.referral(agreementId, referralId), ConsistentRead: true }));
    return Item ? ReferralSchema.parse(strip(Item)) : undefined;
  }

  /** Every referral of the agreement, oldest first. */
  async listOfAgreement(agreementId: string): Promise<Referral[]> {
    const { pk, skPrefix } = keys.referralsPrefix(agreementId);
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
      ConsistentRead: true,
    });
    return items.map((item) => ReferralSchema.parse(strip(item))).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** The agreement's ledger entries, or those booked in [from, to). */
  async ledger(agreementId: string, range?: { from: string; to: string }): Promise<LedgerEntry[]> {
    const items = await queryAll(this.client, ledgerQueryParams(this.tableName, agreementId, range));
    return items.map((item) => LedgerEntrySchema.parse(strip(item)));
  }

  /** Writes a referral change atomically; StaleReferralError when the referral or the audit chain moved meanwhile. */
  async save(change: ReferralChange): Promise<void> {
    const { params, openMarkerIndex } = saveReferralChangeParams(this.tableName, change);
    try {
      await this.client.send(new TransactWriteCommand(params));
    } catch (error) {
      const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
      const failed = (index: number) => reasons[index]?.Code === 'ConditionalCheckFailed';
      if (failed(0) || failed(1) || failed(2)) {
        throw new StaleReferralError(`referral ${change.referral.id} or its agreement changed meanwhile`, { code: 'concurrent_change', cause: error });
      }
      if (openMarkerIndex !== undefined && failed(openMarkerIndex)) {
        throw new ConflictError('a referral of this match in this direction is already open', {
          code: 'referral_exists',
          details: [{ path: 'matchId', message: 'has an open referral with the same introducer' }],
          cause: error,
        });
      }
      throw error;
    }
  }
}
