import { readAgreementAsParty } from '../lib/agreement-commands.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { contributionStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('list-contributions'), async ({ caller, params }) => {
  await readAgreementAsParty(params.agreementId, caller.partnerId);
  const all = await contributionStore().listOfRun(params.agreementId, params.runId);
  // A party sees its own uploads and reports only.
  return { status: 200, body: { contributions: all.filter((contribution) => contribution.partnerId === caller.partnerId) } };
});
