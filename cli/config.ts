import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { CliError, EXIT, usageError } from './errors.ts';

/**
 * Profiles: an endpoint and a key under a name, in a JSON file only its
 * owner can read (`$ACCORD_CONFIG`, else `$XDG_CONFIG_HOME/accord/config.json`,
 * else `~/.config/accord/config.json`). A file that others can read is
 * refused rather than used: it holds API keys.
 *
 * Which endpoint and key a command uses, first match wins:
 *   key:      --profile NAME; ACCORD_API_KEY; ACCORD_PROFILE; the default profile
 *   endpoint: --endpoint; ACCORD_ENDPOINT; the profile's; http://127.0.0.1:3000
 */

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:3000';

const ProfileSchema = z.object({
  endpoint: z.string(),
  key: z.string(),
  partnerId: z.string().optional(),
  partnerName: z.string().optional(),
  role: z.string().optional(),
  keyId: z.string().optional(),
});
export type Profile = z.output<typeof ProfileSchema>;

const ConfigSchema = z.object({
  default: z.string().optional(),
  profiles: z.record(z.string(), ProfileSchema).default({}),
});
export type Config = z.output<typeof ConfigSchema>;

export const ProfileNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be letters, digits, ".", "_" or "-" (at most 64)');

export function configPath(env: Readonly<Record<string, string | undefined>>): string {
  if (env.ACCORD_CONFIG) return env.ACCORD_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'accord', 'config.json');
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(3, '0');
}

/** The config file, or an empty one when there is none; refuses a file others can read. */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    const info = await stat(path);
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      throw new CliError(`${path} holds API keys but others can read it (mode ${octal(info.mode)}): run chmod 600 ${path}`, EXIT.usage);
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw usageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw usageError(`${path} is not JSON: fix it or remove it`);
  }
  const parsed = ConfigSchema.safeParse(json);
  if (!parsed.success) throw usageError(`${path} is not an accord config: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Writes the config readable by its owner only (0600, in a 0700 folder it creates), atomically. */
export async function saveConfig(path: string, config: Config): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

export interface GlobalOptions {
  profile?: string;
  endpoint?: string;
}

export interface Credentials {
  endpoint: string;
  key?: string;
  /** The profile the key came from, when it came from one. */
  profileName?: string;
  profile?: Profile;
}

/** The endpoint and key a command uses (see the order above). */
export function resolveCredentials(config: Config, options: GlobalOptions, env: Readonly<Record<string, string | undefined>>): Credentials {
  const endpointOverride = options.endpoint ?? env.ACCORD_ENDPOINT;
  const fromProfile = (name: string): Credentials => {
    const profile = config.profiles[name];
    if (!profile) {
      const known = Object.keys(config.profiles);
      throw usageError(`no profile "${name}"${known.length ? ` (profiles: ${known.join(', ')})` : ': run accord signup, or accord profile add'}`);
    }
    return { endpoint: trimSlash(endpointOverride ?? profile.endpoint), key: profile.key, profileName: name, profile };
  };
  if (options.profile) return fromProfile(options.profile);
  if (env.ACCORD_API_KEY) return { endpoint: trimSlash(endpointOverride ?? DEFAULT_ENDPOINT), key: env.ACCORD_API_KEY };
  if (env.ACCORD_PROFILE) return fromProfile(env.ACCORD_PROFILE);
  if (config.default && config.profiles[config.default]) return fromProfile(config.default);
  return { endpoint: trimSlash(endpointOverride ?? DEFAULT_ENDPOINT) };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
