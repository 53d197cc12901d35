import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { termsOf } from '../../shared/agreement.ts';
import { type Contribution, contributionObjectKey, maxUploadBytes } from '../../shared/contributions/contribution.ts';
import { validateContribution } from '../../shared/contributions/validate.ts';
import { validateBlindContribution } from '../../shared/blind/contribution.ts';
import { AccordError } from '../../shared/errors.ts';
import { buildNotification, deterministicEventId } from '../../shared/notifications.ts';
import { outboxStore } from '../notifications/stores.ts';
import { ENV } from '../../infra/definitions.ts';
import { deleteUploadForGood } from './blind-upload.ts';
import { s3 } from './clients.ts';
import { requireEnv } from './config.ts';
import { recordContributionAccepted } from './contributions.ts';
import { logger } from './logger.ts';
import { agreementStore, contributionStore } from './stores.ts';

/** Longer than the validating function's timeout (15 minutes): a validation older than this has died. */
/** Agreements in these statuses take no contribution, however late its upload. */
const ENDED_STATUSES: readonly string[] = ['withdrawn', 'declined', 'expired'];

/** The report of a file refused before it was read. */
const EMPTY_REPORT = {
  verdict: 'rejected' as const,
  rowsRead: 0,
  accepted: 0,
  rejected: 0,
  rejections: [],
  populations: {},
  columns: {},
  delimiter: ',',
};

export const ABANDONED_AFTER_MS = 16 * 60 * 1000;

export interface UploadedObject {
  bucket: string;
  key: string;
  size: number;
}

/**
 * Validates an uploaded contribution as the object-created event announces
 * it: streams the object (never loads it whole), writes the report, tells the
 * partner, and when accepted counts it for the run (which may wake the
 * workflow). A duplicated or late event finds the contribution past
 * `awaiting_upload` and validates nothing again; if it finds the report
 * written, it repeats what follows the report (both steps are idempotent),
 * so a validation that died right after writing it is finished by the retry.
 */
export async function validateUploadedContribution(
  ids: { agreementId: string; runId: string; contributionId: string },
  object: UploadedObject,
  now: Date,
  options: { abandonedBefore?: Date } = {},
): Promise<Contribution | undefined> {
  const contributions = contributionStore();
  const contribution = await contributions.get(ids.agreementId, ids.runId, ids.contributionId);
  if (!contribution) return undefined;
  if (contribution.status === 'accepted' || contribution.status === 'rejected') {
    await afterValidation(contribution, now);
    return undefined;
  }
  // A validation that died half-way (the function timed out or crashed) is taken over once it is surely dead:
  // after the validating function's timeout, or, when the caller knows better (a restarted embedded stack), before `abandonedBefore`.
  const abandonedBefore = options.abandonedBefore?.getTime() ?? Date.now() - ABANDONED_AFTER_MS;
  const abandoned = contribution.status === 'validating' && Date.parse(contribution.uploadedAt ?? '') < abandonedBefore;
  if (contribution.status !== 'awaiting_upload' && !abandoned) return undefined;
  const validating: Contribution = { ...contribution, status: 'validating', uploadedAt: new Date().toISOString() };
  if (!(await contributions.transition(validating, [contribution.status]))) return undefined;

  const stored = await agreementStore().get(ids.agreementId);
  if (!stored) throw new Error(`agreement ${ids.agreementId} of contribution ${ids.contributionId} does not exist`);
  if (ENDED_STATUSES.includes(stored.agreement.status)) {
    // The agreement ended (its data is being purged): a late upload is refused and deleted, never kept.
    await deleteUploadForGood(object.bucket, object.key);
    const refused: Contribution = {
      ...validating,
      status: 'rejected',
      validatedAt: new Date().toISOString(),
      report: { ...EMPTY_REPORT, reason: `the agreement was ${stored.agreement.status}: it takes no more contributions, and the file was deleted`, bytes: object.size },
    };
    if (!(await contributions.transition(refused, ['validating']))) return undefined;
    await afterValidation(refused, now);
    return refused;
  }
  const terms = termsOf(stored.agreement.terms);
  const body = async () => (await s3.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key }))).Body as Readable;
  const report =
    object.size > maxUploadBytes()
      ? undefined
      : terms.matching.mode === 'blind'
        ? await validateBlindContribution(await body(), { matching: terms.matching, populations: terms.populations[contribution.side], maxBytes: maxUploadBytes() })
        : await validateContribution(await body(), {
            maxBytes: maxUploadBytes(),
            populations: terms.populations[contribution.side],
            ...(contribution.columnMapping ? { columnMapping: contribution.columnMapping } : {}),
            ...(contribution.populationValues ? { populationValues: contribution.populationValues } : {}),
            ...(contribution.defaultPopulation ? { defaultPopulation: contribution.defaultPopulation } : {}),
          });
  const finalReport = report ?? { ...EMPTY_REPORT, reason: `the file has ${object.size} bytes; the limit is ${maxUploadBytes()}`, bytes: object.size };
  const done: Contribution = { ...validating, status: finalReport.verdict, validatedAt: new Date().toISOString(), report: finalReport };
  if (!(await contributions.transition(done, ['validating']))) return undefined;
  await afterValidation(done, now);
  return done;
}

/** Tells the partner, and counts an accepted contribution for its run. All of it is safe to repeat. */
async function afterValidation(contribution: Contribution, now: Date): Promise<void> {
  const report = contribution.report;
  if (!report) return;
  // A blind agreement (its slots name blind keys) keeps no file it refused: it may be the clear list, uploaded by mistake.
  if (report.verdict === 'rejected' && contribution.blindKeys) {
    await deleteUploadForGood(requireEnv(ENV.uploadsBucket), contributionObjectKey(contribution));
  }
  const summary = report.verdict === 'accepted' ? `${report.accepted} of ${report.rowsRead} rows accepted` : (report.reason ?? 'the file did not pass validation');
  // Its id and time come from the contribution, so a retry (whatever its event's time) enqueues the same item: once.
  await outboxStore().enqueue(
    buildNotification(
      report.verdict === 'accepted' ? 'contribution.accepted' : 'contribution.rejected',
      { partnerId: contribution.partnerId, agreementId: contribution.agreementId, runId: contribution.runId, reason: summary, data: { contributionId: contribution.id } },
      contribution.validatedAt ? new Date(contribution.validatedAt) : now,
      { id: deterministicEventId('contribution', contribution.id, report.verdict) },
    ),
  );

  if (report.verdict === 'accepted') {
    try {
      await recordContributionAccepted(contribution.agreementId, contribution.runId, contribution.partnerId, contribution.id, now, contribution.createdAt);
    } catch (error) {
      // Accepted, but the run closed meanwhile (deadline, withdrawal): the report stands, the run is not changed.
      if (!(error instanceof AccordError)) throw error;
      logger.warn('accepted contribution not counted', { contributionId: contribution.id, reason: error.message });
    }
  }
}
