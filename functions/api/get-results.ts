import { sideOf } from '../../shared/agreement.ts';
import { blindResultsView, blindViewToCsv } from '../../shared/blind/view.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { buildView, viewToCsv } from '../../shared/results.ts';
import { readAgreementAsParty } from '../lib/agreement-commands.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { loadResultsInput, requireReleased } from '../lib/results-view.ts';
import { agreementStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('get-results'), async ({ caller, params, query }) => {
  const { agreement } = await readAgreementAsParty(params.agreementId, caller.partnerId);
  const side = sideOf(agreement, caller.partnerId);
  const run = await agreementStore().getRun(params.agreementId, params.runId);
  if (!side || !run) throw new NotFoundError(`run ${params.runId} of agreement ${params.agreementId} was not found`);
  requireReleased(run);
  const input = await loadResultsInput(agreement, run);
  const blind = input.terms.matching.mode === 'blind';
  if (query.format === 'csv') {
    return {
      status: 200,
      text: blind ? blindViewToCsv(blindResultsView(input, side)) : viewToCsv(buildView(input, side)),
      headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${run.id}-${side}.csv"` },
    };
  }
  return { status: 200, body: blind ? blindResultsView(input, side) : buildView(input, side) };
});
