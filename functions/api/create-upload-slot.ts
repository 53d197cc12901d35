import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { sideOf } from '../../shared/agreement.ts';
import { type Contribution, contributionObjectKey, maxUploadBytes, UPLOAD_SLOT_SECONDS } from '../../shared/contributions/contribution.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import { ENV } from '../../infra/definitions.ts';
import { readAgreementAsParty } from '../lib/agreement-commands.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { blindKeysForUploadSlot } from '../lib/blind-keys.ts';
import { assertRunTakesContributions } from '../lib/contributions.ts';
import { s3 } from '../lib/clients.ts';
import { requireEnv } from '../lib/config.ts';
import { agreementStore, contributionStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('create-upload-slot'), async ({ caller, params, body }) => {
  const { agreement } = await readAgreementAsParty(params.agreementId, caller.partnerId);
  const run = await agreementStore().getRun(params.agreementId, params.runId);
  if (!run) throw new NotFoundError(`run ${params.runId} of agreement ${params.agreementId} was not found`);
  const now = new Date();
  assertRunTakesContributions(agreement, run, now);
  const blindKeys = await blindKeysForUploadSlot(agreement, run, body, now);
  const contribution: Contribution = {
    id: newId('contribution'),
    agreementId: agreement.id,
    runId: run.id,
    partnerId: caller.partnerId,
    side: sideOf(agreement, caller.partnerId) ?? 'proposer',
    status: 'awaiting_upload',
    ...(body.filename ? { filename: body.filename } : {}),
    ...(body.columnMapping ? { columnMapping: body.columnMapping } : {}),
    ...(body.populationValues ? { populationValues: body.populationValues } : {}),
    ...(body.defaultPopulation ? { defaultPopulation: body.defaultPopulation } : {}),
    ...(blindKeys ? { blindKeys } : {}),
    createdAt: now.toISOString(),
  };
  await contributionStore().create(contribution);
  // One key, a size range and a short expiry: the slot uploads this one file and nothing else.
  const { url, fields } = await createPresignedPost(s3, {
    Bucket: requireEnv(ENV.uploadsBucket),
    Key: contributionObjectKey(contribution),
    Conditions: [['content-length-range', 1, maxUploadBytes()]],
    Expires: UPLOAD_SLOT_SECONDS,
  });
  return {
    status: 201,
    body: { contribution, upload: { url, fields, expiresAt: new Date(now.getTime() + UPLOAD_SLOT_SECONDS * 1000).toISOString(), maxBytes: maxUploadBytes() } },
  };
});
