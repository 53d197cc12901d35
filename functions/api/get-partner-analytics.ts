import { sideOf } from '../../shared/agreement.ts';
import { partnerAnalytics } from '../../shared/analytics.ts';
import { analyticsOfAgreement } from '../lib/analytics-inputs.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { agreementStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('get-partner-analytics'), async ({ caller }) => {
  const agreements = await agreementStore().listOfPartner(caller.partnerId);
  const perAgreement = [];
  for (const { id } of agreements) {
    const stored = await agreementStore().get(id);
    const side = stored ? sideOf(stored.agreement, caller.partnerId) : undefined;
    if (stored && side) perAgreement.push(await analyticsOfAgreement(stored, side));
  }
  return { status: 200, body: partnerAnalytics(caller.partnerId, perAgreement) };
});
