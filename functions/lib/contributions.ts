import { type Agreement, sideOf } from '../../shared/agreement.ts';
import { ConflictError, NotFoundError } from '../../shared/errors.ts';
import { missingSides, type Run } from '../../shared/run.ts';
import { StaleAgreementError } from '../store/agreement-store.ts';
import { agreementStore } from './stores.ts';
import { answerWait } from './workflow.ts';

/**
 * Refuses (409 run_closed) unless the run takes contributions: it is open, its
 * deadline has not passed, and it is the current run of an agreement that
 * awaits contributions (not one that was withdrawn, declined or expired).
 */
export function assertRunTakesContributions(agreement: Agreement, run: Run, now: Date): void {
  const reason =
    run.status !== 'open'
      ? run.status
      : Date.parse(run.deadline) <= now.getTime()
        ? 'past its deadline'
        : agreement.status !== 'awaiting_contributions' || agreement.currentRunId !== run.id
          ? `of an agreement that is ${agreement.status}`
          : undefined;
  if (reason) throw new ConflictError(`run ${run.id} is ${reason}: it takes no more contributions`, { code: 'run_closed' });
}

/**
 * Records that a party's contribution to the open run was accepted, and when
 * both are in, answers the workflow's wait. The upload validation of the next
 * issue calls this; until then it is the stand-in for "contribution accepted".
 * A later valid contribution of the same party (by the time its upload slot
 * was made) replaces the earlier one.
 */
export async function recordContributionAccepted(
  agreementId: string,
  runId: string,
  partnerId: string,
  contributionId: string,
  now: Date,
  createdAt: string = now.toISOString(),
): Promise<Run> {
  const store = agreementStore();
  for (let attempt = 1; ; attempt += 1) {
    const stored = await store.get(agreementId);
    const side = stored ? sideOf(stored.agreement, partnerId) : undefined;
    const run = side ? await store.getRun(agreementId, runId) : undefined;
    if (!stored || !side || !run) throw new NotFoundError(`run ${runId} of agreement ${agreementId} was not found`);
    const current = run.contributions[side];
    // Counted already (a retry), or validation finished out of order: an older upload never replaces a newer one.
    if (current && (current.contributionId === contributionId || (current.createdAt ?? '') > createdAt)) return run;
    assertRunTakesContributions(stored.agreement, run, now);
    const changed: Run = { ...run, contributions: { ...run.contributions, [side]: { acceptedAt: now.toISOString(), contributionId, createdAt } }, version: run.version + 1 };
    try {
      await store.saveRun(changed, run.version);
    } catch (error) {
      if (error instanceof StaleAgreementError && attempt < 5) continue;
      throw error;
    }
    if (missingSides(changed).length === 0) await answerWait(agreementId, 'contributions', { outcome: 'contributed' });
    return changed;
  }
}
