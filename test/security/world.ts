import { expect } from 'vitest';
import type { RouteDefinition } from '../../functions/api/routes.ts';
import { agreementStore } from '../../functions/lib/stores.ts';
import { generateBlindKeyPair } from '../../shared/blind/keys.ts';
import type { ApiClient } from '../support/api-client.ts';
import { type AgreementBody, type Company, company, partitionItems, ROLE_NAMES, until, type Role } from '../reliability/support.ts';
import { matchedRun, release } from '../support/released-run.ts';

/**
 * Three tenants for the security suites: A and B in an agreement whose run is
 * released, with a referral won (so the ledger has entries) and one just
 * registered, C outside it, each with a key of every role and a webhook. Routes are
 * walked generically from ROUTES: a path parameter is filled from
 * PARAM_FILLERS by its name, a body from SAMPLE_BODIES by the route's handler.
 */

export interface World {
  a: Company;
  b: Company;
  c: Company;
  agreement: AgreementBody & { currentRunId: string };
  /** A referral A registered on a released match, still proposed: the walk moves it through its lifecycle. */
  referralId: string;
  /** A referral won before the walk: the ledger holds its entries. */
  wonReferralId: string;
  /** A released match no referral is on yet, seen at level accounts by both: the walk registers a referral on it. */
  spareMatchId: string;
  /** Another released match, for the walk to flag (a flagged match cannot be referred). */
  flagMatchId: string;
  /** A viewer key of A made to be revoked by the walk, so that A keeps its own keys. */
  spareKeyIdOfA: string;
}

export type PartyName = 'a' | 'b' | 'c';

/** Who may reach the thing a path parameter names: both parties of the A–B agreement, or only A. */
export type Owner = 'parties' | 'a' | 'anyone';

export interface ParamFiller {
  owner: Owner;
  fill(world: World): string;
}

/**
 * How to name, in a path, something of the A–B agreement or of A. A route
 * whose path names a parameter missing here cannot be walked: the suites fail
 * and say so, rather than skip it. A new route's parameter (matchId,
 * referralId, ...) gets its line here, with what the world must make first.
 */
export const PARAM_FILLERS: Record<string, ParamFiller> = {
  agreementId: { owner: 'parties', fill: (world) => world.agreement.id },
  runId: { owner: 'parties', fill: (world) => world.agreement.currentRunId },
  keyId: { owner: 'a', fill: (world) => world.spareKeyIdOfA },
  referralId: { owner: 'parties', fill: (world) => world.referralId },
  asset: { owner: 'anyone', fill: () => 'app-000000000000.js' },
};

/** A valid body for each route that takes one, as the caller `who` would send it; `{}` for a route not listed. */
export const SAMPLE_BODIES: Record<string, (world: World, who: PartyName) => unknown> = {
  'sign-up-partner': () => ({ name: 'Walker', domain: `walker-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}.com`, contactEmail: 'ops@walker.example' }),
  'create-key': () => ({ role: 'viewer', label: 'walk' }),
  'propose-agreement': (world, who) => ({ counterpartyId: who === 'a' ? world.b.id : world.a.id, terms: {} }),
  'counter-propose-agreement': (world) => ({ basedOnVersion: world.agreement.terms.version, terms: { purpose: 'countered by the walk' } }),
  'approve-agreement': (world) => ({ termsHash: world.agreement.terms.hash }),
  'decline-agreement': () => ({ reason: 'walk' }),
  'withdraw-agreement': () => ({ reason: 'walk' }),
  'create-upload-slot': () => ({ filename: 'accounts.csv' }),
  'put-webhook': (_world, who) => ({ url: `http://127.0.0.1:9/hooks/${who}` }),
  'put-blind-key': () => ({ publicKey: generateBlindKeyPair().publicKey }),
  'approve-results': () => ({ resultHash: `sha256:${'0'.repeat(64)}` }),
  'flag-match': (world) => ({ matchId: world.flagMatchId, reason: 'walk' }),
  'register-referral': (world) => ({ runId: world.agreement.currentRunId, matchId: world.spareMatchId, introducer: 'proposer' }),
  'record-referral-opportunity': () => ({ amountMinor: 100_000, currency: 'USD' }),
  'win-referral': () => ({ closedAt: new Date().toISOString(), amountMinor: 100_000, currency: 'USD' }),
  'dispute-referral': () => ({ reason: 'walk' }),
  'resolve-referral-dispute': () => ({ outcome: 'stands' }),
};

/** A valid query string for each route that needs one to get past validation. */
export const SAMPLE_QUERIES: Record<string, string> = {
  'get-ledger-statement': '?period=2026-11',
};

export function pathParameterNames(route: Pick<RouteDefinition, 'path'>): string[] {
  return [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? '');
}

/** The route's path with every parameter filled, or an Error naming what is missing. */
export function fillPath(route: Pick<RouteDefinition, 'method' | 'path'>, world: World): string {
  return route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const filler = PARAM_FILLERS[name];
    if (!filler) {
      throw new Error(`${route.method} ${route.path}: no way to fill {${name}}; add it to PARAM_FILLERS in test/security/world.ts`);
    }
    return encodeURIComponent(filler.fill(world));
  });
}

/** Who owns what the route's path names: the most restrictive owner of its parameters, or undefined when it names nothing. */
export function ownerOf(route: Pick<RouteDefinition, 'method' | 'path'>): Owner | undefined {
  const owners = pathParameterNames(route).map((name) => {
    const filler = PARAM_FILLERS[name];
    if (!filler) throw new Error(`${route.method} ${route.path}: no way to fill {${name}}; add it to PARAM_FILLERS in test/security/world.ts`);
    return filler.owner;
  });
  if (owners.length === 0 || owners.every((owner) => owner === 'anyone')) return undefined;
  return owners.includes('a') ? 'a' : 'parties';
}

const WORLD_TERMS = { incentives: { currency: 'USD', referralFeeBps: 1000, revenueShareBps: 500, attributionWindowDays: 180 } };
const A_CSV = ['Account Name,Website,Type', 'Initech,initech.com,Customer', 'Hooli,hooli.com,Customer', 'Umbrella,umbrella-corp.com,Customer', 'Massive Dynamic,massivedynamic.com,Customer', 'Alpha Only,alpha-only.example,Customer', ''].join('\n');
const B_CSV = ['Company,Domain,Stage', 'Initech Inc.,initech.com,Prospect', 'Hooli,hooli.com,Customer', 'Umbrella Corporation,umbrella-corp.com,Customer', 'Massive Dynamic Inc,massivedynamic.com,Customer', 'Bravo Only,bravo-only.example,Customer', ''].join('\n');

/**
 * Makes the three tenants; A and B agree, contribute, match and release a run; A refers Initech to B, which
 * wins it (the ledger books), and registers Hooli; a webhook and blind key for each (a 404 for "none
 * registered" would blur the walk).
 */
export async function buildWorld(api: ApiClient): Promise<World> {
  const released = await release(api, await matchedRun(api, { terms: WORLD_TERMS, proposerCsv: A_CSV, counterpartyCsv: B_CSV, names: ['Alpha', 'Bravo'] }));
  const [a, b, c] = [released.proposer, released.counterparty, await company(api, 'Charlie')];
  for (const party of [a, b, c]) {
    const registered = await api.call('PUT', '/v1/partners/me/webhook', { key: party.keys.admin, body: { url: 'http://127.0.0.1:9/hooks' } });
    expect(registered.status).toBe(201);
    const blindKey = await api.call('PUT', '/v1/partners/me/blind-key', { key: party.keys.admin, body: { publicKey: generateBlindKeyPair().publicKey } });
    expect(blindKey.status).toBeLessThan(300);
  }
  const spare = await api.call<{ key: { id: string } }>('POST', '/v1/partners/me/keys', { key: a.keys.admin, body: { role: 'viewer', label: 'spare' } });
  expect(spare.status).toBe(201);

  const at = `/v1/agreements/${released.agreementId}`;
  const view = await api.call<{ matches: { matchId: string; theirs: { domain?: string }[] }[] }>('GET', `${at}/runs/${released.runId}/results`, { key: a.keys.viewer });
  const matchOf = (domain: string): string => {
    const found = view.body.matches.find((match) => match.theirs.some((account) => account.domain === domain));
    if (!found) throw new Error(`no visible match of ${domain}`);
    return found.matchId;
  };
  const register = async (domain: string) => {
    const registered = await api.call<{ id: string }>('POST', `${at}/referrals`, { key: a.keys.contributor, body: { runId: released.runId, matchId: matchOf(domain), introducer: 'proposer' } });
    expect(registered.status).toBe(201);
    return registered.body.id;
  };
  const wonReferralId = await register('initech.com');
  for (const [action, body] of [
    ['accept', undefined],
    ['opportunity', { amountMinor: 100_000, currency: 'USD' }],
    ['won', { closedAt: new Date().toISOString(), amountMinor: 100_000, currency: 'USD' }],
  ] as const) {
    expect((await api.call('POST', `${at}/referrals/${wonReferralId}/${action}`, { key: b.keys.contributor, ...(body ? { body } : {}) })).status).toBe(200);
  }
  const ledger = await api.call<{ entries: unknown[] }>('GET', `${at}/ledger`, { key: a.keys.viewer });
  expect(ledger.body.entries.length).toBeGreaterThan(0);
  const referralId = await register('hooli.com');
  const agreement = await api.call<AgreementBody>('GET', at, { key: a.keys.viewer });
  // The engagement settles into its wait for the results' expiry: from then on nothing changes by itself for days.
  await until('the engagement to wait for the expiry', async () => ((await agreementStore().getRun(released.agreementId, released.runId))?.release ? true : undefined));
  return {
    a,
    b,
    c,
    agreement: { ...agreement.body, currentRunId: released.runId },
    referralId,
    wonReferralId,
    spareMatchId: matchOf('umbrella-corp.com'),
    flagMatchId: matchOf('massivedynamic.com'),
    spareKeyIdOfA: spare.body.key.id,
  };
}

export const PARTIES: readonly PartyName[] = ['a', 'b', 'c'];
export const ROLES: readonly Role[] = ROLE_NAMES;

/** Every stored item of the world's tenants and of their agreement, to compare before and after a refused request. */
export async function worldState(world: World): Promise<string> {
  const partitions = [`PARTNER#${world.a.id}`, `PARTNER#${world.b.id}`, `PARTNER#${world.c.id}`, `AGREEMENT#${world.agreement.id}`];
  const items = await Promise.all(partitions.map((pk) => partitionItems(pk)));
  return JSON.stringify(items);
}

/** Identifiers and secrets of A and B that C must never be shown. */
export function privateTokensOf(world: World): string[] {
  return [
    world.a.id,
    world.b.id,
    world.agreement.id,
    world.agreement.currentRunId,
    world.spareKeyIdOfA,
    world.referralId,
    world.wonReferralId,
    world.spareMatchId,
    world.flagMatchId,
    'initech.com',
    'hooli.com',
    'umbrella-corp.com',
    'Alpha Only',
    'Bravo Only',
    ...Object.values(world.a.keys),
    ...Object.values(world.b.keys),
    ...Object.values(world.a.keyIds),
    ...Object.values(world.b.keyIds),
  ];
}
