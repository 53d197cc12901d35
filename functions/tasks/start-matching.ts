import { startMatching, SYSTEM_ACTOR } from '../../shared/agreement.ts';
import { runAgreementCommand } from '../lib/agreement-commands.ts';
import { parseTaskInput, TaskInputSchema } from './task-input.ts';

/** Both contributions are in: the agreement moves to matching (the matcher itself comes with the next issue). */
export const handler = async (event: unknown): Promise<{ status: string }> => {
  const input = parseTaskInput(TaskInputSchema, event);
  const { agreement } = await runAgreementCommand(input.agreementId, SYSTEM_ACTOR, startMatching, { now: input.now });
  return { status: agreement.status };
};
