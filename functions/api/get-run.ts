import { NotFoundError } from '../../shared/errors.ts';
import { runView } from '../../shared/run.ts';
import { readAgreementAsParty } from '../lib/agreement-commands.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { agreementStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('get-run'), async ({ caller, params }) => {
  await readAgreementAsParty(params.agreementId, caller.partnerId);
  const run = await agreementStore().getRun(params.agreementId, params.runId);
  if (!run) throw new NotFoundError(`run ${params.runId} of agreement ${params.agreementId} was not found`);
  return { status: 200, body: runView(run) };
});
