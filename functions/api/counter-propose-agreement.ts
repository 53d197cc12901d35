import { counterPropose } from '../../shared/agreement.ts';
import { actorOf, runAgreementCommand } from '../lib/agreement-commands.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('counter-propose-agreement'), async ({ caller, params, body }) => {
  const { agreement } = await runAgreementCommand(params.agreementId, actorOf(caller), (current, actor, now) => counterPropose(current, body, actor, now));
  return { status: 200, body: agreement };
});
