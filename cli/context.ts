import type { Command } from 'commander';
import { AccordClient } from './http.ts';
import { type Config, configPath, type Credentials, type GlobalOptions, loadConfig, resolveCredentials, saveConfig } from './config.ts';
import type { CliIo } from './io.ts';

/**
 * What every command gets: its global options, the config and credentials
 * (read when first needed), an API client, and one way to print — JSON on
 * stdout with `--json`, text for people otherwise.
 */
export class Context {
  readonly json: boolean;
  /** Print only the id of the result, for shell variables. */
  readonly quiet: boolean;
  readonly globals: GlobalOptions;
  readonly configPath: string;
  private loaded?: Config;

  constructor(
    readonly io: CliIo,
    command: Command,
  ) {
    const options = command.optsWithGlobals<{ json?: boolean; quiet?: boolean; profile?: string; endpoint?: string }>();
    this.json = options.json === true;
    this.quiet = options.quiet === true && !this.json;
    this.globals = { ...(options.profile ? { profile: options.profile } : {}), ...(options.endpoint ? { endpoint: options.endpoint } : {}) };
    this.configPath = configPath(io.env);
  }

  async config(): Promise<Config> {
    this.loaded ??= await loadConfig(this.configPath);
    return this.loaded;
  }

  async saveConfig(config: Config): Promise<void> {
    await saveConfig(this.configPath, config);
    this.loaded = config;
  }

  async credentials(): Promise<Credentials> {
    return resolveCredentials(await this.config(), this.globals, this.io.env);
  }

  async client(): Promise<AccordClient> {
    const credentials = await this.credentials();
    const source = credentials.profileName ? `the key of profile "${credentials.profileName}"` : credentials.key ? 'the key in ACCORD_API_KEY' : 'no key';
    return new AccordClient(credentials.endpoint, credentials.key, source);
  }

  /** The result: `value` as JSON with --json, its id alone with --quiet, else the lines for people. */
  print(value: unknown, lines: () => readonly string[], id?: string): void {
    if (this.json) this.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
    else if (this.quiet) this.io.stdout(id === undefined ? '' : `${id}\n`);
    else this.out(lines());
  }

  /** Lines for people on stdout; nothing with --json or --quiet. */
  out(lines: readonly string[]): void {
    if (!this.json && !this.quiet && lines.length > 0) this.io.stdout(`${lines.join('\n')}\n`);
  }

  /** Notes for people on stderr (progress, warnings); never mixed into --json output. */
  note(line: string): void {
    this.io.stderr(`${line}\n`);
  }
}
