import { NotFoundError } from '../../shared/errors.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { partnerStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('get-blind-key'), async ({ caller }) => {
  const blindKey = await partnerStore().getBlindKey(caller.partnerId);
  if (!blindKey) throw new NotFoundError('this partner has registered no blind key: PUT /v1/partners/me/blind-key');
  return { status: 200, body: { blindKey, history: await partnerStore().listBlindKeys(caller.partnerId) } };
});
