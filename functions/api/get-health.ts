import { apiHandler } from '../lib/api-handler.ts';
import { partnerStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('get-health'), async () => {
  // A read of an item that need not exist proves the table answers.
  await partnerStore().getPartner('ptn_health0000000000000');
  return { status: 200, body: { status: 'ok', time: new Date().toISOString() } };
});
