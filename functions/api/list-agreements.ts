import { apiHandler } from '../lib/api-handler.ts';
import { agreementStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('list-agreements'), async ({ caller, query }) => {
  const agreements = await agreementStore().listOfPartner(caller.partnerId, query.status ? { status: query.status } : {});
  return { status: 200, body: { agreements } };
});
