import { ConflictError, NotFoundError } from '../../shared/errors.ts';
import { registerReferral } from '../../shared/referral.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { readAsParty, runRegistration } from '../lib/referral-commands.ts';
import { findReleasedMatch } from '../lib/released-matches.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('register-referral'), async ({ caller, params, body }) => {
  const { stored, actor } = await readAsParty(params.agreementId, caller);
  const lookup = await findReleasedMatch(stored.agreement, body.runId, actor.side, body.matchId);
  if (lookup.outcome === 'not_visible') throw new NotFoundError(`match ${body.matchId} is not in your released view of run ${body.runId}`);
  if (lookup.outcome === 'flagged') throw new ConflictError(`match ${body.matchId} was flagged as wrong`, { code: 'match_flagged' });
  const { referral } = await runRegistration(params.agreementId, caller, ({ agreement, actor: current, now }) =>
    registerReferral(agreement, lookup.match, body, current, now),
  );
  return { status: 201, body: referral };
});
