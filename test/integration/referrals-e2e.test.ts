import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3 } from '../../functions/lib/clients.ts';
import { ENV } from '../../infra/definitions.ts';
import { randomToken } from '../../shared/ids.ts';
import { matchIdOf, resultsObjectKeys } from '../../shared/results-objects.ts';
import { useTestApi } from '../support/api-client.ts';
import { matchedRun, release } from '../support/released-run.ts';

/**
 * A whole engagement to its referrals, through the HTTP API on the embedded
 * stack: two partners agree terms with incentives, contribute, match and
 * release; then they register referrals on released matches, move them to
 * won inside and outside the attribution window and past the cap, settle a
 * dispute, and read the same ledger, statement and analytics.
 */

const api = useTestApi();
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

const FILLER = (prefix: string) => Array.from({ length: 10 }, (_, index) => `${prefix} Filler ${index} Ltd,${prefix.toLowerCase()}-filler${index}.example,Customer`);
const ACME_CSV = [
  'Account Name,Website,Type',
  'Initech,initech.com,Customer',
  'Hooli,hooli.com,Customer',
  'Pied Piper,piedpiper.com,Customer',
  'Stark Industries,starkindustries.com,Customer',
  'Umbrella,umbrella-corp.com,Prospect',
  'Massive Dynamic,massivedynamic.com,Prospect',
  ...FILLER('Acme'),
  '',
].join('\r\n');
const GLOBEX_CSV = [
  'Company,Domain,Stage',
  'Initech Inc.,www.initech.com,Prospect',
  'Hooli,hooli.com,Prospect',
  'Pied Piper Inc,piedpiper.com,Prospect',
  'Stark Industries,starkindustries.com,Prospect',
  'Umbrella Corporation,umbrella-corp.com,Prospect',
  'Massive Dynamic,massivedynamic.com,Customer',
  ...FILLER('Globex'),
  '',
].join('\r\n');

const TERMS = {
  incentives: { currency: 'USD', referralFeeBps: 1000, revenueShareBps: 500, attributionWindowDays: 180, capMinorUnits: 100_000 },
  // Acme's prospects that are Globex's customers stay hidden to both sides; prospect x prospect is a count by default.
  visibility: { proposer: { prospect: { customer: { level: 'hidden' } } }, counterparty: { customer: { prospect: { level: 'hidden' } } } },
};

interface MatchView {
  matchId: string;
  cell: { mine: string; theirs: string };
  theirs: { name: string; domain?: string }[];
}
interface Referral {
  id: string;
  stage: string;
  version: number;
  account: { name: string; domain?: string };
  cell: { proposer: string; counterparty: string };
  attribution?: { outcome: string; totalMinor?: number; capped?: boolean; message: string };
  entries: { amountMinor: number }[];
}
interface Ledger {
  entries: { referralId: string; kind: string; amountMinor: number; currency: string; payerId: string; payeeId: string; reversesEntryId?: string; basis: { currency: string; exchangeRate: string } }[];
  balances: { currency: string; payerId: string; payeeId: string; amountMinor: number }[];
}
type Counts = Record<string, Record<string, number | null>>;
interface Analytics {
  side: string;
  runs: { runId: string; releasedAt: string | null; nineBox: Counts | null; timeToContribute: { mine: number | null; theirs: number | null } }[];
  overlap: { releasedRuns: number; byCell: Counts; total: number };
  referrals: { total: number; byStage: Record<string, number>; disputed: number };
  revenue: { wonDeals: number; receivableMinor: number; payableMinor: number };
}

describe('referrals on a released run', () => {
  it('registers on visible matches only, books inside the window, nothing outside it, at most the cap, and reverses a voided referral', { timeout: 180_000 }, async () => {
    const matched = await matchedRun(api, { terms: TERMS, proposerCsv: ACME_CSV, counterpartyCsv: GLOBEX_CSV });
    const { proposer: acme, counterparty: globex, agreementId, runId } = matched;
    const referrals = `/v1/agreements/${agreementId}/referrals`;
    const register = (key: string, body: Record<string, unknown>) => api.call<Referral>('POST', referrals, { key, body });
    const step = (key: string, referralId: string, action: string, body?: unknown) =>
      api.call<Referral>('POST', `${referrals}/${referralId}/${action}`, { key, ...(body === undefined ? {} : { body }) });

    // Before release nothing can be referred, and analytics show no overlap.
    const early = await register(acme.keys.contributor, { runId, matchId: `mch_${randomToken(20)}`, introducer: 'proposer' });
    expect({ status: early.status, code: (early.body as unknown as { error: { code: string } }).error.code }).toEqual({ status: 409, code: 'results_not_released' });
    const before = (await api.call<Analytics>('GET', `/v1/agreements/${agreementId}/analytics`, { key: acme.keys.viewer })).body;
    expect(before.runs.map((run) => run.nineBox)).toEqual([null]);
    expect(before.overlap.total).toBe(0);

    await release(api, matched);
    const view = (await api.call<{ matches: MatchView[] }>('GET', `/v1/agreements/${agreementId}/runs/${runId}/results`, { key: acme.keys.viewer })).body;
    const matchOf = (domain: string) => {
      const found = view.matches.find((match) => match.theirs.some((account) => account.domain === domain));
      if (!found) throw new Error(`no visible match for ${domain}`);
      return found.matchId;
    };

    // Matches Acme does not see at level accounts (a count-only and a hidden cell) cannot be referred, nor an unknown one.
    const pairsObject = await s3.send(new GetObjectCommand({ Bucket: process.env[ENV.resultsBucket], Key: resultsObjectKeys({ agreementId, id: runId }).pairs }));
    const allMatchIds = ((await pairsObject.Body?.transformToString()) ?? '')
      .trim()
      .split('\n')
      .map((line) => matchIdOf(runId, JSON.parse(line) as { a: string[]; b: string[] }));
    const unseen = allMatchIds.filter((id) => !view.matches.some((match) => match.matchId === id));
    expect(allMatchIds).toHaveLength(6);
    expect(unseen).toHaveLength(2);
    for (const matchId of [...unseen, `mch_${randomToken(20)}`]) {
      expect((await register(acme.keys.contributor, { runId, matchId, introducer: 'proposer' })).status).toBe(404);
    }
    // A match flagged as wrong cannot be referred.
    const flagged = await api.call('POST', `/v1/agreements/${agreementId}/runs/${runId}/results/flags`, {
      key: globex.keys.contributor,
      body: { matchId: matchOf('starkindustries.com'), reason: 'not the same Stark' },
    });
    expect(flagged.status).toBeLessThan(300);
    const onFlagged = await register(acme.keys.contributor, { runId, matchId: matchOf('starkindustries.com'), introducer: 'proposer' });
    expect(onFlagged.status).toBe(409);

    // Initech: won inside the window, under the cap.
    const initech = await register(acme.keys.contributor, { runId, matchId: matchOf('initech.com'), introducer: 'proposer', introducedAt: daysAgo(30), note: 'intro call with their CFO' });
    expect(initech.status).toBe(201);
    expect(initech.body).toMatchObject({ stage: 'proposed', account: { name: 'Initech Inc.' }, cell: { proposer: 'customer', counterparty: 'prospect' } });
    expect((await register(acme.keys.admin, { runId, matchId: matchOf('initech.com'), introducer: 'proposer' })).status).toBe(409);
    expect((await step(globex.keys.contributor, initech.body.id, 'accept')).body.stage).toBe('accepted');
    expect((await step(globex.keys.contributor, initech.body.id, 'opportunity', { amountMinor: 250_000, currency: 'USD' })).body.stage).toBe('opportunity');
    const initechWon = await step(globex.keys.contributor, initech.body.id, 'won', { closedAt: daysAgo(2), amountMinor: 200_000, currency: 'USD' });
    expect(initechWon.body.attribution).toMatchObject({ outcome: 'attributed', totalMinor: 30_000, capped: false });

    // Hooli: registered by the side introduced, introduced 200 days ago, won now: outside the 180-day window.
    const hooli = await register(globex.keys.contributor, { runId, matchId: (await globexMatch('hooli.com')).matchId, introducer: 'proposer', introducedAt: daysAgo(200) });
    expect(hooli.status).toBe(201);
    await step(acme.keys.contributor, hooli.body.id, 'accept');
    await step(globex.keys.admin, hooli.body.id, 'opportunity', { amountMinor: 1_000_000, currency: 'USD' });
    const hooliWon = await step(globex.keys.admin, hooli.body.id, 'won', { closedAt: daysAgo(1), amountMinor: 1_000_000, currency: 'USD' });
    expect(hooliWon.body).toMatchObject({ stage: 'won', attribution: { outcome: 'outside_window' }, entries: [] });

    // Pied Piper: a EUR deal at the rate given at close, capped at 1,000.00 USD.
    const piper = await register(acme.keys.approver, { runId, matchId: matchOf('piedpiper.com'), introducer: 'proposer', introducedAt: daysAgo(10) });
    await step(globex.keys.approver, piper.body.id, 'accept');
    await step(globex.keys.approver, piper.body.id, 'opportunity', { amountMinor: 5_000_000, currency: 'EUR' });
    const piperWon = await step(globex.keys.approver, piper.body.id, 'won', { closedAt: daysAgo(1), amountMinor: 5_000_000, currency: 'EUR', exchangeRate: '1.1' });
    expect(piperWon.body.attribution).toMatchObject({ outcome: 'attributed', totalMinor: 100_000, capped: true });

    // Globex disputes Initech; both name void: its entries are reversed.
    expect((await step(globex.keys.approver, initech.body.id, 'disputes', { reason: 'Initech found us through a webinar' })).status).toBe(200);
    await step(globex.keys.approver, initech.body.id, 'dispute/resolution', { outcome: 'void' });
    expect((await step(acme.keys.approver, initech.body.id, 'dispute/resolution', { outcome: 'void' })).body.stage).toBe('void');

    const ledgers = await Promise.all([acme, globex].map((party) => api.call<Ledger>('GET', `/v1/agreements/${agreementId}/ledger`, { key: party.keys.viewer })));
    expect(ledgers[0]?.body).toEqual(ledgers[1]?.body);
    const ledger = ledgers[0]!.body;
    expect(ledger.entries.map((entry) => [entry.referralId, entry.kind, entry.amountMinor])).toEqual([
      [initech.body.id, 'referral_fee', 20_000],
      [initech.body.id, 'revenue_share', 10_000],
      [piper.body.id, 'referral_fee', 66_667],
      [piper.body.id, 'revenue_share', 33_333],
      [initech.body.id, 'referral_fee', -20_000],
      [initech.body.id, 'revenue_share', -10_000],
    ]);
    expect(new Set(ledger.entries.map((entry) => entry.currency))).toEqual(new Set(['USD']));
    expect(ledger.entries[2]?.basis).toMatchObject({ currency: 'EUR', exchangeRate: '1.1' });
    expect(ledger.balances).toEqual([{ currency: 'USD', payerId: globex.id, payeeId: acme.id, amountMinor: 100_000, entries: 6 }]);

    const statement = await api.call('GET', `/v1/agreements/${agreementId}/ledger/statement?period=${new Date().toISOString().slice(0, 7)}`, { key: globex.keys.viewer });
    expect(statement.text.trimEnd().split('\r\n').at(-1)).toMatch(/^,total,.*,Globex,Acme,1000.00,USD,100000$/);

    // Analytics, each side as it may know it: the hidden cell is null for both, never its count.
    const analyticsOf = async (key: string) => (await api.call<Analytics>('GET', `/v1/agreements/${agreementId}/analytics`, { key })).body;
    const [mine, theirs] = [await analyticsOf(acme.keys.viewer), await analyticsOf(globex.keys.viewer)];
    expect(mine.overlap.byCell.customer?.prospect).toBe(4);
    expect(mine.overlap.byCell.prospect?.prospect).toBe(1);
    expect(mine.overlap.byCell.prospect?.customer).toBeNull();
    expect(mine.overlap.total).toBe(5);
    expect(theirs.overlap.byCell.prospect?.customer).toBe(4);
    expect(theirs.overlap.byCell.customer?.prospect).toBeNull();
    expect(mine.runs[0]?.releasedAt).not.toBeNull();
    expect(mine.runs[0]?.timeToContribute.mine).not.toBeNull();
    expect(mine.referrals).toMatchObject({ total: 3, byStage: { won: 2, void: 1 }, disputed: 0 });
    expect(mine.revenue).toMatchObject({ wonDeals: 2, receivableMinor: 100_000, payableMinor: 0 });
    expect(theirs.revenue).toMatchObject({ receivableMinor: 0, payableMinor: 100_000 });

    async function globexMatch(domain: string): Promise<MatchView> {
      const globexView = (await api.call<{ matches: MatchView[] }>('GET', `/v1/agreements/${agreementId}/runs/${runId}/results`, { key: globex.keys.viewer })).body;
      const found = globexView.matches.find((match) => match.theirs.some((account) => account.domain === domain));
      if (!found) throw new Error(`no match of ${domain} in Globex's view`);
      return found;
    }
  });
});
