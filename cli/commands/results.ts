import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { type Agreement, RunIdSchema } from '../../shared/agreement.ts';
import { type BlindResultsPreview, ownRowsOfView } from '../../shared/blind/view.ts';
import { MatchIdSchema } from '../../shared/results.ts';
import type { Me } from '../agreement-view.ts';
import { blindFolder, readBlindRecords } from '../blind-files.ts';
import { blindPreviewLines, blindResultsLines, blindRowsCsv } from '../blind-results-view.ts';
import { Context } from '../context.ts';
import { CliError, EXIT, usageError } from '../errors.ts';
import { resolvePath } from '../files.ts';
import { type AccordClient, ApiError, type ResponseOf } from '../http.ts';
import type { CliIo } from '../io.ts';
import { previewLines, resultsLines } from '../results-view.ts';
import { checkedAgreementId, confirmed, pollMs, positiveInt, readAgreement } from './agreements.ts';

/** results, export, flag; and approving or declining a run's results (from approve / decline). */

function runOf(agreement: Agreement, run: string | undefined): string {
  if (run !== undefined) {
    if (!RunIdSchema.safeParse(run).success) throw usageError(`"${run}" is not a run id (run_...)`);
    return run;
  }
  if (!agreement.currentRunId) throw new CliError(`${agreement.id} has no run yet (it is ${agreement.status})`, EXIT.conflict);
  return agreement.currentRunId;
}

type Preview = ResponseOf<'preview-results'>;

const isBlindPreview = (preview: Preview): preview is BlindResultsPreview => 'mode' in preview.youWillSee;

/** Your own rows of a blind run, by record reference, from what `contribute --blind` kept on this machine. */
function ownRecords(ctx: Context, agreementId: string, runId: string) {
  return readBlindRecords(blindFolder(ctx.configPath), agreementId, runId);
}

/** The preview in words; a blind one with your records turned back into your rows. */
async function previewText(ctx: Context, preview: Preview, limit?: number): Promise<string[]> {
  if (!isBlindPreview(preview)) return previewLines(preview, limit);
  return blindPreviewLines(preview, await ownRecords(ctx, preview.agreementId, preview.runId), limit);
}

/** The preview, once the engagement has made the matched results ready for approval (a moment after matching ends). */
async function previewWhenReady(client: AccordClient, io: CliIo, params: { agreementId: string; runId: string }): Promise<Preview> {
  for (const until = Date.now() + 30_000; ; ) {
    try {
      return await client.call('preview-results', { params });
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'results_not_ready') || Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, pollMs(io)));
    }
  }
}

/** approve AGR while its results await approval: the preview both ways, then the result hash approved. */
export async function approveResults(ctx: Context, client: AccordClient, me: Me, agreement: Agreement, options: { yes?: boolean; hash?: string; run?: string }): Promise<void> {
  const runId = runOf(agreement, options.run);
  const params = { agreementId: agreement.id, runId };
  const preview = await previewWhenReady(client, ctx.io, params);
  const review = options.yes ? [] : await previewText(ctx, preview);
  await confirmed(
    ctx,
    options.yes,
    () => review,
    `Approve the release of these results (${preview.resultHash.slice(0, 19)}…) for ${me.name}?`,
    'approving results needs a confirmation: run it on a terminal to read what each side will see, or pass --yes',
  );
  const state = await client.call('approve-results', { params, body: { resultHash: options.hash ?? preview.resultHash } });
  ctx.print(state, () => [
    `Approved the results of run ${runId} (${state.resultHash}).`,
    state.status === 'released' ? `Both sides approved: the results are released. See them with accord results ${agreement.id}` : 'Waiting on your partner’s approval.',
  ], agreement.id);
}

/** decline AGR while its results await approval: the run is withheld and nothing is released. */
export async function declineResults(ctx: Context, client: AccordClient, me: Me, agreement: Agreement, options: { yes?: boolean; reason?: string; run?: string }): Promise<void> {
  const runId = runOf(agreement, options.run);
  const params = { agreementId: agreement.id, runId };
  const preview = await previewWhenReady(client, ctx.io, params);
  const review = options.yes ? [] : await previewText(ctx, preview);
  await confirmed(ctx, options.yes, () => review, `Decline these results for ${me.name}? Nothing of this run is released to anyone.`, 'declining results needs a confirmation: run it on a terminal, or pass --yes');
  const state = await client.call('decline-results', { params, body: options.reason ? { reason: options.reason } : {} });
  ctx.print(state, () => [`Declined the results of run ${runId}: they are ${state.status}; nothing is released.`], agreement.id);
}

export function registerResultsCommands(program: Command, io: CliIo): void {
  program
    .command('results <agreementId>')
    .description('the released results: the 9-box as a table, then cell by cell with the accounts you may see; --preview before release')
    .option('--run <runId>', 'the run (default: the current one)')
    .option('--preview', 'before release: what you will see and what your partner will see of you (admin, approver)')
    .option('--limit <n>', 'show at most n accounts per cell', (value) => positiveInt(value, '--limit'))
    .action(async (agreementId: string, options: { run?: string; preview?: boolean; limit?: number }, command: Command) => {
      const ctx = new Context(io, command);
      checkedAgreementId(agreementId);
      const client = await ctx.client();
      const agreement = await readAgreement(client, agreementId);
      const params = { agreementId, runId: runOf(agreement, options.run) };
      if (options.preview) {
        const preview = await previewWhenReady(client, io, params);
        const lines = await previewText(ctx, preview, options.limit);
        ctx.print(preview, () => lines, agreementId);
        return;
      }
      const view = await client.call('get-results', { params });
      if ('mode' in view) {
        const records = await ownRecords(ctx, agreementId, params.runId);
        ctx.print({ ...view, ownRows: ownRowsOfView(view, records) }, () => blindResultsLines(view, records, options.limit), agreementId);
        return;
      }
      ctx.print(view, () => resultsLines(view, options.limit), agreementId);
    });

  program
    .command('export <agreementId>')
    .description('the released results as CSV (safe to open in a spreadsheet), to a file or stdout')
    .requiredOption('-o, --out <file>', 'where to write the CSV ("-" for stdout)')
    .option('--run <runId>', 'the run (default: the current one)')
    .option('--force', 'overwrite the file if it exists')
    .action(async (agreementId: string, options: { out: string; run?: string; force?: boolean }, command: Command) => {
      const ctx = new Context(io, command);
      checkedAgreementId(agreementId);
      const client = await ctx.client();
      const agreement = await readAgreement(client, agreementId);
      const params = { agreementId, runId: runOf(agreement, options.run) };
      // A blind run's CSV is made here: your own rows, from this machine's map of your records.
      const view = agreement.terms.matching.mode === 'blind' ? await client.call('get-results', { params }) : undefined;
      const csv = view && 'mode' in view ? blindRowsCsv(view, await ownRecords(ctx, agreementId, params.runId)) : await client.callText('get-results', { params, query: { format: 'csv' } });
      const rows = Math.max(0, csv.split('\n').filter(Boolean).length - 1);
      if (options.out === '-') {
        io.stdout(csv);
        return;
      }
      const path = resolvePath(io.cwd, options.out);
      try {
        await writeFile(path, csv, { flag: options.force ? 'w' : 'wx' });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw usageError(`${options.out} exists already: choose another file or pass --force`);
        throw usageError(`cannot write ${options.out}: ${code === 'ENOENT' ? 'no such folder' : (error as Error).message}`);
      }
      ctx.print({ file: path, rows, bytes: Buffer.byteLength(csv) }, () => [`Wrote ${rows} rows to ${options.out}.`], agreementId);
    });

  program
    .command('flag <agreementId> <matchId>')
    .description('flag a released match as wrong, with a reason: both sides see it, and the pair is left out of later runs')
    .requiredOption('--reason <text>', 'what is wrong with the match')
    .option('--run <runId>', 'the run (default: the current one)')
    .action(async (agreementId: string, matchId: string, options: { reason: string; run?: string }, command: Command) => {
      const ctx = new Context(io, command);
      checkedAgreementId(agreementId);
      if (!MatchIdSchema.safeParse(matchId).success) throw usageError(`"${matchId}" is not a match id (mch_...): accord results ${agreementId} lists them`);
      const client = await ctx.client();
      const agreement = await readAgreement(client, agreementId);
      const { flag } = await client.call('flag-match', { params: { agreementId, runId: runOf(agreement, options.run) }, body: { matchId, reason: options.reason } });
      ctx.print({ flag }, () => [`Flagged ${flag.matchId} as wrong: “${flag.reason}”. It is left out of later runs.`], flag.matchId);
    });
}
