import type { Command } from 'commander';
import { verifyChain } from '../../shared/audit-chain.ts';
import { Context } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { table, when } from '../format.ts';
import type { CliIo } from '../io.ts';
import { checkedAgreementId, whoAmI } from './agreements.ts';

/** audit ID [--verify]: the hash-chained audit log, and its verification redone here, not taken on trust. */
export function registerAuditCommand(program: Command, io: CliIo): void {
  program
    .command('audit <agreementId>')
    .description("the agreement's audit log; --verify recomputes every event's hash and link locally and fails if the chain is broken")
    .option('--verify', 'verify the hash chain locally (exit 1 when it does not verify)')
    .action(async (agreementId: string, options: { verify?: boolean }, command: Command) => {
      const ctx = new Context(io, command);
      checkedAgreementId(agreementId);
      const client = await ctx.client();
      const me = await whoAmI(client);
      const log = await client.call('get-agreement-audit', { params: { agreementId } });
      const local = options.verify ? verifyChain(log.events, { agreementId }) : undefined;
      const actor = (partnerId: string, role: string) => (partnerId === 'system' ? 'Accord' : `${partnerId === me.id ? 'you' : 'partner'} (${role})`);
      const last = log.events.at(-1);
      ctx.print({ ...log, ...(local ? { localVerification: local } : {}) }, () => [
        ...table(
          ['SEQ', 'AT', 'BY', 'ACTION', 'STATUS', 'TERMS', 'HASH'],
          log.events.map((e) => [e.seq, when(e.at), actor(e.actor.partnerId, e.actor.role), e.action, `${e.statusBefore ?? '-'} → ${e.statusAfter}`, `v${e.termsVersion}`, `${e.hash.slice(0, 19)}…`]),
          { rightAlign: [0] },
        ),
        ...(local?.ok && log.verification.ok ? ['', `Verified: ${log.events.length} events chain from the genesis hash to ${last?.hash ?? '-'} (recomputed here; the server agrees).`] : []),
      ]);
      if (local && !local.ok) throw new CliError(`the audit chain of ${agreementId} does not verify at event ${local.seq}: ${local.message}`, EXIT.failed);
      if (options.verify && !log.verification.ok) {
        throw new CliError(`the server reports the audit chain of ${agreementId} broken at event ${log.verification.seq ?? '?'}: ${log.verification.message ?? ''}`, EXIT.failed);
      }
    });
}
