import { decline } from '../../shared/agreement.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { endAgreement } from '../lib/end-agreement.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('decline-agreement'), async ({ caller, params, body }) => ({
  status: 200,
  body: await endAgreement(params.agreementId, caller, body, decline, 'agreement.declined'),
}));
