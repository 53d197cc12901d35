import { z } from 'zod';
import { missingSides } from '../../shared/run.ts';
import { agreementStore } from '../lib/stores.ts';
import { answerWait } from '../lib/workflow.ts';
import { parseTaskInput, TaskInputSchema } from './task-input.ts';

const InputSchema = TaskInputSchema.extend({
  waitingFor: z.enum(['approvals', 'contributions', 'results']),
  taskToken: z.string().min(1),
});

/**
 * The first half of every wait for people (`.waitForTaskToken`): keeps the
 * token where the API finds it. If what the step waits for already happened
 * (the API looked for a token before this one was stored), answers it at once.
 */
export const handler = async (event: unknown): Promise<{ waiting: true }> => {
  const input = parseTaskInput(InputSchema, event);
  const store = agreementStore();
  await store.putWait(input.agreementId, input.waitingFor, input.taskToken, input.now.toISOString());
  const stored = await store.get(input.agreementId);
  if (!stored) throw new Error(`agreement ${input.agreementId} does not exist`);
  if (input.waitingFor === 'approvals' && stored.agreement.status !== 'proposed') {
    await answerWait(input.agreementId, 'approvals', { status: stored.agreement.status });
  }
  if (input.waitingFor === 'contributions' && input.runId) {
    const run = await store.getRun(input.agreementId, input.runId);
    if (run && missingSides(run).length === 0) await answerWait(input.agreementId, 'contributions', { outcome: 'contributed' });
  }
  if (input.waitingFor === 'results' && input.runId) {
    const run = await store.getRun(input.agreementId, input.runId);
    if (run && (run.status === 'released' || run.status === 'withheld')) await answerWait(input.agreementId, 'results', { outcome: run.status });
  }
  return { waiting: true };
};
