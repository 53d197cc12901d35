import { generateWebhookSecret, webhookView } from '../../shared/notifications.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { webhookStore } from '../notifications/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('rotate-webhook-secret'), async ({ caller }) => {
  const now = new Date();
  const webhook = await webhookStore().rotateSecret(caller.partnerId, now, generateWebhookSecret());
  return { status: 200, body: { webhook: webhookView(webhook, now), secret: webhook.secret } };
});
