import { NotFoundError } from '../../shared/errors.ts';
import { readAgreementAsParty } from '../lib/agreement-commands.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { agreementBlindKeys } from '../lib/blind-keys.ts';
import { agreementStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('get-agreement-blind-keys'), async ({ caller, params, query }) => {
  const { agreement } = await readAgreementAsParty(params.agreementId, caller.partnerId);
  const run = query.runId ? await agreementStore().getRun(agreement.id, query.runId) : undefined;
  if (query.runId && !run) throw new NotFoundError(`run ${query.runId} of agreement ${agreement.id} was not found`);
  return { status: 200, body: await agreementBlindKeys(agreement, run) };
});
