import { ValidationError } from '../../shared/errors.ts';
import { datePeriod, monthPeriod, type Period, statementCsv } from '../../shared/ledger.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { readAsParty } from '../lib/referral-commands.ts';
import { partnerStore, referralStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

function periodOf(query: { period?: string; from?: string; to?: string }): Period {
  const range = query.from !== undefined || query.to !== undefined;
  if (query.period !== undefined && !range) return monthPeriod(query.period);
  if (query.period === undefined && query.from !== undefined && query.to !== undefined) {
    try {
      return datePeriod(query.from, query.to);
    } catch (error) {
      throw new ValidationError(`the period ${query.from} to ${query.to} is not valid`, { details: [{ path: 'to', message: 'must be a date on or after from' }], cause: error });
    }
  }
  throw new ValidationError('name the period either as ?period=YYYY-MM or as ?from=YYYY-MM-DD&to=YYYY-MM-DD', {
    details: [{ path: 'period', message: 'or from and to are required, not both' }],
  });
}

export const handler = apiHandler(routeByHandler('get-ledger-statement'), async ({ caller, params, query }) => {
  const period = periodOf(query);
  const { stored } = await readAsParty(params.agreementId, caller);
  const { agreement } = stored;
  const entries = await referralStore().ledger(params.agreementId, period);
  const names: Record<string, string> = {};
  for (const partnerId of [agreement.proposerId, agreement.counterpartyId]) {
    const partner = partnerId ? await partnerStore().getPartner(partnerId) : undefined;
    if (partner) names[partner.id] = partner.name;
  }
  return {
    status: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="ledger-${agreement.id}-${period.label.replace(/[^0-9A-Za-z-]+/g, '_')}.csv"`,
    },
    text: statementCsv(entries, period, names),
  };
});
