import { otherPartyOf, sideOf } from '../../shared/agreement.ts';
import { ConflictError, NotFoundError } from '../../shared/errors.ts';
import { flagMatch } from '../../shared/result-approval.ts';
import { matchIdOf } from '../../shared/results-objects.ts';
import { buildView, type Flag } from '../../shared/results.ts';
import { otherSide } from '../../shared/terms.ts';
import { ENV } from '../../infra/definitions.ts';
import { actorOf, readAgreementAsParty } from '../lib/agreement-commands.ts';
import { announce } from '../lib/announcements.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { requireEnv } from '../lib/config.ts';
import { runResultsCommand } from '../lib/results-commands.ts';
import { loadResultsInput, requireClearResults, requireReleased } from '../lib/results-view.ts';
import { agreementStore, flagStore } from '../lib/stores.ts';
import { flagPut, type StoredFlag } from '../store/flag-store.ts';
import { routeByHandler } from './routes.ts';

function publicFlag(flag: StoredFlag): Flag {
  return { agreementId: flag.agreementId, runId: flag.runId, matchId: flag.matchId, side: flag.side, reason: flag.reason, at: flag.at };
}

export const handler = apiHandler(routeByHandler('flag-match'), async ({ caller, params, body }) => {
  const { agreement } = await readAgreementAsParty(params.agreementId, caller.partnerId);
  const side = sideOf(agreement, caller.partnerId);
  const run = await agreementStore().getRun(params.agreementId, params.runId);
  if (!side || !run) throw new NotFoundError(`run ${params.runId} of agreement ${params.agreementId} was not found`);
  requireReleased(run);
  const input = await loadResultsInput(agreement, run);
  requireClearResults(input, 'flag');
  // Only a match the caller can see can be flagged: an id of anything else names nothing.
  if (!buildView(input, side).matches.some((match) => match.matchId === body.matchId)) {
    throw new NotFoundError(`match ${body.matchId} is not in your released view of run ${run.id}`);
  }
  const existing = await flagStore().get(run.agreementId, run.id, body.matchId, side);
  if (existing) return { status: 200, body: { flag: publicFlag(existing) } };
  const pair = input.pairs.find((candidate) => matchIdOf(run.id, candidate) === body.matchId);
  if (!pair) throw new ConflictError(`match ${body.matchId} has no pair`);
  const alreadyFlagged = (await flagStore().get(run.agreementId, run.id, body.matchId, otherSide(side))) !== undefined;

  const now = new Date();
  const flag: StoredFlag = {
    agreementId: run.agreementId,
    runId: run.id,
    matchId: body.matchId,
    side,
    reason: body.reason,
    at: now.toISOString(),
    partnerId: caller.partnerId,
    keyId: caller.keyId,
    keys: pair.keys,
  };
  await runResultsCommand(run.agreementId, run.id, actorOf(caller), (current, currentRun, actor) => flagMatch(current, currentRun, body, actor, now, { alreadyFlagged }), {
    now,
    extraItems: ({ agreement: after }) => [
      flagPut(requireEnv(ENV.tableName), flag),
      ...announce('results.match_flagged', [otherPartyOf(after, caller.partnerId)], { agreementId: after.id, runId: run.id, reason: body.reason, data: { matchId: body.matchId } }, now, [run.id, body.matchId, side]),
    ],
  });
  return { status: 201, body: { flag: publicFlag(flag) } };
});
