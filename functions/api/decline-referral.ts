import { declineReferral } from '../../shared/referral.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { runReferralCommand } from '../lib/referral-commands.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('decline-referral'), async ({ caller, params, body }) => {
  const { referral } = await runReferralCommand(params.agreementId, params.referralId, caller, ({ referral: current, actor, now }) =>
    declineReferral(current, body.reason, actor, now),
  );
  return { status: 200, body: referral };
});
