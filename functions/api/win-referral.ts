import { winReferral } from '../../shared/referral.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { runReferralCommand } from '../lib/referral-commands.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('win-referral'), async ({ caller, params, body }) => {
  const { referral } = await runReferralCommand(params.agreementId, params.referralId, caller, ({ referral: current, terms, actor, now }) =>
    winReferral(current, body, terms, actor, now),
  );
  return { status: 200, body: referral };
});
