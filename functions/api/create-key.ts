import { newApiKey } from '../../shared/partner.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { partnerStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('create-key'), async ({ body, caller }) => {
  const { key, apiKey, keyHash } = newApiKey(body.role, body.label, new Date());
  await partnerStore().addKey(caller.partnerId, key, keyHash);
  return { status: 201, body: { key, apiKey } };
});
