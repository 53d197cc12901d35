import { NotFoundError } from '../../shared/errors.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { partnerStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('get-my-partner'), async ({ caller }) => {
  const partner = await partnerStore().getPartner(caller.partnerId);
  if (!partner) throw new NotFoundError('the partner of this key no longer exists');
  return { status: 200, body: partner };
});
