import { counterPropose, otherPartyOf } from '../../shared/agreement.ts';
import { actorOf, runAgreementCommand } from '../lib/agreement-commands.ts';
import { announce } from '../lib/announcements.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('counter-propose-agreement'), async ({ caller, params, body }) => {
  const now = new Date();
  const { agreement } = await runAgreementCommand(params.agreementId, actorOf(caller), (current, actor) => counterPropose(current, body, actor, now), {
    now,
    extraItems: ({ agreement: after }) =>
      announce(
        'agreement.countered',
        [otherPartyOf(after, caller.partnerId)],
        { agreementId: after.id, termsVersion: after.terms.version },
        now,
        [after.id, after.terms.hash],
      ),
  });
  return { status: 200, body: agreement };
});
