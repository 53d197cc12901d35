import { describe, expect, it } from 'vitest';
import {
  AccountTable,
  blockKeys,
  DEFAULT_MATCH_OPTIONS,
  type MatchOptions,
  type MatchPair,
  matchAccounts,
  type NormalisedAccount,
  nineBox,
  pairsToJsonLines,
  scoreNames,
  shardOf,
  summarise,
} from '../../shared/matching/matcher.ts';
import { POPULATIONS, type Population } from '../../shared/terms.ts';
import { rng } from '../quality/generator.ts';

const account = (ref: string, nameKey: string, population: Population = 'prospect', domainKey?: string, country?: string): NormalisedAccount => ({
  ref,
  nameKey,
  population,
  ...(domainKey === undefined ? {} : { domainKey }),
  ...(country === undefined ? {} : { country }),
});

const match = (a: NormalisedAccount[], b: NormalisedAccount[], options: Partial<MatchOptions> = {}, shards = 1) =>
  matchAccounts(AccountTable.from(a), AccountTable.from(b), { ...DEFAULT_MATCH_OPTIONS, ...options }, shards);

const text = (pairs: MatchPair[]) => [...pairsToJsonLines(pairs)].join('');

describe('AccountTable', () => {
  it('stores rows by column and gives them back as written', () => {
    const rows = [account('1', 'acme', 'customer', 'acme.com', 'US'), account('2', 'beta', 'prospect'), account('3', 'acme', 'opportunity', 'acme.com')];
    const table = AccountTable.from(rows);
    expect(table.length).toBe(3);
    expect(table.domains.size).toBe(1);
    expect(table.domains.values.get(0)).toBe('acme.com');
    expect(table.findDomain('acme.com')).toBe(0);
    expect(table.findDomain('beta.com')).toBe(-1);
    expect([0, 1, 2].map((row) => table.row(row))).toEqual(rows);
  });

  it('goes to plain data (typed arrays) and back, the same table', () => {
    const rows = [account('1', 'mëller & søn', 'customer', 'xn--mller-kva.de', 'DE'), account('2', '', 'prospect'), account('3', '株式会社', 'opportunity', 'acme.co.jp')];
    const data = structuredClone(AccountTable.from(rows).toData());
    const table = AccountTable.fromData(data);
    expect([0, 1, 2].map((row) => table.row(row))).toEqual(rows);
    table.add(account('4', 'delta', 'customer', 'acme.co.jp'));
    expect(table.domainId(3)).toBe(table.domainId(2));
  });

  it('grows past its first allocation', () => {
    const table = AccountTable.from(Array.from({ length: 5000 }, (_, n) => account(String(n), `name ${n}`, POPULATIONS[n % 3], `d${n % 100}.com`)));
    expect(table.row(4999)).toEqual(account('4999', 'name 4999', 'opportunity', 'd99.com'));
  });
});

describe('deduplication', () => {
  it('makes one account of the rows with one domain, with the strongest population and every ref', () => {
    const { pairs, a } = match(
      [account('a1', 'acme', 'prospect', 'acme.com'), account('a2', 'acme corp europe', 'customer', 'acme.com'), account('a3', 'acme', 'opportunity', 'acme.com')],
      [account('b1', 'acme', 'opportunity', 'acme.com'), account('b2', 'acme inc', 'prospect', 'acme.com')],
    );
    expect(a).toEqual({ rows: 3, accounts: 1 });
    expect(pairs).toEqual([{ a: ['a1', 'a2', 'a3'], b: ['b1', 'b2'], method: 'domain', score: 1, keys: { domain: 'acme.com' }, cell: ['customer', 'opportunity'] }]);
  });

  it('makes one account of the rows without a domain that have the same name', () => {
    const { pairs, b } = match([account('a1', 'globex', 'prospect')], [account('b1', 'globex', 'prospect'), account('b2', 'globex', 'customer'), account('b3', '', 'customer')]);
    expect(b).toEqual({ rows: 3, accounts: 1 });
    expect(pairs).toEqual([{ a: ['a1'], b: ['b1', 'b2'], method: 'name', score: 1, keys: { nameA: 'globex', nameB: 'globex' }, cell: ['prospect', 'customer'] }]);
  });
});

describe('domain matching', () => {
  it('matches the same registrable domain whatever the names, and nothing else', () => {
    const { pairs } = match(
      [account('a1', 'international business machines', 'customer', 'ibm.com'), account('a2', 'initech', 'prospect', 'initech.com')],
      [account('b1', 'ibm', 'prospect', 'ibm.com'), account('b2', 'hooli', 'prospect', 'hooli.com')],
    );
    expect(pairs.map((pair) => [pair.a, pair.b, pair.method])).toEqual([[['a1'], ['b1'], 'domain']]);
  });

  it('is off when the terms say so: names only, and domains never count', () => {
    const a = [account('a1', 'ibm', 'customer', 'ibm.com'), account('a2', 'acme', 'customer', 'acme.com')];
    const b = [account('b1', 'big blue', 'prospect', 'ibm.com'), account('b2', 'acme', 'prospect', 'acme.de')];
    expect(match(a, b, { domain: false }).pairs.map((pair) => [pair.a, pair.b, pair.method])).toEqual([[['a2'], ['b2'], 'name']]);
    expect(match(a, b, { name: false }).pairs.map((pair) => [pair.a, pair.b, pair.method])).toEqual([[['a1'], ['b1'], 'domain']]);
  });
});

describe('name similarity', () => {
  it.each([
    ['acme global systems', 'acme globl systems'],
    ['schneider electric', 'schnieder electric'],
    ['deutsche telekom', 'deutsche telecom'],
    ['johnson and johnson', 'johnson and johnson'],
    ['miller and jensen', 'jensen and miller'],
    ['data bricks', 'databricks'],
    ['procter and gamble', 'procter and gambel'],
    ['societe generale', 'societe generale'],
  ])('scores the variants %s / %s at or above the default threshold', (x, y) => {
    expect(scoreNames(x, y)).toBeGreaterThanOrEqual(DEFAULT_MATCH_OPTIONS.fuzzyThreshold);
  });

  it.each([
    ['delta air lines', 'delta dental'],
    ['american express', 'american airlines'],
    ['apple', 'apple hospitality reit'],
    ['general electric', 'general motors'],
    ['apex systems', 'apax systems'],
    ['chen analytics', 'cohen analytics'],
    ['united airlines', 'united health group'],
    ['bank of america', 'bank of china'],
  ])('keeps the different companies %s / %s below the default threshold', (x, y) => {
    expect(scoreNames(x, y)).toBeLessThan(DEFAULT_MATCH_OPTIONS.fuzzyThreshold);
  });

  it('is symmetric, 1 for equal names and 0 for nothing in common', () => {
    expect(scoreNames('acme', 'acme')).toBe(1);
    expect(scoreNames('acme', 'globex')).toBe(0);
    expect(scoreNames('delta air lines', 'delta dental')).toBe(scoreNames('delta dental', 'delta air lines'));
  });
});

describe('fuzzy matching', () => {
  const a = [
    account('a1', 'delta air lines', 'customer'),
    account('a2', 'american express', 'customer'),
    account('a3', 'apple', 'opportunity'),
    account('a4', 'acme global systems', 'prospect'),
    account('a5', 'schneider electric', 'customer', 'se.com'),
  ];
  const b = [
    account('b1', 'delta dental', 'prospect'),
    account('b2', 'american airlines', 'prospect'),
    account('b3', 'apple hospitality reit', 'prospect'),
    account('b4', 'acme globl systems', 'customer'),
    account('b5', 'schnieder electric', 'prospect'),
    account('b6', 'delta air lines', 'opportunity'),
  ];

  it('matches true variants and keeps look-alike companies apart', () => {
    const { pairs } = match(a, b);
    expect(pairs.map((pair) => [pair.a, pair.b, pair.method, pair.score])).toEqual([
      [['a4'], ['b4'], 'name', scoreNames('acme global systems', 'acme globl systems')],
      [['a1'], ['b6'], 'name', 1],
      [['a5'], ['b5'], 'name', scoreNames('schneider electric', 'schnieder electric')],
    ]);
    expect(pairs[1]!.keys).toEqual({ nameA: 'delta air lines', nameB: 'delta air lines' });
  });

  it('takes the threshold from the terms: 1 means exact names only', () => {
    expect(match(a, b, { fuzzyThreshold: 1 }).pairs.map((pair) => pair.b)).toEqual([['b6']]);
    expect(match(a, b, { fuzzyThreshold: 0.5 }).pairs.length).toBeGreaterThan(3);
  });

  it('never matches names across different countries or different websites', () => {
    const { pairs } = match(
      [account('a1', 'summit partners', 'customer', undefined, 'US'), account('a2', 'nordvik logistics', 'customer', 'nordvik.com'), account('a3', 'borealis', 'customer', 'borealis.com')],
      [account('b1', 'summit partners', 'customer', undefined, 'DE'), account('b2', 'nordvik logistics', 'customer', 'nordvik-logistics.no'), account('b3', 'borealis', 'customer', 'borealis.at')],
    );
    // The same label in another TLD is the same company's other website; different labels are different companies.
    expect(pairs.map((pair) => [pair.a, pair.b])).toEqual([[['a3'], ['b3']]]);
  });

  it('gives each account one partner, the best', () => {
    const { pairs } = match([account('a1', 'initech systems'), account('a2', 'initech system')], [account('b1', 'initech systems')]);
    expect(pairs.map((pair) => [pair.a, pair.b, pair.score])).toEqual([[['a1'], ['b1'], 1]]);
  });

  it('between equal scores, takes the account of the same country before one whose country is unknown', () => {
    // Two companies of one name on A's side, told apart by their websites; B's account is in Norway.
    const a = [account('a1', 'nordvik logistics', 'customer', 'nordvik-group.com'), account('a2', 'nordvik logistics', 'prospect', 'nordvik-logistikk.com', 'NO')];
    const b = [account('b1', 'nordvik logistics', 'customer', undefined, 'NO')];
    for (const shards of [1, 16]) expect(match(a, b, {}, shards).pairs.map((pair) => [pair.a, pair.b, pair.score])).toEqual([[['a2'], ['b1'], 1]]);
    // Without a country on B's side neither is preferred: canonical order decides (the domain's id).
    const unknown = [account('b1', 'nordvik logistics', 'customer')];
    for (const shards of [1, 16]) expect(match(a, unknown, {}, shards).pairs.map((pair) => pair.a)).toEqual([['a1']]);
  });

  it('blocks by the longest word and by the first and last four letters', () => {
    expect(blockKeys('acme global systems')).toEqual(['t:systems', '^acme', '$tems']);
    expect(blockKeys('miller and jensen')).toEqual(blockKeys('jensen and miller').slice(0, 1).concat(blockKeys('miller and jensen').slice(1)));
    expect(blockKeys('miller and jensen')[0]).toBe('t:jensen');
    expect(blockKeys('ibm')).toEqual(['t:ibm']);
    expect(blockKeys('')).toEqual([]);
  });
});

describe('output', () => {
  const a = [account('a1', 'acme', 'customer', 'acme.com'), account('a2', 'globex', 'prospect'), account('a3', 'initech', 'opportunity', 'initech.com')];
  const b = [account('b1', 'acme', 'prospect', 'acme.com'), account('b2', 'globex', 'customer'), account('b3', 'initech', 'opportunity', 'initech.com')];

  it('counts the 9-box of each side, one the transpose of the other', () => {
    const { pairs } = match(a, b);
    const boxA = nineBox(pairs, 'a');
    const boxB = nineBox(pairs, 'b');
    expect(boxA.customer.prospect).toBe(1);
    expect(boxA.prospect.customer).toBe(1);
    expect(boxA.opportunity.opportunity).toBe(1);
    for (const mine of POPULATIONS) for (const theirs of POPULATIONS) expect(boxB[theirs][mine]).toBe(boxA[mine][theirs]);
    expect(summarise(match(a, b))).toMatchObject({ pairs: 3, byMethod: { domain: 2, name: 1 }, nineBox: boxA });
  });

  it('writes every string as JSON.stringify does: quotes, backslashes, controls, lone surrogates', () => {
    for (const value of ['plain', 'a"b', 'a\\b', 'x\u0001y', 'lone \ud800', 'pair \ud83d\ude00', 'line\u2028sep', 'ü ß 株']) {
      const pair: MatchPair = { a: [value], b: ['b1'], method: 'name', score: 0.95, keys: { nameA: value, nameB: value }, cell: ['customer', 'prospect'] };
      expect(text([pair])).toBe(`${JSON.stringify({ a: [value], b: ['b1'], method: 'name', score: 0.95, keys: { nameA: value, nameB: value }, cell: ['customer', 'prospect'] })}\n`);
    }
  });

  it('writes JSON Lines in canonical order: domain pairs by domain, then name pairs', () => {
    expect(text(match(a, b).pairs)).toBe(
      [
        '{"a":["a1"],"b":["b1"],"method":"domain","score":1,"keys":{"domain":"acme.com"},"cell":["customer","prospect"]}',
        '{"a":["a3"],"b":["b3"],"method":"domain","score":1,"keys":{"domain":"initech.com"},"cell":["opportunity","opportunity"]}',
        '{"a":["a2"],"b":["b2"],"method":"name","score":1,"keys":{"nameA":"globex","nameB":"globex"},"cell":["prospect","customer"]}',
        '',
      ].join('\n'),
    );
  });
});

/** A few thousand accounts a side with shared companies, name variants, typos, duplicates and missing domains. */
function randomSides(seed: number, size: number): [NormalisedAccount[], NormalisedAccount[]] {
  const random = rng(seed);
  const words = ['acme', 'global', 'systems', 'delta', 'dental', 'air', 'lines', 'nordvik', 'logistics', 'summit', 'partners', 'borealis', 'capital', 'health', 'group', 'pacific', 'media', 'labs'];
  const companies = Array.from({ length: size }, (_, n) => {
    const length = 1 + Math.floor(random() * 3);
    const name = [...Array.from({ length }, () => words[Math.floor(random() * words.length)]!), `co${n.toString(36)}`].join(' ');
    return { name, domain: `c${n}.${random() < 0.8 ? 'com' : 'de'}`, country: random() < 0.5 ? 'US' : 'DE' };
  });
  const side = (prefix: string): NormalisedAccount[] =>
    Array.from({ length: size }, (_, n) => {
      const company = companies[Math.floor(random() * companies.length)]!;
      let name = company.name;
      if (random() < 0.2) name = name.replace(/s\b/, '');
      if (random() < 0.1) name = name.split(' ').reverse().join(' ');
      const domainKey = random() < 0.7 ? company.domain : undefined;
      const country = random() < 0.5 ? company.country : undefined;
      return account(`${prefix}${n}`, name, POPULATIONS[Math.floor(random() * 3)], domainKey, country);
    });
  return [side('a'), side('b')];
}

describe('determinism and shards', () => {
  it('gives byte-identical output for the same inputs', () => {
    const [a, b] = randomSides(7, 3000);
    expect(text(match(a, b).pairs)).toBe(text(match(a, b).pairs));
  });

  it('gives byte-identical output for 1 and 16 shards', () => {
    const [a, b] = randomSides(11, 4000);
    const one = match(a, b, {}, 1);
    const sixteen = match(a, b, {}, 16);
    expect(one.pairs.filter((pair) => pair.method === 'name').length).toBeGreaterThan(100);
    expect(one.pairs.filter((pair) => pair.method === 'domain').length).toBeGreaterThan(100);
    expect(text(sixteen.pairs)).toBe(text(one.pairs));
    expect(sixteen.a).toEqual(one.a);
    expect(sixteen.b).toEqual(one.b);
  });

  it('hashes keys to shards stably (FNV-1a)', () => {
    expect(shardOf('d:acme.com', 1)).toBe(0);
    expect(shardOf('d:acme.com', 16)).toBe(shardOf('d:acme.com', 16));
    expect(new Set(Array.from({ length: 1000 }, (_, n) => shardOf(`t:name${n}`, 16))).size).toBe(16);
    expect(() => shardOf('x', 0)).toThrow(RangeError);
  });
});
