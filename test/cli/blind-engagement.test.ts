import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { BlindResultsView, OwnRowsCell } from '../../shared/blind/view.ts';
import type { AccountRow } from '../../shared/contributions/validate.ts';
import { AccountTable, matchAccounts, type MatchPair, nineBox } from '../../shared/matching/matcher.ts';
import { normaliseRow } from '../../shared/matching/pipeline.ts';
import { POPULATIONS, type Population } from '../../shared/terms.ts';
import { uniqueSignUp, useTestApi } from '../support/api-client.ts';
import { COUNTERPARTY_CSV, leaks, namesAndDomainsOf, PROPOSER_CSV, rowsOf, storedItemsOf, storedObjectsOf } from '../support/blind-proof.ts';
import { EXAMPLES, idOf, isOneLineError, useCli } from './cli-harness.ts';

/**
 * A blind engagement on the embedded stack, entirely through the CLI: two
 * partners sign up and make their blind keys, agree blind terms, contribute
 * their lists with `contribute --blind`, approve the results and read them
 * mapped back to their own rows. The 9-box is the clear matcher's (exact
 * names) on the same rows; nothing the table or the buckets hold for the
 * agreement names a company or a domain of either list; what left each
 * machine is exactly the blind file it kept.
 */

const api = useTestApi();
const cli = useCli(api);

type Cells<C> = Record<Population, Record<Population, C>>;
type CliView = BlindResultsView & { ownRows: Cells<OwnRowsCell<AccountRow>> };
interface Contributed {
  runId: string;
  contribution: { id: string; status: string };
  kept: { map: string; file: string };
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

/** Per cell, the groups of own refs of each matched account, sorted: the blind view's own rows, or the clear pairs' side. */
function refsPerCell(groups: Iterable<{ mine: Population; theirs: Population; refs: readonly string[] }>): Record<string, string[][]> {
  const out: Record<string, string[][]> = {};
  for (const { mine, theirs, refs } of groups) (out[`${mine}/${theirs}`] ??= []).push([...refs].sort());
  for (const list of Object.values(out)) list.sort((x, y) => x.join().localeCompare(y.join()));
  return out;
}

const ownRefs = (view: CliView) =>
  refsPerCell(POPULATIONS.flatMap((mine) => POPULATIONS.flatMap((theirs) => (view.ownRows[mine][theirs].accounts ?? []).map((rows) => ({ mine, theirs, refs: rows.map((row) => row.ref) })))));

/** The clear pairs' refs of `side` in the cells where `view` shows accounts. */
const clearRefs = (pairs: readonly MatchPair[], side: 'a' | 'b', view: CliView) =>
  refsPerCell(
    pairs
      .map((pair) => ({ mine: pair.cell[side === 'a' ? 0 : 1], theirs: pair.cell[side === 'a' ? 1 : 0], refs: pair[side] }))
      .filter(({ mine, theirs }) => view.cells[mine][theirs].level === 'accounts'),
  );

const countsOf = (view: CliView) => Object.fromEntries(POPULATIONS.map((mine) => [mine, Object.fromEntries(POPULATIONS.map((theirs) => [theirs, view.cells[mine][theirs].count]))]));

describe('a blind engagement from the CLI', () => {
  it('matches two lists that never leave their machines, and gives each side its own rows back', { timeout: 240_000 }, async () => {
    const accord = async (...args: string[]) => {
      const run = await cli.run(args);
      expect(run.code, `accord ${args.join(' ')}\n${run.stdout}${run.stderr}`).toBe(0);
      return run;
    };
    const files = { acme: join(cli.dir, 'acme-accounts.csv'), globex: join(cli.dir, 'globex-accounts.csv'), terms: join(cli.dir, 'blind-terms.json') };
    await writeFile(files.acme, PROPOSER_CSV);
    await writeFile(files.globex, COUNTERPARTY_CSV);
    // The example's blind terms with country tokens, so that names of different countries never match, as in the clear
    // matcher (p-05 and c-05 would, without); keeping the uploads, so that the proof reads them too.
    const terms = parse(await readFile(join(EXAMPLES, 'blind-terms.yaml'), 'utf8')) as { matching: Record<string, unknown> };
    await writeFile(files.terms, JSON.stringify({ ...terms, matching: { ...terms.matching, blindCountry: true }, retention: { deleteUploadsAfterMatching: false } }));

    // Sign-up and blind keys: the private keys stay beside the config, owner-only.
    const ids: Record<string, string> = {};
    for (const [profile, name] of [['acme', 'Acme'], ['globex', 'Globex']] as const) {
      const signUp = uniqueSignUp(name);
      await accord('signup', '--name', name, '--domain', signUp.domain, '--email', signUp.contactEmail, '--profile', profile);
      ids[profile] = idOf(await cli.run(['whoami', '--profile', profile, '--quiet']));
      const made = JSON.parse((await accord('keys', 'blind', '--profile', profile, '--json')).stdout) as { blindKey: { fingerprint: string }; privateKeyFile: string };
      expect(made.privateKeyFile).toBe(join(cli.dir, 'blind', 'keys', `${made.blindKey.fingerprint.slice('sha256:'.length)}.pem`));
      expect(await readFile(made.privateKeyFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    }
    expect([await modeOf(join(cli.dir, 'blind')), await modeOf(join(cli.dir, 'blind', 'keys'))]).toEqual([0o700, 0o700]);
    const keyFiles = await readdir(join(cli.dir, 'blind', 'keys'));
    expect(keyFiles).toHaveLength(2);
    for (const file of keyFiles) expect(await modeOf(join(cli.dir, 'blind', 'keys', file))).toBe(0o600);

    const agreementId = idOf(await cli.run(['propose', files.terms, '--counterparty', ids.globex!, '--profile', 'acme', '--quiet']));
    await accord('approve', agreementId, '--profile', 'globex', '--yes');
    await accord('approve', agreementId, '--profile', 'acme', '--yes');

    // The list itself is refused before anything is sent.
    const clear = await cli.run(['contribute', files.acme, '--agreement', agreementId, '--profile', 'acme']);
    expect(clear.code).toBe(2);
    expect(isOneLineError(clear) && clear.stderr).toMatch(/matches blind: add --blind/);

    const contributed: Record<string, Contributed> = {};
    for (const profile of ['acme', 'globex'] as const) {
      const run = await accord('contribute', files[profile], '--agreement', agreementId, '--blind', '--profile', profile, '--json');
      const answer = JSON.parse(run.stdout) as Contributed;
      expect(answer.contribution.status).toBe('accepted');
      expect([await modeOf(answer.kept.map), await modeOf(answer.kept.file)]).toEqual([0o600, 0o600]);
      contributed[profile] = answer;
    }
    const runId = contributed.acme!.runId;
    await accord('wait', agreementId, '--for', 'awaiting_release', '--profile', 'acme');

    // Before release each approver reads its own rows, nothing of the other list.
    const preview = await accord('results', agreementId, '--preview', '--profile', 'acme');
    expect(preview.stdout).toContain('Quillfeather Analytics Inc [p-01]; Quillfeather Analytics [p-07]');
    expect(preview.stdout).toMatch(/your customers × their prospects: they see which of their own accounts \(1 match\)/);
    expect(preview.stdout).not.toMatch(/c-0\d|QUILLFEATHER|Wrenholt/);
    await accord('approve', agreementId, '--profile', 'acme', '--yes');
    await accord('approve', agreementId, '--profile', 'globex', '--yes');
    await accord('wait', agreementId, '--for', 'released', '--profile', 'acme');

    const views = {
      acme: JSON.parse((await accord('results', agreementId, '--profile', 'acme', '--json')).stdout) as CliView,
      globex: JSON.parse((await accord('results', agreementId, '--profile', 'globex', '--json')).stdout) as CliView,
    };
    // The 9-box, and each side's own rows per cell, are the clear matcher's with exact names on the same rows.
    const table = (rows: AccountRow[]) => AccountTable.from(rows.map(normaliseRow));
    const exact = matchAccounts(table(await rowsOf(PROPOSER_CSV)), table(await rowsOf(COUNTERPARTY_CSV)), { domain: true, name: true, fuzzyThreshold: 1 });
    expect(exact.pairs.length).toBe(6);
    expect(countsOf(views.acme)).toEqual(nineBox(exact.pairs, 'a'));
    expect(countsOf(views.globex)).toEqual(nineBox(exact.pairs, 'b'));
    expect(ownRefs(views.acme)).toEqual(clearRefs(exact.pairs, 'a', views.acme));
    expect(ownRefs(views.globex)).toEqual(clearRefs(exact.pairs, 'b', views.globex));
    expect(Object.keys(ownRefs(views.acme)).length).toBeGreaterThan(2);

    const text = (await accord('results', agreementId, '--profile', 'globex')).stdout;
    expect(text).toMatch(/^Results of run run_\w+ of agr_\w+ \(matched blind\): released/);
    expect(text).toContain('Brambleworth Logistics [c-02]');
    expect(text).not.toMatch(/p-0\d|Quillfeather Analytics Inc|Glimmerdale/);
    const out = join(cli.dir, 'acme-results.csv');
    await accord('export', agreementId, '--out', out, '--profile', 'acme');
    const exported = (await readFile(out, 'utf8')).split('\r\n');
    expect(exported[0]).toBe('my_population,their_population,level,count,account,my_ref,my_line,my_name,my_website');
    expect(exported).toEqual(expect.arrayContaining(['customer,prospect,accounts,1,1,p-01,2,Quillfeather Analytics Inc,https://www.quillfeather-analytics.com', 'prospect,prospect,count,0,,,,,']));
    const flag = await cli.run(['flag', agreementId, 'mch_00000000000000000000', '--reason', 'wrong', '--profile', 'acme']);
    expect([flag.code, isOneLineError(flag) && flag.stderr]).toEqual([5, expect.stringMatching(/matched blind: .* no match to flag/)]);

    // What left each machine is the blind file it kept; nothing stored names a company or a domain of either list.
    const items = await storedItemsOf([agreementId, ids.acme!, ids.globex!]);
    const objects = await storedObjectsOf(agreementId);
    for (const made of Object.values(contributed)) {
      const uploaded = objects.find((object) => object.key === `contributions/${agreementId}/${runId}/${made.contribution.id}.csv`);
      expect(uploaded?.text).toBe(await readFile(made.kept.file, 'utf8'));
    }
    expect(leaks(items, objects, await namesAndDomainsOf([PROPOSER_CSV, COUNTERPARTY_CSV]))).toEqual([]);
  });
});
