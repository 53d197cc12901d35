import { propose } from '../../shared/agreement.ts';
import { appendEvent } from '../../shared/audit-chain.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { newInvitation } from '../../shared/invitations.ts';
import { actorOf } from '../lib/agreement-commands.ts';
import { announce } from '../lib/announcements.ts';
import { startEngagement } from '../lib/workflow.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { requireEnv } from '../lib/config.ts';
import { agreementStore, partnerStore } from '../lib/stores.ts';
import { ENV } from '../../infra/definitions.ts';
import { invitationPut } from '../store/agreement-store.ts';
import { outboxPut } from '../store/outbox-store.ts';
import { buildNotification } from '../../shared/notifications.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('propose-agreement'), async ({ body, caller }) => {
  if (body.counterpartyId !== undefined && !(await partnerStore().getPartner(body.counterpartyId))) {
    throw new NotFoundError(`no partner ${body.counterpartyId} is on Accord; invite the company by e-mail with inviteEmail instead`, {
      details: [{ path: 'counterpartyId', message: 'is not a partner' }],
    });
  }
  const now = new Date();
  const actor = actorOf(caller);
  const result = propose(
    { counterpartyId: body.counterpartyId, ...(body.inviteEmail !== undefined ? { invitation: { email: body.inviteEmail } } : {}), terms: body.terms },
    actor,
    now,
  );
  if (result.outcome !== 'changed') throw new Error('a proposal always creates an agreement');
  const { agreement } = result;
  const invitation = body.inviteEmail !== undefined ? newInvitation(now) : undefined;
  // The invitation e-mail names the proposer.
  const proposer = invitation ? await partnerStore().getPartner(caller.partnerId) : undefined;
  await agreementStore().save({
    expectedVersion: undefined,
    agreement,
    event: appendEvent(undefined, { agreementId: agreement.id, at: now, actor, ...result.audit }),
    extraItems: [
      ...(invitation
        ? [invitationPut(requireEnv(ENV.tableName), invitation.codeHash, { agreementId: agreement.id, email: body.inviteEmail ?? '', expiresAt: invitation.expiresAt })]
        : []),
      ...announce('agreement.proposed', [agreement.counterpartyId], { agreementId: agreement.id, termsVersion: 1 }, now, [agreement.id]),
      // The invitation goes to the invited address, from the proposer's outbox.
      ...(invitation && body.inviteEmail
        ? [
            outboxPut(
              requireEnv(ENV.tableName),
              buildNotification(
                'agreement.invited',
                { partnerId: caller.partnerId, recipientEmail: body.inviteEmail, agreementId: agreement.id, counterpartyName: proposer?.name, invitationCode: invitation.code },
                now,
              ),
            ),
          ]
        : []),
    ],
  });
  // The engagement waits for both approvals from now on.
  await startEngagement(agreement.id);
  return {
    status: 201,
    body: { ...agreement, ...(invitation ? { invitationCode: invitation.code } : {}) },
    headers: { location: `/v1/agreements/${agreement.id}` },
  };
});
