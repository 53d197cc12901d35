import { type Agreement, otherPartyOf, sideOf } from '../../shared/agreement.ts';
import { appendEvent } from '../../shared/audit-chain.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { OPEN_STAGES, type Referral, type ReferralActor, type ReferralResult, type TermsInForce } from '../../shared/referral.ts';
import type { StoredAgreement } from '../store/agreement-store.ts';
import type { Caller } from '../store/partner-store.ts';
import { StaleReferralError } from '../store/referral-store.ts';
import { actorOf, readAgreementAsParty } from './agreement-commands.ts';
import { announce } from './announcements.ts';
import { referralStore } from './stores.ts';

/** A concurrent change makes a command re-read and decide again, this many times at most. */
const MAX_ATTEMPTS = 5;

export interface ReferralDecision {
  agreement: Agreement;
  actor: ReferralActor;
  terms: TermsInForce;
  now: Date;
}

export function termsInForce(agreement: Agreement): TermsInForce {
  return { version: agreement.terms.version, hash: agreement.terms.hash, incentives: agreement.terms.incentives };
}

/** The agreement, with the caller's side, if the caller is a party; NotFoundError otherwise. */
export async function readAsParty(agreementId: string, caller: Caller): Promise<{ stored: StoredAgreement; actor: ReferralActor }> {
  const stored = await readAgreementAsParty(agreementId, caller.partnerId);
  const side = sideOf(stored.agreement, caller.partnerId);
  if (!side) throw new NotFoundError(`agreement ${agreementId} was not found`);
  return { stored, actor: { ...actorOf(caller), side } };
}

/** A referral of an agreement the caller is a party to; NotFoundError otherwise. */
export async function readReferralAsParty(agreementId: string, referralId: string, caller: Caller): Promise<Referral> {
  await readAsParty(agreementId, caller);
  const referral = await referralStore().get(agreementId, referralId);
  if (!referral) throw new NotFoundError(`referral ${referralId} of agreement ${agreementId} was not found`);
  return referral;
}

/** Registers a new referral (see runReferralCommand). */
export function runRegistration(agreementId: string, caller: Caller, decide: (input: ReferralDecision) => ReferralResult): Promise<{ referral: Referral; changed: boolean }> {
  return commit(agreementId, undefined, caller, decide);
}

/**
 * Runs a referral command: read the agreement (as a party) and the referral,
 * decide with the pure command, and write the referral, its audit event on
 * the agreement's chain, its ledger entries and the notification to the other
 * party in one transaction, conditional on the referral's version and the
 * chain's head. Losing a race re-reads and decides again.
 */
export function runReferralCommand(
  agreementId: string,
  referralId: string,
  caller: Caller,
  decide: (input: ReferralDecision & { referral: Referral }) => ReferralResult,
): Promise<{ referral: Referral; changed: boolean }> {
  return commit(agreementId, referralId, caller, (input) => {
    if (!input.referral) throw new NotFoundError(`referral ${referralId} of agreement ${agreementId} was not found`);
    return decide({ ...input, referral: input.referral });
  });
}

async function commit(
  agreementId: string,
  referralId: string | undefined,
  caller: Caller,
  decide: (input: ReferralDecision & { referral: Referral | undefined }) => ReferralResult,
): Promise<{ referral: Referral; changed: boolean }> {
  for (let attempt = 1; ; attempt += 1) {
    const { stored, actor } = await readAsParty(agreementId, caller);
    const { agreement } = stored;
    const referral = referralId === undefined ? undefined : await referralStore().get(agreementId, referralId);
    if (referralId !== undefined && !referral) throw new NotFoundError(`referral ${referralId} of agreement ${agreementId} was not found`);
    const now = new Date();
    const result = decide({ agreement, referral, actor, terms: termsInForce(agreement), now });
    if (result.outcome === 'unchanged') return { referral: result.referral, changed: false };

    const after = result.referral;
    const event = appendEvent(
      { agreementId, seq: stored.auditHead.seq, hash: stored.auditHead.hash },
      {
        agreementId,
        at: now,
        actor,
        action: result.audit.action,
        statusBefore: agreement.status,
        statusAfter: agreement.status,
        termsVersion: agreement.terms.version,
        termsHash: agreement.terms.hash,
        details: result.audit.details,
      },
    );
    const wasOpen = referral !== undefined && OPEN_STAGES.includes(referral.stage);
    const openMarker = referral === undefined ? 'open' : wasOpen && !OPEN_STAGES.includes(after.stage) ? 'close' : undefined;
    const notification = announce(
      `referral.${result.notice}`,
      [otherPartyOf(agreement, caller.partnerId)],
      {
        agreementId,
        referralId: after.id,
        ...(after.reason && (result.notice === 'declined' || result.notice === 'lost') ? { reason: after.reason } : {}),
        ...(result.notice === 'disputed' && after.dispute ? { reason: after.dispute.reason } : {}),
        data: { referralId: after.id, stage: after.stage, version: after.version },
      },
      now,
      [after.id, String(after.version)],
    );
    try {
      await referralStore().save({
        agreementId,
        referral: after,
        expectedVersion: referral?.version,
        auditHead: stored.auditHead,
        event,
        ...(openMarker ? { openMarker } : {}),
        entries: result.entries,
        extraItems: notification,
      });
      return { referral: after, changed: true };
    } catch (error) {
      if (error instanceof StaleReferralError && attempt < MAX_ATTEMPTS) continue;
      throw error;
    }
  }
}
