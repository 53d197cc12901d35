import { SYSTEM_ACTOR } from '../../shared/agreement.ts';
import { checkResultApproval, withholdAtDeadline } from '../../shared/result-approval.ts';
import type { Run } from '../../shared/run.ts';
import { announce } from '../lib/announcements.ts';
import { runResultsCommand } from '../lib/results-commands.ts';
import { agreementStore } from '../lib/stores.ts';
import { StaleAgreementError } from '../store/agreement-store.ts';
import { NO_NEXT_RUN, type NextRun, nextRunAfter } from './next-run.ts';
import { parseTaskInput, secondsUntil, TaskInputSchema } from './task-input.ts';

/**
 * Every field is always present: the state machine's Output reads them, and
 * JSONata refuses a missing one. Empty strings stand for "none".
 */
interface Outcome extends NextRun {
  outcome: 'waiting' | 'released' | 'withheld';
  nextCheckSeconds: number;
  /** When the released results expire. */
  expiresAt: string;
}

const NONE = { nextCheckSeconds: 0, expiresAt: '', ...NO_NEXT_RUN };

/**
 * The result-approval wait ended (an answer, a reminder time, the deadline):
 * released, withheld at the deadline (both parties told), or reminders to the
 * sides that have not approved (each once) and when to look again. Released
 * or withheld, recurring terms go on to the next run (next-run.ts).
 */
export const handler = async (event: unknown): Promise<Outcome> => {
  const input = parseTaskInput(TaskInputSchema, event);
  const store = agreementStore();
  for (let attempt = 1; ; attempt += 1) {
    const stored = await store.get(input.agreementId);
    const run = input.runId ? await store.getRun(input.agreementId, input.runId) : undefined;
    if (!stored || !run) throw new Error(`run ${input.runId ?? '(none)'} of agreement ${input.agreementId} does not exist`);
    const { agreement } = stored;
    const parties = [agreement.proposerId, agreement.counterpartyId];
    const check = checkResultApproval(run, input.now);

    if (check.outcome === 'withheld') return { ...NONE, outcome: 'withheld', ...nextRunAfter(agreement, run) };
    if (check.outcome === 'released') {
      return { ...NONE, outcome: 'released', expiresAt: run.release?.expiresAt ?? input.now.toISOString(), ...nextRunAfter(agreement, run) };
    }
    if (check.outcome === 'deadline') {
      const withheld = await runResultsCommand(input.agreementId, run.id, SYSTEM_ACTOR, withholdAtDeadline, {
        now: input.now,
        extraItems: () => announce('results.withheld', parties, { agreementId: agreement.id, runId: run.id, reason: 'the approval deadline passed without both approvals' }, input.now, [run.id]),
      });
      return { ...NONE, outcome: 'withheld', ...nextRunAfter(withheld.agreement, run) };
    }

    const waiting = { ...NONE, outcome: 'waiting' as const, nextCheckSeconds: secondsUntil(check.nextCheckAt, input.now) };
    if (check.remindersDue.length === 0 || !run.release) return waiting;
    const pending = check.pending.map((side) => (side === 'proposer' ? agreement.proposerId : agreement.counterpartyId));
    const facts = { agreementId: agreement.id, runId: run.id, deadline: run.release.deadline };
    const reminders = check.remindersDue.flatMap((time) => announce('results.approval_reminder', pending, facts, input.now, [run.id, 'results', time]));
    const changed: Run = { ...run, release: { ...run.release, remindersSent: [...run.release.remindersSent, ...check.remindersDue] }, version: run.version + 1 };
    try {
      await store.saveRun(changed, run.version, reminders);
      return waiting;
    } catch (error) {
      // An approval landed meanwhile: look again.
      if (!(error instanceof StaleAgreementError) || attempt >= 5) throw error;
    }
  }
};
