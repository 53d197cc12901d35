import type { Command } from 'commander';
import { Context } from '../context.ts';
import { fields, table, when } from '../format.ts';
import type { CliIo } from '../io.ts';

/** webhook set | show | rotate-secret | remove | dead-letters: where notifications go besides e-mail (admin keys). */
export function registerWebhookCommands(program: Command, io: CliIo): void {
  const webhook = program.command('webhook').description("your company's webhook for notifications, signed with a secret shown once (needs an admin key)");

  webhook
    .command('show', { isDefault: true })
    .description('the webhook, never its secret')
    .action(async (_options: unknown, command: Command) => {
      const ctx = new Context(io, command);
      const answer = await (await ctx.client()).call('get-webhook');
      ctx.print(answer, () =>
        fields([
          ['url', answer.webhook.url],
          ['secret', `${answer.webhook.secretHint}…`],
          ['since', when(answer.webhook.createdAt)],
          ['rotated', answer.webhook.secretRotatedAt ? when(answer.webhook.secretRotatedAt) : 'never'],
          ...(answer.webhook.previousSecretExpiresAt ? [['previous secret signs until', when(answer.webhook.previousSecretExpiresAt)] as const] : []),
        ]),
      );
    });

  webhook
    .command('set <url>')
    .description('register the webhook (its signing secret is shown once) or change its URL (the secret stays)')
    .action(async (url: string, _options: unknown, command: Command) => {
      const ctx = new Context(io, command);
      const answer = await (await ctx.client()).call('put-webhook', { body: { url } });
      ctx.print(answer, () =>
        answer.secret
          ? [`Registered ${answer.webhook.url}. Its signing secret, shown this once (verify Accord-Signature with it):`, answer.secret]
          : [`The webhook now posts to ${answer.webhook.url}; its secret is unchanged.`],
      );
    });

  webhook
    .command('rotate-secret')
    .description('a new signing secret, shown once; the previous one keeps signing alongside it for 24 hours')
    .action(async (_options: unknown, command: Command) => {
      const ctx = new Context(io, command);
      const answer = await (await ctx.client()).call('rotate-webhook-secret');
      ctx.print(answer, () => [`New signing secret, shown this once (the previous one signs too until ${when(answer.webhook.previousSecretExpiresAt)}):`, answer.secret]);
    });

  webhook
    .command('remove')
    .description('remove the webhook: notifications go to the contact e-mail only')
    .action(async (_options: unknown, command: Command) => {
      const ctx = new Context(io, command);
      const answer = await (await ctx.client()).call('delete-webhook');
      ctx.print(answer, () => [`Removed the webhook ${answer.webhook.url}; notifications go to the contact e-mail only.`]);
    });

  webhook
    .command('dead-letters')
    .description('notifications a channel could not deliver after its last attempt, newest first')
    .action(async (_options: unknown, command: Command) => {
      const ctx = new Context(io, command);
      const answer = await (await ctx.client()).call('list-dead-letters');
      ctx.print(answer, () =>
        answer.deadLetters.length === 0
          ? ['No undelivered notifications.']
          : table(
              ['DEAD SINCE', 'CHANNEL', 'TYPE', 'ATTEMPTS', 'LAST ERROR', 'SUBJECT'],
              answer.deadLetters.map((d) => [when(d.deadAt), d.channel, d.type, d.attempts, d.lastError, d.subject]),
            ),
      );
    });
}
