import { type Agreement, isOpen } from '../../shared/agreement.ts';
import type { Run } from '../../shared/run.ts';
import { runExecutionName } from '../../workflows/engagement/names.ts';

const DAY_MS = 86_400_000;

/** The next run of recurring terms, for the state machine to start; empty strings (never absent: JSONata refuses a missing field) when none follows. */
export interface NextRun {
  nextRunOpensAt: string;
  nextExecutionName: string;
}

export const NO_NEXT_RUN: NextRun = { nextRunOpensAt: '', nextExecutionName: '' };

/**
 * What follows the end of `run` — released, withheld or lapsed alike: under
 * recurring terms of an agreement still open, the next run, opening
 * `recurrenceEveryDays` after this one opened, in an execution of its own.
 * A withheld or lapsed run ends only itself; one-off terms, or an agreement
 * withdrawn, declined or expired, have no next run.
 */
export function nextRunAfter(agreement: Agreement, run: Run): NextRun {
  const every = agreement.terms.schedule.recurrenceEveryDays;
  if (every === undefined || !isOpen(agreement)) return NO_NEXT_RUN;
  return {
    nextRunOpensAt: new Date(Date.parse(run.openedAt) + every * DAY_MS).toISOString(),
    nextExecutionName: runExecutionName(agreement.id, (run.sequence ?? 1) + 1),
  };
}
