import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/errors.ts';
import { uniqueSignUp, useTestApi } from '../support/api-client.ts';
import { EXAMPLES, idOf, useCli } from './cli-harness.ts';

/**
 * A whole engagement through the CLI, in-process, against the embedded
 * stack: sign-up, keys and profiles, proposal and counter-proposal,
 * approvals read on a (pretend) terminal, contributions checked locally and
 * by the server, matching, the timeline, the audit chain.
 */

const api = useTestApi();
const cli = useCli(api);
/** What one test leaves for the next (they run in order). */
const shared = { agreementId: '', matchId: '', flagged: '' };

interface Agreement {
  id: string;
  status: string;
  terms: { version: number; hash: string };
  approvals: { partnerId: string; termsHash: string }[];
  invitationCode?: string;
}

function json<T>(run: { code: number; stdout: string; stderr: string }): T {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

async function signUp(profile: string, name: string): Promise<string> {
  const body = uniqueSignUp(name);
  return idOf(await cli.run(['signup', '--name', body.name, '--domain', body.domain, '--email', body.contactEmail, '--profile', profile, '-q']));
}

describe('an engagement through the CLI', () => {
  it('signs up, keeps keys in an owner-only config, and manages keys and profiles', async () => {
    const acmeId = await signUp('acme', 'Acme');
    expect((await stat(cli.configPath)).mode & 0o777).toBe(0o600);

    const me = json<{ partner: { id: string; name: string }; profile: string; role: string }>(await cli.run(['whoami', '--json']));
    expect(me).toMatchObject({ partner: { id: acmeId, name: 'Acme' }, profile: 'acme', role: 'admin' });

    const created = json<{ key: { id: string; role: string }; profile: string }>(
      await cli.run(['keys', 'create', '--role', 'approver', '--label', 'legal', '--save-profile', 'acme-legal', '--json']),
    );
    expect(created).toMatchObject({ key: { role: 'approver' }, profile: 'acme-legal' });
    expect(created).not.toHaveProperty('apiKey');
    const printed = await cli.run(['keys', 'create', '--role', 'contributor', '--label', 'ops']);
    const secret = /acc_[0-9a-z]{40}/.exec(printed.stdout)?.[0] ?? '';
    expect(secret).not.toBe('');
    const added = await cli.run(['profile', 'add', 'acme-ops', '--role', 'contributor'], { input: secret });
    expect(added.stdout).toContain(`Saved profile "acme-ops": Acme (${acmeId})`);

    const keys = json<{ keys: { id: string; role: string; revokedAt?: string }[] }>(await cli.run(['keys', 'list', '--json']));
    expect(keys.keys.map((k) => k.role).sort()).toEqual(['admin', 'approver', 'contributor']);
    const listed = await cli.run(['keys']);
    expect(listed.stdout).toMatch(/^ID\s+ROLE\s+LABEL/);
    expect(listed.stdout).not.toContain(secret);

    const profiles = json<{ default: string; profiles: { name: string; key: string }[] }>(await cli.run(['profile', 'list', '--json']));
    expect(profiles.default).toBe('acme');
    expect(profiles.profiles.map((p) => p.name).sort()).toEqual(['acme', 'acme-legal', 'acme-ops']);
    expect(JSON.stringify(profiles)).not.toContain(secret);
    expect((await cli.run(['profile', 'use', 'acme-legal'])).code).toBe(0);
    expect(json<{ profile: string }>(await cli.run(['whoami', '--json'])).profile).toBe('acme-legal');
    expect((await cli.run(['profile', 'use', 'acme'])).code).toBe(0);
    expect((await cli.run(['profile', 'remove', 'acme-ops'])).code).toBe(0);
    expect(json<{ profiles: unknown[] }>(await cli.run(['profile', 'list', '--json'])).profiles).toHaveLength(2);
  });

  it('proposes, shows the terms and the diff before approving, contributes, matches, and verifies the audit log', { timeout: 120_000 }, async () => {
    const globexId = await signUp('globex', 'Globex');
    const proposed = json<Agreement>(await cli.run(['propose', join(EXAMPLES, 'terms.yaml'), '--counterparty', globexId, '--profile', 'acme-legal', '--json']));
    expect(proposed).toMatchObject({ status: 'proposed', terms: { version: 1 } });
    const agreementId = proposed.id;

    // Globex reads the terms on a terminal and says no: nothing is approved.
    const refused = await cli.run(['approve', agreementId, '--profile', 'globex'], { answers: [false] });
    expect(refused.code).toBe(EXIT.failed);
    expect(refused.stderr).toBe('accord: not confirmed: nothing was changed\n');
    expect(refused.stdout).toContain('Purpose: Find the customers we share in EMEA');
    expect(refused.stdout).toContain('Referral fee: 10% of the value of a deal');
    expect(refused.stdout).toContain('This is the first version of the terms.');
    expect(cli.questions.at(-1)).toMatch(/^Approve terms version 1 \(sha256:[0-9a-f]{12}…\) for Globex\?$/);

    // Globex counter-proposes; Acme's approver sees what changed, and approves version 2.
    const counter = join(cli.dir, 'counter.yaml');
    await writeFile(counter, (await readFile(join(EXAMPLES, 'terms.yaml'), 'utf8')).replace('referralFeeBps: 1000', 'referralFeeBps: 1500'));
    const countered = await cli.run(['counter', agreementId, counter, '--profile', 'globex']);
    expect(countered.stdout).toContain('incentives.referralFeeBps: 1000 → 1500');
    const approved = await cli.run(['approve', agreementId, '--profile', 'acme-legal'], { answers: [true] });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain('Changes from version 1:\n  incentives.referralFeeBps: 1000 → 1500');
    expect(approved.stdout).toContain('Referral fee: 15%');
    expect(approved.stdout).toContain('Waiting on approval of the terms by your partner.');
    const both = json<Agreement>(await cli.run(['approve', agreementId, '--yes', '--terms-version', '2', '--profile', 'globex', '--json']));
    expect(both.approvals).toHaveLength(2);
    expect(new Set(both.approvals.map((a) => a.termsHash))).toEqual(new Set([both.terms.hash]));
    expect(json<Agreement>(await cli.run(['wait', agreementId, '--for', 'awaiting_contributions', '--json'])).status).toBe('awaiting_contributions');

    // A file with too many bad rows is refused locally, by line, and not uploaded.
    const bad = join(cli.dir, 'bad.csv');
    await writeFile(bad, 'Account Name,Website,Type\nInitech,initech.com,Customer\n,,Customer\nHooli,hooli.xyz,Martian\n');
    const refusedFile = await cli.run(['contribute', bad, '--agreement', agreementId]);
    expect(refusedFile.code).toBe(EXIT.failed);
    expect(refusedFile.stdout).toContain('line 3: the row has no name, domain or e-mail');
    expect(refusedFile.stdout).toContain('line 4: population "Martian" is not recognised');
    expect(refusedFile.stderr).toMatch(/^accord: .*bad\.csv was not uploaded: 2 of 3 rows were rejected/);
    const runId = json<{ agreement: { currentRunId: string } }>(await cli.run(['status', agreementId, '--json'])).agreement.currentRunId;
    expect((await api.call<{ contributions: unknown[] }>('GET', `/v1/agreements/${agreementId}/runs/${runId}/contributions`, { key: await adminKeyOf('acme') })).body.contributions).toEqual([]);

    // A dry run checks and stops; a real one uploads and waits for the server's report.
    const dry = await cli.run(['contribute', join(EXAMPLES, 'acme-accounts.csv'), '--agreement', agreementId, '--dry-run']);
    expect(dry.stdout).toContain('Checked locally: ');
    expect(dry.stdout).not.toContain('Server report');
    const mine = json<{ contribution: { id: string; status: string; report: { accepted: number; rowsRead: number } }; local: { accepted: number } }>(
      await cli.run(['contribute', join(EXAMPLES, 'acme-accounts.csv'), '--agreement', agreementId, '--json']),
    );
    expect(mine.contribution.status).toBe('accepted');
    expect(mine.contribution.report.accepted).toBe(mine.local.accepted);
    // On a terminal, the upload draws a progress bar up to the file's size.
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    let drawn = '';
    terminal.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
    const size = (await stat(join(EXAMPLES, 'globex-accounts.csv'))).size;
    const theirs = await cli.run(['contribute', join(EXAMPLES, 'globex-accounts.csv'), '--agreement', agreementId, '--profile', 'globex'], { progress: terminal });
    expect(drawn).toContain(`Uploading [`);
    expect(drawn).toContain(`100% ${size}/${size} bytes`);
    expect(theirs.code, theirs.stderr).toBe(0);
    expect(theirs.stdout).toMatch(/Server report for ctb_[0-9a-z]{20}: .*globex-accounts\.csv: 10 rows read, 10 accepted/);

    expect(json<Agreement>(await cli.run(['wait', agreementId, '--for', 'awaiting_release', '--timeout', '60', '--json'])).status).toBe('awaiting_release');
    const status = await cli.run(['status', agreementId]);
    expect(status.stdout).toContain('status:      awaiting_release');
    expect(status.stdout).toContain('approved by: you and your partner');
    const timeline = status.stdout.slice(status.stdout.indexOf('Timeline:'));
    const order = ['you proposed terms v1', 'your partner counter-proposed terms v2', 'approved terms v2', 'opened run', `your contribution ${mine.contribution.id} (acme-accounts.csv) accepted: 10 of 10 rows`, 'started matching', 'matched: '];
    const positions = order.map((text) => timeline.indexOf(text));
    expect(positions.every((p) => p >= 0), timeline).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);

    expect(json<{ agreements: { id: string }[] }>(await cli.run(['agreements', '--status', 'awaiting_release', '--json'])).agreements.map((a) => a.id)).toContain(agreementId);
    expect(json<{ agreements: { id: string }[] }>(await cli.run(['agreements', '--status', 'proposed', '--json'])).agreements.map((a) => a.id)).not.toContain(agreementId);

    const audit = await cli.run(['audit', agreementId, '--verify', '--profile', 'globex']);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/Verified: \d+ events chain from the genesis hash/);
    const auditJson = json<{ events: { action: string }[]; localVerification: { ok: boolean } }>(await cli.run(['audit', agreementId, '--verify', '--json']));
    expect(auditJson.localVerification).toEqual({ ok: true });
    expect(auditJson.events.map((e) => e.action).slice(0, 7)).toEqual(['proposed', 'counter_proposed', 'approved', 'approved', 'run_opened', 'matching_started', 'matching_completed']);
    shared.agreementId = agreementId;
  });

  it('previews both directions, approves the results bound to their hash, and shows each side its 9-box', { timeout: 120_000 }, async () => {
    const { agreementId } = shared;
    const early = await cli.run(['results', agreementId]);
    expect(early.code).toBe(EXIT.conflict);
    expect(early.stderr.split('\n').filter(Boolean)).toHaveLength(1);

    const preview = json<{ resultHash: string; youWillSee: { nineBox: Record<string, Record<string, number | null>> } }>(await cli.run(['results', agreementId, '--preview', '--profile', 'acme-legal', '--json']));
    const stale = await cli.run(['approve', agreementId, '--yes', '--hash', `sha256:${'0'.repeat(64)}`, '--profile', 'acme-legal']);
    expect(stale.code).toBe(EXIT.conflict);
    expect(stale.stderr.split('\n').filter(Boolean)).toHaveLength(1);

    const approved = await cli.run(['approve', agreementId, '--profile', 'acme-legal'], { answers: [true] });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain('You will see (your populations in rows, your partner’s in columns):');
    expect(approved.stdout).toContain('Your partner will see of your accounts:');
    expect(approved.stdout).toContain(`Approved the results of run`);
    expect(approved.stdout).toContain(preview.resultHash);
    expect(approved.stdout).toContain('Waiting on your partner’s approval.');
    expect(cli.questions.at(-1)).toMatch(/^Approve the release of these results \(sha256:[0-9a-f]{12}…\) for Acme\?$/);
    const released = await cli.run(['approve', agreementId, '--yes', '--profile', 'globex']);
    expect(released.stdout).toContain('Both sides approved: the results are released.');
    await cli.run(['wait', agreementId, '--for', 'released']);

    // Each side's 9-box is the other's transposed, cell for cell where both see the count.
    type View = { side: string; nineBox: Record<string, Record<string, number | null>>; matches: { matchId: string; cell: { mine: string; theirs: string } }[] };
    const acmeView = json<View>(await cli.run(['results', agreementId, '--json']));
    const globexView = json<View>(await cli.run(['results', agreementId, '--profile', 'globex', '--json']));
    expect(acmeView.nineBox).toEqual(preview.youWillSee.nineBox);
    for (const [mine, row] of Object.entries(acmeView.nineBox)) {
      for (const [theirs, count] of Object.entries(row)) {
        const mirrored = globexView.nineBox[theirs]?.[mine];
        if (count !== null && mirrored !== null) expect(mirrored, `${mine}/${theirs}`).toBe(count);
      }
    }
    expect(acmeView.matches.length).toBeGreaterThan(0);
    const text = (await cli.run(['results', agreementId])).stdout;
    expect(text).toMatch(/^Results of run run_[0-9a-z]{20} of agr_[0-9a-z]{20}: released /);
    expect(text).toMatch(/YOU \\ PARTNER\s+customers\s+opportunities\s+prospects/);
    for (const match of acmeView.matches) expect(text).toContain(match.matchId);
    const customers = acmeView.nineBox.customer!;
    expect(text).toMatch(new RegExp(`\\n  customers\\s+${customers.customer ?? 'hidden'}\\s+${customers.opportunity ?? 'hidden'}\\s+${customers.prospect ?? 'hidden'}\\n`));

    // Export to a file (refused over an existing one without --force) and to stdout.
    const file = join(cli.dir, 'acme-results.csv');
    const exported = json<{ rows: number }>(await cli.run(['export', agreementId, '--out', file, '--json']));
    expect(exported.rows).toBeGreaterThan(0);
    const csv = await readFile(file, 'utf8');
    expect(csv.split('\n').filter(Boolean)).toHaveLength(exported.rows + 1);
    const again = await cli.run(['export', agreementId, '--out', file]);
    expect(again.code).toBe(EXIT.usage);
    expect(again.stderr).toMatch(/exists already: choose another file or pass --force/);
    expect((await cli.run(['export', agreementId, '--out', '-'])).stdout).toBe(csv);

    // A match flagged as wrong shows as flagged to both sides.
    const matchId = acmeView.matches[0]!.matchId;
    expect((await cli.run(['flag', agreementId, matchId, '--reason', 'a different company of the same name'])).code).toBe(0);
    expect((await cli.run(['results', agreementId])).stdout).toMatch(new RegExp(`flagged\\s+${matchId}`));

    const status = await cli.run(['status', agreementId]);
    expect(status.stdout).toContain('you approved the results');
    expect(status.stdout).toMatch(/your partner approved the results too: released/);
    shared.flagged = matchId;
    shared.matchId = acmeView.matches.find((m) => m.matchId !== matchId)?.matchId ?? '';
  });

  it('lists no referrals and an empty ledger before any, reports analytics, and checks amounts locally', async () => {
    const { agreementId } = shared;
    expect((await cli.run(['referrals', agreementId])).stdout).toMatch(/^No referrals: register one on a released match/);
    expect(json<{ referrals: unknown[] }>(await cli.run(['referrals', 'list', agreementId, '--json'])).referrals).toEqual([]);
    expect((await cli.run(['ledger', agreementId])).stdout).toBe('No entries yet (the ledger is in EUR).\n');
    const analytics = json<{ agreementId: string; referrals: { total: number } }>(await cli.run(['analytics', agreementId, '--json']));
    expect(analytics).toMatchObject({ agreementId, referrals: { total: 0 } });
    const text = await cli.run(['analytics', agreementId]);
    expect(text.stdout).toContain(`agreement: `);
    expect(text.stdout).toContain('Overlap over released runs (your populations in rows):');
    expect((await cli.run(['analytics', '--json'])).code).toBe(0);

    const decimals = await cli.run(['referrals', 'opportunity', agreementId, 'ref_00000000000000000000', '--amount', '12.345', '--currency', 'EUR']);
    expect(decimals.code).toBe(EXIT.usage);
    expect(decimals.stderr).toBe('accord: --amount 12.345: EUR has 2 decimals\n');
    const yen = await cli.run(['referrals', 'won', agreementId, 'ref_00000000000000000000', '--amount', '100.5', '--currency', 'JPY']);
    expect(yen.stderr).toBe('accord: --amount 100.5: JPY has no decimals\n');
    const currency = await cli.run(['referrals', 'won', agreementId, 'ref_00000000000000000000', '--amount', '100', '--currency', 'euro']);
    expect(currency.code).toBe(EXIT.usage);
    expect(currency.stderr).toMatch(/^accord: --currency euro: must be an ISO 4217 code/);
    const missing = await cli.run(['referrals', 'show', agreementId, 'ref_00000000000000000000']);
    expect(missing.code).toBe(EXIT.notFound);
  });

  it('works referrals against the server: register, accept, a deal in another currency won, shown, disputed and voided by both, declined, lost, and outside the window', { timeout: 60_000 }, async () => {
    const { agreementId, matchId } = shared;
    const ok = async (args: string[]) => {
      const run = await cli.run(args);
      expect(run.code, `accord ${args.join(' ')}: ${run.stderr}`).toBe(0);
      return run.stdout;
    };
    // Acme introduces Globex: Globex accepts and, as the side introduced, records and wins the deal, in USD at the rate given at close.
    const referralId = idOf(await cli.run(['referrals', 'register', agreementId, matchId, '--introducer', 'me', '--note', 'lunch with the CFO', '-q']));
    expect(await ok(['referrals', agreementId, '--profile', 'globex'])).toMatch(new RegExp(`${referralId}\\s+proposed\\s+.+your partner → you`));
    expect(await ok(['referrals', 'accept', agreementId, referralId, '--profile', 'globex'])).toContain(`is accepted.\nYou record the deal next: accord referrals opportunity ${agreementId} ${referralId}`);
    expect(await ok(['referrals', 'opportunity', agreementId, referralId, '--amount', '30000', '--currency', 'USD', '--profile', 'globex'])).toContain('has an open deal of USD 30,000.00.');
    // 15% (terms version 2) of USD 30,000.00 at 0.9 = EUR 4,050.00.
    const won = await ok(['referrals', 'won', agreementId, referralId, '--amount', '30000', '--currency', 'USD', '--exchange-rate', '0.9', '--profile', 'globex']);
    expect(won).toContain('is won: USD 30,000.00.\nOwed: EUR 4,050.00 — the deal closed within the attribution window.');
    const shown = await ok(['referrals', 'show', agreementId, referralId]);
    expect(shown).toMatch(/stage: +won\n/);
    expect(shown).toMatch(/introduction: +you introduced your partner on /);
    expect(shown).toMatch(/deal: +USD 30,000.00 closed .+ at 0\.9\n/);
    expect(shown).toMatch(/History:\n(.+\n){4}/);
    expect(shown).toMatch(/referral fee +.+ +your partner → you +15% of USD 30,000.00 × 0\.9 +EUR 4,050.00/);
    expect(await ok(['ledger', agreementId])).toContain('your partner owes you EUR 4,050.00 (1 entry)');
    const file = join(cli.dir, 'statement.csv');
    expect(await ok(['ledger', agreementId, '--statement', '--out', file])).toBe('Wrote the statement to ' + file + '.\n');
    expect((await readFile(file, 'utf8')).trimEnd().split('\r\n').at(-1)).toMatch(/^,total,.*,Globex,Acme,4050\.00,EUR,405000$/);

    // Globex disputes; the referral is voided only when both name void: the entry is reversed.
    expect(await ok(['referrals', 'dispute', agreementId, referralId, '--reason', 'the deal came from a tender', '--profile', 'globex'])).toContain('is disputed');
    expect(await ok(['referrals', 'resolve', agreementId, referralId, '--outcome', 'void'])).toBe('Proposed "void"; it takes effect when your partner names the same.\n');
    const settled = await ok(['referrals', 'resolve', agreementId, referralId, '--outcome', 'void', '--profile', 'globex']);
    expect(settled).toContain(`The dispute is settled (void): referral ${referralId} is void.`);
    const ledger = await ok(['ledger', agreementId]);
    expect(ledger).toMatch(/referral fee \(reversal\) +.+ +EUR -4,050.00\n/);
    expect(ledger).toContain('your partner owes you EUR 0.00 (2 entries)');

    // The other direction: Acme withdraws its own proposed referral; then one accepted and lost.
    const declined = idOf(await cli.run(['referrals', 'register', agreementId, matchId, '--introducer', 'partner', '-q']));
    expect(await ok(['referrals', 'decline', agreementId, declined, '--reason', 'registered by mistake'])).toMatch(new RegExp(`^Referral ${declined} \\(.+\\) is declined\\.\\n$`));
    const lost = idOf(await cli.run(['referrals', 'register', agreementId, matchId, '--introducer', 'partner', '-q']));
    await ok(['referrals', 'accept', agreementId, lost, '--profile', 'globex']);
    expect(await ok(['referrals', 'lost', agreementId, lost, '--reason', 'went with a competitor'])).toMatch(/ is lost\.\n$/);

    // Introduced 200 days ago, won today: outside the 180-day window, nothing owed, and why.
    const late = idOf(await cli.run(['referrals', 'register', agreementId, matchId, '--introducer', 'partner', '--introduced-at', new Date(Date.now() - 200 * 86_400_000).toISOString().slice(0, 10), '-q']));
    await ok(['referrals', 'accept', agreementId, late, '--profile', 'globex']);
    await ok(['referrals', 'opportunity', agreementId, late, '--amount', '1000', '--currency', 'EUR']);
    expect(await ok(['referrals', 'won', agreementId, late, '--amount', '1000', '--currency', 'EUR'])).toMatch(/Owed: outside window — no fee or share: the deal closed 200 days after the introduction/);
    expect(await ok(['referrals', agreementId, '--stage', 'won'])).toMatch(new RegExp(`${late}\\s+won\\s+.+outside window`));
  });

  it('declines after reading, and a wait for what can no longer happen fails', async () => {
    const globexId = json<{ partner: { id: string } }>(await cli.run(['whoami', '--profile', 'globex', '--json'])).partner.id;
    const agreementId = idOf(await cli.run(['propose', join(EXAMPLES, 'terms.yaml'), '--counterparty', globexId, '-q']));
    const kept = await cli.run(['decline', agreementId, '--profile', 'globex'], { answers: [false] });
    expect(kept.code).toBe(EXIT.failed);
    const declined = json<Agreement>(await cli.run(['decline', agreementId, '--profile', 'globex', '--yes', '--reason', 'not this quarter', '--json']));
    expect(declined.status).toBe('declined');
    const wait = await cli.run(['wait', agreementId, '--for', 'released']);
    expect(wait.code).toBe(EXIT.failed);
    expect(wait.stderr).toBe(`accord: ${agreementId} ended declined; it will never be released\n`);
    const status = await cli.run(['status', agreementId]);
    expect(status.stdout).toContain('your partner declined the agreement (“not this quarter”)');
  });

  it('invites a company by e-mail, which signs up with the code and becomes the counterparty', async () => {
    const invitee = uniqueSignUp('Initech');
    const proposed = json<Agreement>(await cli.run(['propose', join(EXAMPLES, 'terms.yaml'), '--invite-email', invitee.contactEmail, '--json']));
    expect(proposed.invitationCode).toBeTruthy();
    const listed = await cli.run(['agreements', '--status', 'proposed']);
    expect(listed.stdout).toContain(`invited: ${invitee.contactEmail}`);
    const signedUp = json<{ agreementId: string; profile: string }>(
      await cli.run(['signup', '--name', invitee.name, '--domain', invitee.domain, '--email', invitee.contactEmail, '--invitation', proposed.invitationCode ?? '', '--profile', 'initech', '--json']),
    );
    expect(signedUp).toMatchObject({ agreementId: proposed.id, profile: 'initech' });
    expect(json<{ agreements: { id: string }[] }>(await cli.run(['agreements', '--profile', 'initech', '--json'])).agreements.map((a) => a.id)).toEqual([proposed.id]);
  });

  it('registers, shows, rotates and removes the webhook; refuses a URL that is not public https', async () => {
    const set = await cli.run(['webhook', 'set', 'https://hooks.acme.com/accord']);
    expect(set.code, set.stderr).toBe(0);
    const secret = /whsec_\S+/.exec(set.stdout)?.[0] ?? '';
    expect(secret).not.toBe('');
    const shown = await cli.run(['webhook']);
    expect(shown.stdout).toContain('url:');
    expect(shown.stdout).toContain('https://hooks.acme.com/accord');
    expect(shown.stdout).not.toContain(secret);
    const rotated = json<{ secret: string; webhook: { previousSecretExpiresAt: string } }>(await cli.run(['webhook', 'rotate-secret', '--json']));
    expect(rotated.secret).not.toBe(secret);
    expect(rotated.webhook.previousSecretExpiresAt).toBeTruthy();
    expect((await cli.run(['webhook', 'dead-letters'])).stdout).toBe('No undelivered notifications.\n');
    const insecure = await cli.run(['webhook', 'set', 'http://hooks.acme.com/accord']);
    expect(insecure.code).toBe(EXIT.failed);
    expect(insecure.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect((await cli.run(['webhook', 'remove'])).code).toBe(0);
    const gone = await cli.run(['webhook']);
    expect(gone.code).toBe(EXIT.notFound);
    expect(gone.stderr).toMatch(/^accord: .*webhook/);
  });

  it('prints nothing but JSON on stdout with --json', async () => {
    const agreementId = json<{ agreements: { id: string }[] }>(await cli.run(['agreements', '--json'])).agreements[0]?.id ?? '';
    for (const args of [['whoami'], ['keys', 'list'], ['profile', 'list'], ['agreements'], ['status', agreementId], ['audit', agreementId, '--verify'], ['webhook', 'dead-letters']]) {
      const run = await cli.run([...args, '--json']);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
      expect(() => JSON.parse(run.stdout) as unknown, args.join(' ')).not.toThrow();
      expect(run.stderr, args.join(' ')).toBe('');
    }
  });
});

async function adminKeyOf(profile: string): Promise<string> {
  const config = JSON.parse(await readFile(cli.configPath, 'utf8')) as { profiles: Record<string, { key: string }> };
  return config.profiles[profile]?.key ?? '';
}
