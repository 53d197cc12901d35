import { z } from 'zod';
import { openRun, SYSTEM_ACTOR, termsOf } from '../../shared/agreement.ts';
import { newId } from '../../shared/ids.ts';
import { checkRun, openRunSchedule } from '../../shared/run.ts';
import { ENV } from '../../infra/definitions.ts';
import { runAgreementCommand } from '../lib/agreement-commands.ts';
import { announce } from '../lib/announcements.ts';
import { requireEnv } from '../lib/config.ts';
import { agreementStore } from '../lib/stores.ts';
import { runPut } from '../store/agreement-store.ts';
import { parseTaskInput, secondsUntil, TaskInputSchema } from './task-input.ts';

const InputSchema = TaskInputSchema.extend({ executionName: z.string().min(1) });

/** Opens the run of this execution (once: a retry finds it) and says when to look at it next; each next run of recurring terms has its own execution. */
export const handler = async (event: unknown): Promise<{ runId: string; nextCheckSeconds: number }> => {
  const input = parseTaskInput(InputSchema, event);
  const store = agreementStore();
  const stored = await store.get(input.agreementId);
  if (!stored) throw new Error(`agreement ${input.agreementId} does not exist`);

  const existing = stored.agreement.currentRunId ? await store.getRun(input.agreementId, stored.agreement.currentRunId) : undefined;
  let run = existing?.executionName === input.executionName ? existing : undefined;
  if (!run) {
    // A recurring agreement's next run follows the current one (a new execution per run).
    const sequence = existing ? (existing.sequence ?? 1) + 1 : 1;
    const opened = openRunSchedule(termsOf(stored.agreement.terms), { runId: newId('run'), agreementId: input.agreementId, executionName: input.executionName, sequence }, input.now);
    const { agreement } = stored;
    await runAgreementCommand(input.agreementId, SYSTEM_ACTOR, (current, actor, now) => openRun(current, opened.id, actor, now), {
      now: input.now,
      read: stored,
      extraItems: () => [
        runPut(requireEnv(ENV.tableName), opened),
        ...announce('run.opened', [agreement.proposerId, agreement.counterpartyId], { agreementId: agreement.id, runId: opened.id, deadline: opened.deadline }, input.now, [opened.id]),
      ],
    });
    run = opened;
  }
  const check = checkRun(run, input.now);
  return { runId: run.id, nextCheckSeconds: check.outcome === 'waiting' ? secondsUntil(check.nextCheckAt, input.now) : 1 };
};
