import { approve, otherPartyOf } from '../../shared/agreement.ts';
import { actorOf, runAgreementCommand } from '../lib/agreement-commands.ts';
import { announce } from '../lib/announcements.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { answerWait, startEngagement } from '../lib/workflow.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('approve-agreement'), async ({ caller, params, body }) => {
  const now = new Date();
  const { agreement } = await runAgreementCommand(params.agreementId, actorOf(caller), (current, actor) => approve(current, body, actor, now), {
    now,
    extraItems: ({ agreement: after }) => {
      const facts = { agreementId: after.id, termsVersion: after.terms.version };
      const key = [after.id, after.terms.hash];
      if (after.status === 'awaiting_contributions') return announce('agreement.approved', [after.proposerId, after.counterpartyId], facts, now, key);
      return announce('agreement.approval_needed', [otherPartyOf(after, caller.partnerId)], facts, now, key);
    },
  });
  if (agreement.status === 'awaiting_contributions') {
    // Idempotent: makes sure an engagement exists (a failed start at proposal heals here), then wakes it.
    await startEngagement(agreement.id);
    await answerWait(agreement.id, 'approvals', { status: agreement.status });
  }
  return { status: 200, body: agreement };
});
