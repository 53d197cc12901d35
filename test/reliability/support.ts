import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { ENV } from '../../infra/definitions.ts';
import { type ApiClient, type SignedUpPartner, signUpWithKeys, until } from '../support/api-client.ts';

/** Partners, keys and agreements made through the API, for the reliability and security suites. */

export type Role = 'admin' | 'approver' | 'contributor' | 'viewer';
export const ROLE_NAMES: readonly Role[] = ['admin', 'approver', 'contributor', 'viewer'];

export type Company = SignedUpPartner;
/** Signs a company up and gives it one key of each role. */
export const company = signUpWithKeys;
export { until };

export interface AgreementBody {
  id: string;
  status: string;
  version: number;
  currentRunId?: string;
  terms: { version: number; hash: string };
}

export const tableName = (): string => process.env[ENV.tableName] ?? '';
export const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

export async function propose(api: ApiClient, proposer: Company, counterparty: Company): Promise<AgreementBody> {
  const response = await api.call<AgreementBody>('POST', '/v1/agreements', { key: proposer.keys.approver, body: { counterpartyId: counterparty.id, terms: {} } });
  expect(response.status).toBe(201);
  return response.body;
}

/** Proposes, has both sides approve, and answers the agreement once its first run is open. */
export async function openRun(api: ApiClient, proposer: Company, counterparty: Company, timeoutMs = 30_000): Promise<AgreementBody & { currentRunId: string }> {
  const proposed = await propose(api, proposer, counterparty);
  for (const party of [proposer, counterparty]) {
    const approved = await api.call('POST', `/v1/agreements/${proposed.id}/approvals`, { key: party.keys.approver, body: { termsHash: proposed.terms.hash } });
    expect(approved.status).toBe(200);
  }
  return until('the first run to open', async () => {
    const current = (await api.call<AgreementBody>('GET', `/v1/agreements/${proposed.id}`, { key: proposer.keys.viewer })).body;
    return current.currentRunId ? (current as AgreementBody & { currentRunId: string }) : undefined;
  }, timeoutMs);
}

/** Polls until `probe` answers something (no fixed sleeps in the assertions, only between probes). */
/** Every item of one partition, raw. */
export async function partitionItems(pk: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(
      new QueryCommand({ TableName: tableName(), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true, ExclusiveStartKey }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** The whole table, raw (the tests' own DynamoDB Local only). */
export async function scanTable(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(new ScanCommand({ TableName: tableName(), ConsistentRead: true, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}
