import { generateWebhookSecret, validateWebhookUrl, webhookView } from '../../shared/notifications.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { webhookUrlPolicy } from '../notifications/config.ts';
import { webhookStore } from '../notifications/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('put-webhook'), async ({ body, caller }) => {
  const url = validateWebhookUrl(body.url, webhookUrlPolicy());
  const now = new Date();
  const { webhook, created } = await webhookStore().putWebhook(caller.partnerId, url, now, generateWebhookSecret());
  if (created) return { status: 201, body: { webhook: webhookView(webhook, now), secret: webhook.secret } };
  return { status: 200, body: { webhook: webhookView(webhook, now) } };
});
