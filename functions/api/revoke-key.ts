import { apiHandler } from '../lib/api-handler.ts';
import { partnerStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('revoke-key'), async ({ params, caller }) => {
  const key = await partnerStore().revokeKey(caller.partnerId, params.keyId, new Date().toISOString());
  return { status: 200, body: { key } };
});
