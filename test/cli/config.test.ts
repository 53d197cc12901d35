import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, configPath, DEFAULT_ENDPOINT, loadConfig, resolveCredentials, saveConfig } from '../../cli/config.ts';
import { CliError, EXIT } from '../../cli/errors.ts';

/** Profiles: where the config lives, who may read it, and which endpoint and key a command uses. */

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'accord-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const config: Config = {
  default: 'acme',
  profiles: {
    acme: { endpoint: 'https://accord.acme.com', key: 'acc_acme' },
    globex: { endpoint: 'https://accord.globex.com/', key: 'acc_globex' },
  },
};

describe('the config file', () => {
  it('lives at $ACCORD_CONFIG, else under $XDG_CONFIG_HOME or ~/.config', () => {
    expect(configPath({ ACCORD_CONFIG: '/x/c.json', HOME: '/home/a' })).toBe('/x/c.json');
    expect(configPath({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/a' })).toBe('/xdg/accord/config.json');
    expect(configPath({ HOME: '/home/a' })).toBe('/home/a/.config/accord/config.json');
  });

  it('is written for its owner only, in a folder it creates, and read back', async () => {
    const path = join(dir, 'nested', 'config.json');
    await saveConfig(path, config);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'nested'))).mode & 0o777).toBe(0o700);
    expect(await loadConfig(path)).toEqual(config);
  });

  it('tightens a file it rewrites, and is refused when others can read it', async () => {
    const path = join(dir, 'loose.json');
    await writeFile(path, JSON.stringify(config), { mode: 0o640 });
    await chmod(path, 0o640);
    await expect(loadConfig(path)).rejects.toMatchObject({ exitCode: EXIT.usage, message: expect.stringContaining('mode 640') as string });
    await saveConfig(path, config);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(config);
  });

  it('is empty when missing, and refused with one line when it is not a config', async () => {
    expect(await loadConfig(join(dir, 'missing.json'))).toEqual({ profiles: {} });
    const path = join(dir, 'bad.json');
    await writeFile(path, '{"profiles": {"a": {"endpoint": 1}}}', { mode: 0o600 });
    await expect(loadConfig(path)).rejects.toBeInstanceOf(CliError);
  });
});

describe('which endpoint and key a command uses', () => {
  it('takes --profile first, then ACCORD_API_KEY, then ACCORD_PROFILE, then the default profile', () => {
    expect(resolveCredentials(config, { profile: 'globex' }, { ACCORD_API_KEY: 'acc_env', ACCORD_PROFILE: 'acme' })).toMatchObject({ key: 'acc_globex', profileName: 'globex', endpoint: 'https://accord.globex.com' });
    expect(resolveCredentials(config, {}, { ACCORD_API_KEY: 'acc_env', ACCORD_PROFILE: 'globex' })).toEqual({ key: 'acc_env', endpoint: DEFAULT_ENDPOINT });
    expect(resolveCredentials(config, {}, { ACCORD_PROFILE: 'globex' })).toMatchObject({ key: 'acc_globex', profileName: 'globex' });
    expect(resolveCredentials(config, {}, {})).toMatchObject({ key: 'acc_acme', profileName: 'acme' });
    expect(resolveCredentials({ profiles: {} }, {}, {})).toEqual({ endpoint: DEFAULT_ENDPOINT });
  });

  it('takes --endpoint first, then ACCORD_ENDPOINT, then the profile’s', () => {
    expect(resolveCredentials(config, { endpoint: 'http://flag:1/', profile: 'acme' }, { ACCORD_ENDPOINT: 'http://env:2' }).endpoint).toBe('http://flag:1');
    expect(resolveCredentials(config, { profile: 'acme' }, { ACCORD_ENDPOINT: 'http://env:2' }).endpoint).toBe('http://env:2');
    expect(resolveCredentials(config, { profile: 'acme' }, {}).endpoint).toBe('https://accord.acme.com');
    expect(resolveCredentials(config, {}, { ACCORD_API_KEY: 'acc_env', ACCORD_ENDPOINT: 'http://env:2' }).endpoint).toBe('http://env:2');
  });

  it('names the profiles there are when asked for one that is not', () => {
    expect(() => resolveCredentials(config, { profile: 'initech' }, {})).toThrow('no profile "initech" (profiles: acme, globex)');
    expect(() => resolveCredentials(config, {}, { ACCORD_PROFILE: 'initech' })).toThrow(CliError);
  });
});
