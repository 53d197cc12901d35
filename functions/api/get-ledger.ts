import { balancesOf, sortEntries } from '../../shared/ledger.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { readAsParty } from '../lib/referral-commands.ts';
import { referralStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('get-ledger'), async ({ caller, params }) => {
  const { stored } = await readAsParty(params.agreementId, caller);
  const entries = sortEntries(await referralStore().ledger(params.agreementId));
  return {
    status: 200,
    body: { agreementId: params.agreementId, currency: stored.agreement.terms.incentives.currency, entries, balances: balancesOf(entries) },
  };
});
