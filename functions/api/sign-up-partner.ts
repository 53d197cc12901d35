import { acceptInvitation } from '../../shared/agreement.ts';
import { AccordError, ValidationError } from '../../shared/errors.ts';
import { hashInvitationCode, looksLikeInvitationCode, sameEmail } from '../../shared/invitations.ts';
import { newApiKey, newPartner } from '../../shared/partner.ts';
import { ENV } from '../../infra/definitions.ts';
import { runAgreementCommand } from '../lib/agreement-commands.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { requireEnv } from '../lib/config.ts';
import { agreementStore, partnerStore } from '../lib/stores.ts';
import { invitationDelete } from '../store/agreement-store.ts';
import { routeByHandler } from './routes.ts';

function invalidInvitation(message: string): ValidationError {
  return new ValidationError(message, { code: 'invalid_invitation', details: [{ path: 'invitationCode', message }] });
}

export const handler = apiHandler(routeByHandler('sign-up-partner'), async ({ body }) => {
  const now = new Date();
  // Check the invitation before anything is written, so a bad one stores nothing.
  const codeHash = body.invitationCode === undefined ? undefined : hashInvitationCode(body.invitationCode);
  if (body.invitationCode !== undefined && codeHash !== undefined) {
    const invitation = looksLikeInvitationCode(body.invitationCode) ? await agreementStore().getInvitation(codeHash) : undefined;
    if (!invitation || Date.parse(invitation.expiresAt) <= now.getTime()) throw invalidInvitation('the invitation code is unknown, used or expired');
    if (!sameEmail(invitation.email, body.contactEmail)) {
      throw invalidInvitation('the invitation was sent to another address: sign up with the invited address as contactEmail');
    }
  }

  const partner = newPartner(body, now);
  const { key, apiKey, keyHash } = newApiKey('admin', 'first admin key', now);
  await partnerStore().signUp(partner, key, keyHash);

  // The partner exists now, and its key must reach it whatever happens to the
  // invitation meanwhile (used by a concurrent sign-up): answer 201 either way.
  let agreementId: string | undefined;
  let invitationProblem: string | undefined;
  if (codeHash !== undefined) {
    const invitation = await agreementStore().getInvitation(codeHash);
    try {
      if (!invitation) throw invalidInvitation('the invitation was used meanwhile');
      const tableName = requireEnv(ENV.tableName);
      await runAgreementCommand(invitation.agreementId, { partnerId: partner.id, keyId: key.id, role: 'admin' }, acceptInvitation, {
        access: 'command',
        extraItems: () => [invitationDelete(tableName, codeHash)],
      });
      agreementId = invitation.agreementId;
    } catch (error) {
      if (!(error instanceof AccordError)) throw error;
      invitationProblem = error.message;
    }
  }
  return { status: 201, body: { partner, key, apiKey, ...(agreementId ? { agreementId } : {}), ...(invitationProblem ? { invitationProblem } : {}) }, headers: { location: '/v1/partners/me' } };
});
