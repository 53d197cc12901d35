import { decline } from '../../shared/agreement.ts';
import { actorOf, runAgreementCommand } from '../lib/agreement-commands.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('decline-agreement'), async ({ caller, params, body }) => {
  const { agreement } = await runAgreementCommand(params.agreementId, actorOf(caller), (current, actor, now) => decline(current, body, actor, now));
  return { status: 200, body: agreement };
});
