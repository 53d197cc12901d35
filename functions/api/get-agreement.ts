import { readAgreementAsParty } from '../lib/agreement-commands.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('get-agreement'), async ({ caller, params }) => {
  const { agreement } = await readAgreementAsParty(params.agreementId, caller.partnerId);
  return { status: 200, body: agreement };
});
