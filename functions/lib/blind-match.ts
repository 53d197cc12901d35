import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { validateBlindContribution } from '../../shared/blind/contribution.ts';
import { BlindTable, matchBlind } from '../../shared/blind/matcher.ts';
import { contributionObjectKey, maxUploadBytes } from '../../shared/contributions/contribution.ts';
import type { MatchResult } from '../../shared/matching/matcher.ts';
import type { Run } from '../../shared/run.ts';
import type { Side, Terms } from '../../shared/terms.ts';
import { ENV } from '../../infra/definitions.ts';
import { runBlindKeysStore } from './blind-keys.ts';
import { s3 } from './clients.ts';
import { requireEnv } from './config.ts';
import { contributionStore } from './stores.ts';

/** A blind run cannot be matched: its contributions were not made with the run's keys (a named error the workflow can catch). */
export class BlindKeysMismatchError extends Error {
  override readonly name = 'BlindKeysMismatchError';
}

/**
 * The match step of a blind run (terms `matching.mode: "blind"`): reads the
 * newest accepted blind contribution of each side (streamed from S3 through
 * the same validator as the upload), checks that both were made with the
 * run's fixed keys, and joins their tokens (shared/blind/matcher.ts). The
 * result has the clear matcher's shape: pairs of record references (`a` the
 * proposer's, `b` the counterparty's) with method, cell and the matching
 * token as key, and the counts of each side. functions/tasks/match-run.ts
 * calls it instead of the clear matcher; what follows (pairs.jsonl, summary,
 * transition) is the same for both modes.
 */
export async function matchBlindRun(run: Run, terms: Terms): Promise<MatchResult> {
  const fixed = await runBlindKeysStore().get(run.agreementId, run.id);
  if (!fixed) throw new BlindKeysMismatchError(`blind run ${run.id} has no fixed keys: no blind upload slot was made for it`);
  const uploads = requireEnv(ENV.uploadsBucket);

  const read = async (side: Side): Promise<BlindTable> => {
    const counted = run.contributions[side];
    const contribution = counted ? await contributionStore().get(run.agreementId, run.id, counted.contributionId) : undefined;
    if (!contribution) throw new Error(`run ${run.id} has no accepted ${side} contribution`);
    const keys = contribution.blindKeys;
    if (keys?.proposer !== fixed.proposer.fingerprint || keys.counterparty !== fixed.counterparty.fingerprint) {
      throw new BlindKeysMismatchError(`the ${side}'s contribution ${contribution.id} was not made with the keys of run ${run.id}`);
    }
    const object = await s3.send(new GetObjectCommand({ Bucket: uploads, Key: contributionObjectKey(contribution) }));
    const table = new BlindTable();
    const report = await validateBlindContribution(
      object.Body as Readable,
      { matching: terms.matching, populations: terms.populations[side], maxBytes: maxUploadBytes() },
      (row) => table.add(row),
    );
    if (report.verdict !== 'accepted') throw new Error(`the ${side}'s blind contribution ${contribution.id} no longer validates: ${report.reason ?? ''}`);
    return table;
  };
  return matchBlind(await read('proposer'), await read('counterparty'), terms.matching);
}
