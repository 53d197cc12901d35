import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { Actor, Agreement, AuditAction } from '../../shared/agreement.ts';
import { appendEvent } from '../../shared/audit-chain.ts';
import { NotFoundError } from '../../shared/errors.ts';
import type { ResultCommandResult } from '../../shared/result-approval.ts';
import type { Run } from '../../shared/run.ts';
import { ENV } from '../../infra/definitions.ts';
import { runUpdate, StaleAgreementError, type TransactItem } from '../store/agreement-store.ts';
import { readAgreementAsParty } from './agreement-commands.ts';
import { requireEnv } from './config.ts';
import { agreementStore } from './stores.ts';

const MAX_ATTEMPTS = 5;

export interface ResultsCommandOutcome {
  agreement: Agreement;
  run: Run;
  changed: boolean;
}

/**
 * Runs a result command (shared/result-approval.ts) on the stored agreement
 * and run: read both, decide, write the agreement (on its version) with its
 * audit event, the run (on its version) and `extraItems` in one
 * transaction. A concurrent change to either makes it read and decide again.
 */
export async function runResultsCommand(
  agreementId: string,
  runId: string,
  actor: Actor,
  command: (agreement: Agreement, run: Run, actor: Actor, now: Date) => ResultCommandResult,
  options: { now?: Date; extraItems?: (after: { agreement: Agreement; run: Run; audit: AuditAction }) => TransactItem[] } = {},
): Promise<ResultsCommandOutcome> {
  const store = agreementStore();
  for (let attempt = 1; ; attempt += 1) {
    const stored = actor.role === 'system' ? await store.get(agreementId) : await readAgreementAsParty(agreementId, actor.partnerId);
    const run = stored ? await store.getRun(agreementId, runId) : undefined;
    if (!stored || !run) throw new NotFoundError(`run ${runId} of agreement ${agreementId} was not found`);
    const now = options.now ?? new Date();
    const { result, run: after } = command(stored.agreement, run, actor, now);
    if (result.outcome === 'unchanged') return { agreement: result.agreement, run, changed: false };
    const event = appendEvent({ agreementId, seq: stored.auditHead.seq, hash: stored.auditHead.hash }, { agreementId, at: now, actor, ...result.audit });
    try {
      await store.save({
        expectedVersion: stored.agreement.version,
        agreement: result.agreement,
        event,
        taskTokens: stored.taskTokens,
        extraItems: [runUpdate(requireEnv(ENV.tableName), after, run.version), ...(options.extraItems?.({ agreement: result.agreement, run: after, audit: result.audit }) ?? [])],
      });
      return { agreement: result.agreement, run: after, changed: true };
    } catch (error) {
      const raced = error instanceof StaleAgreementError || (error instanceof TransactionCanceledException && (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed'));
      if (raced && attempt < MAX_ATTEMPTS) continue;
      throw error;
    }
  }
}
