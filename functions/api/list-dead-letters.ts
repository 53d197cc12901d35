import { apiHandler } from '../lib/api-handler.ts';
import { outboxStore } from '../notifications/stores.ts';
import { routeByHandler } from './routes.ts';

/** The newest dead letters; older ones expire with the table's TTL after 90 days. */
const LIMIT = 100;

export const handler = apiHandler(routeByHandler('list-dead-letters'), async ({ caller }) => {
  const deadLetters = await outboxStore().listDeadLetters(caller.partnerId, LIMIT);
  return { status: 200, body: { deadLetters } };
});
