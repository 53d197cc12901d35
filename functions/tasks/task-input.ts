import { z } from 'zod';
import { AgreementIdSchema, RunIdSchema } from '../../shared/agreement.ts';

/** What the engagement state machine passes its tasks (workflows/engagement/engagement-workflow.ts). */
export const TaskInputSchema = z.object({
  agreementId: AgreementIdSchema,
  runId: RunIdSchema.optional(),
  /** The state's entry time: tasks never read the clock, so a virtual clock drives them. */
  now: z.iso.datetime({ offset: true }).transform((value) => new Date(value)),
});

/** A malformed task input is a bug in the state machine: fail the task by name. */
export class TaskInputError extends Error {
  override name = 'TaskInputError';
}

export function parseTaskInput<S extends z.ZodObject>(schema: S, event: unknown): z.output<S> {
  const result = schema.safeParse(event);
  if (!result.success) throw new TaskInputError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  return result.data;
}

export function secondsUntil(iso: string, now: Date): number {
  return Math.max(1, Math.ceil((Date.parse(iso) - now.getTime()) / 1000));
}
