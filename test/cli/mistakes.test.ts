import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/errors.ts';
import { uniqueSignUp, useTestApi } from '../support/api-client.ts';
import { EXAMPLES, idOf, isOneLineError, useCli } from './cli-harness.ts';

/**
 * What a new user gets wrong: a mistyped flag, a missing file, a revoked key,
 * a stale terms version, and the rest. Each gets one line on stderr that says
 * what to do, a documented non-zero exit code, and never a stack trace.
 */

const api = useTestApi();
const cli = useCli(api);

let acme = '';
let globex = '';
let globexId = '';

async function signUp(profile: string, name: string) {
  const body = uniqueSignUp(name);
  const run = await cli.run(['signup', '--name', body.name, '--domain', body.domain, '--email', body.contactEmail, '--profile', profile, '--quiet']);
  return idOf(run);
}

/** A loopback port nothing listens on: one that was free a moment ago. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  await signUp('acme', 'Acme');
  globexId = await signUp('globex', 'Globex');
  acme = 'acme';
  globex = 'globex';
});

describe('a mistyped command line', () => {
  it('names the unknown flag and suggests the right one (exit 2)', async () => {
    const run = await cli.run(['approve', 'agr_00000000000000000000', '--yse', '--profile', acme]);
    expect(run.code).toBe(EXIT.usage);
    expect(isOneLineError(run)).toBe(true);
    expect(run.stderr).toContain("unknown option '--yse'");
    expect(run.stderr).toContain('--yes');
    expect(run.stderr).toContain('accord approve --help');
  });

  it('names an unknown command (exit 2)', async () => {
    const run = await cli.run(['aprove', 'agr_00000000000000000000']);
    expect(run.code).toBe(EXIT.usage);
    expect(isOneLineError(run)).toBe(true);
    expect(run.stderr).toMatch(/unknown command 'aprove'.*approve/);
  });

  it('names a missing argument and a bad option value (exit 2)', async () => {
    const missing = await cli.run(['status']);
    expect(missing.code).toBe(EXIT.usage);
    expect(isOneLineError(missing)).toBe(true);
    expect(missing.stderr).toContain("missing required argument 'agreementId'");

    const badStatus = await cli.run(['agreements', '--status', 'done', '--profile', acme]);
    expect(badStatus.code).toBe(EXIT.usage);
    expect(isOneLineError(badStatus)).toBe(true);
    expect(badStatus.stderr).toMatch(/'done' is invalid.*proposed/);

    const badId = await cli.run(['status', 'agr_123', '--profile', acme]);
    expect(badId.code).toBe(EXIT.usage);
    expect(badId.stderr).toBe('accord: "agr_123" is not an agreement id (agr_ and 20 letters or digits): see accord agreements\n');
  });

  it('refuses to approve unseen when no one is at a terminal (exit 2)', async () => {
    const proposed = idOf(await cli.run(['propose', join(EXAMPLES, 'terms.yaml'), '--counterparty', globexId, '--profile', acme, '-q']));
    const run = await cli.run(['approve', proposed, '--profile', globex]);
    expect(run.code).toBe(EXIT.usage);
    expect(isOneLineError(run)).toBe(true);
    expect(run.stderr).toContain('--yes');
    const agreement = await cli.run(['status', proposed, '--profile', globex, '--json']);
    expect((JSON.parse(agreement.stdout) as { agreement: { approvals: unknown[] } }).agreement.approvals).toEqual([]);
  });
});

describe('a missing or bad file', () => {
  it('says which file cannot be read (exit 2), before calling the API', async () => {
    const terms = await cli.run(['propose', 'no-such-terms.yaml', '--counterparty', globexId, '--profile', acme]);
    expect(terms.code).toBe(EXIT.usage);
    expect(terms.stderr).toBe('accord: cannot read no-such-terms.yaml: no such file\n');
    const accounts = await cli.run(['contribute', 'no-such-accounts.csv', '--agreement', 'agr_00000000000000000000', '--profile', acme]);
    expect(accounts.code).toBe(EXIT.usage);
    expect(accounts.stderr).toBe('accord: cannot read no-such-accounts.csv: no such file\n');
    const { agreements } = JSON.parse((await cli.run(['agreements', '--profile', acme, '--json'])).stdout) as { agreements: unknown[] };
    expect(agreements.length).toBeLessThanOrEqual(1);
  });

  it('points at each invalid field of the terms by path and line, and proposes nothing (exit 1)', async () => {
    const file = join(cli.dir, 'bad-terms.yaml');
    await writeFile(file, ['purpose: Try', 'schedule:', '  reminderDays: [1, 7, 3]', 'incentives:', '  currency: euro', 'colour: blue', ''].join('\n'));
    const before = JSON.parse((await cli.run(['agreements', '--profile', acme, '--json'])).stdout) as { agreements: unknown[] };
    const run = await cli.run(['propose', file, '--counterparty', globexId, '--profile', acme]);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr.split('\n').filter(Boolean).sort()).toEqual(
      [
        `accord: ${file}:3: terms.schedule.reminderDays.2: must be strictly ascending: day 3 follows day 7`,
        `accord: ${file}:5: terms.incentives.currency: must be an ISO 4217 code in capitals, such as USD or EUR`,
        `accord: ${file}:6: terms.colour: is not a known field`,
      ].sort(),
    );
    const after = JSON.parse((await cli.run(['agreements', '--profile', acme, '--json'])).stdout) as { agreements: unknown[] };
    expect(after.agreements).toHaveLength(before.agreements.length);
  });

  it('says where a file is not YAML (exit 1)', async () => {
    const file = join(cli.dir, 'broken.yaml');
    await writeFile(file, 'purpose: [unclosed\n');
    const run = await cli.run(['propose', file, '--counterparty', globexId, '--profile', acme]);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toMatch(/^accord: .*broken\.yaml:\d+: not valid YAML or JSON: /);
  });
});

describe('keys and profiles', () => {
  it('explains a revoked key in one line (exit 3)', async () => {
    const created = await cli.run(['keys', 'create', '--role', 'viewer', '--label', 'temp', '--save-profile', 'acme-temp', '--profile', acme, '--json']);
    expect(created.code).toBe(0);
    const { key } = JSON.parse(created.stdout) as { key: { id: string } };
    expect((await cli.run(['whoami', '--profile', 'acme-temp'])).code).toBe(0);
    expect((await cli.run(['keys', 'revoke', key.id, '--profile', acme])).code).toBe(0);
    const run = await cli.run(['agreements', '--profile', 'acme-temp']);
    expect(run.code).toBe(EXIT.auth);
    expect(run.stderr).toBe('accord: the API key is unknown or has been revoked (the key of profile "acme-temp")\n');
  });

  it('explains a key whose role may not do it (exit 3), and a key from the environment', async () => {
    const created = JSON.parse((await cli.run(['keys', 'create', '--role', 'viewer', '--label', 'ro', '--profile', acme, '--json'])).stdout) as { apiKey: string };
    const run = await cli.run(['keys', 'list'], { env: { ACCORD_API_KEY: created.apiKey } });
    expect(run.code).toBe(EXIT.auth);
    expect(isOneLineError(run)).toBe(true);
    expect(run.stderr).toMatch(/role/);
  });

  it('explains that no key is configured (exit 3) and an unknown profile (exit 2)', async () => {
    const none = await cli.run(['agreements'], { env: { ACCORD_CONFIG: join(cli.dir, 'empty.json') } });
    expect(none.code).toBe(EXIT.auth);
    expect(none.stderr).toMatch(/^accord: no API key: run accord signup/);
    const unknown = await cli.run(['agreements', '--profile', 'nobody']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toMatch(/^accord: no profile "nobody" \(profiles: acme, globex/);
  });

  it('refuses a config file that others can read (exit 2)', async () => {
    const path = join(cli.dir, 'shared-config.json');
    await writeFile(path, JSON.stringify({ profiles: {} }), { mode: 0o644 });
    await chmod(path, 0o644);
    const run = await cli.run(['profile', 'list'], { env: { ACCORD_CONFIG: path } });
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toBe(`accord: ${path} holds API keys but others can read it (mode 644): run chmod 600 ${path}\n`);
  });

  it('refuses to overwrite a profile when signing up, before creating the partner (exit 2)', async () => {
    const body = uniqueSignUp('Acme');
    const run = await cli.run(['signup', '--name', body.name, '--domain', body.domain, '--email', body.contactEmail, '--profile', acme]);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/profile "acme" exists already/);
    expect((await api.call('POST', '/v1/partners', { body })).status).toBe(201);
  });

  it('explains an invalid sign-up locally (exit 1) and a taken domain (exit 5)', async () => {
    const invalid = await cli.run(['signup', '--name', 'X', '--domain', 'not a domain', '--email', 'nope', '--profile', 'x']);
    expect(invalid.code).toBe(EXIT.failed);
    expect(isOneLineError(invalid)).toBe(true);
    expect(invalid.stderr).toMatch(/domain: .*email: must be an e-mail address/);
    const body = uniqueSignUp('Initech');
    expect((await api.call('POST', '/v1/partners', { body })).status).toBe(201);
    const taken = await cli.run(['signup', '--name', body.name, '--domain', body.domain, '--email', body.contactEmail, '--profile', 'initech']);
    expect(taken.code).toBe(EXIT.conflict);
    expect(isOneLineError(taken)).toBe(true);
  });
});

describe('stale terms and other conflicts', () => {
  it('refuses to approve terms that changed since they were read (exit 5), by version and by hash', async () => {
    const agreementId = idOf(await cli.run(['propose', join(EXAMPLES, 'terms.yaml'), '--counterparty', globexId, '--profile', acme, '-q']));
    const read = JSON.parse((await cli.run(['status', agreementId, '--profile', acme, '--json'])).stdout) as { agreement: { terms: { hash: string } } };
    const counter = join(cli.dir, 'counter.yaml');
    await writeFile(counter, 'purpose: Shared customers only.\n');
    expect((await cli.run(['counter', agreementId, counter, '--profile', globex])).code).toBe(0);

    const byVersion = await cli.run(['approve', agreementId, '--yes', '--terms-version', '1', '--profile', acme]);
    expect(byVersion.code).toBe(EXIT.conflict);
    expect(byVersion.stderr).toBe(`accord: the terms of ${agreementId} are at version 2, not 1: read them again with accord approve ${agreementId}\n`);

    const byHash = await cli.run(['approve', agreementId, '--yes', '--hash', read.agreement.terms.hash, '--profile', acme]);
    expect(byHash.code).toBe(EXIT.conflict);
    expect(isOneLineError(byHash)).toBe(true);
    expect(byHash.stderr).toMatch(/not the current terms \(version 2/);

    const other = join(cli.dir, 'counter-2.yaml');
    await writeFile(other, 'purpose: Shared prospects only.\n');
    const stale = await cli.run(['counter', agreementId, other, '--based-on', '1', '--profile', acme]);
    expect(stale.code).toBe(EXIT.conflict);
    expect(isOneLineError(stale)).toBe(true);

    const status = JSON.parse((await cli.run(['status', agreementId, '--profile', acme, '--json'])).stdout) as { agreement: { approvals: unknown[]; terms: { version: number } } };
    expect(status.agreement).toMatchObject({ approvals: [], terms: { version: 2 } });
  });

  it('says an agreement is not found (exit 4) and that a contribution needs an open run (exit 5)', async () => {
    const missing = await cli.run(['status', 'agr_00000000000000000000', '--profile', acme]);
    expect(missing.code).toBe(EXIT.notFound);
    expect(isOneLineError(missing)).toBe(true);
    const agreementId = idOf(await cli.run(['propose', join(EXAMPLES, 'terms.yaml'), '--counterparty', globexId, '--profile', acme, '-q']));
    const early = await cli.run(['contribute', join(EXAMPLES, 'acme-accounts.csv'), '--agreement', agreementId, '--profile', acme]);
    expect(early.code).toBe(EXIT.conflict);
    expect(early.stderr).toBe(`accord: ${agreementId} has no run open for contributions (it is proposed): both sides approve the terms first\n`);
  });

  it('says when the API cannot be reached (exit 6)', async () => {
    const closed = await closedPort();
    const run = await cli.run(['agreements', '--profile', acme, '--endpoint', `http://127.0.0.1:${closed}`]);
    expect(run.code).toBe(EXIT.unreachable);
    expect(run.stderr).toBe(`accord: cannot reach the Accord API at http://127.0.0.1:${closed}: connection refused (is it running? set --endpoint or ACCORD_ENDPOINT)\n`);
  });
});

describe('the bin as a child process', () => {
  it('answers a mistyped flag with one line and exit 2, and a revoked key with exit 3', async () => {
    const typo = await cli.spawn(['agreements', '--stauts', 'proposed', '--profile', acme]);
    expect(typo.code).toBe(EXIT.usage);
    expect(typo.stderr).toBe("accord: unknown option '--stauts' (Did you mean --status?) (see accord agreements --help)\n");
    const created = JSON.parse((await cli.run(['keys', 'create', '--role', 'viewer', '--label', 'gone', '--profile', acme, '--json'])).stdout) as { key: { id: string }; apiKey: string };
    await cli.run(['keys', 'revoke', created.key.id, '--profile', acme]);
    const revoked = await cli.spawn(['agreements', '--json'], { env: { ACCORD_API_KEY: created.apiKey } });
    expect(revoked.code).toBe(EXIT.auth);
    expect(revoked.stdout).toBe('');
    expect(revoked.stderr).toBe('accord: the API key is unknown or has been revoked (the key in ACCORD_API_KEY)\n');
  });
});
