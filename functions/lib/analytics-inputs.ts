import { type AgreementAnalytics, agreementAnalytics } from '../../shared/analytics.ts';
import type { Side } from '../../shared/terms.ts';
import type { StoredAgreement } from '../store/agreement-store.ts';
import { agreementStore, referralStore } from './stores.ts';

/** Reads what an agreement's analytics are computed from (runs, referrals, ledger) and computes them for `side`. */
export async function analyticsOfAgreement(stored: StoredAgreement, side: Side): Promise<AgreementAnalytics> {
  const { agreement } = stored;
  const [runs, referrals, ledger] = await Promise.all([
    agreementStore().listRuns(agreement.id),
    referralStore().listOfAgreement(agreement.id),
    referralStore().ledger(agreement.id),
  ]);
  return agreementAnalytics({ agreement, side, runs, referrals, ledger });
}
