import { type Agreement, type CommandResult, type EndCommand, otherPartyOf, type Actor } from '../../shared/agreement.ts';
import type { NotificationType } from '../../shared/notifications.ts';
import type { Caller } from '../store/partner-store.ts';
import { actorOf, runAgreementCommand } from './agreement-commands.ts';
import { announce } from './announcements.ts';
import { startResultsPurge, stopEngagement } from './workflow.ts';

/**
 * A party ends the agreement (decline, withdraw): the command, the other
 * party told in the same transaction, the engagement stopped wherever it
 * waits (again on a retry: stopping a stopped execution is harmless), and the
 * results of its runs deleted.
 */
export async function endAgreement(
  agreementId: string,
  caller: Caller,
  body: EndCommand,
  command: (agreement: Agreement, command: EndCommand, actor: Actor, now: Date) => CommandResult,
  notification: NotificationType,
): Promise<Agreement> {
  const now = new Date();
  const { agreement } = await runAgreementCommand(agreementId, actorOf(caller), (current, actor) => command(current, body, actor, now), {
    now,
    extraItems: ({ agreement: after }) =>
      announce(notification, [otherPartyOf(after, caller.partnerId)], { agreementId: after.id, ...(body.reason ? { reason: body.reason } : {}) }, now, [after.id]),
  });
  await stopEngagement(agreement.id, `${agreement.status} by ${caller.partnerId}`);
  // Whatever was matched or released goes: results and kept uploads of every run.
  if (agreement.currentRunId) await startResultsPurge(agreement.id);
  return agreement;
}
