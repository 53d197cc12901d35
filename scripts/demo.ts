/**
 * `npm run demo`: a whole engagement between two fictional companies, told
 * through the `accord` CLI. It uses the Accord API at --endpoint (or
 * ACCORD_ENDPOINT, or a `npm start` answering on http://127.0.0.1:3000), and
 * otherwise starts the embedded stack itself in a temporary folder and stops
 * it at the end. Account lists are generated (seeded) with the matching
 * quality generator: realistic CRM exports, overlapping, with the usual mess.
 *
 *   npm run demo -- [--endpoint URL | --embedded] [--seed N] [--rows N]
 *
 * Profiles go to a temporary config file, never to the user's own.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { processIo, type CliIo } from '../cli/io.ts';
import { runCli } from '../cli/main.ts';
import type { ResultsView } from '../shared/results.ts';
import { generateDataset } from '../test/quality/generator.ts';

const USAGE = `usage: npm run demo -- [--endpoint URL | --embedded] [--seed N] [--rows N]

  --endpoint URL  the Accord API to use (or ACCORD_ENDPOINT); default: a running
                  npm start on http://127.0.0.1:3000, else a fresh embedded stack
  --embedded      always start a fresh embedded stack in a temporary folder
  --seed N        seed of the generated account lists (default 7)
  --rows N        rows of each account list (default 300)`;

class DemoError extends Error {}

interface Stack {
  url: string;
  stop(): Promise<void>;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
    return response.ok && ((await response.json()) as { status?: string }).status === 'ok';
  } catch {
    return false;
  }
}

/** The embedded stack, in-process, as `npm start` runs it, on free ports and a throw-away data folder. */
async function startEmbeddedStack(dataDir: string): Promise<Stack> {
  const [{ startEmbeddedServices }, { provisionStorage }, { deliverObjectCreated }, { startLocalWorkflows }, { startApiServer }, { NOTIFICATION_ENV }] = await Promise.all([
    import('../local/embedded-services.ts'),
    import('../local/provision.ts'),
    import('../local/s3-events.ts'),
    import('../local/local-stack.ts'),
    import('../local/api-server.ts'),
    import('../functions/notifications/config.ts'),
  ]);
  const services = await startEmbeddedServices({ dataDir, onObjectCreated: deliverObjectCreated });
  try {
    await provisionStorage(services);
    Object.assign(process.env, services.environment, { [NOTIFICATION_ENV.mailOutboxDir]: join(dataDir, 'outbox') });
    const workflows = await startLocalWorkflows({ dataDir, clock: 'real' });
    Object.assign(process.env, workflows.environment);
    const api = await startApiServer({ port: 0 });
    return {
      url: api.url,
      stop: async () => {
        await api.close();
        await workflows.service.stop();
        await services.stop();
      },
    };
  } catch (error) {
    await services.stop();
    throw error;
  }
}

/** Prints each command as a reader would type it, then its output; answers "yes" to its questions, visibly. */
function transcript(env: Record<string, string | undefined>, cwd: string): { accord: (args: string[], options?: { capture?: boolean }) => Promise<string>; say: (text: string) => void } {
  const real = processIo();
  const write = (text: string) => real.stdout(text);
  return {
    say: (text) => write(`\n${text}\n`),
    accord: async (args, options = {}) => {
      const shown = args.map((arg) => (/^[\w@./:=,-]+$/.test(arg) ? arg : `"${arg}"`)).join(' ');
      write(`\n$ accord ${shown}\n`);
      let captured = '';
      const io: CliIo = {
        ...real,
        env,
        cwd,
        interactive: true,
        stdout: (text) => {
          captured += text;
          if (!options.capture) write(text);
        },
        stderr: (text) => write(text),
        confirm: (question) => {
          write(`${question} [y/N] y\n`);
          return Promise.resolve(true);
        },
        // No progress bar in a transcript.
        progressStream: undefined,
      };
      const code = await runCli(args, io);
      if (code !== 0) throw new DemoError(`accord ${shown} exited ${code}`);
      return captured.trim();
    },
  };
}

/** The terms Northwind proposes: visibility per cell, and the incentives the revenue-share statement follows. */
const DEMO_TERMS = fileURLToPath(new URL('demo-terms.yaml', import.meta.url));

/** The deal Northwind wins on the referred account, in EUR: cents that make the rounding rule visible. */
const DEAL_EUR = '48250.55';

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      endpoint: { type: 'string' },
      embedded: { type: 'boolean', default: false },
      seed: { type: 'string', default: '7' },
      rows: { type: 'string', default: '300' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const seed = Number(values.seed);
  const rows = Number(values.rows);
  if (!Number.isInteger(seed) || !Number.isInteger(rows) || rows < 20 || rows > 100_000) throw new DemoError('--seed must be a whole number and --rows a whole number from 20 to 100000');

  const work = await mkdtemp(join(tmpdir(), 'accord-demo-'));
  let stack: Stack | undefined;
  try {
    const given = values.endpoint ?? process.env.ACCORD_ENDPOINT;
    let url: string;
    if (given) {
      url = given.replace(/\/+$/, '');
      if (!(await healthy(url))) throw new DemoError(`no Accord API answers at ${url}`);
    } else if (!values.embedded && (await healthy('http://127.0.0.1:3000'))) {
      url = 'http://127.0.0.1:3000';
    } else {
      console.log('Starting the embedded stack (DynamoDB Local, s3rver, local Step Functions) in a temporary folder…');
      stack = await startEmbeddedStack(join(work, 'data'));
      url = stack.url;
    }
    console.log(`Accord API: ${url}`);
    // A fresh stack has no partners yet; on a shared one, the companies get a suffix so that the demo can run again.
    const suffix = stack ? '' : `-${Date.now().toString(36)}`;
    const env = { ACCORD_CONFIG: join(work, 'config.json'), ACCORD_ENDPOINT: url, ACCORD_POLL_MS: '200' };
    const { accord, say } = transcript(env, work);

    // The files sit in the demo's folder, which is the CLI's working directory: commands name them as a user would.
    const [northwindCsv, fabrikamCsv, termsFile] = ['northwind-accounts.csv', 'fabrikam-accounts.csv', 'terms.yaml'];
    await generateDataset(join(work, northwindCsv), join(work, fabrikamCsv), { seed, rowsA: rows, rowsB: rows, overlap: 0.35 });
    await copyFile(DEMO_TERMS, join(work, termsFile));

    say('1. Northwind Analytics and Fabrikam Cloud sign up; each keeps its admin key in a profile, and gives its legal team an approver key.');
    await accord(['signup', '--name', 'Northwind Analytics', '--domain', `northwind-analytics${suffix}.com`, '--email', `partners@northwind-analytics${suffix}.com`, '--profile', 'northwind']);
    await accord(['signup', '--name', 'Fabrikam Cloud', '--domain', `fabrikam-cloud${suffix}.com`, '--email', `alliances@fabrikam-cloud${suffix}.com`, '--profile', 'fabrikam']);
    await accord(['keys', 'create', '--role', 'approver', '--label', 'legal', '--save-profile', 'northwind-legal', '--profile', 'northwind']);
    await accord(['keys', 'create', '--role', 'approver', '--label', 'legal', '--save-profile', 'fabrikam-legal', '--profile', 'fabrikam']);
    const fabrikamId = await accord(['whoami', '--profile', 'fabrikam', '--quiet']);

    say('2. Northwind proposes the terms: visibility per 9-box cell, a 10% referral fee and 5% revenue share in EUR, capped. Fabrikam’s legal reads them in words and approves exactly that version; so does Northwind’s.');
    const agreementId = await accord(['propose', termsFile, '--counterparty', fabrikamId, '--profile', 'northwind-legal', '--quiet']);
    await accord(['approve', agreementId, '--profile', 'fabrikam-legal']);
    await accord(['approve', agreementId, '--profile', 'northwind-legal', '--yes']);

    say(`3. Each uploads its CRM export (${rows} generated rows each, with the usual mess): checked locally, uploaded, validated by the server.`);
    await accord(['contribute', northwindCsv, '--agreement', agreementId, '--profile', 'northwind']);
    await accord(['contribute', fabrikamCsv, '--agreement', agreementId, '--profile', 'fabrikam']);

    say('4. Both contributions are in: Accord matches them (registrable domains, then company names).');
    await accord(['wait', agreementId, '--for', 'awaiting_release', '--timeout', '120', '--profile', 'northwind']);
    await accord(['status', agreementId, '--profile', 'northwind']);

    say('5. Before anything is released, each side previews what it will see and what the other will see of it; both approve the results, bound to their hash.');
    await accord(['results', agreementId, '--preview', '--limit', '3', '--profile', 'fabrikam-legal']);
    await accord(['approve', agreementId, '--yes', '--profile', 'fabrikam-legal']);
    await accord(['approve', agreementId, '--yes', '--profile', 'northwind-legal']);
    await accord(['wait', agreementId, '--for', 'released', '--profile', 'northwind']);

    say('6. Released: each side sees its own 9-box (its populations in rows) and the accounts the terms let it see.');
    await accord(['results', agreementId, '--limit', '3', '--profile', 'northwind']);
    await accord(['results', agreementId, '--limit', '3', '--profile', 'fabrikam']);

    // The referral play: an account Fabrikam has as a customer and Northwind as a prospect (Fabrikam's view lists its match ids).
    const fabrikamView = JSON.parse(await accord(['results', agreementId, '--json', '--profile', 'fabrikam'], { capture: true })) as ResultsView;
    const referred = fabrikamView.matches.find((match) => match.cell.mine === 'customer' && match.cell.theirs === 'prospect');
    if (!referred) throw new DemoError('no customer of Fabrikam is a prospect of Northwind in these account lists: try another --seed');
    const account = referred.mine[0]?.name ?? referred.matchId;
    say(`7. ${account} is Fabrikam’s customer and Northwind’s prospect: Fabrikam introduces Northwind and registers the referral on that released match. Northwind accepts it, records its open deal, and wins it.`);
    const referralId = await accord(['referrals', 'register', agreementId, referred.matchId, '--introducer', 'me', '--note', `Intro call with the CIO of ${account}`, '--profile', 'fabrikam', '--quiet']);
    await accord(['referrals', 'accept', agreementId, referralId, '--profile', 'northwind']);
    await accord(['referrals', 'opportunity', agreementId, referralId, '--amount', '45000', '--currency', 'EUR', '--profile', 'northwind']);
    await accord(['referrals', 'won', agreementId, referralId, '--amount', DEAL_EUR, '--currency', 'EUR', '--profile', 'northwind']);

    say('8. The revenue-share ledger, the same for both sides: a 10% referral fee and a 5% revenue share of the deal, in integer cents, rounded once (half to even); then this month’s statement as CSV.');
    await accord(['ledger', agreementId, '--profile', 'northwind']);
    await accord(['ledger', agreementId, '--profile', 'fabrikam']);
    await accord(['ledger', agreementId, '--statement', '--profile', 'fabrikam']);

    say('9. The audit log: every step, hash-chained, verified here.');
    await accord(['audit', agreementId, '--verify', '--profile', 'fabrikam']);
    console.log('\nDemo complete.');
  } finally {
    await stack?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`demo: ${error instanceof DemoError || (error instanceof TypeError && 'code' in error) ? error.message : String((error as Error).stack ?? error)}`);
    process.exit(1);
  },
);
