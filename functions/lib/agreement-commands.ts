import type { Agreement, Actor, CommandResult } from '../../shared/agreement.ts';
import { sideOf } from '../../shared/agreement.ts';
import { appendEvent } from '../../shared/audit-chain.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { type StoredAgreement, StaleAgreementError, type TransactItem } from '../store/agreement-store.ts';
import type { Caller } from '../store/partner-store.ts';
import { agreementStore } from './stores.ts';

/** A concurrent change makes a command re-read and decide again, this many times at most. */
const MAX_ATTEMPTS = 5;

export function actorOf(caller: Caller): Actor {
  return { partnerId: caller.partnerId, keyId: caller.keyId, role: caller.role };
}

/** The agreement, if the partner is one of its parties; otherwise NotFoundError (never says which). */
export async function readAgreementAsParty(agreementId: string, partnerId: string): Promise<StoredAgreement> {
  const stored = await agreementStore().get(agreementId);
  if (!stored || !sideOf(stored.agreement, partnerId)) throw new NotFoundError(`agreement ${agreementId} was not found`);
  return stored;
}

export interface CommandOutcome {
  agreement: Agreement;
  changed: boolean;
}

/**
 * Runs a domain command on the stored agreement: read, decide, write
 * conditionally on the version read, with the audit event in the same
 * transaction. Losing a race to another change re-reads and decides again, so
 * two approvers racing produce exactly one transition and a retried request
 * changes nothing twice.
 */
export async function runAgreementCommand(
  agreementId: string,
  actor: Actor,
  command: (agreement: Agreement, actor: Actor, now: Date) => CommandResult,
  options: {
    /** Items written in the same transaction as the change (notifications, invitations). */
    extraItems?: (result: Extract<CommandResult, { outcome: 'changed' }>) => TransactItem[];
    /** Who may read the agreement for this command: its parties (default), or anyone the command itself checks. */
    access?: 'parties' | 'command';
    /** The time of the command; workflow steps pass their state's entry time. @default now */
    now?: Date;
    /** The agreement as the caller has just read it: the first attempt decides on it instead of reading again (a stale one loses the race and is read afresh). */
    read?: StoredAgreement;
  } = {},
): Promise<CommandOutcome> {
  for (let attempt = 1; ; attempt += 1) {
    const partiesOnly = actor.role !== 'system' && options.access !== 'command';
    const stored = attempt === 1 && options.read ? options.read : partiesOnly ? await readAgreementAsParty(agreementId, actor.partnerId) : await agreementStore().get(agreementId);
    if (!stored || (partiesOnly && !sideOf(stored.agreement, actor.partnerId))) throw new NotFoundError(`agreement ${agreementId} was not found`);
    const now = options.now ?? new Date();
    const result = command(stored.agreement, actor, now);
    if (result.outcome === 'unchanged') return { agreement: result.agreement, changed: false };
    const event = appendEvent(
      { agreementId, seq: stored.auditHead.seq, hash: stored.auditHead.hash },
      { agreementId, at: now, actor, ...result.audit },
    );
    try {
      await agreementStore().save({
        expectedVersion: stored.agreement.version,
        agreement: result.agreement,
        event,
        taskTokens: stored.taskTokens,
        extraItems: options.extraItems?.(result) ?? [],
      });
      return { agreement: result.agreement, changed: true };
    } catch (error) {
      if (error instanceof StaleAgreementError && attempt < MAX_ATTEMPTS) continue;
      throw error;
    }
  }
}
