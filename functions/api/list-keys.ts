import { apiHandler } from '../lib/api-handler.ts';
import { partnerStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('list-keys'), async ({ caller }) => {
  const keys = await partnerStore().listKeys(caller.partnerId);
  return { status: 200, body: { keys } };
});
