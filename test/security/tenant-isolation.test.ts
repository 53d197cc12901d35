import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ROUTES, type RouteDefinition } from '../../functions/api/routes.ts';
import { useTestApi } from '../support/api-client.ts';
import { buildWorld, fillPath, ownerOf, PARTIES, type PartyName, privateTokensOf, ROLES, SAMPLE_BODIES, SAMPLE_QUERIES, type World, worldState } from './world.ts';

/**
 * Tenant isolation, walked over every route of ROUTES (a route added later is
 * walked too, once test/security/world.ts knows how to fill its path) with
 * every role of three partners: A and B, parties to an agreement whose run is
 * released with a referral won and one registered, and C, outside it. Each call is allowed or refused exactly as the route's roles and
 * the caller's party say — 403 for a role the route does not take, 404 for
 * what is not yours (never saying whether it exists) — a refused call changes
 * nothing, and nothing C is shown names A's or B's private things.
 */

// The world's webhooks point at loopback; the API handlers read this per request.
process.env.ACCORD_WEBHOOK_ALLOW_LOOPBACK_HTTP = 'true';

// Whole engagements on the shared stack: generous under a full, parallel test run.
vi.setConfig({ testTimeout: 90_000 });

const api = useTestApi();
let world: World;
beforeAll(async () => {
  world = await buildWorld(api);
}, 240_000);
const routes = ROUTES as readonly RouteDefinition[];

/** Reads first, then writes, then deletions: a deletion cannot take away what a later call is about. */
const ORDER: Record<string, number> = { GET: 0, POST: 1, PUT: 1, PATCH: 1, DELETE: 2 };

interface Call {
  route: RouteDefinition;
  who: PartyName;
  role: (typeof ROLES)[number];
}

/**
 * Steps of the world's referral (registered by A, introducing A to B) that only one party may take
 * (shared/referral.ts): B accepts, and the deal being B's, B records it. The other party's allowed roles get 403 `wrong_party`.
 */
const ONLY_PARTY: Record<string, PartyName> = { 'accept-referral': 'b', 'record-referral-opportunity': 'b', 'win-referral': 'b', 'lose-referral': 'b' };

function expectation(call: Call): 'allowed' | 'forbidden' | 'wrong_party' | 'not_found' | 'public' {
  if (call.route.auth === 'public') return 'public';
  if (!call.route.auth.includes(call.role)) return 'forbidden';
  const owner = ownerOf(call.route);
  if (owner === 'a' && call.who !== 'a') return 'not_found';
  if (owner === 'parties' && call.who === 'c') return 'not_found';
  const only = ONLY_PARTY[call.route.handler];
  if (only && call.who !== only) return 'wrong_party';
  return 'allowed';
}

describe('tenant isolation', () => {
  it('every route can be walked: each path parameter has a filler', () => {
    const missing = routes.flatMap((route) => {
      try {
        ownerOf(route);
        return [];
      } catch (error) {
        return [(error as Error).message];
      }
    });
    expect(missing).toEqual([]);
  });

  it('allows and refuses every route for every role of A, B and C as roles and parties say, and a refusal changes nothing', async () => {
    const keyOf = (who: PartyName, role: Call['role']) => world[who].keys[role];
    const secrets = privateTokensOf(world);
    const failures: string[] = [];
    /** Referral and ledger routes (on the world's real referral and ledger): the statuses A and B got where the roles allow. */
    const referralAnswers = new Map<string, number[]>();
    const calls = [...routes]
      .sort((x, y) => (ORDER[x.method] ?? 1) - (ORDER[y.method] ?? 1))
      .flatMap((route) => PARTIES.flatMap((who) => ROLES.map((role): Call => ({ route, who, role }))));

    let before = await worldState(world);
    for (const call of calls) {
      const { route, who, role } = call;
      const path = fillPath(route, world) + (SAMPLE_QUERIES[route.handler] ?? '');
      const sample = SAMPLE_BODIES[route.handler];
      const body = route.request?.body ? (sample ? sample(world, who) : {}) : undefined;
      const response = await api.call<{ error?: { code: string } }>(route.method, path, { key: keyOf(who, role), ...(body === undefined ? {} : { body }) });
      const label = `${route.method} ${route.path} as ${who.toUpperCase()} ${role}`;
      const expected = expectation(call);
      const status = response.status;
      if (status >= 500) failures.push(`${label}: ${status}`);
      if (expected === 'forbidden' && !(status === 403 && response.body.error?.code === 'forbidden')) failures.push(`${label}: ${status}, expected 403`);
      // Refused for the party, or first for the referral's stage (a step after the one the walk has reached: 409).
      if (expected === 'wrong_party' && !((status === 403 && response.body.error?.code === 'wrong_party') || status === 409)) failures.push(`${label}: ${status}, expected 403 wrong_party`);
      if (expected === 'not_found' && !(status === 404 && response.body.error?.code === 'not_found')) failures.push(`${label}: ${status}, expected 404`);
      if (expected === 'allowed' && (status === 401 || status === 403 || status === 404)) {
        failures.push(`${label}: ${status} ${response.text.slice(0, 200)}, expected to be let through`);
      }
      if (expected === 'allowed' && status === 400 && (route.request?.body || route.request?.query)) failures.push(`${label}: 400 ${response.text.slice(0, 160)} — add a valid sample body (or query) to test/security/world.ts`);
      if (expected === 'allowed' && /\/(referrals|ledger)/.test(route.path)) referralAnswers.set(`${route.method} ${route.path}`, [...(referralAnswers.get(`${route.method} ${route.path}`) ?? []), status]);
      if (expected === 'public' && [401, 403].includes(status)) failures.push(`${label}: ${status} on a public route`);

      // A read that was let through changes nothing to compare; anything else is compared with the state before it.
      if (!(route.method === 'GET' && status < 400)) {
        const after = await worldState(world);
        if (status >= 400 && after !== before) failures.push(`${label}: refused with ${status} but the stored state changed`);
        before = after;
      }

      if (who === 'c') {
        const shown = response.text + JSON.stringify(Object.fromEntries(response.headers));
        // What C itself sent (an id in the path, a counterparty in the body) may be echoed back; nothing else of A's or B's.
        const sent = path + JSON.stringify(body ?? null);
        const leaked = secrets.filter((token) => shown.includes(token) && !sent.includes(token));
        if (leaked.length > 0) failures.push(`${label}: shows C ${leaked.join(', ')}`);
      }
    }
    expect(failures).toEqual([]);
    // The walk reached every route, and both refusals and successes happened.
    expect(calls.length).toBe(routes.length * PARTIES.length * ROLES.length);
    expect(calls.filter((call) => expectation(call) === 'not_found').length).toBeGreaterThan(0);
    // Every referral and ledger route was walked on a real referral of a released run: some role of A or B succeeded.
    const referralRoutes = routes.filter((route) => /\/(referrals|ledger)/.test(route.path)).map((route) => `${route.method} ${route.path}`);
    expect(referralRoutes.length).toBeGreaterThanOrEqual(12);
    // Walked in ROUTES order, the referral is accepted before the walk reaches decline, and won before lost: those two answer 409 for its stage.
    const neverSucceeded = referralRoutes.filter((route) => !(referralAnswers.get(route) ?? []).some((status) => status < 300));
    expect(neverSucceeded).toEqual(['POST /v1/agreements/{agreementId}/referrals/{referralId}/decline', 'POST /v1/agreements/{agreementId}/referrals/{referralId}/lost']);
  }, 300_000);

  it('lists the A–B agreement to A and B only', async () => {
    const seen = async (who: PartyName) =>
      (await api.call<{ agreements: { id: string }[] }>('GET', '/v1/agreements', { key: world[who].keys.viewer })).body.agreements.map((agreement) => agreement.id);
    expect(await seen('a')).toContain(world.agreement.id);
    expect(await seen('b')).toContain(world.agreement.id);
    expect(await seen('c')).not.toContain(world.agreement.id);
  });
});
