import { otherPartyOf, sideOf } from '../../shared/agreement.ts';
import { approveResults, resultApprovalState } from '../../shared/result-approval.ts';
import { actorOf } from '../lib/agreement-commands.ts';
import { announce } from '../lib/announcements.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { runResultsCommand } from '../lib/results-commands.ts';
import { answerWait } from '../lib/workflow.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('approve-results'), async ({ caller, params, body }) => {
  const now = new Date();
  const { agreement, run } = await runResultsCommand(params.agreementId, params.runId, actorOf(caller), (current, currentRun, actor) => approveResults(current, currentRun, body, actor, now), {
    now,
    extraItems: ({ agreement: after, run: changed }) => {
      const facts = { agreementId: after.id, runId: changed.id, data: { resultHash: body.resultHash } };
      if (changed.status === 'released') {
        return announce('results.released', [after.proposerId, after.counterpartyId], { ...facts, data: { ...facts.data, expiresAt: changed.release?.expiresAt ?? null } }, now, [changed.id]);
      }
      return announce('results.approved_by_partner', [otherPartyOf(after, caller.partnerId)], facts, now, [changed.id, body.resultHash, caller.partnerId]);
    },
  });
  // Wakes the workflow, which schedules the expiry (and the next run of recurring terms).
  if (run.status === 'released') await answerWait(agreement.id, 'results', { outcome: 'released' });
  const side = sideOf(agreement, caller.partnerId) ?? 'proposer';
  return { status: 200, body: resultApprovalState(run, side) };
});
