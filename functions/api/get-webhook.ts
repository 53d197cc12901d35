import { NotFoundError } from '../../shared/errors.ts';
import { webhookView } from '../../shared/notifications.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { webhookStore } from '../notifications/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('get-webhook'), async ({ caller }) => {
  const webhook = await webhookStore().getWebhook(caller.partnerId);
  if (!webhook) throw new NotFoundError('this partner has no webhook: register one with PUT /v1/partners/me/webhook');
  return { status: 200, body: { webhook: webhookView(webhook, new Date()) } };
});
