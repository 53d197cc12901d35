import { expire, SYSTEM_ACTOR } from '../../shared/agreement.ts';
import { runAgreementCommand } from '../lib/agreement-commands.ts';
import { announce } from '../lib/announcements.ts';
import { parseTaskInput, TaskInputSchema } from './task-input.ts';

/** Nobody approved in time: the proposal expires and both parties hear of it. */
export const handler = async (event: unknown): Promise<{ status: string }> => {
  const input = parseTaskInput(TaskInputSchema, event);
  const { agreement } = await runAgreementCommand(input.agreementId, SYSTEM_ACTOR, (current, actor, now) => expire(current, actor, now), {
    now: input.now,
    extraItems: (result) =>
      announce('agreement.expired', [result.agreement.proposerId, result.agreement.counterpartyId], { agreementId: input.agreementId }, input.now, [input.agreementId]),
  });
  return { status: agreement.status };
};
