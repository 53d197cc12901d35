import { webhookView } from '../../shared/notifications.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { webhookStore } from '../notifications/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('delete-webhook'), async ({ caller }) => {
  const webhook = await webhookStore().deleteWebhook(caller.partnerId);
  return { status: 200, body: { webhook: webhookView(webhook, new Date()) } };
});
