import { apiHandler } from '../lib/api-handler.ts';
import { readReferralAsParty } from '../lib/referral-commands.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('get-referral'), async ({ caller, params }) => {
  return { status: 200, body: await readReferralAsParty(params.agreementId, params.referralId, caller) };
});
