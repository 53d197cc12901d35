import { mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestApi } from '../support/api-client.ts';
import { PROJECT_ROOT, useCli } from './cli-harness.ts';
import { expand, parseShellLines, sectionBlocks } from './shell-lines.ts';

/**
 * The README's quick start, run line by line against the embedded stack:
 * every `npx accord` command it shows, in order, with its shell variables,
 * must succeed. A line this test cannot run fails it. `approve` without
 * `--yes` is answered "yes" on a pretend terminal, as the reader would.
 * (The first block, `npm ci && npm start`, is what the globalSetup and
 * test/integration/start-command.test.ts run.)
 */

const api = useTestApi();
const cli = useCli(api);

describe('the README quick start', () => {
  it('runs every command it shows, from sign-up to the results', { timeout: 180_000 }, async () => {
    const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const [setup, ...blocks] = sectionBlocks(readme, 'Quick start');
    expect(setup?.trim().split('\n').map((line) => line.replace(/\s+#.*$/, '').trim())).toEqual(['npm ci && npm start']);
    const lines = blocks.flatMap((block) => parseShellLines(block));
    expect(lines.length).toBeGreaterThan(10);

    // A reader's working directory: the checkout's cli/examples are there, and what the commands write lands there.
    const cwd = join(cli.dir, 'reader');
    await mkdir(cwd);
    await symlink(join(PROJECT_ROOT, 'cli'), join(cwd, 'cli'));
    const variables: Record<string, string> = {};
    const commands = new Set<string>();
    for (const line of lines) {
      const args = expand(line.words, variables);
      commands.add(args[0] ?? '');
      const asks = (args[0] === 'approve' || args[0] === 'decline') && !args.includes('--yes') && !args.includes('-y');
      const run = await cli.run(args, { cwd, ...(asks ? { answers: [true] } : {}) });
      expect(run.code, `${line.text}\n${run.stdout}${run.stderr}`).toBe(0);
      if (asks) expect(run.stdout, line.text).toMatch(/Purpose: |You will see/);
      if (args[0] === 'results') expect(run.stdout, line.text).toMatch(/: released .*\n[\s\S]*YOU \\ PARTNER/);
      if (line.assign) {
        variables[line.assign] = run.stdout.trim();
        expect(variables[line.assign], line.text).toMatch(/^[a-z]{3}_[0-9a-z]{20}$/);
      }
    }
    // The quick start goes from sign-up to the results and shows the commands a partner team needs.
    for (const command of ['signup', 'keys', 'propose', 'approve', 'status', 'contribute', 'wait', 'results', 'export', 'audit']) expect(commands, command).toContain(command);
  });
});
