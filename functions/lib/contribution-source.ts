import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { ValidationOptions } from '../../shared/contributions/validate.ts';
import { type Contribution, contributionObjectKey, maxUploadBytes } from '../../shared/contributions/contribution.ts';
import type { Run } from '../../shared/run.ts';
import type { Side, Terms } from '../../shared/terms.ts';
import { ENV } from '../../infra/definitions.ts';
import { s3 } from './clients.ts';
import { requireEnv } from './config.ts';
import { contributionStore } from './stores.ts';

/**
 * The contribution a run counts for one side, as the matching steps read it:
 * the item, its object in the uploads bucket, and the validation options
 * that the upload was checked with (so a second read sees the same rows).
 */
export interface ContributionSource {
  side: Side;
  contribution: Contribution;
  bucket: string;
  key: string;
  options: ValidationOptions;
}

export async function contributionSource(run: Run, terms: Terms, side: Side): Promise<ContributionSource> {
  const counted = run.contributions[side];
  const contribution = counted ? await contributionStore().get(run.agreementId, run.id, counted.contributionId) : undefined;
  if (!contribution) throw new Error(`run ${run.id} has no accepted ${side} contribution`);
  return {
    side,
    contribution,
    bucket: requireEnv(ENV.uploadsBucket),
    key: contributionObjectKey(contribution),
    options: {
      maxBytes: maxUploadBytes(),
      populations: terms.populations[side],
      ...(contribution.columnMapping ? { columnMapping: contribution.columnMapping } : {}),
      ...(contribution.populationValues ? { populationValues: contribution.populationValues } : {}),
      ...(contribution.defaultPopulation ? { defaultPopulation: contribution.defaultPopulation } : {}),
    },
  };
}

/** The contribution's file as a stream (S3 GetObject). */
export async function openContribution(source: ContributionSource): Promise<Readable> {
  const object = await s3.send(new GetObjectCommand({ Bucket: source.bucket, Key: source.key }));
  return object.Body as Readable;
}

/** The contribution's size in bytes (S3 HeadObject). */
export async function contributionBytes(source: ContributionSource): Promise<number> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: source.bucket, Key: source.key }));
  return head.ContentLength ?? 0;
}
