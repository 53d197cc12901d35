import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { RunIdSchema } from '../../shared/agreement.ts';
import { blindContributionFile } from '../../shared/blind/contribution.ts';
import { deriveRunSecret, type RunSecret } from '../../shared/blind/secret.ts';
import { ColumnMappingSchema } from '../../shared/contributions/columns.ts';
import type { Contribution } from '../../shared/contributions/contribution.ts';
import { validateContribution, type ValidationReport } from '../../shared/contributions/validate.ts';
import { otherSide, type Population, POPULATIONS, type Side } from '../../shared/terms.ts';
import { mySide } from '../agreement-view.ts';
import { blindFolder, readPrivateKey, saveBlindContribution } from '../blind-files.ts';
import { Context } from '../context.ts';
import { CliError, EXIT, usageError } from '../errors.ts';
import { fileSize, resolvePath } from '../files.ts';
import { indent, plural } from '../format.ts';
import type { AccordClient } from '../http.ts';
import type { CliIo } from '../io.ts';
import { postFileToSlot } from '../upload.ts';
import { checkedAgreementId, pollMs, positiveInt, readAgreement, whoAmI } from './agreements.ts';

/**
 * contribute FILE: the account list checked locally with the validator the
 * server runs, bad rows reported by line; then an upload slot, the file
 * POSTed to it (with a progress bar on a terminal), and the server's report
 * once its validation is done.
 *
 * contribute FILE --blind, for an agreement that matches blind: the same
 * check, then the list is blinded here (shared/blind/contribution.ts) with
 * the run's secret, and only the blind file is uploaded; the map from record
 * reference to row stays on this machine (cli/blind-files.ts).
 */

type ReportLike = Pick<ValidationReport, 'verdict' | 'reason' | 'rowsRead' | 'accepted' | 'rejected' | 'rejections'> & { populations: Record<string, number> };

function reportLines(file: string, report: ReportLike, whose: string): string[] {
  const populations = POPULATIONS.map((p) => `${report.populations[p] ?? 0} ${p}`).join(', ');
  const lines = [
    `${whose}: ${file}: ${plural(report.rowsRead, 'row')} read, ${report.accepted} accepted (${populations}), ${report.rejected} rejected${report.verdict === 'rejected' ? ` — file rejected: ${report.reason ?? ''}` : ''}`,
  ];
  if (report.rejections.length > 0) {
    lines.push(...indent(report.rejections.map((r) => `line ${r.line}: ${r.reason}`)));
    if (report.rejected > report.rejections.length) lines.push(`  … and ${report.rejected - report.rejections.length} more`);
  }
  return lines;
}

function pairs(values: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0) throw usageError(`${flag} takes KEY=VALUE, not "${value}"`);
    out[value.slice(0, at).trim()] = value.slice(at + 1).trim();
  }
  return out;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface Options {
  agreement: string;
  run?: string;
  map?: string[];
  populationValue?: string[];
  defaultPopulation?: Population;
  dryRun?: boolean;
  blind?: boolean;
  wait: boolean;
  timeout: number;
}

export function registerContributeCommand(program: Command, io: CliIo): void {
  program
    .command('contribute <file>')
    .description("upload your account list (CSV) to the agreement's open run: checked locally first, then uploaded, then the server's report")
    .requiredOption('-a, --agreement <agreementId>', 'the agreement')
    .option('--run <runId>', 'the run (default: the current one)')
    .option('--map <field=Header>', 'which column holds a field (id, name, domain, email, population, country, owner); repeatable', collect)
    .option('--population-value <Value=population>', 'read your own Type/Status value as customer, opportunity or prospect; repeatable', collect)
    .addOption(new Option('--default-population <population>', 'population of rows without one (or of every row when there is no such column)').choices(POPULATIONS))
    .option('--dry-run', 'check the file locally and stop')
    .option('--blind', 'for an agreement that matches blind: upload only tokens of your list, made here with the run’s secret (needs accord keys blind)')
    .option('--no-wait', "upload and return without waiting for the server's report")
    .option('--timeout <seconds>', "how long to wait for the server's report (default 300)", (value) => positiveInt(value, '--timeout'), 300)
    .action(async (file: string, options: Options, command: Command) => {
      const ctx = new Context(io, command);
      const agreementId = checkedAgreementId(options.agreement);
      if (options.run && !RunIdSchema.safeParse(options.run).success) throw usageError(`"${options.run}" is not a run id (run_...)`);
      const parsedMapping = ColumnMappingSchema.safeParse(pairs(options.map ?? [], '--map'));
      if (!parsedMapping.success) throw usageError(`--map: ${parsedMapping.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown field ${i.keys.join(', ')} (id, name, domain, email, population, country, owner)` : `${i.path.join('.')}: ${i.message}`)).join('; ')}`);
      const columnMapping = parsedMapping.data;
      const populationValues = pairs(options.populationValue ?? [], '--population-value');
      for (const [value, population] of Object.entries(populationValues)) {
        if (!(POPULATIONS as readonly string[]).includes(population)) throw usageError(`--population-value ${value}=${population}: the population must be customer, opportunity or prospect`);
      }
      const size = await fileSize(io.cwd, file);
      const path = resolvePath(io.cwd, file);

      const client = await ctx.client();
      const me = await whoAmI(client);
      let agreement = await readAgreement(client, agreementId);
      const side = mySide(agreement, me);
      if (!side) throw new CliError(`you are not a party to ${agreementId}`, EXIT.notFound);
      // Both approved a moment ago: the engagement is opening the run.
      for (const until = Date.now() + 30_000; !options.run && !agreement.currentRunId && agreement.status === 'awaiting_contributions' && Date.now() < until; ) {
        await new Promise((resolve) => setTimeout(resolve, pollMs(io)));
        agreement = await readAgreement(client, agreementId);
      }
      const runId = options.run ?? agreement.currentRunId;
      if (!runId) throw new CliError(`${agreementId} has no run open for contributions (it is ${agreement.status}): both sides approve the terms first`, EXIT.conflict);

      const blind = agreement.terms.matching.mode === 'blind';
      if (blind !== (options.blind === true)) {
        throw usageError(blind ? `${agreementId} matches blind: add --blind, so that only tokens of your list leave this machine` : `${agreementId} matches in the clear: contribute without --blind`);
      }

      const reading = {
        ...(Object.keys(columnMapping).length ? { columnMapping } : {}),
        ...(Object.keys(populationValues).length ? { populationValues: populationValues as Record<string, Population> } : {}),
        ...(options.defaultPopulation ? { defaultPopulation: options.defaultPopulation } : {}),
      };
      const checking = { ...reading, populations: agreement.terms.populations[side] };
      const secret = blind ? await runSecret(ctx, client, agreementId, runId, side) : undefined;
      const blinded = secret ? await blindContributionFile(createReadStream(path), checking, secret, agreement.terms.matching) : undefined;
      const local = blinded?.report ?? (await validateContribution(createReadStream(path), checking));
      const localLines = reportLines(file, local, 'Checked locally');
      if (blinded && local.verdict === 'accepted') {
        localLines.push(`Blinded here: ${plural(blinded.rows.length, 'row')} of tokens to upload${blinded.unmatchable.length ? `, ${blinded.unmatchable.length} without a key the terms match on (left out)` : ''}; names and domains stay on this machine.`);
      }
      if (local.verdict === 'rejected' || options.dryRun) {
        ctx.print({ agreementId, runId, local }, () => localLines);
        if (local.verdict === 'rejected') throw new CliError(`${file} was not uploaded: ${local.reason ?? 'rejected'}`, EXIT.failed);
        return;
      }
      ctx.out(localLines);

      const slot = await client.call('create-upload-slot', { params: { agreementId, runId }, body: secret ? { blindKeys: secret.keys } : { filename: basename(file), ...reading } });
      let upload = { path, size };
      let kept: Awaited<ReturnType<typeof saveBlindContribution>> | undefined;
      if (blinded) {
        kept = await saveBlindContribution(blindFolder(ctx.configPath), { agreementId, runId, contributionId: slot.contribution.id }, blinded.records, blinded.csv);
        upload = { path: kept.file, size: Buffer.byteLength(blinded.csv) };
        ctx.out([`Kept here (mode 0600): the blind file as uploaded, ${kept.file}, and the map from its records to your rows, ${kept.map}.`]);
      }
      if (upload.size > slot.upload.maxBytes) throw new CliError(`${file} is ${upload.size} bytes${blinded ? ' blinded' : ''}, over the upload limit of ${slot.upload.maxBytes}`, EXIT.failed);
      const bar = io.interactive && io.progressStream && !ctx.json ? new SingleBar({ stream: io.progressStream, format: 'Uploading [{bar}] {percentage}% {value}/{total} bytes', hideCursor: true }) : undefined;
      bar?.start(upload.size, 0);
      try {
        await postFileToSlot(slot.upload, upload.path, upload.size, (sent) => bar?.update(sent));
      } finally {
        bar?.stop();
      }
      const contributionId = slot.contribution.id;
      if (!options.wait) {
        ctx.print({ agreementId, runId, local, contribution: slot.contribution, ...(kept ? { kept } : {}) }, () => [`Uploaded as contribution ${contributionId}; the server validates it now (see accord status ${agreementId}).`], contributionId);
        return;
      }
      if (!ctx.json && !ctx.quiet) ctx.note(`Uploaded as contribution ${contributionId}; waiting for the server's report…`);
      const deadline = Date.now() + options.timeout * 1000;
      let contribution: Contribution | undefined;
      for (;;) {
        const { contributions } = await client.call('list-contributions', { params: { agreementId, runId } });
        contribution = contributions.find((c) => c.id === contributionId);
        if (contribution && (contribution.status === 'accepted' || contribution.status === 'rejected')) break;
        if (Date.now() > deadline) throw new CliError(`${contributionId} is uploaded but its report is not ready after ${options.timeout} s: see accord status ${agreementId}`, EXIT.timeout);
        await new Promise((resolve) => setTimeout(resolve, pollMs(io)));
      }
      const report = contribution.report;
      ctx.print({ agreementId, runId, local, contribution, ...(kept ? { kept } : {}) }, () => (report ? reportLines(file, report, `Server report for ${contributionId}`) : [`${contributionId} is ${contribution.status}.`]), contributionId);
      if (contribution.status === 'rejected') throw new CliError(`the server rejected ${file}: ${report?.reason ?? 'see its report'}`, EXIT.failed);
    });
}

/** The run's secret on my side: my private key (the one the run's keys name) and the other side's public key. */
async function runSecret(ctx: Context, client: AccordClient, agreementId: string, runId: string, side: Side): Promise<RunSecret> {
  const keys = await client.call('get-agreement-blind-keys', { params: { agreementId }, query: { runId } });
  const [mine, theirs] = [keys[side], keys[otherSide(side)]];
  if (!mine) throw new CliError('your company has registered no blind key: run accord keys blind first', EXIT.conflict);
  if (!theirs) throw new CliError(`your partner has registered no blind key yet: ask it to run accord keys blind, then contribute again`, EXIT.conflict);
  const privateKey = await readPrivateKey(blindFolder(ctx.configPath), mine.fingerprint);
  return deriveRunSecret({ privateKey, side, theirPublicKey: theirs.publicKey, agreementId, runId });
}
