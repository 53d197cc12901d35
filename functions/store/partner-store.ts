import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, type QueryCommandInput, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { BlindKey } from '../../shared/blind/keys.ts';
import { ConflictError, NotFoundError } from '../../shared/errors.ts';
import type { ApiKey, Partner, Role } from '../../shared/partner.ts';
import { ENTITY, keys } from './table-keys.ts';
import { queryAll } from './query-all.ts';

/** Who is calling: resolved from an API key. */
export interface Caller {
  partnerId: string;
  keyId: string;
  role: Role;
}

export interface PartnerStore {
  /** Creates the partner, claims its domain and stores its first admin key, atomically. */
  signUp(partner: Partner, firstKey: ApiKey, keyHash: string): Promise<void>;
  getPartner(partnerId: string): Promise<Partner | undefined>;
  findCallerByKeyHash(keyHash: string): Promise<Caller | undefined>;
  addKey(partnerId: string, key: ApiKey, keyHash: string): Promise<void>;
  listKeys(partnerId: string): Promise<ApiKey[]>;
  /** Revokes a key; idempotent. Refuses to revoke the partner's last active admin key. */
  revokeKey(partnerId: string, keyId: string, revokedAt: string): Promise<ApiKey>;
  /** The partner's blind-matching public key in force, if it registered one. */
  getBlindKey(partnerId: string): Promise<BlindKey | undefined>;
  /**
   * Registers `key` as the partner's blind key in force, retiring `previous`
   * (the key read as in force, or undefined when there was none); a
   * ConflictError when another registration got there first.
   */
  putBlindKey(partnerId: string, key: BlindKey, previous: BlindKey | undefined): Promise<void>;
  /** Every blind key the partner registered, oldest first, retired ones with their retiredAt. */
  listBlindKeys(partnerId: string): Promise<BlindKey[]>;
}

// ---- request builders: pure, unit-testable without a database ----

export function signUpParams(tableName: string, partner: Partner, firstKey: ApiKey, keyHash: string): TransactWriteCommandInput {
  return {
    TransactItems: [
      {
        Put: {
          TableName: tableName,
          Item: { ...keys.partner(partner.id), entity: ENTITY.partner, ...partner, activeAdminKeys: 1, version: 1 },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: { ...keys.domainClaim(partner.domain), entity: ENTITY.domainClaim, partnerId: partner.id },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...addKeyItems(tableName, partner.id, firstKey, keyHash),
    ],
  };
}

function addKeyItems(tableName: string, partnerId: string, key: ApiKey, keyHash: string) {
  return [
    {
      Put: {
        TableName: tableName,
        Item: { ...keys.apiKey(partnerId, key.id), entity: ENTITY.apiKey, ...key, keyHash },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Put: {
        TableName: tableName,
        Item: { ...keys.apiKeyByHash(keyHash), entity: ENTITY.apiKeyLookup, partnerId, keyId: key.id, role: key.role },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
}

export function addKeyParams(tableName: string, partnerId: string, key: ApiKey, keyHash: string): TransactWriteCommandInput {
  const items: NonNullable<TransactWriteCommandInput['TransactItems']> = addKeyItems(tableName, partnerId, key, keyHash);
  // The partner must exist; an admin key also counts towards the lock-out guard.
  items.push({
    Update: {
      TableName: tableName,
      Key: keys.partner(partnerId),
      UpdateExpression: 'SET version = version + :one' + (key.role === 'admin' ? ', activeAdminKeys = activeAdminKeys + :one' : ''),
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':one': 1 },
    },
  });
  return { TransactItems: items };
}

export function revokeKeyParams(tableName: string, partnerId: string, key: ApiKey, keyHash: string, revokedAt: string): TransactWriteCommandInput {
  const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
    {
      Update: {
        TableName: tableName,
        Key: keys.apiKey(partnerId, key.id),
        UpdateExpression: 'SET revokedAt = :revokedAt',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
        ExpressionAttributeValues: { ':revokedAt': revokedAt },
      },
    },
    { Delete: { TableName: tableName, Key: keys.apiKeyByHash(keyHash) } },
  ];
  if (key.role === 'admin') {
    items.push({
      Update: {
        TableName: tableName,
        Key: keys.partner(partnerId),
        UpdateExpression: 'SET activeAdminKeys = activeAdminKeys - :one, version = version + :one',
        ConditionExpression: 'activeAdminKeys > :one',
        ExpressionAttributeValues: { ':one': 1 },
      },
    });
  }
  return { TransactItems: items };
}

export function listKeysParams(tableName: string, partnerId: string): QueryCommandInput {
  const { pk, skPrefix } = keys.apiKeyPrefixOfPartner(partnerId);
  return {
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
    ConsistentRead: true,
  };
}

/**
 * A new blind key in force: the current item (written only if the one read
 * as in force still is), its history item, the previous key's history item
 * retired, and a check that the partner exists, in one transaction.
 */
export function putBlindKeyParams(tableName: string, partnerId: string, key: BlindKey, previous: BlindKey | undefined): TransactWriteCommandInput {
  const { retiredAt: _current, ...current } = key;
  const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
    { ConditionCheck: { TableName: tableName, Key: keys.partner(partnerId), ConditionExpression: 'attribute_exists(pk)' } },
    {
      Put: {
        TableName: tableName,
        Item: { ...keys.blindKey(partnerId), entity: ENTITY.blindKey, ...current },
        ...(previous
          ? { ConditionExpression: 'fingerprint = :previous', ExpressionAttributeValues: { ':previous': previous.fingerprint } }
          : { ConditionExpression: 'attribute_not_exists(pk)' }),
      },
    },
    {
      Put: {
        TableName: tableName,
        Item: { ...keys.blindKeyHistory(partnerId, key.registeredAt, key.fingerprint), entity: ENTITY.blindKeyHistory, ...current },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
  if (previous) {
    items.push({
      Update: {
        TableName: tableName,
        Key: keys.blindKeyHistory(partnerId, previous.registeredAt, previous.fingerprint),
        UpdateExpression: 'SET retiredAt = :retiredAt',
        ExpressionAttributeValues: { ':retiredAt': key.registeredAt },
      },
    });
  }
  return { TransactItems: items };
}

export function listBlindKeysParams(tableName: string, partnerId: string): QueryCommandInput {
  const { pk, skPrefix } = keys.blindKeyHistoryPrefix(partnerId);
  return {
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
    ConsistentRead: true,
  };
}

// ---- mapping stored items back to the domain ----

function toBlindKey(item: Record<string, unknown>): BlindKey {
  return {
    publicKey: String(item.publicKey),
    fingerprint: String(item.fingerprint),
    registeredAt: String(item.registeredAt),
    registeredBy: String(item.registeredBy),
    ...(typeof item.retiredAt === 'string' ? { retiredAt: item.retiredAt } : {}),
  };
}

function toPartner(item: Record<string, unknown>): Partner {
  return {
    id: String(item.id),
    name: String(item.name),
    domain: String(item.domain),
    contactEmail: String(item.contactEmail),
    createdAt: String(item.createdAt),
  };
}

function toApiKey(item: Record<string, unknown>): ApiKey {
  return {
    id: String(item.id),
    role: item.role as Role,
    label: String(item.label),
    prefix: String(item.prefix),
    createdAt: String(item.createdAt),
    ...(typeof item.revokedAt === 'string' ? { revokedAt: item.revokedAt } : {}),
  };
}

/** Which items of a cancelled transaction failed their condition. */
function failedConditions(error: unknown): boolean[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return (error.CancellationReasons ?? []).map((reason) => reason.Code === 'ConditionalCheckFailed');
}

/** Profiles kept by one store (one function instance); beyond this many, the oldest is forgotten. */
const PROFILE_CACHE_SIZE = 10_000;

export class DynamoPartnerStore implements PartnerStore {
  /**
   * Partners found, by id. A partner's profile (id, name, domain, contact,
   * creation time) never changes once signed up and a partner is never
   * deleted, so what was read once is what every later read would answer;
   * keys, which do change, are never cached. Unknown ids are not remembered.
   */
  private readonly profiles = new Map<string, Partner>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async signUp(partner: Partner, firstKey: ApiKey, keyHash: string): Promise<void> {
    try {
      await this.client.send(new TransactWriteCommand(signUpParams(this.tableName, partner, firstKey, keyHash)));
    } catch (error) {
      if (failedConditions(error)?.[1]) {
        throw new ConflictError(`a partner with the domain ${partner.domain} has already signed up`, {
          code: 'domain_taken',
          details: [{ path: 'domain', message: 'already registered' }],
          cause: error,
        });
      }
      throw error;
    }
  }

  async getPartner(partnerId: string): Promise<Partner | undefined> {
    const known = this.profiles.get(partnerId);
    if (known) return { ...known };
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.partner(partnerId), ConsistentRead: true }));
    if (!Item) return undefined;
    const partner = toPartner(Item);
    if (this.profiles.size >= PROFILE_CACHE_SIZE) this.profiles.delete(this.profiles.keys().next().value ?? '');
    this.profiles.set(partnerId, partner);
    return { ...partner };
  }

  async findCallerByKeyHash(keyHash: string): Promise<Caller | undefined> {
    // Strongly consistent, so that a revoked key is refused from the very next request.
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.apiKeyByHash(keyHash), ConsistentRead: true }));
    if (!Item) return undefined;
    return { partnerId: String(Item.partnerId), keyId: String(Item.keyId), role: Item.role as Role };
  }

  async addKey(partnerId: string, key: ApiKey, keyHash: string): Promise<void> {
    try {
      await this.client.send(new TransactWriteCommand(addKeyParams(this.tableName, partnerId, key, keyHash)));
    } catch (error) {
      if (failedConditions(error)?.[2]) throw new NotFoundError('partner not found', { cause: error });
      throw error;
    }
  }

  async listKeys(partnerId: string): Promise<ApiKey[]> {
    return (await queryAll(this.client, listKeysParams(this.tableName, partnerId))).map(toApiKey);
  }

  async revokeKey(partnerId: string, keyId: string, revokedAt: string): Promise<ApiKey> {
    const stored = await this.getKeyItem(partnerId, keyId);
    if (!stored) throw new NotFoundError(`no key ${keyId} belongs to this partner`);
    const key = toApiKey(stored);
    if (key.revokedAt) return key;
    try {
      await this.client.send(new TransactWriteCommand(revokeKeyParams(this.tableName, partnerId, key, String(stored.keyHash), revokedAt)));
    } catch (error) {
      const failed = failedConditions(error);
      if (failed?.[2]) {
        throw new ConflictError('this is the last active admin key of the partner: create another admin key before revoking it', {
          code: 'last_admin_key',
          cause: error,
        });
      }
      if (failed?.[0]) {
        // Revoked by a concurrent request: the outcome the caller wanted.
        const again = await this.getKeyItem(partnerId, keyId);
        if (again) return toApiKey(again);
      }
      throw error;
    }
    return { ...key, revokedAt };
  }

  async getBlindKey(partnerId: string): Promise<BlindKey | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.blindKey(partnerId), ConsistentRead: true }));
    return Item ? toBlindKey(Item) : undefined;
  }

  async putBlindKey(partnerId: string, key: BlindKey, previous: BlindKey | undefined): Promise<void> {
    try {
      await this.client.send(new TransactWriteCommand(putBlindKeyParams(this.tableName, partnerId, key, previous)));
    } catch (error) {
      const failed = failedConditions(error);
      if (failed?.[0]) throw new NotFoundError('the partner of this key no longer exists', { cause: error });
      if (failed?.[1] || failed?.[2]) {
        throw new ConflictError('another blind key was registered meanwhile: read it and try again', { code: 'blind_key_changed', cause: error });
      }
      throw error;
    }
  }

  async listBlindKeys(partnerId: string): Promise<BlindKey[]> {
    return (await queryAll(this.client, listBlindKeysParams(this.tableName, partnerId))).map(toBlindKey);
  }

  private async getKeyItem(partnerId: string, keyId: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.apiKey(partnerId, keyId), ConsistentRead: true }));
    return Item;
  }
}
