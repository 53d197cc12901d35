import { type Command, Option } from 'commander';
import { type Agreement, AGREEMENT_STATUSES, AgreementIdSchema, type AgreementStatus, isOpen } from '../../shared/agreement.ts';
import { PartnerIdSchema } from '../../shared/partner.ts';
import { describeTerms, diffTerms } from '../../shared/terms.ts';
import { type Me, mySide, otherPartyId, partyNames, timeline, timelineLines, waitingOn } from '../agreement-view.ts';
import { Context } from '../context.ts';
import { CliError, EXIT, usageError } from '../errors.ts';
import { fields, indent, table, when } from '../format.ts';
import { readTermsFile } from '../files.ts';
import type { AccordClient } from '../http.ts';
import type { CliIo } from '../io.ts';
import { approveResults, declineResults } from './results.ts';

/** propose, counter, agreements, status, approve, decline, withdraw, wait. */

export function checkedAgreementId(id: string): string {
  if (!AgreementIdSchema.safeParse(id).success) throw usageError(`"${id}" is not an agreement id (agr_ and 20 letters or digits): see accord agreements`);
  return id;
}

export async function whoAmI(client: AccordClient): Promise<Me> {
  const partner = await client.call('get-my-partner');
  return { id: partner.id, name: partner.name };
}

export async function readAgreement(client: AccordClient, agreementId: string): Promise<Agreement> {
  return client.call('get-agreement', { params: { agreementId } });
}

function describeChange(value: unknown): string {
  return value === undefined ? '(none)' : JSON.stringify(value);
}

/** The terms in words and what changed since the previous version: what an approver reads before deciding. */
export function reviewLines(agreement: Agreement, me: Me): string[] {
  const { terms } = agreement;
  const { version, hash, proposedBy, proposedAt, ...body } = terms;
  const previous = agreement.termsHistory?.at(-1);
  const lines = [
    `Agreement ${agreement.id} (${agreement.status}), terms version ${version}, ${hash}`,
    `proposed by ${proposedBy === me.id ? 'you' : `your partner (${proposedBy})`} on ${when(proposedAt)}`,
    '',
    'The terms, in words:',
    ...indent(describeTerms(body, partyNames(agreement, me))),
    '',
  ];
  if (!previous) {
    lines.push('This is the first version of the terms.');
  } else {
    const { version: before, hash: _h, proposedBy: _b, proposedAt: _a, ...previousBody } = previous;
    const changes = diffTerms(previousBody, body);
    lines.push(`Changes from version ${before}:`);
    lines.push(...indent(changes.length ? changes.map((c) => `${c.path}: ${describeChange(c.before)} → ${describeChange(c.after)}`) : ['none']));
  }
  return lines;
}

/** Asks on a terminal; `--yes` answers for scripts; anything else is refused, never assumed. */
export async function confirmed(ctx: Context, yes: boolean | undefined, review: () => string[], question: string, refusal: string): Promise<void> {
  if (yes) return;
  if (!ctx.io.interactive) throw usageError(refusal);
  const text = `${review().join('\n')}\n`;
  if (ctx.json) ctx.io.stderr(text);
  else ctx.io.stdout(text);
  if (!(await ctx.io.confirm(question))) throw new CliError('not confirmed: nothing was changed', EXIT.failed);
}

export function registerAgreementCommands(program: Command, io: CliIo): void {
  program
    .command('propose <file>')
    .description('propose an agreement with the terms in a YAML or JSON file (checked locally first), to a partner or by invitation')
    .option('--counterparty <partnerId>', 'the partner to propose to (ptn_...)')
    .option('--invite-email <address>', 'invite a company that is not on Accord yet')
    .action(async (file: string, options: { counterparty?: string; inviteEmail?: string }, command: Command) => {
      const ctx = new Context(io, command);
      if ((options.counterparty === undefined) === (options.inviteEmail === undefined)) throw usageError('name the counterparty with --counterparty ptn_... or --invite-email ADDRESS (one of them)');
      if (options.counterparty && !PartnerIdSchema.safeParse(options.counterparty).success) throw usageError(`"${options.counterparty}" is not a partner id (ptn_...): the other side finds it with accord whoami`);
      const { input } = await readTermsFile(io.cwd, file);
      const client = await ctx.client();
      const agreement = await client.call('propose-agreement', {
        body: { ...(options.counterparty ? { counterpartyId: options.counterparty } : { inviteEmail: options.inviteEmail }), terms: input },
      });
      ctx.print(
        agreement,
        () => [
          `Proposed agreement ${agreement.id} to ${options.counterparty ?? options.inviteEmail} (terms version ${agreement.terms.version}, ${agreement.terms.hash}).`,
          ...(agreement.invitationCode ? [`Invitation code (shown once; it was e-mailed too): ${agreement.invitationCode}`] : []),
          `Both sides approve it next: accord approve ${agreement.id}`,
        ],
        agreement.id,
      );
    });

  program
    .command('counter <agreementId> <file>')
    .description('answer the current terms with new ones from a file: a new terms version, every approval reset')
    .option('--based-on <version>', 'the terms version you are answering (default: the current one, as read now)', (value) => positiveInt(value, '--based-on'))
    .action(async (agreementId: string, file: string, options: { basedOn?: number }, command: Command) => {
      const ctx = new Context(io, command);
      checkedAgreementId(agreementId);
      const { input } = await readTermsFile(io.cwd, file);
      const client = await ctx.client();
      const current = await readAgreement(client, agreementId);
      const { version, hash: _h, proposedBy: _b, proposedAt: _a, ...body } = current.terms;
      const agreement = await client.call('counter-propose-agreement', { params: { agreementId }, body: { basedOnVersion: options.basedOn ?? version, terms: input } });
      const changes = diffTerms(body, input);
      if (agreement.terms.version === version) {
        ctx.print(agreement, () => [`These are the current terms of ${agreement.id} (version ${version}): nothing changed.`], agreement.id);
        return;
      }
      ctx.print(agreement, () => [
        `Counter-proposed terms version ${agreement.terms.version} (${agreement.terms.hash}) on ${agreement.id}; approvals are reset.`,
        ...(changes.length ? ['Changes:', ...indent(changes.map((c) => `${c.path}: ${describeChange(c.before)} → ${describeChange(c.after)}`))] : ['No change of meaning.']),
      ], agreement.id);
    });

  program
    .command('agreements')
    .description('your agreements, most recently changed first, with what each waits on')
    .addOption(new Option('--status <status>', 'only agreements in this status').choices(AGREEMENT_STATUSES))
    .action(async (options: { status?: AgreementStatus }, command: Command) => {
      const ctx = new Context(io, command);
      const client = await ctx.client();
      const me = await whoAmI(client);
      const { agreements } = await client.call('list-agreements', { query: { status: options.status } });
      ctx.print({ agreements }, () =>
        agreements.length === 0
          ? [`No agreements${options.status ? ` in status ${options.status}` : ''}.`]
          : table(
              ['ID', 'STATUS', 'YOU ARE', 'OTHER PARTY', 'TERMS', 'WAITING ON', 'UPDATED'],
              agreements.map((a) => [a.id, a.status, mySide(a, me), otherPartyId(a, me), `v${a.terms.version}`, waitingOn(a, me), when(a.updatedAt)]),
            ),
      );
    });

  program
    .command('status <agreementId>')
    .description("an agreement's lifecycle and the current run's timeline: approvals, contributions, reminders, matching, release")
    .action(async (agreementId: string, _options: unknown, command: Command) => {
      const ctx = new Context(io, command);
      checkedAgreementId(agreementId);
      const client = await ctx.client();
      const me = await whoAmI(client);
      const agreement = await readAgreement(client, agreementId);
      const { events } = await client.call('get-agreement-audit', { params: { agreementId } });
      const runId = agreement.currentRunId;
      const run = runId ? await client.call('get-run', { params: { agreementId, runId } }) : undefined;
      const contributions = runId ? (await client.call('list-contributions', { params: { agreementId, runId } })).contributions : [];
      const entries = timeline(events, me, run, contributions, new Date());
      const approvedBy = agreement.approvals.filter((a) => a.termsHash === agreement.terms.hash).map((a) => (a.partnerId === me.id ? 'you' : 'your partner'));
      ctx.print({ agreement, run: run ?? null, contributions, timeline: entries }, () => [
        ...fields([
          ['agreement', agreement.id],
          ['status', agreement.status],
          ['waiting on', waitingOn(agreement, me)],
          ['you are', mySide(agreement, me)],
          ['other party', otherPartyId(agreement, me)],
          ['terms', `version ${agreement.terms.version}, ${agreement.terms.hash}`],
          ['approved by', approvedBy.length ? approvedBy.join(' and ') : 'nobody yet'],
          ['current run', run ? `${run.id} (${run.status}), deadline ${when(run.deadline)}, contributed: proposer ${run.contributed.proposer ? 'yes' : 'no'}, counterparty ${run.contributed.counterparty ? 'yes' : 'no'}` : 'none'],
        ]),
        '',
        'Timeline:',
        ...indent(timelineLines(entries)),
      ], agreement.id);
    });

  program
    .command('approve <agreementId>')
    .description('approve what awaits your approval: the terms (shown in words, with what changed) or, after matching, the results (what each side will see); asks first, --yes for scripts')
    .option('-y, --yes', 'approve without asking')
    .option('--run <runId>', 'for results: the run (default: the current one)')
    .option('--terms-version <n>', 'approve only if the current terms are this version', (value) => positiveInt(value, '--terms-version'))
    .option('--hash <hash>', 'approve exactly the terms (or results) with this hash; refused if they changed')
    .action(async (agreementId: string, options: { yes?: boolean; termsVersion?: number; hash?: string; run?: string }, command: Command) => {
      const ctx = new Context(io, command);
      checkedAgreementId(agreementId);
      const client = await ctx.client();
      const me = await whoAmI(client);
      const agreement = await readAgreement(client, agreementId);
      if (agreement.status === 'awaiting_release') {
        await approveResults(ctx, client, me, agreement, options);
        return;
      }
      const { terms } = agreement;
      if (options.termsVersion !== undefined && options.termsVersion !== terms.version) {
        throw new CliError(`the terms of ${agreementId} are at version ${terms.version}, not ${options.termsVersion}: read them again with accord approve ${agreementId}`, EXIT.conflict);
      }
      const termsHash = options.hash ?? terms.hash;
      await confirmed(
        ctx,
        options.yes,
        () => reviewLines(agreement, me),
        `Approve terms version ${terms.version} (${terms.hash.slice(0, 19)}…) for ${me.name}?`,
        `approving needs a confirmation: run it on a terminal to read the terms first, or pass --yes (with --terms-version ${terms.version} to bind what you read)`,
      );
      const approved = await client.call('approve-agreement', { params: { agreementId }, body: { termsHash } });
      const both = approved.status !== 'proposed';
      ctx.print(approved, () => [
        `Approved terms version ${approved.terms.version} (${approved.terms.hash}) of ${approved.id}.`,
        both ? `Both sides approved: the agreement is ${approved.status}; contribute with accord contribute FILE --agreement ${approved.id}` : `Waiting on ${waitingOn(approved, me)}.`,
      ], approved.id);
    });

  for (const [name, handler, verb, past] of [
    ['decline', 'decline-agreement', 'Decline', 'Declined'],
    ['withdraw', 'withdraw-agreement', 'Withdraw from', 'Withdrew from'],
  ] as const) {
    program
      .command(`${name} <agreementId>`)
      .description(
        name === 'decline'
          ? 'decline the terms (the agreement ends) or, after matching, the results (withheld: nothing is released); asks first, --yes for scripts'
          : 'withdraw from the agreement: it ends and its workflow stops (asks first; --yes for scripts)',
      )
      .option('-y, --yes', `${name} without asking`)
      .option('--reason <text>', 'why, for the other party and the audit log')
      .addOption(new Option('--run <runId>', 'for results: the run (default: the current one)').hideHelp(name !== 'decline'))
      .action(async (agreementId: string, options: { yes?: boolean; reason?: string; run?: string }, command: Command) => {
        const ctx = new Context(io, command);
        checkedAgreementId(agreementId);
        const client = await ctx.client();
        const me = await whoAmI(client);
        const agreement = await readAgreement(client, agreementId);
        if (name === 'decline' && agreement.status === 'awaiting_release') {
          await declineResults(ctx, client, me, agreement, options);
          return;
        }
        await confirmed(ctx, options.yes, () => reviewLines(agreement, me), `${verb} agreement ${agreement.id} for ${me.name}? This ends it.`, `${name} needs a confirmation: run it on a terminal, or pass --yes`);
        const ended = await client.call(handler, { params: { agreementId }, body: options.reason ? { reason: options.reason } : {} });
        ctx.print(ended, () => [`${past} ${ended.id}: it is ${ended.status}.`], ended.id);
      });
  }

  program
    .command('wait <agreementId>')
    .description('wait until the agreement reaches one of the given statuses (for scripts); fails if it ends in another')
    .requiredOption('--for <statuses>', 'comma-separated statuses, e.g. awaiting_release,released', (value) => statusList(value))
    .option('--timeout <seconds>', 'give up after this long (default 120)', (value) => positiveInt(value, '--timeout'), 120)
    .action(async (agreementId: string, options: { for: AgreementStatus[]; timeout: number }, command: Command) => {
      const ctx = new Context(io, command);
      checkedAgreementId(agreementId);
      const client = await ctx.client();
      const deadline = Date.now() + options.timeout * 1000;
      for (;;) {
        const agreement = await readAgreement(client, agreementId);
        if (options.for.includes(agreement.status)) {
          ctx.print(agreement, () => [`${agreement.id} is ${agreement.status}.`], agreement.id);
          return;
        }
        if (!isOpen(agreement)) throw new CliError(`${agreement.id} ended ${agreement.status}; it will never be ${options.for.join(' or ')}`, EXIT.failed);
        if (Date.now() > deadline) throw new CliError(`${agreement.id} is still ${agreement.status} after ${options.timeout} s`, EXIT.timeout);
        await new Promise((resolve) => setTimeout(resolve, pollMs(io)));
      }
    });
}

export function pollMs(io: CliIo): number {
  const configured = Number(io.env.ACCORD_POLL_MS);
  return Number.isInteger(configured) && configured > 0 ? configured : 500;
}

export function positiveInt(value: string, flag: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw usageError(`${flag} must be a whole number above 0, not "${value}"`);
  return Number(value);
}

function statusList(value: string): AgreementStatus[] {
  const statuses = value.split(',').map((s) => s.trim());
  for (const status of statuses) {
    if (!(AGREEMENT_STATUSES as readonly string[]).includes(status)) throw usageError(`--for: "${status}" is not a status (${AGREEMENT_STATUSES.join(', ')})`);
  }
  return statuses as AgreementStatus[];
}
