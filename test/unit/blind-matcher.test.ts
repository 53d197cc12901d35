import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blindContribution, type BlindRow } from '../../shared/blind/contribution.ts';
import { BlindTable, matchBlind } from '../../shared/blind/matcher.ts';
import { blindSeenOfMe, blindView, blindViewToCsv, ownRowsOfView } from '../../shared/blind/view.ts';
import type { AccountRow } from '../../shared/contributions/validate.ts';
import { AccountTable, matchAccounts, type MatchPair, nineBox, pairsToJsonLines } from '../../shared/matching/matcher.ts';
import { normaliseRow } from '../../shared/matching/pipeline.ts';
import { parseTerms, type Population, POPULATIONS } from '../../shared/terms.ts';

const secret = { key: Buffer.alloc(32, 3) };
const T = (n: number) => `tok${String(n).padStart(19, '0')}`;

function row(record: string, population: Population, tokens: Partial<Omit<BlindRow, 'record' | 'population'>>): BlindRow {
  return { record: record.padEnd(16, '0'), population, ...tokens };
}

describe('matchBlind', () => {
  it('deduplicates by domain token, keeps the strongest population and every record, and joins domains exactly', () => {
    const a = BlindTable.from([
      row('a1', 'prospect', { domainToken: T(1), nameToken: T(11) }),
      row('a2', 'customer', { domainToken: T(1), nameToken: T(12) }),
      row('a3', 'opportunity', { domainToken: T(2) }),
    ]);
    const b = BlindTable.from([row('b1', 'opportunity', { domainToken: T(1) }), row('b2', 'customer', { domainToken: T(3) })]);
    const result = matchBlind(a, b, { domain: true, name: true });
    expect(result.pairs).toEqual([
      { a: ['a1'.padEnd(16, '0'), 'a2'.padEnd(16, '0')], b: ['b1'.padEnd(16, '0')], method: 'domain', score: 1, keys: { domain: T(1) }, cell: ['customer', 'opportunity'] },
    ]);
    expect(result.a).toEqual({ rows: 3, accounts: 2 });
    expect(result.b).toEqual({ rows: 2, accounts: 2 });
  });

  it('matches the accounts left by equal name tokens, unless countries or domain labels differ', () => {
    const a = BlindTable.from([
      row('a1', 'customer', { domainToken: T(1), labelToken: T(21), nameToken: T(31) }),
      row('a2', 'customer', { nameToken: T(32), countryToken: T(41) }),
      row('a3', 'prospect', { domainToken: T(3), labelToken: T(23), nameToken: T(33) }),
      row('a4', 'prospect', { nameToken: T(34) }),
    ]);
    const b = BlindTable.from([
      // Same label, another domain (acme.com / acme.de): a name match.
      row('b1', 'opportunity', { domainToken: T(2), labelToken: T(21), nameToken: T(31) }),
      // Another country: no match.
      row('b2', 'customer', { nameToken: T(32), countryToken: T(42) }),
      // Another label (nordvik.com / nordvik-logistics.no): no match.
      row('b3', 'customer', { domainToken: T(4), labelToken: T(24), nameToken: T(33) }),
      // No domain on one side: no label to compare, a match.
      row('b4', 'customer', { domainToken: T(5), labelToken: T(25), nameToken: T(34) }),
    ]);
    const pairs = matchBlind(a, b, { domain: true, name: true }).pairs;
    expect(pairs.map((pair) => [pair.a[0]?.slice(0, 2), pair.b[0]?.slice(0, 2), pair.method, pair.cell.join('/')])).toEqual([
      ['a1', 'b1', 'name', 'customer/opportunity'],
      ['a4', 'b4', 'name', 'prospect/customer'],
    ]);
    expect(matchBlind(a, b, { domain: true, name: false }).pairs).toEqual([]);
  });

  it('gives each account one partner, and never matches names when the terms match domains only', () => {
    const a = BlindTable.from([row('a1', 'customer', { nameToken: T(1), countryToken: T(9) }), row('a2', 'prospect', { domainToken: T(2), labelToken: T(3), nameToken: T(1) })]);
    const b = BlindTable.from([row('b1', 'opportunity', { nameToken: T(1) })]);
    const pairs = matchBlind(a, b, { domain: true, name: true }).pairs;
    expect(pairs).toHaveLength(1);
    expect(pairs[0]?.b[0]?.slice(0, 2)).toBe('b1');
  });

  it('gives the same bytes for the same rows', () => {
    const rows = Array.from({ length: 200 }, (_, n) => row(`r${n}`, POPULATIONS[n % 3]!, { domainToken: T(n % 37), labelToken: T(100 + (n % 5)), nameToken: T(n % 23) }));
    const other = Array.from({ length: 200 }, (_, n) => row(`s${n}`, POPULATIONS[(n * 7) % 3]!, { ...(n % 4 ? { domainToken: T(n % 41) } : {}), nameToken: T(n % 29) }));
    const text = () => [...pairsToJsonLines(matchBlind(BlindTable.from(rows), BlindTable.from(other), { domain: true, name: true }).pairs)].join('');
    expect(text()).toBe(text());
    expect(text().length).toBeGreaterThan(1000);
  });
});

// ---------------------------------------------------------------------------
// The same answers as the clear matcher, with exact names

const NAMES = ['Initech Inc', 'Globex GmbH', 'Umbrella Corp', 'Hooli', 'Stark Industries', 'Wayne Enterprises', 'Acme'];
const WEBSITES = ['initech.com', 'globex.de', 'globex.com', 'umbrella.co.uk', 'hooli.io', 'stark.com', 'acme.com', 'acme.fr', ''];
const rowArb = fc.record({
  name: fc.constantFrom(...NAMES, ''),
  website: fc.constantFrom(...WEBSITES),
  population: fc.constantFrom(...POPULATIONS),
  country: fc.constantFrom('', 'US', 'DE', 'fr'),
});
const sideArb = fc.array(rowArb, { minLength: 1, maxLength: 30 });

function accountRows(generated: { name: string; website: string; population: Population; country: string }[], prefix: string): AccountRow[] {
  return generated
    .filter((r) => r.name !== '' || r.website !== '')
    .map((r, n) => ({
      ref: `${prefix}${n}`,
      line: n + 2,
      name: r.name,
      population: r.population,
      ...(r.website ? { website: r.website } : {}),
      ...(r.country ? { country: r.country } : {}),
    }));
}

/** Pairs as the refs of the original rows, for comparing a clear and a blind run. */
function byRefs(pairs: readonly MatchPair[], mapA?: Map<string, AccountRow>, mapB?: Map<string, AccountRow>): string[] {
  const ref = (map: Map<string, AccountRow> | undefined, record: string) => (map ? map.get(record)!.ref : record);
  return pairs.map((pair) => JSON.stringify([pair.a.map((r) => ref(mapA, r)).sort(), pair.b.map((r) => ref(mapB, r)).sort(), pair.method, pair.cell])).sort();
}

function both(rowsA: AccountRow[], rowsB: AccountRow[], matching: { domain: boolean; name: boolean; blindCountry?: boolean }) {
  const clearTable = (rows: AccountRow[]) =>
    AccountTable.from(
      rows.map((r) => {
        const account = normaliseRow(r);
        if (!matching.blindCountry) delete account.country;
        return account;
      }),
    );
  const clear = matchAccounts(clearTable(rowsA), clearTable(rowsB), { domain: matching.domain, name: matching.name, fuzzyThreshold: 1 });
  const blindA = blindContribution(rowsA, secret, matching);
  const blindB = blindContribution(rowsB, secret, matching);
  const blind = matchBlind(BlindTable.from(blindA.rows), BlindTable.from(blindB.rows), matching);
  return { clear, blind, blindA, blindB };
}

describe('matchBlind and the clear matcher with exact names', () => {
  it.each([
    ['domains only', { domain: true, name: false }],
    ['names only, with countries', { domain: false, name: true, blindCountry: true }],
    ['names only, without countries', { domain: false, name: true }],
  ])('make the same pairs and the same 9-box: %s (property)', (_, matching) => {
    fc.assert(
      fc.property(sideArb, sideArb, (generatedA, generatedB) => {
        const { clear, blind, blindA, blindB } = both(accountRows(generatedA, 'A'), accountRows(generatedB, 'B'), matching);
        expect(byRefs(blind.pairs, blindA.records, blindB.records)).toEqual(byRefs(clear.pairs));
        expect(nineBox(blind.pairs, 'a')).toEqual(nineBox(clear.pairs, 'a'));
      }),
      { numRuns: 150 },
    );
  });

  it('make the same pairs on domains and names when no account has two candidates', () => {
    const rowsA = accountRows(
      [
        { name: 'Initech Inc', website: 'initech.com', population: 'customer', country: 'US' },
        { name: 'Globex GmbH', website: 'globex.de', population: 'prospect', country: '' },
        { name: 'Acme', website: 'acme.com', population: 'opportunity', country: '' },
        { name: 'Hooli', website: '', population: 'customer', country: 'US' },
      ],
      'A',
    );
    const rowsB = accountRows(
      [
        { name: 'Initech', website: 'https://www.initech.com', population: 'opportunity', country: '' },
        { name: 'Globex', website: 'globex.com', population: 'customer', country: '' },
        { name: 'ACME S.A.', website: 'acme.fr', population: 'customer', country: 'FR' },
        { name: 'Hooli Inc.', website: 'hooli.io', population: 'prospect', country: 'DE' },
      ],
      'B',
    );
    const { clear, blind, blindA, blindB } = both(rowsA, rowsB, { domain: true, name: true, blindCountry: true });
    expect(byRefs(blind.pairs, blindA.records, blindB.records)).toEqual(byRefs(clear.pairs));
    // initech by domain; globex and acme by name (same label, other TLD; acme.fr is FR and acme.com says no country); hooli not (US / DE).
    expect(clear.pairs.map((pair) => `${pair.method}:${pair.a[0]}-${pair.b[0]}`).sort()).toEqual(['domain:A0-B0', 'name:A1-B1', 'name:A2-B2']);
  });
});

// ---------------------------------------------------------------------------
// The released view

describe('blindView', () => {
  const pairs: MatchPair[] = [
    { a: ['pa1'], b: ['pb1'], method: 'domain', score: 1, keys: { domain: T(1) }, cell: ['customer', 'prospect'] },
    { a: ['pa2', 'pa3'], b: ['pb2'], method: 'name', score: 1, keys: { nameA: T(2), nameB: T(2) }, cell: ['customer', 'prospect'] },
    { a: ['pa4'], b: ['pb4'], method: 'domain', score: 1, keys: { domain: T(4) }, cell: ['prospect', 'prospect'] },
    { a: ['pa5'], b: ['pb5'], method: 'domain', score: 1, keys: { domain: T(5) }, cell: ['opportunity', 'customer'] },
  ];
  const terms = parseTerms({
    matching: { mode: 'blind', fuzzyThreshold: 1 },
    visibility: { proposer: { opportunity: { customer: { level: 'hidden' } } } },
  });

  it('carries only the side’s own records, in the cells where the terms show accounts', () => {
    const view = blindView(terms, 'proposer', pairs);
    expect(view.cells.customer.prospect).toEqual({ level: 'accounts', count: 2, records: [['pa1'], ['pa2', 'pa3']] });
    expect(view.cells.prospect.prospect).toEqual({ level: 'count', count: 1 });
    expect(view.cells.opportunity.customer).toEqual({ level: 'hidden' });
    expect(JSON.stringify(view)).not.toMatch(/pb\d/);
  });

  it('previews what the other side will be shown: its levels and counts, none of its records', () => {
    const preview = blindSeenOfMe(terms, 'proposer', pairs);
    expect(preview.side).toBe('counterparty');
    expect(preview.cells.prospect.customer).toEqual({ level: 'accounts', count: 2 });
    expect(preview.cells.customer.opportunity).toEqual({ level: 'hidden' });
    expect(JSON.stringify(preview)).not.toMatch(/p[ab]\d/);
  });

  it('maps back to the side’s own rows on its machine, with the map it kept', () => {
    const mine = new Map([
      ['pa1', 'Initech'],
      ['pa2', 'Globex GmbH'],
      ['pa3', 'Globex'],
      ['pa4', 'Hooli'],
    ]);
    const rows = ownRowsOfView(blindView(terms, 'proposer', pairs), mine);
    expect(rows.customer.prospect).toEqual({ level: 'accounts', count: 2, accounts: [['Initech'], ['Globex GmbH', 'Globex']] });
    expect(rows.prospect.prospect).toEqual({ level: 'count', count: 1 });
    expect(rows.opportunity.customer).toEqual({ level: 'hidden' });
    expect(ownRowsOfView(blindView(terms, 'proposer', pairs), new Map([['pa1', 'Initech']])).customer.prospect).toEqual({
      level: 'accounts',
      count: 2,
      accounts: [['Initech'], []],
      unknown: 2,
    });
  });

  it('shows the counterparty its own records from its side, narrowed by give-to-get', () => {
    const view = blindView(terms, 'counterparty', pairs);
    expect(view.cells.prospect.customer).toEqual({ level: 'accounts', count: 2, records: [['pb1'], ['pb2']] });
    // The proposer hides opportunity x customer, so the counterparty sees nothing of customer x opportunity either.
    expect(view.cells.customer.opportunity).toEqual({ level: 'hidden' });
    expect(JSON.stringify(view)).not.toMatch(/pa\d/);
  });
  it('as CSV: a line per count-only cell, a line per matched account with the side’s own records, nothing of hidden cells', () => {
    const lines = blindViewToCsv(blindView(terms, 'proposer', pairs)).split('\r\n');
    expect(lines[0]).toBe('my_population,their_population,level,count,my_records');
    expect(lines).toEqual(expect.arrayContaining(['customer,prospect,accounts,2,pa1', 'customer,prospect,accounts,2,pa2 pa3', 'prospect,prospect,count,1,', 'opportunity,prospect,count,0,']));
    expect(lines.filter((line) => line.startsWith('opportunity,customer'))).toEqual([]);
    expect(lines.join()).not.toMatch(/pb\d/);
  });
});
