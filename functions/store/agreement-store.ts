import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, type DynamoDBDocumentClient, PutCommand, GetCommand, type QueryCommandInput, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Agreement, AgreementStatus } from '../../shared/agreement.ts';
import { AgreementSchema } from '../../shared/agreement.ts';
import type { AuditEvent } from '../../shared/audit-chain.ts';
import { ConflictError } from '../../shared/errors.ts';
import { type Run, RunSchema } from '../../shared/run.ts';
import { ENTITY, keys } from './table-keys.ts';
import { prefixQuery, queryAll } from './query-all.ts';

/**
 * Agreements, their audit chains and each party's index of its agreements.
 *
 * Every change is one transaction: the agreement item, written only if its
 * stored version is the one the change was computed from; the audit event it
 * appends (its seq must be new); each party's membership item (status, for
 * listings); and whatever the caller adds (notifications, invitations). So a
 * change and its audit event and announcements happen together or not at
 * all, and a change computed from a stale read loses with StaleAgreementError.
 */

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** The head of the audit chain, kept on the agreement item in the same transaction as each event. */
export interface AuditHead {
  seq: number;
  hash: string;
}

/** The agreement's stored record: the agreement plus what only the system sees. */
export interface StoredAgreement {
  agreement: Agreement;
  auditHead: AuditHead;
  /** Task tokens of the workflow waiting on this agreement, by what it waits for. */
  taskTokens: Record<string, string>;
}

export interface AgreementChange {
  /** The version the change was computed from; undefined when the change creates the agreement. */
  expectedVersion: number | undefined;
  agreement: Agreement;
  event: AuditEvent;
  taskTokens?: Record<string, string>;
  /** Further items written in the same transaction (outbox entries, invitations, ...). */
  extraItems?: TransactItem[];
}

/** A concurrent change won: re-read and decide again. */
export class StaleAgreementError extends ConflictError {}

export interface AgreementListFilter {
  status?: AgreementStatus;
}

// ---- request builders: pure, unit-testable without a database ----

export function agreementItem(agreement: Agreement, auditHead: AuditHead, taskTokens: Record<string, string>): Record<string, unknown> {
  return { ...keys.agreement(agreement.id), entity: ENTITY.agreement, ...agreement, auditHead, taskTokens };
}

function membershipItem(partnerId: string, agreement: Agreement): Record<string, unknown> {
  return {
    ...keys.agreementOfPartner(partnerId, agreement.id),
    entity: ENTITY.agreementMembership,
    agreementId: agreement.id,
    status: agreement.status,
    side: partnerId === agreement.proposerId ? 'proposer' : 'counterparty',
    updatedAt: agreement.updatedAt,
  };
}

export function saveChangeParams(tableName: string, change: AgreementChange): TransactWriteCommandInput {
  const { agreement, event } = change;
  const head: AuditHead = { seq: event.seq, hash: event.hash };
  const parties = [agreement.proposerId, ...(agreement.counterpartyId ? [agreement.counterpartyId] : [])];
  return {
    TransactItems: [
      {
        Put: {
          TableName: tableName,
          Item: agreementItem(agreement, head, change.taskTokens ?? {}),
          ...(change.expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': change.expectedVersion } }),
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: { ...keys.auditEvent(agreement.id, event.seq), entity: ENTITY.auditEvent, ...event },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...parties.map((partnerId) => ({ Put: { TableName: tableName, Item: membershipItem(partnerId, agreement) } })),
      ...(change.extraItems ?? []),
    ],
  };
}

export function membershipsParams(tableName: string, partnerId: string, filter: AgreementListFilter): QueryCommandInput {
  const { pk, skPrefix } = keys.agreementsOfPartnerPrefix(partnerId);
  return {
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ...(filter.status ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } } : {}),
    ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix, ...(filter.status ? { ':status': filter.status } : {}) },
    ConsistentRead: true,
  };
}

export interface StoredInvitation {
  agreementId: string;
  email: string;
  expiresAt: string;
}

/** An invitation, written in the same transaction as the proposal; DynamoDB's TTL removes it once expired. */
export function invitationPut(tableName: string, codeHash: string, invitation: StoredInvitation): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...keys.invitation(codeHash),
        entity: ENTITY.invitation,
        ...invitation,
        expiresAt: Math.floor(Date.parse(invitation.expiresAt) / 1000),
        expiresAtIso: invitation.expiresAt,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** Uses an invitation up: the acceptance fails as a whole if it was used meanwhile. */
export function invitationDelete(tableName: string, codeHash: string): TransactItem {
  return { Delete: { TableName: tableName, Key: keys.invitation(codeHash), ConditionExpression: 'attribute_exists(pk)' } };
}

/** A new run, written in the same transaction as the agreement naming it. */
export function runPut(tableName: string, run: Run): TransactItem {
  return { Put: { TableName: tableName, Item: { ...keys.run(run.agreementId, run.id), entity: ENTITY.run, ...run }, ConditionExpression: 'attribute_not_exists(pk)' } };
}

/** A changed run, written only over the version it was computed from. */
export function runUpdate(tableName: string, run: Run, expectedVersion: number): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: { ...keys.run(run.agreementId, run.id), entity: ENTITY.run, ...run },
      ConditionExpression: 'version = :expected',
      ExpressionAttributeValues: { ':expected': expectedVersion },
    },
  };
}

export type WaitingFor = 'approvals' | 'contributions' | 'results';

function toStored(item: Record<string, unknown>): StoredAgreement {
  const { auditHead, taskTokens, ...rest } = item;
  return {
    agreement: AgreementSchema.parse(rest),
    auditHead: auditHead as AuditHead,
    taskTokens: (taskTokens as Record<string, string> | undefined) ?? {},
  };
}

export class DynamoAgreementStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(agreementId: string): Promise<StoredAgreement | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.agreement(agreementId), ConsistentRead: true }));
    return Item ? toStored(Item) : undefined;
  }

  /** Writes a change atomically with its audit event; StaleAgreementError when another change came first. */
  async save(change: AgreementChange): Promise<void> {
    try {
      await this.client.send(new TransactWriteCommand(saveChangeParams(this.tableName, change)));
    } catch (error) {
      const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed' || reasons[1]?.Code === 'ConditionalCheckFailed') {
        throw new StaleAgreementError(`agreement ${change.agreement.id} changed meanwhile`, { code: 'concurrent_change', cause: error });
      }
      throw error;
    }
  }

  /** The partner's agreements, newest change first; reads only the partner's own partition and the agreements it is party to. */
  async listOfPartner(partnerId: string, filter: AgreementListFilter = {}): Promise<Agreement[]> {
    const ids = (await queryAll(this.client, membershipsParams(this.tableName, partnerId, filter))).map((item) => String(item.agreementId));

    const agreements: Agreement[] = [];
    for (let start = 0; start < ids.length; start += 100) {
      let pending: Record<string, unknown>[] = ids.slice(start, start + 100).map((id) => ({ ...keys.agreement(id) }));
      while (pending.length > 0) {
        const { Responses, UnprocessedKeys } = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }),
        );
        for (const item of Responses?.[this.tableName] ?? []) agreements.push(toStored(item).agreement);
        pending = (UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    }
    return agreements.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id));
  }

  async getRun(agreementId: string, runId: string): Promise<Run | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.run(agreementId, runId), ConsistentRead: true }));
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, entity: _entity, ...run } = Item;
    return RunSchema.parse(run);
  }

  /** Every run of the agreement, oldest first (by sequence, then opening time). */
  async listRuns(agreementId: string): Promise<Run[]> {
    const items = await queryAll(this.client, prefixQuery(this.tableName, keys.runsPrefix(agreementId)));
    const runs = items.map(({ pk: _pk, sk: _sk, entity: _entity, ...run }) => RunSchema.parse(run));
    return runs.sort((a, b) => (a.sequence ?? 1) - (b.sequence ?? 1) || a.openedAt.localeCompare(b.openedAt));
  }

  /** Writes a changed run; StaleAgreementError when another change to it came first. */
  async saveRun(run: Run, expectedVersion: number, extraItems: TransactItem[] = []): Promise<void> {
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: [runUpdate(this.tableName, run, expectedVersion), ...extraItems] }));
    } catch (error) {
      const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') throw new StaleAgreementError(`run ${run.id} changed meanwhile`, { code: 'concurrent_change', cause: error });
      throw error;
    }
  }

  /** Keeps the task token of the workflow step that waits on this agreement. */
  async putWait(agreementId: string, what: WaitingFor, taskToken: string, since: string): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.wait(agreementId, what), entity: ENTITY.wait, taskToken, since } }));
  }

  async getWait(agreementId: string, what: WaitingFor): Promise<{ taskToken: string; since: string } | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.wait(agreementId, what), ConsistentRead: true }));
    return Item ? { taskToken: String(Item.taskToken), since: String(Item.since) } : undefined;
  }

  /** Forgets a wait, only if it still holds the token that was answered. */
  async deleteWait(agreementId: string, what: WaitingFor, taskToken: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.wait(agreementId, what),
          ConditionExpression: 'taskToken = :token',
          ExpressionAttributeValues: { ':token': taskToken },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async getInvitation(codeHash: string): Promise<StoredInvitation | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.invitation(codeHash), ConsistentRead: true }));
    if (!Item) return undefined;
    return { agreementId: String(Item.agreementId), email: String(Item.email), expiresAt: String(Item.expiresAtIso) };
  }

  /**
   * The audit events up to `head` (the head read from the agreement item): an
   * event and the head that names it are written in one transaction, so events
   * appended after the head was read are left out and the chain read is whole.
   */
  async auditEvents(agreementId: string, head: AuditHead): Promise<unknown[]> {
    const { pk, skPrefix } = keys.auditEventsPrefix(agreementId);
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
      ExpressionAttributeValues: { ':pk': pk, ':first': skPrefix, ':last': keys.auditEvent(agreementId, head.seq).sk },
      ConsistentRead: true,
    });
    return items.map(({ pk: _pk, sk: _sk, entity: _entity, ...event }) => event);
  }
}
