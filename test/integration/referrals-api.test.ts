import { describe, expect, it } from 'vitest';
import { outboxStore } from '../../functions/notifications/stores.ts';
import { runRegistration } from '../../functions/lib/referral-commands.ts';
import { registerReferral } from '../../shared/referral.ts';
import { randomToken } from '../../shared/ids.ts';
import type { Role } from '../../shared/partner.ts';
import type { Side } from '../../shared/terms.ts';
import { type CallResult, type SignedUpPartner, signUpWithKeys, useTestApi } from '../support/api-client.ts';

/**
 * Referrals, the ledger, statements and analytics through the HTTP API on the
 * embedded stack. Registration needs a released run (the results code decides
 * what a side sees); here the referral under test is registered through the
 * same command path with the match given directly, so that every transition
 * after it runs exactly as in production. test/integration/referrals-e2e.test.ts
 * registers through the API on a released run.
 */

const api = useTestApi();
const ROLES: readonly Role[] = ['admin', 'approver', 'contributor', 'viewer'];
const DAY = 86_400_000;

type Company = SignedUpPartner;
interface Referral {
  id: string;
  stage: string;
  version: number;
  introducer: Side;
  introducedId: string;
  introducerId: string;
  attribution?: { outcome: string; totalMinor?: number; capped?: boolean; message: string };
  entries: { id: string; amountMinor: number }[];
  dispute?: { openedBy: Side; proposal?: { by: Side } };
  dealValueMinor?: number;
}
interface LedgerEntry {
  id: string;
  kind: string;
  amountMinor: number;
  currency: string;
  payerId: string;
  payeeId: string;
  referralId: string;
  reversesEntryId?: string;
  basis: { amountMinor: number; currency: string; exchangeRate: string; convertedMinor: number };
}
interface Ledger {
  currency: string;
  entries: LedgerEntry[];
  balances: { currency: string; payerId: string; payeeId: string; amountMinor: number }[];
}
interface ErrorBody {
  error: { code: string; details: { path: string }[] };
}

const company = (name: string): Promise<Company> => signUpWithKeys(api, name);

async function agreementBetween(proposer: Company, counterparty: Company, incentives: Record<string, unknown>): Promise<string> {
  const response = await api.call<{ id: string }>('POST', '/v1/agreements', {
    key: proposer.keys.approver,
    body: { counterpartyId: counterparty.id, terms: { incentives } },
  });
  expect(response.status).toBe(201);
  return response.body.id;
}

/** Registers a referral as `by` (contributor) on a fresh match, through the command path the register route uses after its released-view check. */
async function seedReferral(agreementId: string, by: Company, introducer: Side, introducedAt?: string, matchId = `mch_${randomToken(20)}`): Promise<Referral> {
  const match = {
    runId: `run_${randomToken(20)}`,
    matchId,
    cell: { proposer: 'customer' as const, counterparty: 'prospect' as const },
    account: { name: 'Initech', domain: 'initech.com' },
  };
  const { referral } = await runRegistration(agreementId, { partnerId: by.id, keyId: by.keyIds.contributor, role: 'contributor' }, ({ agreement, actor, now }) =>
    registerReferral(agreement, match, { runId: match.runId, matchId: match.matchId, introducer, ...(introducedAt ? { introducedAt } : {}) }, actor, now),
  );
  return referral;
}

const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const path = (agreementId: string, referralId: string, action = '') => `/v1/agreements/${agreementId}/referrals/${referralId}${action}`;

function expectError(response: CallResult<unknown>, status: number, code: string) {
  expect({ status: response.status, code: (response.body as ErrorBody | undefined)?.error?.code }).toEqual({ status, code });
}

async function post<T = Referral>(key: string, url: string, body?: unknown): Promise<CallResult<T>> {
  return api.call<T>('POST', url, { key, ...(body === undefined ? {} : { body }) });
}

/** Accepted by the counterparty and at opportunity: the proposer introduced the counterparty. */
async function atOpportunity(agreementId: string, acme: Company, globex: Company, introducedAt = daysAgo(30)): Promise<Referral> {
  const referral = await seedReferral(agreementId, acme, 'proposer', introducedAt);
  expect((await post(globex.keys.contributor, path(agreementId, referral.id, '/accept'))).status).toBe(200);
  const open = await post(globex.keys.contributor, path(agreementId, referral.id, '/opportunity'), { amountMinor: 900_000, currency: 'USD' });
  expect(open.body.stage).toBe('opportunity');
  return open.body;
}


describe('referral lifecycle and ledger', () => {
  it('books fee and share of a deal won inside the window; both sides see the same ledger and statement; the chain verifies', async () => {
    const [acme, globex] = [await company('Acme'), await company('=Globex')];
    const agreementId = await agreementBetween(acme, globex, { referralFeeBps: 1000, revenueShareBps: 250, currency: 'USD' });
    const referral = await atOpportunity(agreementId, acme, globex);
    const won = await post(globex.keys.approver, path(agreementId, referral.id, '/won'), {
      closedAt: daysAgo(1),
      amountMinor: 1_234_567,
      currency: 'USD',
      revenueMinor: 1_000_000,
    });
    expect(won.status).toBe(200);
    // 10% of 12,345.67 = 1,234.567 and 2.5% of 10,000.00 = 250: 1,484.567 rounds to 1,484.57.
    expect(won.body).toMatchObject({ stage: 'won', attribution: { outcome: 'attributed', totalMinor: 148_457, capped: false }, dealValueMinor: 1_234_567 });

    const ledgers = await Promise.all([acme, globex].map((who) => api.call<Ledger>('GET', `/v1/agreements/${agreementId}/ledger`, { key: who.keys.viewer })));
    expect(ledgers[0]?.body).toEqual(ledgers[1]?.body);
    const ledger = ledgers[0]!.body;
    expect(ledger.entries.map((entry) => [entry.kind, entry.amountMinor, entry.payerId, entry.payeeId])).toEqual([
      ['referral_fee', 123_457, globex.id, acme.id],
      ['revenue_share', 25_000, globex.id, acme.id],
    ]);
    expect(ledger.balances).toEqual([{ currency: 'USD', payerId: globex.id, payeeId: acme.id, amountMinor: 148_457, entries: 2 }]);

    const month = new Date().toISOString().slice(0, 7);
    const statements = await Promise.all(
      [acme, globex].map((who) => api.call('GET', `/v1/agreements/${agreementId}/ledger/statement?period=${month}`, { key: who.keys.viewer })),
    );
    expect(statements[0]?.status).toBe(200);
    expect(statements[0]?.headers.get('content-type')).toContain('text/csv');
    expect(statements[0]?.text).toBe(statements[1]?.text);
    const lines = statements[0]!.text.trimEnd().split('\r\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(',referral_fee,');
    expect(lines[1]).toContain(",'=Globex,Acme,1234.57,USD,123457,");
    expect(lines[3]).toMatch(/^,total,.*,'=Globex,Acme,1484.57,USD,148457$/);
    const lastMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 15)).toISOString().slice(0, 7);
    const empty = await api.call('GET', `/v1/agreements/${agreementId}/ledger/statement?period=${lastMonth}`, { key: acme.keys.viewer });
    expect(empty.text.trimEnd().split('\r\n')).toHaveLength(1);

    const audit = await api.call<{ events: { action: string; actor: { partnerId: string } }[]; verification: { ok: boolean } }>('GET', `/v1/agreements/${agreementId}/audit`, { key: acme.keys.viewer });
    expect(audit.body.verification).toEqual({ ok: true });
    expect(audit.body.events.map((event) => event.action)).toEqual(['proposed', 'referral.registered', 'referral.accepted', 'referral.opportunity', 'referral.won']);
    const acmeNews = (await outboxStore().listNotifications(acme.id, 50)).map((entry) => entry.notification.type);
    const globexNews = (await outboxStore().listNotifications(globex.id, 50)).map((entry) => entry.notification.type);
    expect(acmeNews.filter((type) => type.startsWith('referral.')).sort()).toEqual(['referral.accepted', 'referral.opportunity', 'referral.won']);
    expect(globexNews.filter((type) => type.startsWith('referral.'))).toEqual(['referral.proposed']);
  });

  it('owes nothing for a deal won outside the attribution window, and says why', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreementId = await agreementBetween(acme, globex, { referralFeeBps: 1000, attributionWindowDays: 90 });
    const referral = await atOpportunity(agreementId, acme, globex, daysAgo(120));
    const won = await post(globex.keys.admin, path(agreementId, referral.id, '/won'), { closedAt: daysAgo(10), amountMinor: 5_000_000, currency: 'USD' });
    expect(won.body.stage).toBe('won');
    expect(won.body.attribution).toMatchObject({ outcome: 'outside_window' });
    expect(won.body.attribution?.message).toContain('attribution window of 90 days');
    expect(won.body.entries).toEqual([]);
    expect((await api.call<Ledger>('GET', `/v1/agreements/${agreementId}/ledger`, { key: acme.keys.viewer })).body.entries).toEqual([]);
  });

  it('caps fee and share per referral, and keeps a foreign deal’s currency and the rate given at close', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreementId = await agreementBetween(acme, globex, { referralFeeBps: 2000, revenueShareBps: 1000, capMinorUnits: 100_000, currency: 'USD' });
    const referral = await atOpportunity(agreementId, acme, globex);
    const won = await post(globex.keys.contributor, path(agreementId, referral.id, '/won'), {
      closedAt: daysAgo(2),
      amountMinor: 1_000_000,
      currency: 'EUR',
      exchangeRate: '1.0834',
    });
    expect(won.status).toBe(200);
    expect(won.body).toMatchObject({ attribution: { outcome: 'attributed', totalMinor: 100_000, capped: true }, dealValueMinor: 1_083_400 });
    const { entries } = (await api.call<Ledger>('GET', `/v1/agreements/${agreementId}/ledger`, { key: globex.keys.viewer })).body;
    expect(entries.map((entry) => [entry.kind, entry.amountMinor, entry.currency])).toEqual([
      ['referral_fee', 66_667, 'USD'],
      ['revenue_share', 33_333, 'USD'],
    ]);
    expect(entries[0]?.basis).toEqual({ amountMinor: 1_000_000, currency: 'EUR', exchangeRate: '1.0834', convertedMinor: 1_083_400, bps: 2000 });

    // A deal in another currency without a rate, or with a rate in the same currency: 400, nothing changes.
    const other = await atOpportunity(agreementId, acme, globex);
    const noRate = await post(globex.keys.admin, path(agreementId, other.id, '/won'), { closedAt: daysAgo(1), amountMinor: 10, currency: 'EUR' });
    expectError(noRate, 400, 'validation_failed');
    expect((noRate.body as unknown as ErrorBody).error.details.map((detail) => detail.path)).toEqual(['exchangeRate']);
    expectError(await post(globex.keys.admin, path(agreementId, other.id, '/won'), { closedAt: daysAgo(1), amountMinor: 10, currency: 'USD', exchangeRate: '1' }), 400, 'validation_failed');
    expectError(await post(globex.keys.admin, path(agreementId, other.id, '/won'), { closedAt: daysAgo(1), amountMinor: 10.5, currency: 'USD' }), 400, 'validation_failed');
    expectError(await post(globex.keys.admin, path(agreementId, other.id, '/won'), { closedAt: daysAgo(-1), amountMinor: 10, currency: 'USD' }), 400, 'validation_failed');
    const unchanged = await api.call<Referral>('GET', path(agreementId, other.id), { key: globex.keys.viewer });
    expect(unchanged.body).toMatchObject({ stage: 'opportunity', version: other.version });
  });

  it('settles a dispute over a won referral as void only when both sides name it: the entries are reversed', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreementId = await agreementBetween(acme, globex, { referralFeeBps: 1000 });
    const referral = await atOpportunity(agreementId, acme, globex);
    await post(globex.keys.contributor, path(agreementId, referral.id, '/won'), { closedAt: daysAgo(1), amountMinor: 300_000, currency: 'USD' });

    expectError(await post(globex.keys.contributor, path(agreementId, referral.id, '/disputes'), { reason: 'x' }), 403, 'forbidden');
    expectError(await post(globex.keys.approver, path(agreementId, referral.id, '/disputes'), {}), 400, 'validation_failed');
    const disputed = await post(globex.keys.approver, path(agreementId, referral.id, '/disputes'), { reason: 'Initech came to us through a trade fair' });
    expect(disputed.body.dispute).toMatchObject({ openedBy: 'counterparty' });
    expectError(await post(acme.keys.approver, path(agreementId, referral.id, '/disputes'), { reason: 'again' }), 409, 'disputed');

    const proposal = await post(globex.keys.approver, path(agreementId, referral.id, '/dispute/resolution'), { outcome: 'void' });
    expect(proposal.body).toMatchObject({ stage: 'won', dispute: { proposal: { by: 'counterparty' } } });
    expect((await api.call<Ledger>('GET', `/v1/agreements/${agreementId}/ledger`, { key: acme.keys.viewer })).body.entries).toHaveLength(1);
    const settled = await post(acme.keys.admin, path(agreementId, referral.id, '/dispute/resolution'), { outcome: 'void' });
    expect(settled.body).toMatchObject({ stage: 'void', entries: [] });
    expect(settled.body.dispute).toBeUndefined();

    const ledger = (await api.call<Ledger>('GET', `/v1/agreements/${agreementId}/ledger`, { key: globex.keys.viewer })).body;
    expect(ledger.entries.map((entry) => entry.amountMinor)).toEqual([30_000, -30_000]);
    expect(ledger.entries[1]?.reversesEntryId).toBe(ledger.entries[0]?.id);
    expect(ledger.balances).toEqual([{ currency: 'USD', payerId: globex.id, payeeId: acme.id, amountMinor: 0, entries: 2 }]);
    const month = new Date().toISOString().slice(0, 7);
    const statement = await api.call('GET', `/v1/agreements/${agreementId}/ledger/statement?period=${month}`, { key: acme.keys.viewer });
    expect(statement.text).toContain(',-300.00,USD,-30000,');
    const audit = await api.call<{ events: { action: string }[]; verification: { ok: boolean } }>('GET', `/v1/agreements/${agreementId}/audit`, { key: acme.keys.viewer });
    expect(audit.body.verification).toEqual({ ok: true });
    expect(audit.body.events.map((event) => event.action).slice(-3)).toEqual(['referral.disputed', 'referral.resolution_proposed', 'referral.resolved']);
  });

  it('refuses wrong stages, a second open referral of the same match and direction, and bad statement periods', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreementId = await agreementBetween(acme, globex, {});
    const matchId = `mch_${randomToken(20)}`;
    const referral = await seedReferral(agreementId, acme, 'proposer', undefined, matchId);
    await expect(seedReferral(agreementId, globex, 'proposer', undefined, matchId)).rejects.toMatchObject({ code: 'referral_exists' });
    // The other direction is another referral.
    expect((await seedReferral(agreementId, globex, 'counterparty', undefined, matchId)).stage).toBe('proposed');
    expectError(await post(globex.keys.admin, path(agreementId, referral.id, '/won'), { closedAt: daysAgo(1), amountMinor: 1, currency: 'USD' }), 409, 'wrong_stage');
    expectError(await post(acme.keys.admin, path(agreementId, referral.id, '/accept')), 403, 'wrong_party');
    const declined = await post(acme.keys.admin, path(agreementId, referral.id, '/decline'), { reason: 'registered by mistake' });
    expect(declined.body.stage).toBe('declined');
    expectError(await post(globex.keys.admin, path(agreementId, referral.id, '/accept')), 409, 'wrong_stage');
    // Declined, it is no longer open: the match can be referred again in that direction.
    expect((await seedReferral(agreementId, globex, 'proposer', undefined, matchId)).stage).toBe('proposed');
    expectError(await api.call('GET', path(agreementId, `ref_${randomToken(20)}`), { key: acme.keys.viewer }), 404, 'not_found');

    for (const query of ['', '?period=2026-13', '?from=2026-01-01', '?period=2026-01&from=2026-01-01&to=2026-01-31', '?from=2026-02-01&to=2026-01-01', '?month=2026-01']) {
      expectError(await api.call('GET', `/v1/agreements/${agreementId}/ledger/statement${query}`, { key: acme.keys.viewer }), 400, 'validation_failed');
    }
    const range = await api.call('GET', `/v1/agreements/${agreementId}/ledger/statement?from=2026-01-01&to=2026-01-31`, { key: acme.keys.viewer });
    expect(range.status).toBe(200);

    const listed = await api.call<{ referrals: Referral[] }>('GET', `/v1/agreements/${agreementId}/referrals?stage=declined`, { key: globex.keys.viewer });
    expect(listed.body.referrals.map((r) => r.id)).toEqual([referral.id]);
    expect((await api.call<{ referrals: Referral[] }>('GET', `/v1/agreements/${agreementId}/referrals?stage=won`, { key: globex.keys.viewer })).body.referrals).toEqual([]);
  });
});

describe('roles × parties', () => {
  it('answers each route by role and party', async () => {
    const [acme, globex, initech] = [await company('Acme'), await company('Globex'), await company('Initech')];
    const agreementId = await agreementBetween(acme, globex, { referralFeeBps: 100 });
    const parties: [string, Company][] = [
      ['proposer', acme],
      ['counterparty', globex],
      ['outsider', initech],
    ];

    const reads = ['/referrals', '/ledger', '/ledger/statement?period=2026-01', '/analytics'];
    const readTable: string[] = [];
    for (const [who, company_] of parties) {
      for (const role of ROLES) {
        const statuses = [];
        for (const read of reads) statuses.push((await api.call('GET', `/v1/agreements/${agreementId}${read}`, { key: company_.keys[role] })).status);
        readTable.push(`${who} ${role}: ${statuses.join(' ')}`);
      }
    }
    expect(readTable).toEqual([
      ...ROLES.map((role) => `proposer ${role}: 200 200 200 200`),
      ...ROLES.map((role) => `counterparty ${role}: 200 200 200 200`),
      ...ROLES.map((role) => `outsider ${role}: 404 404 404 404`),
    ]);

    // Accepting a referral the proposer registered, and disputing an accepted one: a fresh referral per cell.
    const writeTable: string[] = [];
    for (const [who, company_] of parties) {
      for (const role of ROLES) {
        const proposed = await seedReferral(agreementId, acme, 'proposer');
        const accept = await post(company_.keys[role], path(agreementId, proposed.id, '/accept'));
        const accepted = await seedReferral(agreementId, acme, 'counterparty');
        expect((await post(globex.keys.contributor, path(agreementId, accepted.id, '/accept'))).status).toBe(200);
        const dispute = await post(company_.keys[role], path(agreementId, accepted.id, '/disputes'), { reason: 'not an introduction' });
        const register = await post(company_.keys[role], `/v1/agreements/${agreementId}/referrals`, {
          runId: `run_${randomToken(20)}`,
          matchId: `mch_${randomToken(20)}`,
          introducer: 'proposer',
        });
        writeTable.push(`${who} ${role}: register ${register.status} accept ${accept.status} dispute ${dispute.status}`);
      }
    }
    // Registration answers 404 here: the run named does not exist (a released run is needed; see the e2e test).
    expect(writeTable).toEqual([
      'proposer admin: register 404 accept 403 dispute 200',
      'proposer approver: register 404 accept 403 dispute 200',
      'proposer contributor: register 404 accept 403 dispute 403',
      'proposer viewer: register 403 accept 403 dispute 403',
      'counterparty admin: register 404 accept 200 dispute 200',
      'counterparty approver: register 404 accept 200 dispute 200',
      'counterparty contributor: register 404 accept 200 dispute 403',
      'counterparty viewer: register 403 accept 403 dispute 403',
      'outsider admin: register 404 accept 404 dispute 404',
      'outsider approver: register 404 accept 404 dispute 404',
      'outsider contributor: register 404 accept 404 dispute 403',
      'outsider viewer: register 403 accept 403 dispute 403',
    ]);
  });
});

describe('analytics', () => {
  it('counts referrals by stage and revenue from each side, and shows no overlap before release', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreementId = await agreementBetween(acme, globex, { referralFeeBps: 500, currency: 'EUR' });
    const referral = await atOpportunity(agreementId, acme, globex);
    await post(globex.keys.admin, path(agreementId, referral.id, '/won'), { closedAt: daysAgo(1), amountMinor: 200_000, currency: 'USD', exchangeRate: '0.9' });
    await seedReferral(agreementId, globex, 'counterparty');

    interface Analytics {
      side: string;
      currency: string;
      runs: unknown[];
      overlap: { releasedRuns: number; total: number };
      referrals: { total: number; byStage: Record<string, number> };
      revenue: { wonDeals: number; wonValueMinor: number; receivableMinor: number; payableMinor: number };
    }
    const mine = (await api.call<Analytics>('GET', `/v1/agreements/${agreementId}/analytics`, { key: acme.keys.viewer })).body;
    const theirs = (await api.call<Analytics>('GET', `/v1/agreements/${agreementId}/analytics`, { key: globex.keys.viewer })).body;
    expect(mine).toMatchObject({ side: 'proposer', currency: 'EUR', runs: [], overlap: { releasedRuns: 0, total: 0 } });
    expect(mine.referrals).toMatchObject({ total: 2, byStage: { proposed: 1, won: 1, accepted: 0 } });
    // 2,000.00 USD at 0.9 is 1,800.00 EUR; 5% of it is 90.00 EUR, owed by Globex to Acme.
    expect(mine.revenue).toEqual({ currency: 'EUR', wonDeals: 1, wonValueMinor: 180_000, receivableMinor: 9_000, payableMinor: 0 });
    expect(theirs.revenue).toEqual({ currency: 'EUR', wonDeals: 1, wonValueMinor: 180_000, receivableMinor: 0, payableMinor: 9_000 });

    const partner = (await api.call<{ agreements: { total: number }; revenue: { currency: string; receivableMinor: number }[]; referrals: { total: number } }>('GET', '/v1/partners/me/analytics', { key: acme.keys.contributor })).body;
    expect(partner.agreements.total).toBe(1);
    expect(partner.referrals.total).toBe(2);
    expect(partner.revenue).toEqual([{ currency: 'EUR', wonDeals: 1, wonValueMinor: 180_000, receivableMinor: 9_000, payableMinor: 0 }]);
  });
});
