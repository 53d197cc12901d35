import { sideOf } from '../../shared/agreement.ts';
import { blindResultsView, blindSeenOfMe } from '../../shared/blind/view.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { resultApprovalState } from '../../shared/result-approval.ts';
import { buildView, seenOfMe } from '../../shared/results.ts';
import { readAgreementAsParty } from '../lib/agreement-commands.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { loadResultsInput, requireResultsKept } from '../lib/results-view.ts';
import { agreementStore } from '../lib/stores.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('preview-results'), async ({ caller, params }) => {
  const { agreement } = await readAgreementAsParty(params.agreementId, caller.partnerId);
  const side = sideOf(agreement, caller.partnerId);
  const run = await agreementStore().getRun(params.agreementId, params.runId);
  if (!side || !run) throw new NotFoundError(`run ${params.runId} of agreement ${params.agreementId} was not found`);
  requireResultsKept(run);
  const input = await loadResultsInput(agreement, run);
  const state = resultApprovalState(run, side);
  const blind = input.terms.matching.mode === 'blind';
  return {
    status: 200,
    body: {
      agreementId: run.agreementId,
      runId: run.id,
      side,
      status: state.status,
      resultHash: state.resultHash,
      approvalDeadline: state.approvalDeadline,
      approved: state.approved,
      ...(blind
        ? { youWillSee: blindResultsView(input, side), theyWillSee: blindSeenOfMe(input.terms, side, input.pairs) }
        : { youWillSee: buildView(input, side), theyWillSee: seenOfMe(input, side) }),
    },
  };
});
