import { Readable } from 'node:stream';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blindContribution, blindContributionCsv, type BlindedContribution, validateBlindContribution } from '../../shared/blind/contribution.ts';
import type { BlindMatching } from '../../shared/blind/format.ts';
import { generateBlindKeyPair } from '../../shared/blind/keys.ts';
import { BlindTable, matchBlind } from '../../shared/blind/matcher.ts';
import { deriveRunSecret, type RunSecret } from '../../shared/blind/secret.ts';
import { type AccountRow, validateContribution } from '../../shared/contributions/validate.ts';
import { AccountTable, matchAccounts, type MatchPair, type MatchResult, nineBox } from '../../shared/matching/matcher.ts';
import { normaliseRow } from '../../shared/matching/pipeline.ts';
import { POPULATIONS } from '../../shared/terms.ts';
import { generateDataset } from './generator.ts';

/**
 * Blind matching against the clear matcher on the seeded generator's CRM
 * exports (10,000 rows a side): the same rows, normalised by the same code,
 * matched once in the clear with exact names (threshold 1) and once blind,
 * through the client's blinding, the upload's CSV and the server's validator.
 */
const ROWS = 10_000;
const AGREEMENT = 'agr_blindqualitytest0001';
const RUN = 'run_blindqualitytest0001';

let dir: string;
let rows: { a: AccountRow[]; b: AccountRow[] };
let secrets: { proposer: RunSecret; counterparty: RunSecret };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'accord-blind-quality-'));
  await generateDataset(join(dir, 'a.csv'), join(dir, 'b.csv'), { seed: 20_261_124, rowsA: ROWS, rowsB: ROWS });
  const read = async (file: string) => {
    const out: AccountRow[] = [];
    const report = await validateContribution(createReadStream(join(dir, file)), {}, (row) => out.push(row));
    expect(report.verdict).toBe('accepted');
    return out;
  };
  rows = { a: await read('a.csv'), b: await read('b.csv') };
  const proposer = generateBlindKeyPair();
  const counterparty = generateBlindKeyPair();
  secrets = {
    proposer: deriveRunSecret({ privateKey: proposer.privateKeyPem, side: 'proposer', theirPublicKey: counterparty.publicKey, agreementId: AGREEMENT, runId: RUN }),
    counterparty: deriveRunSecret({ privateKey: counterparty.privateKeyPem, side: 'counterparty', theirPublicKey: proposer.publicKey, agreementId: AGREEMENT, runId: RUN }),
  };
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function clearRun(matching: BlindMatching): MatchResult {
  const table = (side: AccountRow[]) =>
    AccountTable.from(
      side.map((row) => {
        const account = normaliseRow(row);
        // Without country tokens the blind matcher has no country: the clear run of reference has none either.
        if (!(matching.name && matching.blindCountry)) delete account.country;
        return account;
      }),
    );
  return matchAccounts(table(rows.a), table(rows.b), { domain: matching.domain, name: matching.name, fuzzyThreshold: 1 });
}

interface BlindRun {
  result: MatchResult;
  a: BlindedContribution;
  b: BlindedContribution;
}

async function blindRun(matching: BlindMatching): Promise<BlindRun> {
  const side = async (input: AccountRow[], secret: RunSecret) => {
    const blinded = blindContribution(input, secret, matching);
    const table = new BlindTable();
    const report = await validateBlindContribution(Readable.from([Buffer.from(blindContributionCsv(blinded.rows, matching))]), { matching }, (row) => table.add(row));
    expect(report).toMatchObject({ verdict: 'accepted', rejected: 0 });
    return { blinded, table };
  };
  const a = await side(rows.a, secrets.proposer);
  const b = await side(rows.b, secrets.counterparty);
  return { result: matchBlind(a.table, b.table, matching), a: a.blinded, b: b.blinded };
}

/** A pair as its original rows' refs, method and cell: comparable across the two runs. */
function keyOf(pair: MatchPair, run?: BlindRun): string {
  const ref = (records: BlindedContribution['records'] | undefined, record: string) => (records ? records.get(record)!.ref : record);
  return JSON.stringify([pair.a.map((r) => ref(run?.a.records, r)).sort(), pair.b.map((r) => ref(run?.b.records, r)).sort(), pair.method, pair.cell]);
}

const sorted = (pairs: readonly MatchPair[], run?: BlindRun) => pairs.map((pair) => keyOf(pair, run)).sort();

describe(`blind matching against the clear matcher, ${ROWS.toLocaleString('en')} generated rows a side`, () => {
  it('gives the clear run’s exact-domain pairs and 9-box, byte for byte after mapping records back', async () => {
    const matching = { domain: true, name: false };
    const clear = clearRun(matching);
    const blind = await blindRun(matching);
    expect(clear.pairs.length).toBeGreaterThan(ROWS * 0.15);
    expect(sorted(blind.result.pairs, blind)).toEqual(sorted(clear.pairs));
    expect(nineBox(blind.result.pairs, 'a')).toEqual(nineBox(clear.pairs, 'a'));
  });

  it('gives the clear run’s exact-name pairs and 9-box when names alone match, with country tokens', async () => {
    const matching = { domain: false, name: true, blindCountry: true };
    const clear = clearRun(matching);
    const blind = await blindRun(matching);
    expect(clear.pairs.length).toBeGreaterThan(ROWS * 0.15);
    expect(sorted(blind.result.pairs, blind)).toEqual(sorted(clear.pairs));
    expect(nineBox(blind.result.pairs, 'a')).toEqual(nineBox(clear.pairs, 'a'));
    expect(blind.result.a.accounts).toBe(clear.a.accounts);
  });

  it('on domains then names, differs only where an account had several exact-name candidates, which either run may take', async () => {
    const matching = { domain: true, name: true, blindCountry: true };
    const clear = clearRun(matching);
    const blind = await blindRun(matching);
    const contested = contestedNames(clear);
    const nameKeyOf = (pair: MatchPair, run?: BlindRun) => {
      const ref = pair.a[0]!;
      const row = run ? run.a.records.get(ref)! : rows.a.find((candidate) => candidate.ref === ref)!;
      return normaliseRow(row).nameKey;
    };
    const settled = (pairs: readonly MatchPair[], run?: BlindRun) => pairs.filter((pair) => pair.method === 'domain' || !contested.has(nameKeyOf(pair, run)));
    expect(sorted(settled(blind.result.pairs, blind), blind)).toEqual(sorted(settled(clear.pairs)));
    const byMethod = (pairs: readonly MatchPair[]) => ({ domain: pairs.filter((p) => p.method === 'domain').length, name: pairs.filter((p) => p.method === 'name').length });
    expect(byMethod(blind.result.pairs)).toEqual(byMethod(clear.pairs));
    expect(blind.result.a.accounts).toBe(clear.a.accounts);
    // Few pairs differ, all of them contested; each moves at most one count from a cell to another.
    const contestedPairs = clear.pairs.length - settled(clear.pairs).length;
    const blindKeys = new Set(sorted(blind.result.pairs, blind));
    const differing = sorted(clear.pairs).filter((key) => !blindKeys.has(key)).length;
    expect(differing).toBeLessThanOrEqual(contestedPairs);
    expect(differing).toBeLessThan(clear.pairs.length * 0.01);
    const [boxBlind, boxClear] = [nineBox(blind.result.pairs, 'a'), nineBox(clear.pairs, 'a')];
    let moved = 0;
    for (const mine of POPULATIONS) for (const theirs of POPULATIONS) moved += Math.abs(boxBlind[mine][theirs] - boxClear[mine][theirs]);
    expect(moved).toBeLessThanOrEqual(2 * differing);
  });

  it('makes tokens that share nothing between two runs, or two agreements, of the same rows', () => {
    const matching = { domain: true, name: true };
    const proposer = generateBlindKeyPair();
    const counterparty = generateBlindKeyPair();
    const other = (agreementId: string, runId: string) => ({
      key: deriveRunSecret({ privateKey: proposer.privateKeyPem, side: 'proposer', theirPublicKey: counterparty.publicKey, agreementId, runId }).key,
    });
    const tokens = (secret: { key: Buffer }) => new Set(blindContribution(rows.a, secret, matching).rows.flatMap((row) => [row.domainToken, row.nameToken].filter(Boolean)));
    const first = tokens(other(AGREEMENT, RUN));
    expect(first.size).toBeGreaterThan(ROWS);
    for (const secret of [other(AGREEMENT, 'run_blindqualitytest0002'), other('agr_blindqualitytest0002', RUN)]) {
      expect([...tokens(secret)].filter((token) => first.has(token))).toEqual([]);
    }
  });
});

/**
 * The name keys on which the name stage had a choice: after the domain stage,
 * some side holds two or more accounts with the key, and the other side at
 * least one. The clear matcher then takes the alphabetically first domain,
 * the blind one the first token: both right, not the same.
 */
function contestedNames(clear: MatchResult): Set<string> {
  const matched = new Set(clear.pairs.flatMap((pair) => (pair.keys.domain === undefined ? [] : [pair.keys.domain])));
  const left = (side: AccountRow[]) => {
    const reps = new Map<string, { rank: number; nameKey: string }>();
    for (const row of side) {
      const account = normaliseRow(row);
      const id = account.domainKey !== undefined ? `d:${account.domainKey}` : `n:${account.nameKey}`;
      if (account.domainKey !== undefined && matched.has(account.domainKey)) continue;
      const rank = POPULATIONS.indexOf(account.population);
      const rep = reps.get(id);
      if (!rep || rank < rep.rank) reps.set(id, { rank, nameKey: account.nameKey });
    }
    const counts = new Map<string, number>();
    for (const { nameKey } of reps.values()) if (nameKey !== '') counts.set(nameKey, (counts.get(nameKey) ?? 0) + 1);
    return counts;
  };
  const [a, b] = [left(rows.a), left(rows.b)];
  return new Set([...a.keys()].filter((name) => b.has(name) && (a.get(name)! > 1 || b.get(name)! > 1)));
}
