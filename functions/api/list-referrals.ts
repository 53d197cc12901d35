import { apiHandler } from '../lib/api-handler.ts';
import { readAsParty } from '../lib/referral-commands.ts';
import { referralStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('list-referrals'), async ({ caller, params, query }) => {
  await readAsParty(params.agreementId, caller);
  const referrals = await referralStore().listOfAgreement(params.agreementId);
  return { status: 200, body: { referrals: query.stage ? referrals.filter((referral) => referral.stage === query.stage) : referrals } };
});
