import { Command, CommanderError } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { registerAccountCommands } from './commands/account.ts';
import { registerAgreementCommands } from './commands/agreements.ts';
import { registerAuditCommand } from './commands/audit.ts';
import { registerContributeCommand } from './commands/contribute.ts';
import { registerKeyCommands } from './commands/keys.ts';
import { registerReferralCommands } from './commands/referrals.ts';
import { registerResultsCommands } from './commands/results.ts';
import { registerWebhookCommands } from './commands/webhook.ts';
import { CliError, EXIT, EXIT_CODES_HELP, oneLine } from './errors.ts';
import type { CliIo } from './io.ts';

/**
 * `accord`: the CLI of Accord for partner teams. `runCli` parses one command
 * line, runs it against the API and answers the exit code; it never throws
 * and never prints a stack trace (ACCORD_DEBUG=1 prints one for bugs).
 */

function buildProgram(io: CliIo): Command {
  const program = new Command('accord')
    .description('Accord: governed account mapping with your partners, from the terminal')
    .version(packageJson.version, '-V, --version')
    .option('--profile <name>', 'the profile whose endpoint and key to use (or ACCORD_PROFILE)')
    .option('--endpoint <url>', 'the API endpoint (or ACCORD_ENDPOINT; default http://127.0.0.1:3000)')
    .option('--json', 'machine-readable output on stdout, nothing else')
    .option('-q, --quiet', 'print only the id of the result (for shell variables)')
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      // Usage errors are reported by runCli, as one line.
      outputError: () => undefined,
    })
    .addHelpText(
      'after',
      `\nKeys and endpoints come from profiles in $ACCORD_CONFIG (default ~/.config/accord/config.json, mode 0600)\nor from ACCORD_ENDPOINT and ACCORD_API_KEY.\n\n${EXIT_CODES_HELP}`,
    );
  registerAccountCommands(program, io);
  registerKeyCommands(program, io);
  registerAgreementCommands(program, io);
  registerContributeCommand(program, io);
  registerResultsCommands(program, io);
  registerReferralCommands(program, io);
  registerAuditCommand(program, io);
  registerWebhookCommands(program, io);
  return program;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    const name = argv.find((arg) => program.commands.some((command) => command.name() === arg));
    return report(error, io, name ? `accord ${name} --help` : 'accord --help');
  }
}

function report(error: unknown, io: CliIo, help: string): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return EXIT.ok;
    // `accord` alone, or a group without its subcommand, has printed its help.
    if (error.code === 'commander.help' || error.code === 'commander.executeSubCommandAsync') return EXIT.usage;
    const message = oneLine(error.message.replace(/^error: /, ''));
    io.stderr(`accord: ${message} (see ${help})\n`);
    return EXIT.usage;
  }
  if (error instanceof CliError) {
    for (const line of error.message.split('\n')) io.stderr(`accord: ${line}\n`);
    return error.exitCode;
  }
  // A bug: said in one line, with the stack only when asked for.
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`accord: unexpected error: ${oneLine(message)}\n`);
  if (io.env.ACCORD_DEBUG && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
  return EXIT.failed;
}
