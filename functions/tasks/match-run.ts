import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { completeMatching, startMatching, SYSTEM_ACTOR, termsOf } from '../../shared/agreement.ts';
import { contributionObjectKey, maxUploadBytes } from '../../shared/contributions/contribution.ts';
import { matchAccounts, nineBox, pairsToJsonLines } from '../../shared/matching/matcher.ts';
import { readSide } from '../../shared/matching/pipeline.ts';
import { resultsObjectKeys } from '../../shared/results-objects.ts';
import type { Run } from '../../shared/run.ts';
import type { Side } from '../../shared/terms.ts';
import { ENV } from '../../infra/definitions.ts';
import { runAgreementCommand } from '../lib/agreement-commands.ts';
import { announce } from '../lib/announcements.ts';
import { matchBlindRun } from '../lib/blind-match.ts';
import { s3 } from '../lib/clients.ts';
import { requireEnv } from '../lib/config.ts';
import { agreementStore, contributionStore } from '../lib/stores.ts';
import { runUpdate } from '../store/agreement-store.ts';
import { parseTaskInput, TaskInputSchema } from './task-input.ts';

/**
 * Both contributions are in: matches the newest accepted contribution of
 * each side (streamed from S3 through the same validation and normalisation
 * as the upload), writes the pairs as JSON Lines to the results bucket, keeps
 * a summary on the run, and moves the agreement to awaiting release — all of
 * it once: a retried step finds the run matched. Raw uploads are deleted
 * afterwards unless the terms keep them.
 */
export const handler = async (event: unknown): Promise<{ status: string; pairs: number }> => {
  const input = parseTaskInput(TaskInputSchema, event);
  const store = agreementStore();
  const stored = await store.get(input.agreementId);
  const run = input.runId ? await store.getRun(input.agreementId, input.runId) : undefined;
  if (!stored || !run) throw new Error(`run ${input.runId ?? '(none)'} of agreement ${input.agreementId} does not exist`);
  if (run.status === 'matched' && run.summary) return { status: stored.agreement.status, pairs: run.summary.pairs };

  await runAgreementCommand(input.agreementId, SYSTEM_ACTOR, startMatching, { now: input.now });
  const terms = termsOf(stored.agreement.terms);
  const uploads = requireEnv(ENV.uploadsBucket);

  const read = async (side: Side) => {
    const counted = run.contributions[side];
    const contribution = counted ? await contributionStore().get(run.agreementId, run.id, counted.contributionId) : undefined;
    if (!contribution) throw new Error(`run ${run.id} has no accepted ${side} contribution`);
    const object = await s3.send(new GetObjectCommand({ Bucket: uploads, Key: contributionObjectKey(contribution) }));
    return readSide(object.Body as Readable, {
      maxBytes: maxUploadBytes(),
      populations: terms.populations[side],
      ...(contribution.columnMapping ? { columnMapping: contribution.columnMapping } : {}),
      ...(contribution.populationValues ? { populationValues: contribution.populationValues } : {}),
      ...(contribution.defaultPopulation ? { defaultPopulation: contribution.defaultPopulation } : {}),
    });
  };
  // Blind terms: the sides uploaded tokens, joined by functions/lib/blind-match.ts; the rest of the step is the same.
  const result =
    terms.matching.mode === 'blind'
      ? await matchBlindRun(run, terms)
      : matchAccounts((await read('proposer')).table, (await read('counterparty')).table, {
          domain: terms.matching.domain,
          name: terms.matching.name,
          fuzzyThreshold: terms.matching.fuzzyThreshold,
        });

  const resultsKey = resultsObjectKeys(run).pairs;
  await s3.send(new PutObjectCommand({ Bucket: requireEnv(ENV.resultsBucket), Key: resultsKey, Body: [...pairsToJsonLines(result.pairs)].join(''), ContentType: 'application/x-ndjson' }));

  const byMethod: Record<string, number> = {};
  for (const pair of result.pairs) byMethod[pair.method] = (byMethod[pair.method] ?? 0) + 1;
  const matched: Run = {
    ...run,
    status: 'matched',
    version: run.version + 1,
    summary: {
      pairs: result.pairs.length,
      byMethod,
      nineBox: nineBox(result.pairs, 'a'),
      rows: { proposer: result.a.rows, counterparty: result.b.rows },
      accounts: { proposer: result.a.accounts, counterparty: result.b.accounts },
      resultsKey,
      matchedAt: input.now.toISOString(),
    },
  };
  const tableName = requireEnv(ENV.tableName);
  const { agreement } = await runAgreementCommand(
    input.agreementId,
    SYSTEM_ACTOR,
    (current, actor, now) => completeMatching(current, actor, now, { pairs: result.pairs.length }),
    {
      now: input.now,
      extraItems: () => [
        runUpdate(tableName, matched, run.version),
        ...announce('results.approval_needed', [stored.agreement.proposerId, stored.agreement.counterpartyId], { agreementId: run.agreementId, runId: run.id }, input.now, [run.id]),
      ],
    },
  );

  if (terms.retention.deleteUploadsAfterMatching) {
    const objects = (await contributionStore().listOfRun(run.agreementId, run.id)).map((contribution) => ({ Key: contributionObjectKey(contribution) }));
    if (objects.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: uploads, Delete: { Objects: objects, Quiet: true } }));
  }
  return { status: agreement.status, pairs: result.pairs.length };
};
