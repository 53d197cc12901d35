import { type AgreementAnalytics, agreementAnalytics, type RunFacts } from '../../shared/analytics.ts';
import { type AuditEvent, AuditEventSchema } from '../../shared/audit-chain.ts';
import type { Side } from '../../shared/terms.ts';
import type { StoredAgreement } from '../store/agreement-store.ts';
import { releasedAtOf } from './released-matches.ts';
import { agreementStore, referralStore } from './stores.ts';

/** Reads what an agreement's analytics are computed from (runs, referrals, ledger, audit) and computes them for `side`. */
export async function analyticsOfAgreement(stored: StoredAgreement, side: Side): Promise<AgreementAnalytics> {
  const { agreement } = stored;
  const [runs, referrals, ledger, events] = await Promise.all([
    agreementStore().listRuns(agreement.id),
    referralStore().listOfAgreement(agreement.id),
    referralStore().ledger(agreement.id),
    agreementStore().auditEvents(agreement.id, stored.auditHead),
  ]);
  const audit = events.flatMap((event): AuditEvent[] => {
    const parsed = AuditEventSchema.safeParse(event);
    return parsed.success ? [parsed.data] : [];
  });
  const facts: RunFacts[] = runs.map((run) => ({ run, releasedAt: releasedAtOf(run) }));
  return agreementAnalytics({ agreement, side, runs: facts, referrals, ledger, audit });
}
