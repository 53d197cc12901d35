import type { Command } from 'commander';
import { displayPrefix, looksLikeApiKey } from '../../shared/api-keys.ts';
import { SignUpRequestSchema } from '../../shared/partner.ts';
import { zodIssuesToDetails } from '../../shared/terms.ts';
import { AccordClient } from '../http.ts';
import { DEFAULT_ENDPOINT, type Profile, ProfileNameSchema } from '../config.ts';
import { Context } from '../context.ts';
import { CliError, EXIT, usageError } from '../errors.ts';
import { fields, table } from '../format.ts';
import type { CliIo } from '../io.ts';

/** signup, whoami and the profiles that hold endpoints and keys. */

function checkedProfileName(name: string): string {
  const parsed = ProfileNameSchema.safeParse(name);
  if (!parsed.success) throw usageError(`profile name "${name}" ${parsed.error.issues[0]?.message ?? 'is not valid'}`);
  return name;
}

/** Adds a profile to the config, refusing to overwrite one (its key would be lost). */
export async function addProfile(ctx: Context, name: string, profile: Profile): Promise<void> {
  const config = await ctx.config();
  if (config.profiles[name]) throw usageError(`profile "${name}" exists already: pick another name or remove it first (accord profile remove ${name})`);
  await ctx.saveConfig({ ...config, profiles: { ...config.profiles, [name]: profile }, default: config.default ?? name });
}

/** The endpoint for commands that need no key (signup): the flag, the environment, the default. */
function endpointOf(ctx: Context): string {
  return (ctx.globals.endpoint ?? ctx.io.env.ACCORD_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
}

export function registerAccountCommands(program: Command, io: CliIo): void {
  program
    .command('signup')
    .description('sign your company up as a partner; its admin key is saved in a profile (--profile NAME, default: the first label of the domain)')
    .requiredOption('--name <name>', 'company name')
    .requiredOption('--domain <domain>', 'company web domain, e.g. acme.com')
    .requiredOption('--email <address>', 'contact e-mail for notifications')
    .option('--invitation <code>', 'the invitation code you were sent: you become the counterparty of its agreement')
    .action(async (options: { name: string; domain: string; email: string; invitation?: string }, command: Command) => {
      const ctx = new Context(io, command);
      const request = { name: options.name, domain: options.domain, contactEmail: options.email, ...(options.invitation ? { invitationCode: options.invitation } : {}) };
      const checked = SignUpRequestSchema.safeParse(request);
      if (!checked.success) {
        const detail = zodIssuesToDetails(checked.error.issues).map((d) => `${d.path === 'contactEmail' ? 'email' : d.path}: ${d.message}`).join('; ');
        throw new CliError(`the sign-up is invalid: ${detail}`, EXIT.failed);
      }
      const name = checkedProfileName(ctx.globals.profile ?? checked.data.domain.split('.')[0] ?? 'default');
      const config = await ctx.config();
      if (config.profiles[name]) throw usageError(`profile "${name}" exists already: sign up with --profile OTHER-NAME, or remove it (accord profile remove ${name})`);
      const endpoint = endpointOf(ctx);
      const answer = await new AccordClient(endpoint, undefined).call('sign-up-partner', { body: request });
      await addProfile(ctx, name, { endpoint, key: answer.apiKey, partnerId: answer.partner.id, partnerName: answer.partner.name, role: 'admin', keyId: answer.key.id });
      const result = { partner: answer.partner, key: answer.key, profile: name, config: ctx.configPath, ...(answer.agreementId ? { agreementId: answer.agreementId } : {}), ...(answer.invitationProblem ? { invitationProblem: answer.invitationProblem } : {}) };
      ctx.print(result, () => [
        `Signed up ${answer.partner.name} (${answer.partner.id}), ${answer.partner.domain}.`,
        `Its admin key ${answer.key.id} is saved in profile "${name}" (${ctx.configPath}); it is not shown again.`,
        ...(answer.agreementId ? [`You are now the counterparty of agreement ${answer.agreementId}: accord approve ${answer.agreementId} --profile ${name}`] : []),
        ...(answer.invitationProblem ? [`The invitation could not be accepted: ${answer.invitationProblem}`] : []),
      ], answer.partner.id);
    });

  program
    .command('whoami')
    .description('the partner, endpoint and profile the current key belongs to')
    .action(async (_options: unknown, command: Command) => {
      const ctx = new Context(io, command);
      const credentials = await ctx.credentials();
      const partner = await (await ctx.client()).call('get-my-partner');
      ctx.print({ partner, endpoint: credentials.endpoint, profile: credentials.profileName ?? null, role: credentials.profile?.role ?? null }, () =>
        fields([
          ['partner', `${partner.name} (${partner.id})`],
          ['domain', partner.domain],
          ['contact', partner.contactEmail],
          ['endpoint', credentials.endpoint],
          ['profile', credentials.profileName ?? '(ACCORD_API_KEY)'],
          ['role', credentials.profile?.role],
        ]),
        partner.id,
      );
    });

  const profile = program.command('profile').description('the profiles in the config file: an endpoint and a key under a name');

  profile
    .command('list', { isDefault: true })
    .description('the profiles, never their keys')
    .action(async (_options: unknown, command: Command) => {
      const ctx = new Context(io, command);
      const config = await ctx.config();
      const profiles = Object.entries(config.profiles).map(([name, p]) => ({
        name,
        default: name === config.default,
        endpoint: p.endpoint,
        partnerId: p.partnerId ?? null,
        partnerName: p.partnerName ?? null,
        role: p.role ?? null,
        key: displayPrefix(p.key),
      }));
      ctx.print({ config: ctx.configPath, default: config.default ?? null, profiles }, () =>
        profiles.length === 0
          ? [`No profiles in ${ctx.configPath}: run accord signup, or accord profile add NAME.`]
          : table(
              ['NAME', 'DEFAULT', 'PARTNER', 'ROLE', 'KEY', 'ENDPOINT'],
              profiles.map((p) => [p.name, p.default ? '*' : '', p.partnerName ? `${p.partnerName} (${p.partnerId})` : p.partnerId, p.role, `${p.key}…`, p.endpoint]),
            ),
      );
    });

  profile
    .command('add <name>')
    .description('save a key you were given under a name; the key is read from the terminal or stdin, never from the command line')
    .option('--role <role>', 'the role of the key, for your own reference')
    .action(async (name: string, options: { role?: string }, command: Command) => {
      const ctx = new Context(io, command);
      checkedProfileName(name);
      const key = await io.readLine('API key: ');
      if (!looksLikeApiKey(key)) throw usageError('that is not an Accord API key (acc_ and 40 letters or digits)');
      const endpoint = endpointOf(ctx);
      const partner = await new AccordClient(endpoint, key, 'the key given').call('get-my-partner');
      await addProfile(ctx, name, { endpoint, key, partnerId: partner.id, partnerName: partner.name, ...(options.role ? { role: options.role } : {}) });
      ctx.print({ profile: name, partner }, () => [`Saved profile "${name}": ${partner.name} (${partner.id}) at ${endpoint}.`]);
    });

  profile
    .command('use <name>')
    .description('make a profile the default')
    .action(async (name: string, _options: unknown, command: Command) => {
      const ctx = new Context(io, command);
      const config = await ctx.config();
      if (!config.profiles[name]) throw usageError(`no profile "${name}"`);
      await ctx.saveConfig({ ...config, default: name });
      ctx.print({ default: name }, () => [`"${name}" is the default profile.`]);
    });

  profile
    .command('remove <name>')
    .description('forget a profile and its key (the key stays valid: revoke it with accord keys revoke)')
    .action(async (name: string, _options: unknown, command: Command) => {
      const ctx = new Context(io, command);
      const config = await ctx.config();
      if (!config.profiles[name]) throw usageError(`no profile "${name}"`);
      const { [name]: _removed, ...profiles } = config.profiles;
      const next = { profiles, ...(config.default && config.default !== name ? { default: config.default } : {}) };
      await ctx.saveConfig(next);
      ctx.print({ removed: name }, () => [`Removed profile "${name}".`]);
    });
}
