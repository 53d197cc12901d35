import { newApiKey, newPartner } from '../../shared/partner.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { partnerStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('sign-up-partner'), async ({ body }) => {
  const now = new Date();
  const partner = newPartner(body, now);
  const { key, apiKey, keyHash } = newApiKey('admin', 'first admin key', now);
  await partnerStore().signUp(partner, key, keyHash);
  return { status: 201, body: { partner, key, apiKey }, headers: { location: '/v1/partners/me' } };
});
