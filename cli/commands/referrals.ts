import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { RunIdSchema } from '../../shared/agreement.ts';
import type { AgreementAnalytics, PartnerAnalytics } from '../../shared/analytics.ts';
import type { LedgerEntry } from '../../shared/ledger.ts';
import { minorUnitDigits } from '../../shared/money.ts';
import { type Referral, ReferralIdSchema, RESOLUTION_OUTCOMES, REFERRAL_STAGES, type ReferralStage } from '../../shared/referral.ts';
import { MatchIdSchema } from '../../shared/results.ts';
import { CurrencySchema, formatMoney, type Population, POPULATIONS, type Side } from '../../shared/terms.ts';
import { type Me, mySide } from '../agreement-view.ts';
import { Context } from '../context.ts';
import { CliError, EXIT, usageError } from '../errors.ts';
import { resolvePath } from '../files.ts';
import { fields, indent, plural, table, when } from '../format.ts';
import type { AccordClient } from '../http.ts';
import type { CliIo } from '../io.ts';
import { nineBoxTable } from '../results-view.ts';
import { checkedAgreementId, readAgreement, whoAmI } from './agreements.ts';

/**
 * referrals (list, show, register, accept, decline, opportunity, won, lost,
 * dispute, resolve), ledger (entries, balances, statement CSV) and analytics.
 * Amounts are typed as people write them (`12500.50 EUR`) and sent in minor
 * units, converted exactly by the currency's number of decimals.
 */

// ---------------------------------------------------------------------------
// Input

export function checkedCurrency(currency: string): string {
  const parsed = CurrencySchema.safeParse(currency);
  if (!parsed.success) throw usageError(`--currency ${currency}: ${parsed.error.issues[0]?.message ?? 'not a currency'}`);
  return parsed.data;
}

/** "12500.50" in EUR → 1250050 minor units, exactly; refuses more decimals than the currency has. */
export function minorUnitsOf(amount: string, currency: string, flag = '--amount'): number {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!match) throw usageError(`${flag} ${amount}: write the amount as digits with an optional decimal point, such as 12500.50`);
  const digits = minorUnitDigits(currency);
  const fraction = match[2] ?? '';
  if (fraction.length > digits) throw usageError(`${flag} ${amount}: ${currency} has ${digits === 0 ? 'no decimals' : plural(digits, 'decimal')}`);
  const minor = BigInt(match[1]!) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw usageError(`${flag} ${amount}: too large`);
  return Number(minor);
}

/** A time as ISO-8601 UTC: a full timestamp as given, a date as its start (today as now). */
export function timeOf(value: string, flag: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const today = new Date().toISOString().slice(0, 10);
    return value === today ? new Date().toISOString() : `${value}T00:00:00.000Z`;
  }
  const parsed = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(parsed)) throw usageError(`${flag} ${value}: give a date (2026-11-23) or an ISO-8601 time (2026-11-23T10:00:00Z)`);
  return new Date(parsed).toISOString();
}

function checkedReferralId(id: string): string {
  if (!ReferralIdSchema.safeParse(id).success) throw usageError(`"${id}" is not a referral id (ref_...): see accord referrals AGREEMENT`);
  return id;
}

interface DealOptions {
  amount?: string;
  currency?: string;
  closedAt?: string;
  exchangeRate?: string;
  revenue?: string;
}

function dealOf(options: DealOptions) {
  if (options.amount === undefined || options.currency === undefined) throw usageError('a deal needs --amount and --currency');
  const currency = checkedCurrency(options.currency);
  return {
    amountMinor: minorUnitsOf(options.amount, currency),
    currency,
    closedAt: options.closedAt ? timeOf(options.closedAt, '--closed-at') : new Date().toISOString(),
    ...(options.exchangeRate ? { exchangeRate: options.exchangeRate } : {}),
    ...(options.revenue ? { revenueMinor: minorUnitsOf(options.revenue, currency, '--revenue') } : {}),
  };
}

// ---------------------------------------------------------------------------
// Output

function whoIs(side: Side, me: Side | undefined): string {
  return side === me ? 'you' : 'your partner';
}

function cellText(referral: Referral, side: Side | undefined): string {
  const [mine, theirs] = side === 'counterparty' ? [referral.cell.counterparty, referral.cell.proposer] : [referral.cell.proposer, referral.cell.counterparty];
  return `${mine} × ${theirs}`;
}

function owedText(referral: Referral): string {
  const attribution = referral.attribution;
  if (!attribution) return '-';
  return attribution.outcome === 'attributed' ? `${formatMoney(attribution.totalMinor, attribution.currency)}${attribution.capped ? ' (capped)' : ''}` : attribution.outcome.replace(/_/g, ' ');
}

function referralLines(referral: Referral, side: Side | undefined): string[] {
  const lines = fields([
    ['referral', referral.id],
    ['stage', `${referral.stage}${referral.dispute ? ' (disputed)' : ''}`],
    ['account', `${referral.account.name}${referral.account.domain ? ` (${referral.account.domain})` : ''}, ${referral.matchId}, your ${cellText(referral, side).replace(' × ', ' × their ')}`],
    ['introduction', `${whoIs(referral.introducer, side)} introduced ${whoIs(referral.introduced, side)} on ${when(referral.introducedAt)}`],
    ['note', referral.note],
    ['opportunity', referral.opportunity ? formatMoney(referral.opportunity.amountMinor, referral.opportunity.currency) : undefined],
    ['deal', referral.deal ? `${formatMoney(referral.deal.amountMinor, referral.deal.currency)} closed ${when(referral.deal.closedAt)}${referral.deal.exchangeRate ? ` at ${referral.deal.exchangeRate}` : ''}` : undefined],
    ['owed', referral.attribution ? `${owedText(referral)}: ${referral.attribution.message}` : undefined],
    ['dispute', referral.dispute ? `opened by ${whoIs(referral.dispute.openedBy, side)}: ${referral.dispute.reason}${referral.dispute.proposal ? `; ${whoIs(referral.dispute.proposal.by, side)} proposed ${referral.dispute.proposal.resolution.outcome}` : ''}` : undefined],
  ]);
  lines.push('', 'History:', ...indent(referral.history.map((h) => `${when(h.at)}  ${whoIs(h.side, side)}: ${h.action.replace(/_/g, ' ')} → ${h.stage}`)));
  if (referral.entries.length) lines.push('', 'Ledger entries:', ...indent(entryTable(referral.entries, side)));
  return lines;
}

function entryTable(entries: readonly LedgerEntry[], side: Side | undefined): string[] {
  return table(
    ['BOOKED', 'KIND', 'ACCOUNT', 'PAYS', 'BASIS', 'AMOUNT'],
    entries.map((e) => [
      when(e.bookedAt),
      `${e.kind.replace('_', ' ')}${e.reversesEntryId ? ' (reversal)' : ''}`,
      e.account.name,
      `${whoIs(e.payerSide, side)} → ${whoIs(e.payeeSide, side)}`,
      `${e.basis.bps / 100}% of ${formatMoney(e.basis.amountMinor, e.basis.currency)}${e.basis.exchangeRate !== '1' ? ` × ${e.basis.exchangeRate}` : ''}`,
      formatMoney(e.amountMinor, e.currency),
    ]),
    { rightAlign: [5] },
  );
}

function duration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

function overlapTable(byCell: Record<Population, Record<Population, number | null>>): string[] {
  return nineBoxTable({
    cells: POPULATIONS.flatMap((mine) =>
      POPULATIONS.map((theirs) => {
        const count = byCell[mine][theirs];
        return { mine, theirs, count, level: count === null ? ('hidden' as const) : ('count' as const), fields: [], rule: { play: '', acts: 'neither' as const, note: '' } };
      }),
    ),
  });
}

function stagesText(byStage: Record<ReferralStage, number>): string {
  const parts = REFERRAL_STAGES.filter((stage) => byStage[stage] > 0).map((stage) => `${byStage[stage]} ${stage}`);
  return parts.length ? parts.join(', ') : 'none';
}

function agreementAnalyticsLines(a: AgreementAnalytics): string[] {
  const money = (minor: number) => formatMoney(minor, a.revenue.currency);
  return [
    ...fields([
      ['agreement', `${a.agreementId} (${a.status}), you are the ${a.side}`],
      ['terms approved in', `you ${duration(a.timeToApproveTerms.mine)}, your partner ${duration(a.timeToApproveTerms.theirs)}`],
      ['released runs', a.overlap.releasedRuns],
      ['overlap', `${a.overlap.total} matched accounts you may count`],
      ['referrals', `${a.referrals.total}: ${stagesText(a.referrals.byStage)}${a.referrals.disputed ? `; ${a.referrals.disputed} disputed` : ''}`],
      ['won deals', `${a.revenue.wonDeals}, worth ${money(a.revenue.wonValueMinor)}`],
      ['revenue share', `your partner owes you ${money(a.revenue.receivableMinor)}; you owe your partner ${money(a.revenue.payableMinor)}`],
    ]),
    '',
    'Overlap over released runs (your populations in rows):',
    ...indent(overlapTable(a.overlap.byCell)),
    '',
    'Runs:',
    ...indent(
      table(
        ['RUN', 'STATUS', 'OPENED', 'RELEASED', 'CONTRIBUTED IN (YOU / PARTNER)', 'REMINDERS (YOU / PARTNER)', 'RESULTS APPROVED IN (YOU / PARTNER)'],
        a.runs.map((r) => [r.runId, r.status, when(r.openedAt), r.releasedAt ? when(r.releasedAt) : '-', `${duration(r.timeToContribute.mine)} / ${duration(r.timeToContribute.theirs)}`, `${r.remindersSent.mine} / ${r.remindersSent.theirs}`, `${duration(r.timeToApproveResults.mine)} / ${duration(r.timeToApproveResults.theirs)}`]),
      ),
    ),
  ];
}

function partnerAnalyticsLines(p: PartnerAnalytics): string[] {
  return [
    ...fields([
      ['agreements', `${p.agreements.total}: ${Object.entries(p.agreements.byStatus).map(([status, n]) => `${n} ${status}`).join(', ') || 'none'}`],
      ['released runs', p.overlap.releasedRuns],
      ['overlap', `${p.overlap.total} matched accounts you may count`],
      ['median time to contribute', duration(p.medianTimeToContribute)],
      ['median time to approve terms', duration(p.medianTimeToApproveTerms)],
      ['reminders received', p.remindersReceived],
      ['referrals', `${p.referrals.total}: ${stagesText(p.referrals.byStage)}`],
    ]),
    ...p.revenue.map((r) => `revenue in ${r.currency}: ${r.wonDeals} won deals worth ${formatMoney(r.wonValueMinor, r.currency)}; receivable ${formatMoney(r.receivableMinor, r.currency)}, payable ${formatMoney(r.payableMinor, r.currency)}`),
    '',
    'Overlap over released runs (your populations in rows):',
    ...indent(overlapTable(p.overlap.byCell)),
  ];
}

// ---------------------------------------------------------------------------
// Commands

interface Scope {
  ctx: Context;
  client: AccordClient;
  me: Me;
  side: Side | undefined;
}

async function scope(io: CliIo, command: Command, agreementId: string): Promise<Scope> {
  const ctx = new Context(io, command);
  checkedAgreementId(agreementId);
  const client = await ctx.client();
  const me = await whoAmI(client);
  const agreement = await readAgreement(client, agreementId);
  return { ctx, client, me, side: mySide(agreement, me) };
}

export function registerReferralCommands(program: Command, io: CliIo): void {
  const referrals = program.command('referrals').description('introductions on released matches, tracked to a deal and the revenue-share ledger');

  referrals
    .command('list <agreementId>', { isDefault: true })
    .description("the agreement's referrals, oldest first (both sides see the same)")
    .addOption(new Option('--stage <stage>', 'only referrals in this stage').choices(REFERRAL_STAGES))
    .action(async (agreementId: string, options: { stage?: ReferralStage }, command: Command) => {
      const { ctx, client, side } = await scope(io, command, agreementId);
      const answer = await client.call('list-referrals', { params: { agreementId }, query: { stage: options.stage } });
      ctx.print(answer, () =>
        answer.referrals.length === 0
          ? [`No referrals${options.stage ? ` in stage ${options.stage}` : ''}: register one on a released match with accord referrals register ${agreementId} MATCH_ID --introducer me`]
          : table(
              ['ID', 'STAGE', 'ACCOUNT', 'CELL (YOU × PARTNER)', 'INTRODUCTION', 'DEAL', 'OWED'],
              answer.referrals.map((r) => [
                r.id,
                `${r.stage}${r.dispute ? ' (disputed)' : ''}`,
                r.account.name,
                cellText(r, side),
                `${whoIs(r.introducer, side)} → ${whoIs(r.introduced, side)}`,
                r.deal ? formatMoney(r.deal.amountMinor, r.deal.currency) : r.opportunity ? `(open) ${formatMoney(r.opportunity.amountMinor, r.opportunity.currency)}` : '-',
                owedText(r),
              ]),
            ),
      );
    });

  referrals
    .command('show <agreementId> <referralId>')
    .description('one referral: its account, introduction, deal, what it owes, history and ledger entries')
    .action(async (agreementId: string, referralId: string, _options: unknown, command: Command) => {
      const { ctx, client, side } = await scope(io, command, agreementId);
      const referral = await client.call('get-referral', { params: { agreementId, referralId: checkedReferralId(referralId) } });
      ctx.print(referral, () => referralLines(referral, side), referral.id);
    });

  referrals
    .command('register <agreementId> <matchId>')
    .description('register an introduction on a released match you see at level accounts (accord results lists the match ids)')
    .addOption(new Option('--introducer <who>', 'who introduces: you (me) or your partner (partner); the other side pays any fee').choices(['me', 'partner']).makeOptionMandatory())
    .option('--introduced-at <time>', 'when the introduction was made (default now)')
    .option('--note <text>', 'who met whom, for both sides')
    .option('--run <runId>', 'the released run of the match (default: the current one)')
    .action(async (agreementId: string, matchId: string, options: { introducer: 'me' | 'partner'; introducedAt?: string; note?: string; run?: string }, command: Command) => {
      if (!MatchIdSchema.safeParse(matchId).success) throw usageError(`"${matchId}" is not a match id (mch_...): accord results ${agreementId} lists them`);
      if (options.run && !RunIdSchema.safeParse(options.run).success) throw usageError(`"${options.run}" is not a run id (run_...)`);
      const { ctx, client, side } = await scope(io, command, agreementId);
      if (!side) throw new CliError(`you are not a party to ${agreementId}`, EXIT.notFound);
      const agreement = await readAgreement(client, agreementId);
      const runId = options.run ?? agreement.currentRunId;
      if (!runId) throw new CliError(`${agreementId} has no run yet`, EXIT.conflict);
      const introducer: Side = options.introducer === 'me' ? side : side === 'proposer' ? 'counterparty' : 'proposer';
      const referral = await client.call('register-referral', {
        params: { agreementId },
        body: { runId, matchId, introducer, ...(options.introducedAt ? { introducedAt: timeOf(options.introducedAt, '--introduced-at') } : {}), ...(options.note ? { note: options.note } : {}) },
      });
      ctx.print(referral, () => [`Registered referral ${referral.id} on ${referral.account.name}: ${whoIs(referral.introducer, side)} introduced ${whoIs(referral.introduced, side)}. The other side accepts it next.`], referral.id);
    });

  const step = (name: string, description: string, handler: 'accept-referral' | 'decline-referral' | 'lose-referral', withReason: boolean) => {
    const cmd = referrals.command(`${name} <agreementId> <referralId>`).description(description);
    if (withReason) cmd.option('--reason <text>', 'why, for the other side');
    cmd.action(async (agreementId: string, referralId: string, options: { reason?: string }, command: Command) => {
      const { ctx, client, side } = await scope(io, command, agreementId);
      const params = { agreementId, referralId: checkedReferralId(referralId) };
      const referral =
        handler === 'accept-referral' ? await client.call(handler, { params }) : await client.call(handler, { params, body: options.reason ? { reason: options.reason } : {} });
      ctx.print(referral, () => [`Referral ${referral.id} (${referral.account.name}) is ${referral.stage}.`, ...(referral.stage === 'accepted' ? [`${whoIs(referral.introduced, side) === 'you' ? 'You' : 'Your partner'} record the deal next: accord referrals opportunity ${agreementId} ${referral.id} --amount N --currency ${referral.opportunity?.currency ?? 'EUR'}`] : [])], referral.id);
    });
  };
  step('accept', 'agree that the introduction happened as registered (the side that did not register it)', 'accept-referral', false);
  step('decline', 'turn a proposed referral down, or withdraw your own', 'decline-referral', true);
  step('lost', 'the side introduced lost the deal', 'lose-referral', true);

  referrals
    .command('opportunity <agreementId> <referralId>')
    .description("the side introduced records its open deal on the account; again to update the amount")
    .requiredOption('--amount <amount>', 'the expected deal value, e.g. 48000 or 48000.00')
    .requiredOption('--currency <code>', 'ISO 4217, e.g. EUR')
    .action(async (agreementId: string, referralId: string, options: { amount: string; currency: string }, command: Command) => {
      const currency = checkedCurrency(options.currency);
      const amountMinor = minorUnitsOf(options.amount, currency);
      const { ctx, client } = await scope(io, command, agreementId);
      const referral = await client.call('record-referral-opportunity', { params: { agreementId, referralId: checkedReferralId(referralId) }, body: { amountMinor, currency } });
      ctx.print(referral, () => [`Referral ${referral.id} (${referral.account.name}) has an open deal of ${formatMoney(amountMinor, currency)}.`], referral.id);
    });

  const dealOptions = (cmd: Command) =>
    cmd
      .option('--amount <amount>', 'the deal value, e.g. 48000.00')
      .option('--currency <code>', 'the deal currency, ISO 4217')
      .option('--closed-at <time>', 'when the deal closed (default now)')
      .option('--exchange-rate <rate>', "units of the terms' currency per unit of the deal's at close, when they differ, e.g. 1.0834")
      .option('--revenue <amount>', 'the revenue the revenue share applies to (default: the deal value)');

  dealOptions(referrals.command('won <agreementId> <referralId>').description('the side introduced closed the deal: within the attribution window, the fee and share are booked on the ledger')).action(
    async (agreementId: string, referralId: string, options: DealOptions, command: Command) => {
      const deal = dealOf(options);
      const { ctx, client } = await scope(io, command, agreementId);
      const referral = await client.call('win-referral', { params: { agreementId, referralId: checkedReferralId(referralId) }, body: deal });
      ctx.print(referral, () => [`Referral ${referral.id} (${referral.account.name}) is won: ${formatMoney(deal.amountMinor, deal.currency)}.`, ...(referral.attribution ? [`Owed: ${owedText(referral)} — ${referral.attribution.message}.`] : [])], referral.id);
    },
  );

  referrals
    .command('dispute <agreementId> <referralId>')
    .description('dispute an accepted, open, won or lost referral: it does not move until both sides name the same resolution')
    .requiredOption('--reason <text>', 'what is wrong')
    .action(async (agreementId: string, referralId: string, options: { reason: string }, command: Command) => {
      const { ctx, client } = await scope(io, command, agreementId);
      const referral = await client.call('dispute-referral', { params: { agreementId, referralId: checkedReferralId(referralId) }, body: { reason: options.reason } });
      ctx.print(referral, () => [`Referral ${referral.id} is disputed; settle it with accord referrals resolve ${agreementId} ${referral.id} --outcome stands|void|amended.`], referral.id);
    });

  dealOptions(
    referrals
      .command('resolve <agreementId> <referralId>')
      .description('name a resolution of the dispute; it takes effect when both sides name the same (the side that disputed may withdraw alone with stands)')
      .addOption(new Option('--outcome <outcome>', 'stands, void (entries reversed) or amended (the deal corrected: give it)').choices(RESOLUTION_OUTCOMES).makeOptionMandatory()),
  ).action(async (agreementId: string, referralId: string, options: DealOptions & { outcome: (typeof RESOLUTION_OUTCOMES)[number] }, command: Command) => {
    const resolution = options.outcome === 'amended' ? { outcome: 'amended' as const, deal: dealOf(options) } : { outcome: options.outcome };
    const { ctx, client, side } = await scope(io, command, agreementId);
    const referral = await client.call('resolve-referral-dispute', { params: { agreementId, referralId: checkedReferralId(referralId) }, body: resolution });
    ctx.print(referral, () => (referral.dispute ? [`Proposed "${options.outcome}"; it takes effect when your partner names the same.`] : [`The dispute is settled (${options.outcome}): referral ${referral.id} is ${referral.stage}.`, ...(referral.entries.length ? indent(entryTable(referral.entries, side)) : [])]), referral.id);
  });

  program
    .command('ledger <agreementId>')
    .description('the revenue-share ledger, the same for both sides, and who owes whom; --statement for a period as CSV')
    .option('--statement', 'the entries booked in a period, as CSV (formula-safe)')
    .option('--period <month>', 'with --statement: a month, YYYY-MM (default this month)')
    .option('--from <date>', 'with --statement: the first day, YYYY-MM-DD')
    .option('--to <date>', 'with --statement: the last day, YYYY-MM-DD')
    .option('-o, --out <file>', 'with --statement: write the CSV here instead of stdout')
    .action(async (agreementId: string, options: { statement?: boolean; period?: string; from?: string; to?: string; out?: string }, command: Command) => {
      const { ctx, client, me, side } = await scope(io, command, agreementId);
      if (options.statement) {
        const query = options.from || options.to ? { from: options.from, to: options.to } : { period: options.period ?? new Date().toISOString().slice(0, 7) };
        const csv = await client.callText('get-ledger-statement', { params: { agreementId }, query });
        if (!options.out) {
          io.stdout(csv);
          return;
        }
        await writeFile(resolvePath(io.cwd, options.out), csv);
        ctx.print({ file: resolvePath(io.cwd, options.out), bytes: Buffer.byteLength(csv) }, () => [`Wrote the statement to ${options.out}.`]);
        return;
      }
      const ledger = await client.call('get-ledger', { params: { agreementId } });
      ctx.print(ledger, () => [
        ...(ledger.entries.length ? entryTable(ledger.entries, side) : [`No entries yet (the ledger is in ${ledger.currency}).`]),
        ...(ledger.balances.length ? ['', 'Balances:'] : []),
        ...ledger.balances.map((b) => `  ${b.payerId === me.id ? 'you owe your partner' : 'your partner owes you'} ${formatMoney(b.amountMinor, b.currency)} (${plural(b.entries, 'entry', 'entries')})`),
      ]);
    });

  program
    .command('analytics [agreementId]')
    .description('what your mapping programme produced: overlap per cell over released runs, times, reminders, referrals, revenue; one agreement or all')
    .action(async (agreementId: string | undefined, _options: unknown, command: Command) => {
      const ctx = new Context(io, command);
      const client = await ctx.client();
      if (agreementId) {
        checkedAgreementId(agreementId);
        const analytics = await client.call('get-agreement-analytics', { params: { agreementId } });
        ctx.print(analytics, () => agreementAnalyticsLines(analytics));
        return;
      }
      const analytics = await client.call('get-partner-analytics');
      ctx.print(analytics, () => partnerAnalyticsLines(analytics));
    });
}
