import { rm } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { generateBlindKeyPair } from '../../shared/blind/keys.ts';
import { KeyIdSchema, ROLES, type Role } from '../../shared/partner.ts';
import { Context } from '../context.ts';
import { usageError } from '../errors.ts';
import { blindFolder, savePrivateKey } from '../blind-files.ts';
import { when, table } from '../format.ts';
import type { CliIo } from '../io.ts';
import { addProfile } from './account.ts';

/** keys list | create | revoke: the partner's API keys (admin keys only); keys blind: its blind-matching key. */
export function registerKeyCommands(program: Command, io: CliIo): void {
  const keys = program.command('keys').description("your company's API keys (needs an admin key), and its blind-matching key");

  keys
    .command('list', { isDefault: true })
    .description('the keys, never their secrets')
    .action(async (_options: unknown, command: Command) => {
      const ctx = new Context(io, command);
      const answer = await (await ctx.client()).call('list-keys');
      ctx.print(answer, () =>
        table(
          ['ID', 'ROLE', 'LABEL', 'PREFIX', 'CREATED', 'REVOKED'],
          answer.keys.map((key) => [key.id, key.role, key.label, `${key.prefix}…`, when(key.createdAt), key.revokedAt ? when(key.revokedAt) : '']),
        ),
      );
    });

  keys
    .command('create')
    .description('a new key with one role; it is shown once, or saved straight into a profile with --save-profile')
    .addOption(new Option('--role <role>', 'what the key may do').choices(ROLES).makeOptionMandatory())
    .requiredOption('--label <label>', 'whose key it is, e.g. legal')
    .option('--save-profile <name>', 'save the new key as this profile instead of printing it')
    .action(async (options: { role: Role; label: string; saveProfile?: string }, command: Command) => {
      const ctx = new Context(io, command);
      const credentials = await ctx.credentials();
      if (options.saveProfile && (await ctx.config()).profiles[options.saveProfile]) throw usageError(`profile "${options.saveProfile}" exists already`);
      const created = await (await ctx.client()).call('create-key', { body: { role: options.role, label: options.label } });
      if (options.saveProfile) {
        await addProfile(ctx, options.saveProfile, {
          endpoint: credentials.endpoint,
          key: created.apiKey,
          role: created.key.role,
          keyId: created.key.id,
          ...(credentials.profile?.partnerId ? { partnerId: credentials.profile.partnerId } : {}),
          ...(credentials.profile?.partnerName ? { partnerName: credentials.profile.partnerName } : {}),
        });
        ctx.print({ key: created.key, profile: options.saveProfile }, () => [`Created ${created.key.role} key ${created.key.id} (${created.key.label}), saved as profile "${options.saveProfile}".`]);
      } else {
        ctx.print(created, () => [
          `Created ${created.key.role} key ${created.key.id} (${created.key.label}). It is shown this once; hand it over safely:`,
          created.apiKey,
        ]);
      }
    });

  keys
    .command('revoke <keyId>')
    .description('revoke a key: it is refused from the next request on')
    .action(async (keyId: string, _options: unknown, command: Command) => {
      const ctx = new Context(io, command);
      if (!KeyIdSchema.safeParse(keyId).success) throw usageError(`"${keyId}" is not a key id (key_...): see accord keys list`);
      const answer = await (await ctx.client()).call('revoke-key', { params: { keyId } });
      ctx.print(answer, () => [`Revoked ${answer.key.role} key ${answer.key.id} (${answer.key.label}).`]);
    });

  keys
    .command('blind')
    .description('a new X25519 key pair for blind matching: the private key stays in a file only you can read, beside the config; the public key is registered with Accord (admin, contributor)')
    .action(async (_options: unknown, command: Command) => {
      const ctx = new Context(io, command);
      const client = await ctx.client();
      const pair = generateBlindKeyPair();
      // Saved before it is registered, so that a registered key always has its private key.
      const path = await savePrivateKey(blindFolder(ctx.configPath), pair);
      let answer;
      try {
        answer = await client.call('put-blind-key', { body: { publicKey: pair.publicKey } });
      } catch (error) {
        await rm(path, { force: true });
        throw error;
      }
      ctx.print({ ...answer, privateKeyFile: path }, () => [
        `Registered blind key ${answer.blindKey.fingerprint}: it serves your blind runs from now on.`,
        `Its private key is in ${path} (mode 0600): keep it as private as your account list, and keep it until the runs made with it are released.`,
      ], answer.blindKey.fingerprint);
    });
}
