import { acceptReferral } from '../../shared/referral.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { runReferralCommand } from '../lib/referral-commands.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('accept-referral'), async ({ caller, params }) => {
  const { referral } = await runReferralCommand(params.agreementId, params.referralId, caller, ({ referral: current, actor, now }) =>
    acceptReferral(current, actor, now),
  );
  return { status: 200, body: referral };
});
