import { apiHandler } from '../lib/api-handler.ts';
import { registerBlindKey } from '../lib/blind-keys.ts';
import { partnerStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('put-blind-key'), async ({ body, caller }) => {
  const { key, changed } = await registerBlindKey(caller, body.publicKey, new Date());
  return { status: changed ? 201 : 200, body: { blindKey: key, history: await partnerStore().listBlindKeys(caller.partnerId) } };
});
