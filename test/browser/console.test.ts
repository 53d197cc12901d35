import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { useTestApi } from '../support/api-client.ts';
import { browserTestsSkipReason, launchChromium, PageProblems, screenshot, seriousAccessibilityViolations } from './support/browser.ts';
import { agreementOf, type Company, contribute, signUpCompany, until } from './support/engagement.ts';

/**
 * The web console in Debian's Chromium, against the embedded stack's API: an
 * approver signs in with a key, reads the terms in words and what changed,
 * approves them (bound to their hash), and follows the run. Every page is
 * checked for console errors and by axe-core; screenshots go to
 * test-results/screenshots/.
 */

const api = useTestApi();
const skipReason = browserTestsSkipReason();
if (skipReason) console.warn(`console browser tests skipped: ${skipReason}`);

const ACME_ACCOUNTS = ['Account Name,Website,Type', 'Initech,initech.com,Customer', 'Hooli,hooli.com,Prospect', 'Umbrella,umbrella.example,Opportunity', 'Acme Only,acme-only.example,Customer', ''].join('\n');
const GLOBEX_ACCOUNTS = ['Account Name,Website,Type', 'Initech Inc.,www.initech.com,Prospect', 'Hooli,https://hooli.com,Customer', 'Umbrella Corp,umbrella.example,Opportunity', 'Globex Only,globex-only.example,Prospect', ''].join('\n');

describe('the console’s files', () => {
  it('serves the page with a strict policy and its assets by content hash, long cached', async () => {
    const page = await api.call('GET', '/console');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toMatch(/unsafe-(inline|eval)/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const assets = [...page.text.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((match) => match[1] ?? '');
    expect(assets.map((asset) => asset.replace(/-[0-9a-f]{12}\./, '-<hash>.')).sort()).toEqual([
      '/console/assets/app-<hash>.css',
      '/console/assets/app-<hash>.js',
      '/console/assets/icon-<hash>.svg',
    ]);
    const script = assets.find((asset) => asset.endsWith('.js')) ?? '';
    const js = await api.call('GET', script);
    expect([js.status, js.headers.get('content-type'), js.headers.get('cache-control')]).toEqual([200, 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable']);
    const again = await api.call('GET', script, { headers: { 'if-none-match': js.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
    const missing = await api.call<{ error: { code: string } }>('GET', '/console/assets/app-000000000000.js');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'not_found']);
  });
});

describe.skipIf(skipReason !== undefined)('the console in Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: PageProblems;
  let acme: Company;
  let globex: Company;
  let agreementId: string;

  beforeAll(async () => {
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    problems = new PageProblems(page);
    [acme, globex] = await Promise.all([signUpCompany(api, 'Acme'), signUpCompany(api, 'Globex')]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** Every page: no console errors (but the `expected` one, which must show), no serious accessibility violations, and a screenshot. */
  async function checkPage(name: string, expected?: RegExp): Promise<void> {
    await screenshot(page, name);
    const seen = problems.take(expected);
    expect(seen.unexpected, `console errors on ${name}`).toEqual([]);
    if (expected) expect(seen.expected.length, `the expected console error on ${name}`).toBeGreaterThan(0);
    expect(await seriousAccessibilityViolations(page), `accessibility of ${name}`).toEqual([]);
  }

  it('signs in with an API key typed at the keyboard, and refuses an unknown key', async () => {
    await page.goto(`${api.baseUrl}/console`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');
    await checkPage('sign-in');

    await page.getByLabel('API key').fill(`acc_${'0'.repeat(40)}`);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/unknown or has been revoked/);
    // The browser reports the refused request (401) itself; nothing else may appear.
    await checkPage('sign-in-refused', /status of 401/);

    await page.getByLabel('API key').fill(acme.approver);
    await page.getByLabel('API key').press('Enter');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Agreements');
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Signed in as Acme.');
    // The key stays in this tab's session storage only.
    expect(await page.evaluate('[sessionStorage.length, localStorage.length, document.cookie]')).toEqual([1, 0, '']);
    await checkPage('agreements-empty');
  });

  it('lets an approver read the terms and their changes in words, and approve exactly those terms', async () => {
    const proposed = await api.call<{ id: string; terms: { hash: string } }>('POST', '/v1/agreements', { key: acme.approver, body: { counterpartyId: globex.id, terms: {} } });
    agreementId = proposed.body.id;
    const countered = await api.call<{ terms: { hash: string } }>('POST', `/v1/agreements/${agreementId}/counter-proposals`, {
      key: globex.approver,
      body: { basedOnVersion: 1, terms: { incentives: { referralFeeBps: 500 }, schedule: { reminderDays: [2, 5] } } },
    });
    await api.call('POST', `/v1/agreements/${agreementId}/approvals`, { key: globex.approver, body: { termsHash: countered.body.terms.hash } });

    await page.reload();
    const row = page.getByRole('row').filter({ hasText: agreementId });
    await expect.poll(() => row.getByRole('cell').nth(2).textContent()).toBe('your approval of terms version 2');
    await checkPage('agreements');

    await row.getByRole('link', { name: agreementId }).click();
    await expect.poll(() => page.getByText('approving approves exactly these terms').count()).toBe(1);
    // Focus moved to the new page's heading, for screen readers and the keyboard.
    expect(await page.evaluate('document.activeElement?.id')).toBe('page-heading');
    const terms = page.getByRole('region', { name: /in plain language/ });
    await expect.poll(() => terms.getByRole('listitem').filter({ hasText: 'Referral fee: 5%' }).count()).toBe(1);
    const changes = page.getByRole('region', { name: 'Changes from the previous version' });
    expect(await changes.getByRole('listitem').filter({ hasText: 'No referral fee.' }).count()).toBe(1);
    expect(await changes.getByRole('row').filter({ hasText: 'incentives.referralFeeBps' }).getByRole('cell').allTextContents()).toEqual(['0', '500']);
    expect(await changes.getByRole('row').filter({ hasText: 'schedule.reminderDays' }).getByRole('cell').allTextContents()).toEqual(['1, 3, 7', '2, 5']);
    await checkPage('agreement-terms-v2');

    // The partner changes the terms while Acme reads version 2: approving version 2 is refused, and the page shows version 3.
    const v3 = await api.call<{ terms: { hash: string } }>('POST', `/v1/agreements/${agreementId}/counter-proposals`, {
      key: globex.approver,
      body: { basedOnVersion: 2, terms: { incentives: { referralFeeBps: 700 }, schedule: { reminderDays: [2, 5] } } },
    });
    await page.getByRole('button', { name: 'Approve terms version 2' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/^Not approved: the terms approved .* are not the current terms \(version 3/);
    await expect.poll(() => page.getByRole('button', { name: 'Approve terms version 3' }).count()).toBe(1);
    expect((await agreementOf(api, acme.approver, agreementId)).status).toBe('proposed');
    await checkPage('agreement-stale-terms', /status of 409/);

    await api.call('POST', `/v1/agreements/${agreementId}/approvals`, { key: globex.approver, body: { termsHash: v3.body.terms.hash } });
    // Approve with the keyboard: the button takes focus with a visible outline and Enter presses it.
    const approve = page.getByRole('button', { name: 'Approve terms version 3' });
    await approve.focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent?.trim()')).toBe('Approve terms version 3');
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('status').textContent()).toBe('You approved terms version 3.');
    await expect.poll(() => page.getByText('You approved version 3 on').count()).toBe(1);
    const approved = await agreementOf(api, acme.approver, agreementId);
    expect(approved.terms.hash).toBe(v3.body.terms.hash);
    expect(approved.status).toBe('awaiting_contributions');
    await checkPage('agreement-approved');
  });

  it('follows the run on its timeline: the run opening, contributions and matching', async () => {
    const { currentRunId: runId } = await until('the run to open', async () => {
      const current = await agreementOf(api, acme.approver, agreementId);
      return current.currentRunId ? current : undefined;
    });
    if (!runId) throw new Error('no run');
    expect(await contribute(api, acme, agreementId, runId, ACME_ACCOUNTS)).toBe('accepted');

    await page.getByRole('link', { name: 'Run timeline' }).click();
    const timeline = page.getByRole('region', { name: 'Timeline' });
    await expect.poll(() => timeline.getByRole('listitem').filter({ hasText: 'Your contribution (accounts.csv) was accepted: 4 rows' }).count()).toBe(1);
    const facts = page.getByRole('region', { name: 'Current run' });
    expect(await facts.locator('div').filter({ hasText: 'The partner’s contribution' }).locator('dd').textContent()).toBe('not yet');
    expect(await facts.locator('div').filter({ hasText: 'Your contribution' }).locator('dd').textContent()).toBe('in');
    await checkPage('timeline-waiting');

    expect(await contribute(api, globex, agreementId, runId, GLOBEX_ACCOUNTS)).toBe('accepted');
    await until('matching to finish', async () => ((await agreementOf(api, acme.approver, agreementId)).status === 'awaiting_release' ? true : undefined));
    await page.reload();
    await expect.poll(() => timeline.getByRole('listitem').filter({ hasText: 'Matching finished: 3 accounts in common' }).count()).toBe(1);
    const entries = await timeline.getByRole('listitem').allTextContents();
    const order = ['Proposed by you', 'Counter-proposal by the partner: terms version 2', 'Terms version 3 approved by you: both sides have approved', 'opened', 'Your contribution', 'Both contributions are in', 'Matching finished'];
    const positions = order.map((text) => entries.findIndex((entry) => entry.includes(text)));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(await page.getByText('The audit log verifies').count()).toBe(1);
    await checkPage('timeline-matched');
  });

  it('previews the results, approves their release, and shows the 9-box with each cell’s accounts and rule', async () => {
    const { runId } = await until('the results to await approval', async () => {
      const agreement = await agreementOf(api, acme.approver, agreementId);
      if (!agreement.currentRunId) return undefined;
      const preview = await api.call<{ resultHash: string }>('GET', `/v1/agreements/${agreementId}/runs/${agreement.currentRunId}/results/preview`, { key: globex.approver });
      return preview.status === 200 ? { runId: agreement.currentRunId, resultHash: preview.body.resultHash } : undefined;
    });
    const preview = await api.call<{ resultHash: string }>('GET', `/v1/agreements/${agreementId}/runs/${runId}/results/preview`, { key: globex.approver });
    expect((await api.call('POST', `/v1/agreements/${agreementId}/runs/${runId}/results/approvals`, { key: globex.approver, body: { resultHash: preview.body.resultHash } })).status).toBe(200);

    await page.getByRole('link', { name: 'Results' }).click();
    const approve = page.getByRole('button', { name: 'Approve the results for release' });
    await expect.poll(() => approve.count()).toBe(1);
    const theyWillSee = page.getByRole('table', { name: /What the partner will see of your matched accounts/ });
    expect(await theyWillSee.getByRole('row').filter({ hasText: 'your customers × the partner’s prospects' }).getByRole('cell').allTextContents()).toEqual(['accounts', 'Initech']);
    await checkPage('results-preview');

    await approve.click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('You approved the results: both sides have, and they are released.');
    const nineBox = page.getByRole('table', { name: 'Matches by your population (rows) and the partner’s (columns)' });
    await expect.poll(() => nineBox.count()).toBe(1);
    const cellButton = (name: string) => nineBox.getByRole('button', { name: new RegExp(`^${name}`) });
    expect(await cellButton('your customers × the partner’s prospects: 1 match').count()).toBe(1);
    expect(await cellButton('your prospects × the partner’s customers: 1 match').count()).toBe(1);
    expect(await cellButton('your opportunities × the partner’s opportunities: 1 match').count()).toBe(1);
    expect(await cellButton('your customers × the partner’s customers: 0 matches').count()).toBe(1);

    // Choose a cell by keyboard: its accounts and its rule of engagement show below the map.
    await cellButton('your prospects × the partner’s customers').focus();
    await page.keyboard.press('Enter');
    expect(await cellButton('your prospects × the partner’s customers').getAttribute('aria-pressed')).toBe('true');
    const details = page.getByRole('region', { name: 'Your prospects × the partner’s customers' });
    await expect.poll(() => details.getByRole('row').filter({ hasText: 'hooli.com' }).count()).toBe(1);
    expect(await details.getByText(/^referral: the partner acts$/).count()).toBe(1);
    expect((await agreementOf(api, acme.approver, agreementId)).status).toBe('released');
    await checkPage('results-released');
  });

  it('shows the referrals pipeline, accepts a referral, and shows the ledger with what is owed', async () => {
    const { runId } = await agreementOf(api, acme.approver, agreementId).then((agreement) => ({ runId: agreement.currentRunId ?? '' }));
    const theirView = await api.call<{ matches: { matchId: string; mine: { domain?: string }[] }[] }>('GET', `/v1/agreements/${agreementId}/runs/${runId}/results`, {
      key: globex.contributor,
    });
    const hooli = theirView.body.matches.find((match) => match.mine.some((row) => row.domain === 'hooli.com'));
    if (!hooli) throw new Error(`no Hooli match in ${theirView.text}`);
    // Globex has Hooli as a customer and introduces Acme, which has it as a prospect.
    const registered = await api.call<{ id: string }>('POST', `/v1/agreements/${agreementId}/referrals`, {
      key: globex.contributor,
      body: { runId, matchId: hooli.matchId, introducer: 'counterparty', note: 'Met their CTO at the user group' },
    });
    expect(registered.status, registered.text).toBe(201);

    await page.getByRole('link', { name: 'Referrals' }).click();
    const referrals = page.getByRole('table', { name: /Every referral/ });
    const row = referrals.getByRole('row').filter({ hasText: 'Hooli' });
    await expect.poll(() => row.getByRole('cell').first().textContent()).toMatch(/^the partner introduced you on .*Met their CTO at the user group$/);
    const pipeline = page.getByRole('table', { name: 'Referrals of this agreement by stage' });
    expect(await pipeline.getByRole('cell').first().textContent()).toBe('1');
    await checkPage('referrals-proposed');

    await row.getByRole('button', { name: 'Accept the referral of Hooli' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('You accepted the referral of Hooli.');
    await expect.poll(() => row.getByRole('cell').nth(1).textContent()).toBe('accepted');

    // Acme's sales team records the deal it won on the account.
    const referralPath = `/v1/agreements/${agreementId}/referrals/${registered.body.id}`;
    expect((await api.call('POST', `${referralPath}/opportunity`, { key: acme.contributor, body: { amountMinor: 100_000, currency: 'USD' } })).status).toBe(200);
    expect((await api.call('POST', `${referralPath}/won`, { key: acme.contributor, body: { closedAt: new Date().toISOString(), amountMinor: 100_000, currency: 'USD' } })).status).toBe(200);

    await page.getByRole('link', { name: 'Ledger' }).click();
    await expect.poll(() => page.getByRole('region', { name: 'Balance' }).getByRole('listitem').allTextContents()).toEqual(['You owe the partner USD 70.00 (1 entry).']);
    const entry = page.getByRole('table', { name: /Ledger entries in USD/ }).getByRole('row').filter({ hasText: 'Hooli' });
    expect((await entry.getByRole('cell').allTextContents()).slice(1)).toEqual(['referral fee', 'you', 'the partner', '7% of USD 1,000.00', 'USD 70.00']);
    await checkPage('ledger');

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    const statement = await download;
    expect(statement.suggestedFilename()).toBe(`accord-${agreementId}-${new Date().toISOString().slice(0, 7)}.csv`);
    const csv = await readFile(await statement.path(), 'utf8');
    expect(csv).toContain('Hooli');
    expect(problems.take().unexpected).toEqual([]);

    await page.getByRole('link', { name: 'Referrals' }).click();
    await expect.poll(() => referrals.getByRole('row').filter({ hasText: 'Hooli' }).getByRole('cell').nth(2).textContent()).toBe('deal USD 1,000.00');
    expect(await pipeline.getByRole('cell').nth(3).textContent()).toBe('1USD 1,000.00');
    await checkPage('referrals-won');
  });

  it('signs out: the key is forgotten and the sign-in page is back', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.reload();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');
    await checkPage('signed-out');
  });
});
