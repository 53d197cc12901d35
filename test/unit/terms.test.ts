import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalHash, canonicalJson, sha256Hex } from '../../shared/canonical-json.ts';
import { ValidationError } from '../../shared/errors.ts';
import {
  DEFAULT_PURPOSE,
  DEFAULT_RULES,
  DEFAULT_VISIBILITY,
  describeTerms,
  diffTerms,
  formatMoney,
  parseTerms,
  POPULATIONS,
  type Terms,
  type TermsInput,
  TermsSchema,
  termsHash,
} from '../../shared/terms.ts';

function detailsOf(input: unknown): { path: string; message: string }[] {
  try {
    parseTerms(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('invalid_terms');
    return (error as ValidationError).details;
  }
  throw new Error('expected the terms to be refused');
}

const pathsOf = (input: unknown) => detailsOf(input).map((detail) => detail.path);

describe('canonical JSON (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], A: { z: 0, y: 'é' } })).toBe('{"A":{"y":"é","z":0},"a":[true,null,"x"],"b":1}');
    // U+20AC sorts after U+00E9 by code unit; "\r" (U+000D) before "1".
    expect(canonicalJson({ '€': 1, é: 2, '1': 3, '\r': 4 })).toBe('{"\\r":4,"1":3,"é":2,"€":1}');
  });

  it('reproduces the example of RFC 8785 section 3.2.2', () => {
    const input = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`;
    expect(canonicalJson(JSON.parse(input))).toBe(
      String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
    );
  });

  it.each([
    [0, '0'],
    [-0, '0'],
    [4.5, '4.5'],
    [0.002, '0.002'],
    [1e21, '1e+21'],
    [1e30, '1e+30'],
    [1e-7, '1e-7'],
    [1e-27, '1e-27'],
    [333333333.3333333, '333333333.3333333'],
    [9007199254740991, '9007199254740991'],
    [-9007199254740991, '-9007199254740991'],
    [295147905179352830000, '295147905179352830000'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
  ])('serialises the number %s as ES6 does: %s', (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('refuses what JSON cannot say', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow();
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow();
    expect(() => canonicalJson('\ud800')).toThrow();
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });

  it('leaves out members whose value is undefined', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it('hashes as sha256: + hex of the canonical text', () => {
    expect(canonicalHash({ b: 2, a: 1 })).toBe(`sha256:${sha256Hex('{"a":1,"b":2}')}`);
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('terms defaults', () => {
  const terms = TermsSchema.parse({});

  it('fills every default from {}', () => {
    expect(terms.purpose).toBe(DEFAULT_PURPOSE);
    expect(terms.populations).toEqual({ proposer: ['customer', 'opportunity', 'prospect'], counterparty: ['customer', 'opportunity', 'prospect'] });
    expect(terms.matching).toEqual({ mode: 'clear', domain: true, name: true, fuzzyThreshold: 0.9 });
    expect(terms.incentives).toEqual({ currency: 'USD', referralFeeBps: 0, revenueShareBps: 0, attributionWindowDays: 180 });
    expect(terms.schedule).toEqual({ contributionDeadlineDays: 14, reminderDays: [1, 3, 7], resultApprovalDeadlineDays: 7 });
    expect(terms.retention).toEqual({ deleteUploadsAfterMatching: true, resultsKeptDays: 90 });
    expect(terms.visibility.asymmetric).toBe(false);
    for (const side of ['proposer', 'counterparty'] as const) {
      for (const mine of POPULATIONS) {
        for (const theirs of POPULATIONS) {
          expect(terms.visibility[side][mine][theirs]).toEqual({ level: DEFAULT_VISIBILITY[mine][theirs], fields: [] });
        }
      }
    }
    for (const proposers of POPULATIONS) {
      for (const counterparties of POPULATIONS) {
        const { acts, note } = DEFAULT_RULES[proposers][counterparties];
        expect(terms.rulesOfEngagement[proposers][counterparties]).toEqual({ acts, note });
      }
    }
  });

  it('follows the 9-box plays: accounts where a customer or co-sell is involved, counts elsewhere', () => {
    expect(DEFAULT_VISIBILITY).toEqual({
      customer: { customer: 'accounts', opportunity: 'accounts', prospect: 'accounts' },
      opportunity: { customer: 'accounts', opportunity: 'accounts', prospect: 'count' },
      prospect: { customer: 'accounts', opportunity: 'count', prospect: 'count' },
    });
    const acts = POPULATIONS.map((p) => POPULATIONS.map((c) => DEFAULT_RULES[p][c].acts));
    expect(acts).toEqual([
      ['both', 'proposer', 'proposer'],
      ['counterparty', 'both', 'proposer'],
      ['counterparty', 'counterparty', 'both'],
    ]);
  });

  it('has no optional field set: no cap, no recurrence', () => {
    expect('capMinorUnits' in terms.incentives).toBe(false);
    expect('recurrenceEveryDays' in terms.schedule).toBe(false);
  });

  it('keeps the defaults of the fields left out of a nested object', () => {
    const parsed = parseTerms({ schedule: { contributionDeadlineDays: 21 }, visibility: { proposer: { prospect: { prospect: { level: 'hidden' } } } } });
    expect(parsed.schedule).toEqual({ contributionDeadlineDays: 21, reminderDays: [1, 3, 7], resultApprovalDeadlineDays: 7 });
    expect(parsed.visibility.proposer.prospect).toEqual({
      customer: { level: 'accounts', fields: [] },
      opportunity: { level: 'count', fields: [] },
      prospect: { level: 'hidden', fields: [] },
    });
    expect(parsed.visibility.counterparty.prospect.prospect).toEqual({ level: 'count', fields: [] });
    expect(parsed.rulesOfEngagement).toEqual(terms.rulesOfEngagement);
  });

  it('keeps a cell’s default note when only who acts is changed', () => {
    const parsed = parseTerms({ rulesOfEngagement: { customer: { prospect: { acts: 'both' } } } });
    expect(parsed.rulesOfEngagement.customer.prospect).toEqual({ acts: 'both', note: DEFAULT_RULES.customer.prospect.note });
  });

  it('parses its own output to itself', () => {
    expect(parseTerms(terms)).toEqual(terms);
  });

  it('pins the hash of the defaults: changing a default is a deliberate act', () => {
    expect(termsHash({})).toBe('sha256:b84d5e441818b303c018ddce04a8e10a43206181bdfe12321f4d82a39d66b0d2');
  });
});

describe('terms validation', () => {
  it('refuses unknown fields, naming each by its path', () => {
    const paths = pathsOf({
      extra: 1,
      matching: { fuzzy: 0.8 },
      visibility: { proposer: { customer: { prospect: { level: 'count', show: true } } } },
      rulesOfEngagement: { prospect: { prospect: { who: 'both' } } },
      incentives: { referralFee: 10 },
    });
    expect(paths.sort()).toEqual([
      'terms.extra',
      'terms.incentives.referralFee',
      'terms.matching.fuzzy',
      'terms.rulesOfEngagement.prospect.prospect.who',
      'terms.visibility.proposer.customer.prospect.show',
    ]);
    const result = TermsSchema.safeParse({ matching: { fuzzy: 0.8 } });
    expect(result.error?.issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys', keys: ['fuzzy'], path: ['matching'], message: 'unknown field "fuzzy"' })]);
  });

  it('names the path under another prefix when asked', () => {
    expect(() => parseTerms({ nope: 1 }, ['body', 'terms'])).toThrow(expect.objectContaining({ details: [{ path: 'body.terms.nope', message: 'is not a known field' }] }));
  });

  it.each([
    [[3, 1], 'terms.schedule.reminderDays.1', 'must be strictly ascending: day 1 follows day 3'],
    [[1, 1], 'terms.schedule.reminderDays.1', 'must be strictly ascending: day 1 follows day 1'],
    [[1, 14], 'terms.schedule.reminderDays.1', 'day 14 is not before the contribution deadline (day 14)'],
    [[20], 'terms.schedule.reminderDays.0', 'day 20 is not before the contribution deadline (day 14)'],
  ])('refuses the reminder cadence %j', (reminderDays, path, message) => {
    expect(detailsOf({ schedule: { reminderDays } })).toEqual([{ path, message }]);
  });

  it.each([[[0]], [[1.5]], [['3']]])('refuses the reminder day in %j', (reminderDays) => {
    expect(pathsOf({ schedule: { reminderDays } })).toEqual(['terms.schedule.reminderDays.0']);
  });

  it('accepts an ascending cadence before the deadline, or none', () => {
    expect(parseTerms({ schedule: { contributionDeadlineDays: 30, reminderDays: [1, 7, 14, 29] } }).schedule.reminderDays).toEqual([1, 7, 14, 29]);
    expect(parseTerms({ schedule: { reminderDays: [] } }).schedule.reminderDays).toEqual([]);
  });

  it('holds the default cadence against a shorter deadline: the cadence must be set too', () => {
    expect(detailsOf({ schedule: { contributionDeadlineDays: 5 } })).toEqual([
      { path: 'terms.schedule.reminderDays.2', message: 'day 7 is not before the contribution deadline (day 5)' },
    ]);
    expect(parseTerms({ schedule: { contributionDeadlineDays: 5, reminderDays: [1, 3] } }).schedule.contributionDeadlineDays).toBe(5);
  });

  it('refuses a recurrence shorter than a run', () => {
    expect(detailsOf({ schedule: { recurrenceEveryDays: 20 } })).toEqual([
      {
        path: 'terms.schedule.recurrenceEveryDays',
        message: 'must be at least 21 days (contribution deadline + result-approval deadline), so that a run can end before the next opens',
      },
    ]);
    expect(parseTerms({ schedule: { recurrenceEveryDays: 21 } }).schedule.recurrenceEveryDays).toBe(21);
    expect(parseTerms({ schedule: { recurrenceEveryDays: 90 } }).schedule.recurrenceEveryDays).toBe(90);
  });

  it('puts populations in canonical order and refuses duplicates or none', () => {
    expect(parseTerms({ populations: { proposer: ['prospect', 'customer'] } }).populations.proposer).toEqual(['customer', 'prospect']);
    expect(detailsOf({ populations: { counterparty: ['customer', 'customer'] } })).toEqual([
      { path: 'terms.populations.counterparty.1', message: 'lists customer twice' },
    ]);
    expect(pathsOf({ populations: { proposer: [] } })).toEqual(['terms.populations.proposer']);
    expect(pathsOf({ populations: { proposer: ['partner'] } })).toEqual(['terms.populations.proposer.0']);
  });

  it('takes money as integers: basis points 0..10000, a cap in minor units, an ISO 4217 currency', () => {
    expect(parseTerms({ incentives: { referralFeeBps: 10_000, revenueShareBps: 0, capMinorUnits: 500_000, currency: 'EUR' } }).incentives).toEqual({
      currency: 'EUR',
      referralFeeBps: 10_000,
      revenueShareBps: 0,
      attributionWindowDays: 180,
      capMinorUnits: 500_000,
    });
    expect(pathsOf({ incentives: { referralFeeBps: 10_001 } })).toEqual(['terms.incentives.referralFeeBps']);
    expect(pathsOf({ incentives: { revenueShareBps: -1 } })).toEqual(['terms.incentives.revenueShareBps']);
    expect(pathsOf({ incentives: { revenueShareBps: 12.5 } })).toEqual(['terms.incentives.revenueShareBps']);
    expect(pathsOf({ incentives: { capMinorUnits: 99.99 } })).toEqual(['terms.incentives.capMinorUnits']);
    expect(pathsOf({ incentives: { capMinorUnits: 0 } })).toEqual(['terms.incentives.capMinorUnits']);
    expect(pathsOf({ incentives: { capMinorUnits: 2 ** 53 } })).toEqual(['terms.incentives.capMinorUnits']);
    expect(detailsOf({ incentives: { currency: 'usd' } })).toEqual([
      { path: 'terms.incentives.currency', message: 'must be an ISO 4217 code in capitals, such as USD or EUR' },
    ]);
    expect(detailsOf({ incentives: { currency: 'ABC' } })).toEqual([{ path: 'terms.incentives.currency', message: 'ABC is not an ISO 4217 currency' }]);
    expect(pathsOf({ incentives: { attributionWindowDays: 0 } })).toEqual(['terms.incentives.attributionWindowDays']);
  });

  it('matches on domain, name or both, with a threshold from 0.5 to 1, in clear by default or blind', () => {
    expect(detailsOf({ matching: { domain: false, name: false } })).toEqual([{ path: 'terms.matching.domain', message: 'must match on domain, on name, or both' }]);
    expect(pathsOf({ matching: { fuzzyThreshold: 0.4 } })).toEqual(['terms.matching.fuzzyThreshold']);
    expect(pathsOf({ matching: { fuzzyThreshold: 1.01 } })).toEqual(['terms.matching.fuzzyThreshold']);
    expect(pathsOf({ matching: { mode: 'hashed' } })).toEqual(['terms.matching.mode']);
    expect(parseTerms({ matching: { mode: 'blind', name: false } }).matching).toEqual({ mode: 'blind', domain: true, name: false, fuzzyThreshold: 0.9 });
  });

  it('shows extra fields only with accounts, never name or domain, sorted and once each', () => {
    const cell = (value: unknown) => ({ visibility: { proposer: { customer: { customer: value } } } });
    expect(parseTerms(cell({ level: 'accounts', fields: ['region', 'industry'] })).visibility.proposer.customer.customer).toEqual({
      level: 'accounts',
      fields: ['industry', 'region'],
    });
    expect(detailsOf(cell({ level: 'count', fields: ['industry'] }))).toEqual([
      { path: 'terms.visibility.proposer.customer.customer.fields', message: 'extra fields are shown only with level "accounts", not "count"' },
    ]);
    expect(detailsOf(cell({ level: 'accounts', fields: ['domain'] }))).toEqual([
      { path: 'terms.visibility.proposer.customer.customer.fields.0', message: 'name and domain are always part of "accounts"; list only extra fields' },
    ]);
    expect(detailsOf(cell({ level: 'accounts', fields: ['industry', 'industry'] }))).toEqual([
      { path: 'terms.visibility.proposer.customer.customer.fields.1', message: 'lists "industry" twice' },
    ]);
    expect(pathsOf(cell({ level: 'accounts', fields: ['Owner Email'] }))).toEqual(['terms.visibility.proposer.customer.customer.fields.0']);
    expect(pathsOf(cell({ level: 'everything' }))).toEqual(['terms.visibility.proposer.customer.customer.level']);
  });

  it('refuses an empty purpose and trims it', () => {
    expect(pathsOf({ purpose: '   ' })).toEqual(['terms.purpose']);
    expect(parseTerms({ purpose: '  Q3 co-sell  ' }).purpose).toBe('Q3 co-sell');
  });

  it.each([null, [], 'terms', 3])('refuses %j as terms', (input) => {
    expect(pathsOf(input)).toEqual(['terms']);
  });
});

// ---------------------------------------------------------------------------
// Arbitrary terms, written partially and in any order

const FIELDS = ['industry', 'ownerEmail', 'region'];
const cellArb = fc.oneof(
  fc.constant({}),
  fc.record({ level: fc.constantFrom('hidden', 'count') }),
  fc.record({ level: fc.constant('accounts'), fields: fc.shuffledSubarray(FIELDS) }, { requiredKeys: ['level'] }),
);
const rowOf = <T>(arb: fc.Arbitrary<T>) => fc.record({ customer: arb, opportunity: arb, prospect: arb }, { requiredKeys: [] });
const ruleArb = fc.record({ acts: fc.constantFrom('proposer', 'counterparty', 'both', 'neither'), note: fc.constantFrom('', 'Call first.') }, { requiredKeys: [] });

const termsArb: fc.Arbitrary<TermsInput> = fc.record(
  {
    purpose: fc.constantFrom('Q3 co-sell', DEFAULT_PURPOSE),
    populations: fc.record(
      { proposer: fc.shuffledSubarray([...POPULATIONS], { minLength: 1 }), counterparty: fc.shuffledSubarray([...POPULATIONS], { minLength: 1 }) },
      { requiredKeys: [] },
    ),
    matching: fc.record(
      { mode: fc.constantFrom('clear', 'blind'), domain: fc.constant(true), name: fc.boolean(), fuzzyThreshold: fc.constantFrom(0.85, 0.9, 1), blindCountry: fc.boolean() },
      { requiredKeys: [] },
    ),
    visibility: fc.record({ asymmetric: fc.boolean(), proposer: rowOf(rowOf(cellArb)), counterparty: rowOf(rowOf(cellArb)) }, { requiredKeys: [] }),
    incentives: fc.record(
      {
        currency: fc.constantFrom('USD', 'EUR', 'JPY'),
        referralFeeBps: fc.integer({ min: 0, max: 10_000 }),
        revenueShareBps: fc.constantFrom(0, 500),
        attributionWindowDays: fc.constantFrom(90, 180),
        capMinorUnits: fc.integer({ min: 1, max: 10 ** 12 }),
      },
      { requiredKeys: [] },
    ),
    schedule: fc.record(
      {
        contributionDeadlineDays: fc.integer({ min: 8, max: 30 }),
        reminderDays: fc.uniqueArray(fc.integer({ min: 1, max: 7 })).map((days) => days.sort((a, b) => a - b)),
        resultApprovalDeadlineDays: fc.constantFrom(7, 10),
        recurrenceEveryDays: fc.constantFrom(90, 180),
      },
      { requiredKeys: [] },
    ),
    retention: fc.record({ deleteUploadsAfterMatching: fc.boolean(), resultsKeptDays: fc.constantFrom(30, 90) }, { requiredKeys: [] }),
    rulesOfEngagement: rowOf(rowOf(ruleArb)),
  },
  { requiredKeys: [] },
).map(blindConsistent);

/** Blind terms as they must be: exact names, no extra fields of the other side (shared/terms.ts refuses the rest). */
function blindConsistent(input: TermsInput): TermsInput {
  if (input.matching?.mode !== 'blind') {
    if (input.matching?.blindCountry === undefined) return input;
    const { blindCountry: _clearHasNone, ...matching } = input.matching;
    return { ...input, matching };
  }
  const strip = (matrix: unknown) =>
    Object.fromEntries(
      Object.entries((matrix ?? {}) as Record<string, Record<string, { level?: string; fields?: string[] }>>).map(([mine, row]) => [
        mine,
        Object.fromEntries(Object.entries(row).map(([theirs, cell]) => [theirs, cell.level === undefined ? {} : { level: cell.level }])),
      ]),
    );
  const visibility = input.visibility ? { ...input.visibility, proposer: strip(input.visibility.proposer), counterparty: strip(input.visibility.counterparty) } : undefined;
  return { ...input, matching: { ...input.matching, fuzzyThreshold: 1 }, ...(visibility ? { visibility } : {}) };
}

/** The same value with the keys of every object in another order, chosen by `seed`. */
function reorderKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((item, index) => reorderKeys(item, seed + index));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const keyed = entries.map(([key], index) => ({ key, rank: Math.imul(index + 1, 2654435761 ^ seed) >>> 0 }));
  keyed.sort((a, b) => a.rank - b.rank);
  const order = seed % 2 === 0 ? keyed.map((item) => item.key) : keyed.map((item) => item.key).reverse();
  return Object.fromEntries(order.map((key, index) => [key, reorderKeys((value as Record<string, unknown>)[key], seed * 31 + index)]));
}

describe('terms hash', () => {
  it('is sha256: + hex SHA-256 of the canonical JSON of the terms with defaults, and leaves no version inside', () => {
    const terms = parseTerms({});
    expect(termsHash({})).toBe(`sha256:${sha256Hex(canonicalJson(terms))}`);
    expect(termsHash({})).toBe(termsHash(terms));
    expect(termsHash({})).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(() => termsHash({ version: 2 } as TermsInput)).toThrow(ValidationError);
  });

  it('does not depend on key order (property)', () => {
    fc.assert(
      fc.property(termsArb, fc.integer({ min: 0, max: 2 ** 30 }), (input, seed) => {
        expect(termsHash(reorderKeys(input, seed) as TermsInput)).toBe(termsHash(input));
      }),
    );
  });

  it('does not depend on whether defaults are written out', () => {
    fc.assert(
      fc.property(termsArb, (input) => {
        expect(termsHash(parseTerms(input))).toBe(termsHash(input));
      }),
    );
  });

  it('is equal exactly when the normalised terms are equal (property)', () => {
    fc.assert(
      fc.property(termsArb, termsArb, (a, b) => {
        const same = canonicalJson(parseTerms(a)) === canonicalJson(parseTerms(b));
        expect(termsHash(a) === termsHash(b)).toBe(same);
        expect(diffTerms(a, b).length === 0).toBe(same);
      }),
    );
  });

  it('changes with every single edit of any field of the defaults', () => {
    const base = parseTerms({});
    const edits = singleEdits(base);
    // 18 visibility cells × (level, fields), 9 rules × (acts, note), 17 other fields, 2 optional ones.
    expect(edits).toHaveLength(73);
    const hashes = new Set([termsHash(base)]);
    for (const { path, terms } of edits) {
      const hash = termsHash(terms);
      expect(hashes.has(hash), `editing ${path} must change the hash`).toBe(false);
      hashes.add(hash);
      // Showing fields in a count cell needs the level "accounts" too: that edit changes both.
      const levelToo = path.endsWith('.fields') && diffTerms(base, terms).length === 2 ? [path.replace(/fields$/, 'level')] : [];
      // Blind matching compares names exactly: that edit sets the threshold to 1 too.
      const thresholdToo = path === 'matching.mode' ? ['matching.fuzzyThreshold'] : [];
      expect(diffTerms(base, terms).map((change) => change.path)).toEqual([path, ...levelToo, ...thresholdToo].sort());
    }
  });
});

/** For every leaf of the terms, a copy with that leaf (and only it) changed to another valid value. */
function singleEdits(base: Terms): { path: string; terms: Terms }[] {
  const out: { path: string; terms: Terms }[] = [];
  const alternative = (path: string, value: unknown): unknown => {
    if (path.endsWith('.level')) return value === 'count' ? 'hidden' : 'count';
    if (path.endsWith('.acts')) return value === 'both' ? 'neither' : 'both';
    if (path.endsWith('.fields')) return ['industry'];
    if (path === 'populations.proposer' || path === 'populations.counterparty') return ['customer'];
    if (path === 'schedule.reminderDays') return [2, 5];
    if (path === 'matching.mode') return 'blind';
    if (path === 'incentives.currency') return 'EUR';
    if (typeof value === 'boolean') return !value;
    if (typeof value === 'number') return path === 'matching.fuzzyThreshold' ? 0.85 : value + 1;
    if (typeof value === 'string') return `${value} Amended.`;
    throw new Error(`no alternative for ${path}`);
  };
  const visit = (value: unknown, path: string[]) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(value)) visit(child, [...path, key]);
      return;
    }
    const dotted = path.join('.');
    const copy = structuredClone(base) as unknown as Record<string, unknown>;
    let parent = copy;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
    parent[path.at(-1)!] = alternative(dotted, value);
    if (dotted.endsWith('.fields')) parent.level = 'accounts';
    if (dotted === 'matching.mode') parent.fuzzyThreshold = 1;
    out.push({ path: dotted, terms: parseTerms(copy) });
  };
  visit(base, []);
  // The optional fields, absent by default.
  out.push({ path: 'incentives.capMinorUnits', terms: parseTerms({ ...base, incentives: { ...base.incentives, capMinorUnits: 100 } }) });
  out.push({ path: 'schedule.recurrenceEveryDays', terms: parseTerms({ ...base, schedule: { ...base.schedule, recurrenceEveryDays: 90 } }) });
  return out;
}

describe('diffTerms', () => {
  it('lists each changed field with its value before and after, in path order', () => {
    expect(
      diffTerms(
        {},
        {
          schedule: { reminderDays: [2] },
          incentives: { capMinorUnits: 5000, referralFeeBps: 1000 },
          visibility: { counterparty: { prospect: { prospect: { level: 'hidden' } } } },
        },
      ),
    ).toEqual([
      { path: 'incentives.capMinorUnits', before: undefined, after: 5000 },
      { path: 'incentives.referralFeeBps', before: 0, after: 1000 },
      { path: 'schedule.reminderDays', before: [1, 3, 7], after: [2] },
      { path: 'visibility.counterparty.prospect.prospect.level', before: 'count', after: 'hidden' },
    ]);
  });

  it('finds nothing between terms that differ only in key order or written defaults', () => {
    expect(diffTerms({}, { matching: { domain: true }, schedule: { reminderDays: [1, 3, 7] } })).toEqual([]);
    expect(diffTerms({ populations: { proposer: ['prospect', 'customer'] } }, { populations: { proposer: ['customer', 'prospect'] } })).toEqual([]);
  });

  it('reports a removed optional field as after: undefined', () => {
    expect(diffTerms({ schedule: { recurrenceEveryDays: 30 } }, {})).toEqual([{ path: 'schedule.recurrenceEveryDays', before: 30, after: undefined }]);
  });
});

describe('describeTerms', () => {
  it('says the defaults in plain language', () => {
    const lines = describeTerms({});
    expect(lines[0]).toBe(`Purpose: ${DEFAULT_PURPOSE}`);
    expect(lines).toContain('The proposer contributes its customers, opportunities and prospects.');
    expect(lines).toContain(
      'Accounts match on registrable web domain and company name (similarity at least 90%); matching reads both lists in the clear. Accounts that do not match are never shown to anyone.',
    );
    expect(lines).toContain('Give-to-get: neither side sees more of the other’s accounts in a cell than it shows of its own.');
    expect(lines).toContain('The proposer sees, of accounts that are the proposer’s customers and the counterparty’s prospects: accounts (name and domain).');
    expect(lines).toContain('The counterparty sees, of accounts that are the counterparty’s prospects and the proposer’s opportunities: a count only.');
    expect(lines).toContain('No referral fee.');
    expect(lines).toContain('No revenue share.');
    expect(lines).toContain('Both contributions are due 14 days after a run opens.');
    expect(lines).toContain('A side that has not contributed is reminded on days 1, 3 and 7.');
    expect(lines).toContain('Both sides must approve the results within 7 days of their being ready, or nothing is released.');
    expect(lines).toContain('One run only.');
    expect(lines).toContain('Raw uploads are deleted as soon as matching ends.');
    expect(lines).toContain('Results are kept for 90 days after release, then deleted.');
    expect(lines).toContain(
      `The proposer’s customers that are the counterparty’s prospects (referral): the proposer acts. ${DEFAULT_RULES.customer.prospect.note}`,
    );
    expect(lines.filter((line) => line.includes(' sees, of accounts'))).toHaveLength(18);
    expect(lines.filter((line) => / \(.+\): /.test(line))).toHaveLength(9);
    expect(lines.some((line) => line.includes('narrowed'))).toBe(false);
  });

  it('uses the parties’ names, money in the currency, and says where give-to-get narrows', () => {
    const lines = describeTerms(
      {
        populations: { counterparty: ['customer'] },
        matching: { name: false },
        visibility: { proposer: { customer: { customer: { level: 'accounts', fields: ['ownerEmail'] } } } },
        incentives: { currency: 'EUR', referralFeeBps: 1050, revenueShareBps: 500, capMinorUnits: 123_450, attributionWindowDays: 90 },
        schedule: { reminderDays: [5], recurrenceEveryDays: 90 },
        retention: { deleteUploadsAfterMatching: false },
        rulesOfEngagement: { opportunity: { opportunity: { acts: 'neither', note: '' } } },
      },
      { proposer: 'Acme', counterparty: 'Globex' },
    );
    expect(lines).toContain('Globex contributes its customers.');
    expect(lines).toContain('Accounts match on registrable web domain; matching reads both lists in the clear. Accounts that do not match are never shown to anyone.');
    expect(lines).toContain(
      'Acme sees, of accounts that are Acme’s customers and Globex’s customers: accounts (name and domain) (terms say accounts (name, domain, ownerEmail); narrowed by give-to-get).',
    );
    expect(lines).toContain('Acme sees, of accounts that are Acme’s customers and Globex’s prospects: nothing (a population not contributed).');
    expect(lines).toContain(
      'Referral fee: 10.5% of the value of a deal closed within 90 days of an introduction, paid in EUR by the side introduced to the side that introduced it.',
    );
    expect(lines).toContain('Revenue share: 5% of the revenue from a referred account within 90 days of the introduction, paid in EUR by the side introduced.');
    expect(lines).toContain('Fee and revenue share together are capped at EUR 1,234.50 per referral.');
    expect(lines).toContain('A side that has not contributed is reminded on day 5.');
    expect(lines).toContain('A new run opens every 90 days, counted from the opening of the previous one.');
    expect(lines).toContain('Raw uploads are kept as long as the results.');
    expect(lines).toContain('Acme’s opportunities that are Globex’s opportunities (co-sell): neither acts.');
  });

  it('says when visibility is asymmetric, blind matching and exact names', () => {
    const lines = describeTerms({ visibility: { asymmetric: true }, matching: { mode: 'blind', fuzzyThreshold: 1 }, schedule: { reminderDays: [] } });
    expect(lines).toContain(
      'Visibility is asymmetric: each side sees exactly what is written below, even where that is more than it shows the other (give-to-get is off by agreement of both sides).',
    );
    expect(lines).toContain(
      'Accounts match on registrable web domain and exact company name; matching is blind: each side turns its keys into tokens that only the two sides can compute, and Accord compares the tokens, never the lists. Accounts that do not match are never shown to anyone.',
    );
    expect(lines).toContain('No reminders are sent.');
  });

  it('formats minor units with the currency’s decimals', () => {
    expect(formatMoney(123_450, 'EUR')).toBe('EUR 1,234.50');
    expect(formatMoney(500_000, 'JPY')).toBe('JPY 500,000');
    expect(formatMoney(1, 'USD')).toBe('USD 0.01');
  });
});
