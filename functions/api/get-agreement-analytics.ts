import { analyticsOfAgreement } from '../lib/analytics-inputs.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { readAsParty } from '../lib/referral-commands.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('get-agreement-analytics'), async ({ caller, params }) => {
  const { stored, actor } = await readAsParty(params.agreementId, caller);
  return { status: 200, body: await analyticsOfAgreement(stored, actor.side) };
});
