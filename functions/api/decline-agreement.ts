import { decline } from '../../shared/agreement.ts';
import { actorOf, runAgreementCommand } from '../lib/agreement-commands.ts';
import { announce } from '../lib/announcements.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { stopEngagement } from '../lib/workflow.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('decline-agreement'), async ({ caller, params, body }) => {
  const now = new Date();
  const { agreement } = await runAgreementCommand(params.agreementId, actorOf(caller), (current, actor) => decline(current, body, actor, now), {
    now,
    extraItems: ({ agreement: after }) =>
      announce(
        'agreement.declined',
        [caller.partnerId === after.proposerId ? after.counterpartyId : after.proposerId],
        { agreementId: after.id, ...(body.reason ? { reason: body.reason } : {}) },
        now,
        [after.id],
      ),
  });
  // The agreement has ended: its engagement stops wherever it waits.
  await stopEngagement(agreement.id, `declined by ${caller.partnerId}`);
  return { status: 200, body: agreement };
});
