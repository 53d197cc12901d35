import { lapse, SYSTEM_ACTOR } from '../../shared/agreement.ts';
import { checkRun, missingSides, type Run } from '../../shared/run.ts';
import type { Side } from '../../shared/terms.ts';
import { ENV } from '../../infra/definitions.ts';
import { runAgreementCommand } from '../lib/agreement-commands.ts';
import { announce } from '../lib/announcements.ts';
import { deleteRunUploads } from '../lib/delete-uploads.ts';
import { requireEnv } from '../lib/config.ts';
import { agreementStore } from '../lib/stores.ts';
import { runUpdate, StaleAgreementError, type StoredAgreement } from '../store/agreement-store.ts';
import { NO_NEXT_RUN, type NextRun, nextRunAfter } from './next-run.ts';
import { parseTaskInput, secondsUntil, TaskInputSchema } from './task-input.ts';

/** Every field is always present: the state machine's Output reads them, and JSONata refuses a missing field. */
type Outcome = NextRun & ({ outcome: 'contributed' | 'lapsed'; nextCheckSeconds: 0 } | { outcome: 'waiting'; nextCheckSeconds: number });

const DAY_MS = 86_400_000;

function partnersOf(stored: StoredAgreement, sides: readonly Side[]): string[] {
  const { agreement } = stored;
  return sides.map((side) => (side === 'proposer' ? agreement.proposerId : agreement.counterpartyId)).filter((id): id is string => id !== undefined);
}

/**
 * The contribution wait timed out: at a reminder, the escalation, or the
 * deadline. Sends what is due to the sides that have not contributed (each
 * reminder once, whatever retries happen) or lapses the run at the deadline;
 * recurring terms go on to the next run (next-run.ts).
 */
export const handler = async (event: unknown): Promise<Outcome> => {
  const input = parseTaskInput(TaskInputSchema, event);
  const store = agreementStore();
  const tableName = requireEnv(ENV.tableName);
  for (let attempt = 1; ; attempt += 1) {
    const stored = await store.get(input.agreementId);
    const run = input.runId ? await store.getRun(input.agreementId, input.runId) : undefined;
    if (!stored || !run) throw new Error(`run ${input.runId ?? '(none)'} of agreement ${input.agreementId} does not exist`);
    const check = checkRun(run, input.now);
    const missing = partnersOf(stored, missingSides(run));
    const facts = { agreementId: run.agreementId, runId: run.id, deadline: run.deadline };

    if (check.outcome === 'contributed') return { outcome: 'contributed', nextCheckSeconds: 0, ...NO_NEXT_RUN };

    if (run.status === 'lapsed') {
      // A retry after the lapse was written: only the deletion below may be left to do.
      await deleteRunUploads(run.agreementId, run.id);
      return { outcome: 'lapsed', nextCheckSeconds: 0, ...nextRunAfter(stored.agreement, run) };
    }
    if (check.outcome === 'lapsed') {
      const lapsedRun: Run = { ...run, status: 'lapsed', version: run.version + 1 };
      const { agreement } = await runAgreementCommand(input.agreementId, SYSTEM_ACTOR, lapse, {
        now: input.now,
        extraItems: () => [
          runUpdate(tableName, lapsedRun, run.version),
          ...announce('run.lapsed', [stored.agreement.proposerId, stored.agreement.counterpartyId], facts, input.now, [run.id]),
        ],
      });
      // The run will never be matched: the upload of the side that did contribute is not kept.
      await deleteRunUploads(run.agreementId, run.id);
      return { outcome: 'lapsed', nextCheckSeconds: 0, ...nextRunAfter(agreement, run) };
    }

    const waiting = { outcome: 'waiting' as const, nextCheckSeconds: secondsUntil(check.nextCheckAt, input.now), ...NO_NEXT_RUN };
    if (check.remindersDue.length === 0 && !check.escalate) return waiting;

    const reminders = check.remindersDue.flatMap((time) => {
      const reminderDay = Math.round((Date.parse(time) - Date.parse(run.openedAt)) / DAY_MS);
      return announce('contribution.reminder', missing, { ...facts, reminderDay }, input.now, [run.id, time]);
    });
    const escalation = check.escalate ? announce('contribution.deadline_near', missing, facts, input.now, [run.id]) : [];
    const changed: Run = { ...run, remindersSent: [...run.remindersSent, ...check.remindersDue], escalated: run.escalated || check.escalate, version: run.version + 1 };
    try {
      await store.saveRun(changed, run.version, [...reminders, ...escalation]);
      return waiting;
    } catch (error) {
      // A contribution landed meanwhile: look again.
      if (!(error instanceof StaleAgreementError) || attempt >= 5) throw error;
    }
  }
};

