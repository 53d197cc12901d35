import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3, sfn } from '../../functions/lib/clients.ts';
import { MATCH_SHARD_THRESHOLD_ENV } from '../../functions/lib/match-scale.ts';
import { shardsPrefix } from '../../functions/lib/match-shards.ts';
import { agreementStore } from '../../functions/lib/stores.ts';
import { executionArnOf } from '../../functions/lib/workflow.ts';
import { ENV } from '../../infra/definitions.ts';
import type { ApiServer } from '../../local/api-server.ts';
import { startLocalWorkflows } from '../../local/local-stack.ts';
import type { LocalStepFunctions } from '../../local/stepfunctions-service.ts';
import type { MatchPair } from '../../shared/matching/matcher.ts';
import { type MatchedAccountRow, resultsObjectKeys } from '../../shared/results-objects.ts';
import type { Run } from '../../shared/run.ts';
import { generateDataset } from '../quality/generator.ts';
import { seedAcceptedContribution } from '../support/seed-contribution.ts';
import { type ApiClient, startTestApi, uniqueSignUp } from '../support/api-client.ts';

/**
 * The same engagement matched twice on the embedded stack, through the
 * engagement state machine that CDK synthesises: once in one task, once
 * sharded over the Distributed Maps (the threshold forced to 0 bytes). The
 * results objects must be the same bytes.
 */

let workflows: LocalStepFunctions;
let server: ApiServer;
let api: ApiClient;
let dataDir: string;
let csvA: string;
let csvB: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'accord-sharded-'));
  workflows = await startLocalWorkflows({ dataDir, clock: 'virtual' });
  Object.assign(process.env, workflows.environment, { ACCORD_MAIL_OUTBOX_DIR: join(dataDir, 'outbox') });
  ({ server, api } = await startTestApi());
  // Generated CRM exports with known overlaps: name variants, typos, shared domains, duplicates and junk rows.
  await generateDataset(join(dataDir, 'a.csv'), join(dataDir, 'b.csv'), { seed: 5, rowsA: 2500, rowsB: 2000 });
  [csvA, csvB] = [await readFile(join(dataDir, 'a.csv'), 'utf8'), await readFile(join(dataDir, 'b.csv'), 'utf8')];
});

afterAll(async () => {
  delete process.env[MATCH_SHARD_THRESHOLD_ENV];
  await server?.close();
  await workflows?.service.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    await workflows.service.settled();
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function partner(name: string): Promise<{ id: string; approver: string }> {
  const signUp = await api.call<{ partner: { id: string }; apiKey: string }>('POST', '/v1/partners', { body: uniqueSignUp(name) });
  const approver = await api.call<{ apiKey: string }>('POST', '/v1/partners/me/keys', { key: signUp.body.apiKey, body: { role: 'approver', label: 'legal' } });
  return { id: signUp.body.partner.id, approver: approver.body.apiKey };
}

/** Both parties agree, both contributions are in (as the upload path leaves them), and the run is matched. */
async function matchedEngagement(): Promise<Run> {
  const [acme, globex] = [await partner('Acme'), await partner('Globex')];
  const proposed = await api.call<{ id: string; terms: { hash: string } }>('POST', '/v1/agreements', { key: acme.approver, body: { counterpartyId: globex.id, terms: {} } });
  for (const party of [acme, globex]) {
    expect((await api.call('POST', `/v1/agreements/${proposed.body.id}/approvals`, { key: party.approver, body: { termsHash: proposed.body.terms.hash } })).status).toBe(200);
  }
  const agreementId = proposed.body.id;
  const runId = await eventually('the run to open', async () => (await agreementStore().get(agreementId))?.agreement.currentRunId);
  for (const [party, side, csv] of [
    [acme, 'proposer', csvA],
    [globex, 'counterparty', csvB],
  ] as const) {
    await seedAcceptedContribution({ agreementId, runId, partnerId: party.id, side }, csv, new Date(workflows.service.now()));
  }
  // Matched and its result hash taken (the step after matching), so both runs are compared at the same point.
  return eventually('the matched run awaiting approval', async () => {
    const run = await agreementStore().getRun(agreementId, runId);
    return run?.status === 'matched' && run.summary?.resultHash !== undefined ? run : undefined;
  });
}

async function text(key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: process.env[ENV.resultsBucket], Key: key }));
  return (await object.Body?.transformToString('utf-8')) ?? '';
}

async function keysUnder(bucket: string | undefined, prefix: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key ?? '');
}

async function historyTypes(agreementId: string): Promise<string[]> {
  const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: executionArnOf(agreementId), maxResults: 1000 }));
  return (history.events ?? []).map((event) => event.type ?? '');
}

describe('matching sharded over Distributed Maps', () => {
  it('writes the same pairs and matched accounts, byte for byte, as matching in one task', async () => {
    process.env[MATCH_SHARD_THRESHOLD_ENV] = '0';
    const sharded = await matchedEngagement();
    delete process.env[MATCH_SHARD_THRESHOLD_ENV];
    const inline = await matchedEngagement();

    // Each went its own way: sixteen shards through two Distributed Maps, or one task.
    expect(sharded.summary?.shards).toBe(16);
    expect(inline.summary?.shards).toBeUndefined();
    expect((await historyTypes(sharded.agreementId)).filter((type) => type === 'MapStateStarted')).toHaveLength(2);
    expect(await historyTypes(inline.agreementId)).not.toContain('MapStateStarted');

    const objects = (run: Run) => {
      const keys = resultsObjectKeys(run);
      return Promise.all([text(keys.pairs), text(keys.accounts.proposer), text(keys.accounts.counterparty)]);
    };
    const [shardedPairs, shardedProposer, shardedCounterparty] = await objects(sharded);
    const [inlinePairs, inlineProposer, inlineCounterparty] = await objects(inline);
    const pairs = inlinePairs.trim().split('\n').map((line) => JSON.parse(line) as MatchPair);
    expect(pairs.filter((pair) => pair.method === 'domain').length).toBeGreaterThan(100);
    expect(pairs.filter((pair) => pair.method === 'name').length).toBeGreaterThan(20);
    expect(shardedPairs).toBe(inlinePairs);
    expect(shardedProposer).toBe(inlineProposer);
    expect(shardedCounterparty).toBe(inlineCounterparty);
    const { matchedAt: _shardedAt, shards: _shards, ...shardedSummary } = sharded.summary ?? { matchedAt: '' };
    const { matchedAt: _inlineAt, ...inlineSummary } = inline.summary ?? { matchedAt: '' };
    expect({ ...shardedSummary, resultsKey: '' }).toEqual({ ...inlineSummary, resultsKey: '' });

    // The matched accounts: every row of a pair's side, in line order, as written.
    const rows = inlineProposer.trim().split('\n').map((line) => JSON.parse(line) as MatchedAccountRow);
    const refs = new Set(pairs.flatMap((pair) => pair.a));
    expect(rows.map((row) => row.ref).sort()).toEqual([...refs].sort());
    expect(rows.map((row) => row.line)).toEqual([...rows.map((row) => row.line)].sort((x, y) => x - y));
    expect(inline.summary?.matchedRows).toEqual({ proposer: rows.length, counterparty: inlineCounterparty.trim().split('\n').length });
    const withDomain = rows.find((row) => row.website !== undefined && row.domain !== undefined);
    expect(withDomain?.website?.toLowerCase()).toContain(withDomain?.domain);
    expect(rows.some((row) => row.fields.owner !== undefined)).toBe(true);

    // Nothing of the shards or the raw uploads is left.
    expect(await keysUnder(process.env[ENV.resultsBucket], shardsPrefix(sharded))).toEqual([]);
    for (const run of [sharded, inline]) expect(await keysUnder(process.env[ENV.uploadsBucket], `contributions/${run.agreementId}/${run.id}/`)).toEqual([]);
  });
});
