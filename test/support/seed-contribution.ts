import { PutObjectCommand } from '@aws-sdk/client-s3';
import { s3 } from '../../functions/lib/clients.ts';
import { recordContributionAccepted } from '../../functions/lib/contributions.ts';
import { contributionStore } from '../../functions/lib/stores.ts';
import { ENV } from '../../infra/definitions.ts';
import { type Contribution, contributionObjectKey } from '../../shared/contributions/contribution.ts';
import { newId } from '../../shared/ids.ts';

/**
 * A contribution as the upload path leaves it once validated (accepted, its
 * file in the uploads bucket), counted for the run at `now` (the workflow's
 * clock). The object-created event of the shared embedded stack finds it
 * accepted already and leaves it alone. Answers its id.
 */
export async function seedAcceptedContribution(
  at: { agreementId: string; runId: string; partnerId: string; side: 'proposer' | 'counterparty' },
  csv: string,
  now: Date,
): Promise<string> {
  const contribution: Contribution = { id: newId('contribution'), ...at, status: 'accepted', createdAt: now.toISOString() };
  await contributionStore().create(contribution);
  await s3.send(new PutObjectCommand({ Bucket: process.env[ENV.uploadsBucket], Key: contributionObjectKey(contribution), Body: csv }));
  await recordContributionAccepted(at.agreementId, at.runId, at.partnerId, contribution.id, now, contribution.createdAt);
  return contribution.id;
}
