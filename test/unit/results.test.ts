import { describe, expect, it } from 'vitest';
import { excludeFlagged, overlapKeysOf } from '../../shared/flags.ts';
import type { MatchPair } from '../../shared/matching/matcher.ts';
import { type MatchedAccountRow, matchIdOf } from '../../shared/results-objects.ts';
import { csvCell } from '../../shared/csv.ts';
import { buildView, type ResultsInput, ResultsViewSchema, resultHashOf, seenOfMe, viewToCsv } from '../../shared/results.ts';
import { parseTerms, type Population, type TermsInput } from '../../shared/terms.ts';

const RUN = 'run_aaaaaaaaaaaaaaaaaaaa';
const AGR = 'agr_aaaaaaaaaaaaaaaaaaaa';

/** Customer x customer: accounts with country; customer x prospect: count; prospect x prospect: hidden; the rest as the defaults. */
const SYMMETRIC: TermsInput = {
  visibility: {
    proposer: { customer: { customer: { level: 'accounts', fields: ['country'] }, prospect: { level: 'count' } }, prospect: { customer: { level: 'count' }, prospect: { level: 'hidden' } } },
    counterparty: { customer: { customer: { level: 'accounts', fields: ['country'] }, prospect: { level: 'count' } }, prospect: { customer: { level: 'count' }, prospect: { level: 'hidden' } } },
  },
};

function row(ref: string, name: string, population: Population, domain?: string, fields: Record<string, string> = {}): MatchedAccountRow {
  return { ref, line: Number(ref.replace(/\D/g, '')) || 2, population, name, ...(domain ? { website: `https://www.${domain}/`, domain } : {}), fields };
}

const proposerRows = [
  row('p1', 'Initech', 'customer', 'initech.com', { country: 'US', owner: 'alice@acme.example' }),
  row('p2', 'Hooli', 'customer', 'hooli.com', { country: 'US', owner: 'bob@acme.example' }),
  row('p3', 'Umbrella', 'prospect', 'umbrella.com', { owner: 'carol@acme.example' }),
  row('p4', 'Soylent', 'opportunity', 'soylent.com', {}),
];
const counterpartyRows = [
  row('c1', 'Initech Inc.', 'customer', 'initech.com', { country: 'DE', owner: 'secret-owner@globex.example' }),
  row('c2', 'Hooli Corp', 'prospect', 'hooli.com', { country: 'FR', owner: 'another-secret@globex.example' }),
  row('c3', 'Umbrella Corporation', 'prospect', 'umbrella.com', {}),
  row('c4', 'Soylent Green', 'opportunity', undefined, { owner: 'x@globex.example' }),
];
const pairs: MatchPair[] = [
  { a: ['p1'], b: ['c1'], method: 'domain', score: 1, keys: { domain: 'initech.com' }, cell: ['customer', 'customer'] },
  { a: ['p2'], b: ['c2'], method: 'domain', score: 1, keys: { domain: 'hooli.com' }, cell: ['customer', 'prospect'] },
  { a: ['p3'], b: ['c3'], method: 'domain', score: 1, keys: { domain: 'umbrella.com' }, cell: ['prospect', 'prospect'] },
  { a: ['p4'], b: ['c4'], method: 'name', score: 0.93, keys: { nameA: 'soylent', nameB: 'soylent green' }, cell: ['opportunity', 'opportunity'] },
];

function input(terms: TermsInput = SYMMETRIC, overrides: Partial<ResultsInput> = {}): ResultsInput {
  return {
    agreementId: AGR,
    runId: RUN,
    terms: parseTerms(terms),
    pairs,
    accounts: { proposer: new Map(proposerRows.map((r) => [r.ref, r])), counterparty: new Map(counterpartyRows.map((r) => [r.ref, r])) },
    flags: [],
    previousKeys: undefined,
    status: 'released',
    resultHash: `sha256:${'a'.repeat(64)}`,
    releasedAt: '2026-12-01T00:00:00.000Z',
    expiresAt: '2027-03-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('a side’s view of the results', () => {
  it('shows a cell at level accounts with both sides’ rows, the other side’s only with name, domain and the named fields', () => {
    const view = buildView(input(), 'proposer');
    expect(ResultsViewSchema.parse(view)).toEqual(view);
    const initech = view.matches.find((match) => match.cell.mine === 'customer' && match.cell.theirs === 'customer');
    expect(initech).toMatchObject({ matchId: matchIdOf(RUN, pairs[0]!), method: 'domain', score: 1, isNew: true, flagged: false });
    expect(initech?.mine).toEqual([{ ref: 'p1', line: 1, name: 'Initech', website: 'https://www.initech.com/', domain: 'initech.com', population: 'customer', fields: { country: 'US', owner: 'alice@acme.example' } }]);
    expect(initech?.theirs).toEqual([{ name: 'Initech Inc.', domain: 'initech.com', fields: { country: 'DE' } }]);
    expect(JSON.stringify(view)).not.toContain('secret-owner');
  });

  it('counts a count-only cell and lists none of its matches, not even my own rows; says nothing of a hidden cell', () => {
    const view = buildView(input(), 'proposer');
    expect(view.nineBox.customer.prospect).toBe(1);
    expect(view.nineBox.prospect.prospect).toBeNull();
    expect(view.cells.find((cell) => cell.mine === 'prospect' && cell.theirs === 'prospect')).toMatchObject({ level: 'hidden', count: null, fields: [] });
    const serialised = JSON.stringify(view);
    for (const text of ['Hooli', 'hooli.com', 'p2', 'Umbrella', 'umbrella.com', 'p3']) expect(serialised).not.toContain(text);
    expect(view.matches.map((match) => match.cell)).toEqual([
      { mine: 'customer', theirs: 'customer' },
      { mine: 'opportunity', theirs: 'opportunity' },
    ]);
  });

  it('orients everything from the reader: the counterparty’s [mine][theirs] is the transpose, its rule of engagement its own', () => {
    const proposer = buildView(input(), 'proposer');
    const counterparty = buildView(input(), 'counterparty');
    expect(counterparty.nineBox.prospect.customer).toBe(proposer.nineBox.customer.prospect);
    const referral = counterparty.cells.find((cell) => cell.mine === 'prospect' && cell.theirs === 'customer');
    expect(referral?.rule).toMatchObject({ play: 'referral', acts: 'them' });
    expect(proposer.cells.find((cell) => cell.mine === 'customer' && cell.theirs === 'prospect')?.rule).toMatchObject({ play: 'referral', acts: 'me' });
    const initech = counterparty.matches.find((match) => match.cell.mine === 'customer');
    expect(initech?.mine.map((r) => r.ref)).toEqual(['c1']);
    expect(initech?.theirs).toEqual([{ name: 'Initech', domain: 'initech.com', fields: { country: 'US' } }]);
  });

  it('never shows more than give-to-get allows, whatever one side writes', () => {
    const generous = parseTerms({ visibility: { proposer: { prospect: { prospect: { level: 'accounts', fields: ['owner'] } } } } });
    const view = buildView(input(generous), 'proposer');
    expect(view.cells.find((cell) => cell.mine === 'prospect' && cell.theirs === 'prospect')).toMatchObject({ level: 'count', limitedBy: 'give_to_get' });
    expect(JSON.stringify(view)).not.toContain('Umbrella Corporation');
  });

  it('marks matches new unless their domain or name keys were in the previous released run, and carries flags by either side', () => {
    const previousKeys = new Set(overlapKeysOf(pairs[0]!));
    const flags = [{ matchId: matchIdOf(RUN, pairs[3]!), side: 'counterparty' as const, reason: 'not the same company', at: '2026-12-02T00:00:00.000Z' }];
    const view = buildView(input(SYMMETRIC, { previousKeys, flags }), 'proposer');
    expect(view.matches.map((match) => [match.cell.mine, match.isNew, match.flagged])).toEqual([
      ['customer', false, false],
      ['opportunity', true, true],
    ]);
    expect(view.matches[1]?.flags).toEqual([{ by: 'them', reason: 'not the same company', at: '2026-12-02T00:00:00.000Z' }]);
    expect(view).toMatchObject({ newCount: 1, flaggedCount: 1 });
    expect(buildView(input(SYMMETRIC, { previousKeys: new Set() }), 'proposer').newCount).toBe(2);
  });

  it('refuses results whose pairs name a row the accounts do not hold', () => {
    expect(() => buildView(input(SYMMETRIC, { accounts: { proposer: new Map(), counterparty: new Map() } }), 'proposer')).toThrow(/not among the matched accounts/);
  });
});

describe('the preview of what the other side will see of me', () => {
  it('mirrors my view under give-to-get: my rows with the fields the other side gets', () => {
    const seen = seenOfMe(input(), 'proposer');
    expect(seen.side).toBe('counterparty');
    expect(seen.matches.find((match) => match.cell.mine === 'customer')?.accounts).toEqual([{ name: 'Initech', domain: 'initech.com', fields: { country: 'US' } }]);
    expect(seen.cells.find((cell) => cell.mine === 'customer' && cell.theirs === 'prospect')).toMatchObject({ level: 'count', count: 1, shownInPreview: true });
    expect(seen.cells.find((cell) => cell.mine === 'prospect' && cell.theirs === 'prospect')).toMatchObject({ level: 'hidden', count: null });
  });

  it('under asymmetric terms names what the other side gets but shows me nothing my own level hides', () => {
    const asymmetric = parseTerms({
      visibility: { asymmetric: true, proposer: { customer: { customer: { level: 'count' } } }, counterparty: { customer: { customer: { level: 'accounts', fields: ['owner'] } } } },
    });
    const seen = seenOfMe(input(asymmetric), 'proposer');
    expect(seen.cells.find((cell) => cell.mine === 'customer' && cell.theirs === 'customer')).toMatchObject({ level: 'accounts', fields: ['owner'], count: 1, shownInPreview: false });
    expect(seen.matches.some((match) => match.cell.mine === 'customer' && match.cell.theirs === 'customer')).toBe(false);
    // ...while the counterparty does get the proposer's rows with the owner it was granted.
    const counterparty = buildView(input(asymmetric), 'counterparty');
    expect(counterparty.matches.find((match) => match.cell.mine === 'customer' && match.cell.theirs === 'customer')?.theirs).toEqual([
      { name: 'Initech', domain: 'initech.com', fields: { owner: 'alice@acme.example' } },
    ]);
  });
});

describe('the result hash', () => {
  const digests = { pairs: 'a'.repeat(64), accounts: { proposer: 'b'.repeat(64), counterparty: 'c'.repeat(64) } };
  it('changes with the terms and with any results object, and only with them', () => {
    const hash = resultHashOf(`sha256:${'1'.repeat(64)}`, digests);
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(resultHashOf(`sha256:${'1'.repeat(64)}`, { ...digests })).toBe(hash);
    expect(resultHashOf(`sha256:${'2'.repeat(64)}`, digests)).not.toBe(hash);
    expect(resultHashOf(`sha256:${'1'.repeat(64)}`, { ...digests, pairs: 'd'.repeat(64) })).not.toBe(hash);
    expect(resultHashOf(`sha256:${'1'.repeat(64)}`, { ...digests, accounts: { ...digests.accounts, counterparty: 'e'.repeat(64) } })).not.toBe(hash);
  });
});

describe('flags across runs', () => {
  it('leaves out the pairs whose domain or pair of name keys was flagged, and keeps the others', () => {
    const flagged = [{ keys: { domain: 'hooli.com' } }, { keys: { nameA: 'soylent', nameB: 'soylent green' } }];
    const later: MatchPair[] = [
      { ...pairs[1]!, a: ['p9'], b: ['c9'] },
      { ...pairs[3]!, a: ['p8'], b: ['c8'] },
      { a: ['p7'], b: ['c7'], method: 'name', score: 0.95, keys: { nameA: 'soylent', nameB: 'soylent corp' }, cell: ['customer', 'customer'] },
      pairs[0]!,
    ];
    expect(excludeFlagged(later, flagged).map((pair) => pair.a[0])).toEqual(['p7', 'p1']);
    expect(excludeFlagged(later, [])).toEqual(later);
  });
});

describe('the CSV export', () => {
  it('defuses formulas with the one CSV writer (shared/csv.ts): a cell starting with = + - @, tab or CR is prefixed with a quote', () => {
    expect(csvCell('=HYPERLINK("http://evil","x")')).toBe(`"'=HYPERLINK(""http://evil"",""x"")"`);
    for (const start of ['+', '-', '@', '\t']) expect(csvCell(`${start}1+1`)).toBe(`'${start}1+1`);
    expect(csvCell('\r1+1')).toBe(`"'\r1+1"`);
    expect(csvCell('Acme, Inc.')).toBe('"Acme, Inc."');
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell(null)).toBe('');
  });

  it('has a line per visible account of the other side and per count-only cell, with the named fields only', () => {
    const hostile = counterpartyRows.map((r) => (r.ref === 'c1' ? { ...r, name: '=cmd|"/c calc"!A1', fields: { ...r.fields, country: '@SUM(1)' } } : r));
    const view = buildView(input(SYMMETRIC, { accounts: { proposer: new Map(proposerRows.map((r) => [r.ref, r])), counterparty: new Map(hostile.map((r) => [r.ref, r])) } }), 'proposer');
    const csv = viewToCsv(view);
    const lines = csv.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('my_population,their_population,level,count,match_id,method,score,is_new,flagged,my_refs,my_names,their_name,their_domain,country');
    const countCells = view.cells.filter((cell) => cell.level === 'count').length;
    expect(countCells).toBe(4);
    expect(lines).toHaveLength(1 + countCells + 2); // header, the count-only cells, the two visible accounts
    expect(csv).toContain(`"'=cmd|""/c calc""!A1",initech.com,'@SUM(1)`);
    expect(lines.filter((line) => line.startsWith('customer,prospect,count,1,'))).toHaveLength(1);
    expect(csv).not.toContain('secret-owner');
    for (const line of lines) expect(line).not.toMatch(/(^|,)[=+\-@]/);
  });
});
