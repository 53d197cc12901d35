import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../shared/canonical-json.ts';
import { ValidationError } from '../../shared/errors.ts';
import { parseTerms, type Terms, termsHash } from '../../shared/terms.ts';
import { runs } from './seed.ts';

/**
 * The terms schema against hostile input: whatever a client sends as terms,
 * parsing answers terms or a ValidationError naming real paths — never
 * another exception; canonical terms parse to themselves and survive JSON;
 * the hash does not depend on key order or on a JSON round trip.
 * (Key order over well-formed terms is also in test/unit/terms.test.ts.)
 */

const DEFAULTS = parseTerms({});

/** Junk of every JSON and non-JSON kind, including keys that trip naive object code. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }),
  fc.constantFrom(
    NaN,
    Infinity,
    -0,
    1e308,
    Number.MAX_SAFE_INTEGER + 2,
    '',
    ' ',
    '\u0000',
    'x'.repeat(5000),
    '__proto__',
    [],
    {},
    { __proto__: { polluted: true } },
    JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
    { constructor: { prototype: {} } },
    { toString: 'x' },
  ),
);

/** Every path to a leaf of the canonical terms, with its value. */
function leaves(value: unknown, path: string[] = []): { path: string[]; value: unknown }[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, child]) => leaves(child, [...path, key]));
  }
  return [{ path, value }];
}
const LEAVES = leaves(DEFAULTS);

function setAt(base: unknown, path: readonly string[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  let cursor = copy;
  path.slice(0, -1).forEach((key) => {
    cursor = cursor[key] as Record<string, unknown>;
  });
  cursor[path[path.length - 1] ?? ''] = value;
  return copy;
}

/** A value of the same JSON type as `value`, often valid, sometimes not. */
function plausibleLike(value: unknown): fc.Arbitrary<unknown> {
  if (typeof value === 'boolean') return fc.boolean();
  if (typeof value === 'number') return fc.oneof(fc.integer({ min: -1, max: 400 }), fc.double({ min: 0, max: 1.2, noNaN: true }));
  if (typeof value === 'string') return fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('accounts', 'count', 'hidden', 'both', 'EUR', 'usd', 'customer'));
  if (Array.isArray(value)) return fc.shuffledSubarray(value as unknown[]);
  return fc.constant(value);
}

/** Valid terms with some leaves replaced by junk, some keys added, some objects replaced whole. */
const hostileTerms = fc.oneof(
  junk,
  fc
    .array(
      fc.integer({ min: 0, max: LEAVES.length - 1 }).chain((index) => plausibleLike(LEAVES[index]?.value).map((value) => [index, value] as const)),
      { minLength: 1, maxLength: 4 },
    )
    .map((edits) => edits.reduce<unknown>((terms, [index, value]) => setAt(terms, LEAVES[index]?.path ?? [], value), DEFAULTS)),
  fc
    .array(fc.tuple(fc.integer({ min: 0, max: LEAVES.length - 1 }), junk), { minLength: 1, maxLength: 4 })
    .map((edits) => edits.reduce<unknown>((terms, [index, value]) => setAt(terms, LEAVES[index]?.path ?? [], value), DEFAULTS)),
  fc.tuple(fc.integer({ min: 0, max: LEAVES.length - 1 }), fc.string({ maxLength: 20 }), junk).map(([index, key, value]) => {
    const path = LEAVES[index]?.path ?? [];
    return setAt(DEFAULTS, [...path.slice(0, -1), key], value);
  }),
  fc.record({ purpose: junk, populations: junk, schedule: junk, visibility: junk, incentives: junk }, { requiredKeys: [] }),
);

function parseOrError(input: unknown): { terms: Terms } | { error: unknown } {
  try {
    return { terms: parseTerms(input) };
  } catch (error) {
    return { error };
  }
}

describe('terms under hostile input (property)', () => {
  it('parse to terms or a ValidationError naming each problem under terms.*, never another exception', () => {
    fc.assert(
      fc.property(hostileTerms, (input) => {
        const outcome = parseOrError(input);
        if ('error' in outcome) {
          expect(outcome.error).toBeInstanceOf(ValidationError);
          const details = (outcome.error as ValidationError).details;
          expect(details.length).toBeGreaterThan(0);
          for (const detail of details) {
            expect(detail.path === 'terms' || detail.path.startsWith('terms.')).toBe(true);
            expect(detail.message.length).toBeGreaterThan(0);
          }
        }
      }),
      runs(1500),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepted terms are canonical: they parse to themselves, survive JSON, and keep their hash', () => {
    let accepted = 0;
    fc.assert(
      fc.property(hostileTerms, (input) => {
        const outcome = parseOrError(input);
        if ('error' in outcome) return;
        accepted += 1;
        const { terms } = outcome;
        expect(parseTerms(terms)).toEqual(terms);
        // Compared as canonical JSON: JSON itself has no -0, which a client may send (and which hashes as 0).
        const overJson = JSON.parse(JSON.stringify(terms)) as unknown;
        expect(canonicalJson(parseTerms(overJson))).toBe(canonicalJson(terms));
        expect(termsHash(overJson as Terms)).toBe(termsHash(terms));
        expect(canonicalJson(parseTerms(JSON.parse(canonicalJson(terms))))).toBe(canonicalJson(terms));
      }),
      runs(1500),
    );
    // Not vacuous: a good share of the hostile input is still acceptable terms.
    expect(accepted).toBeGreaterThan(100);
  });

  it('hash the same whatever the key order of accepted input', () => {
    const reversed = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(reversed);
      if (value === null || typeof value !== 'object') return value;
      return Object.fromEntries(Object.entries(value).reverse().map(([key, child]) => [key, reversed(child)]));
    };
    fc.assert(
      fc.property(hostileTerms, (input) => {
        const outcome = parseOrError(input);
        if ('error' in outcome) return;
        expect(termsHash(reversed(input) as Terms)).toBe(termsHash(outcome.terms));
      }),
      runs(500),
    );
  });
});
