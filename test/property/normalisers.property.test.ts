import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { domainKey } from '../../shared/matching/domain-key.ts';
import { nameKey } from '../../shared/matching/name-key.ts';
import { runs } from './seed.ts';

/**
 * The normalisers against whatever a CRM cell holds: any Unicode (unpaired
 * surrogates, marks, emoji, bidi and zero-width characters, very long text)
 * never throws; keys are fixed points (normalising a key gives the key) and
 * use a small alphabet. (ASCII-only variants are in test/unit/*-key.test.ts.)
 */

const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 40 }),
  fc
    .array(
      fc.constantFrom(
        'Acme', 'GmbH', '&', '+', "'", '.', ',', '(', ')', '株式会社', 'Газпром', 'S.p.A.', 'Inc', 'the', 'and', 'co', ' ', '\t', '\n',
        '\u200b', '\u202e', '\u0301', '\ufeff', '\ud800', '😀', 'ß', 'İ', 'ǅ', 'ﬁ', '①', 'https://', 'www.', '@', 'acme.com', '.co.uk', ':8080', '/x?y#z', 'xn--', '..', '[::1]', '127.0.0.1',
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join('')),
  // As long as validation lets a name (300 characters) or a website (2048) through.
  fc.constantFrom('x'.repeat(300), 'Inc '.repeat(75), 'The '.repeat(74) + 'x', '('.repeat(300), `${'a.'.repeat(1_000)}com`, `https://acme.com/${'x'.repeat(2_000)}`),
);

describe('nameKey under hostile text (property)', () => {
  it('joins the single letters a legal form written onto the name leaves (found by the property below)', () => {
    expect(nameKey('株式会社A B')).toBe(nameKey('株式会社 A B'));
    for (const name of ['株式会社①\tİ', 'Acme株式会社株式会社', '株式会社the\tAcme', 'Acme\u200bGmbH株式会社']) expect(nameKey(nameKey(name)), name).toBe(nameKey(name));
    expect(nameKey('株式会社the\tAcme')).toBe('acme');
  });

  it('never throws, is a fixed point, and keeps to lower-case letters, marks and digits in single-spaced tokens', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const key = nameKey(text);
        expect(typeof key).toBe('string');
        expect(nameKey(key)).toBe(key);
        expect(key).toMatch(/^(?:[\p{L}\p{M}\p{N}]+(?: [\p{L}\p{M}\p{N}]+)*)?$/u);
        expect(key).toBe(key.toLowerCase());
        // Bounded by the input: NFKD expands one character to at most 18 (U+FDFA), and "&" becomes " and ".
        expect(key.length).toBeLessThanOrEqual(text.length * 18);
      }),
      runs(3000),
    );
    expect(nameKey(null)).toBe('');
    expect(nameKey(undefined)).toBe('');
  });
});

describe('domainKey under hostile text (property)', () => {
  it('never throws, answers nothing or a lower-case ASCII host that keys to itself, in a URL or an address too', () => {
    let keyed = 0;
    fc.assert(
      fc.property(hostileText, (text) => {
        const key = domainKey(text);
        if (key === undefined) return;
        keyed += 1;
        expect(key).toMatch(/^(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)+[a-z0-9-]+$/);
        expect(key.length).toBeLessThanOrEqual(253);
        expect(domainKey(key)).toBe(key);
        expect(domainKey(`https://www.${key}/path?q=1`)).toBe(key);
        expect(domainKey(`someone@${key}`)).toBe(key);
      }),
      runs(3000),
    );
    // Not vacuous: some of the hostile text holds a real domain.
    expect(keyed).toBeGreaterThan(100);
    expect(domainKey(null)).toBeUndefined();
  });
});
