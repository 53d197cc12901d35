import { sideOf } from '../../shared/agreement.ts';
import { declineResults, resultApprovalState } from '../../shared/result-approval.ts';
import { actorOf } from '../lib/agreement-commands.ts';
import { announce } from '../lib/announcements.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { runResultsCommand } from '../lib/results-commands.ts';
import { answerWait } from '../lib/workflow.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('decline-results'), async ({ caller, params, body }) => {
  const now = new Date();
  const { agreement, run } = await runResultsCommand(params.agreementId, params.runId, actorOf(caller), (current, currentRun, actor) => declineResults(current, currentRun, body, actor, now), {
    now,
    extraItems: ({ agreement: after, run: changed }) =>
      announce('results.withheld', [after.proposerId, after.counterpartyId], { agreementId: after.id, runId: changed.id, ...(body.reason ? { reason: body.reason } : {}) }, now, [changed.id]),
  });
  // Wakes the workflow, which deletes the results.
  await answerWait(agreement.id, 'results', { outcome: 'withheld' });
  return { status: 200, body: resultApprovalState(run, sideOf(agreement, caller.partnerId) ?? 'proposer') };
});
