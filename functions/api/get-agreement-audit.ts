import { verifyChain } from '../../shared/audit-chain.ts';
import { readAgreementAsParty } from '../lib/agreement-commands.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { agreementStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('get-agreement-audit'), async ({ caller, params }) => {
  const { auditHead } = await readAgreementAsParty(params.agreementId, caller.partnerId);
  const events = await agreementStore().auditEvents(params.agreementId, auditHead);
  const verification = verifyChain(events, { head: auditHead });
  return { status: 200, body: { events, verification } };
});
