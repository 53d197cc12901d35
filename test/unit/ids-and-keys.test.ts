import { describe, expect, it } from 'vitest';
import { displayPrefix, generateApiKey, hashApiKey, looksLikeApiKey, sameHash } from '../../shared/api-keys.ts';
import { idPattern, newId, randomToken } from '../../shared/ids.ts';

describe('ids', () => {
  it('are prefixed by kind and match their pattern', () => {
    expect(newId('partner')).toMatch(/^ptn_[0-9a-z]{20}$/);
    expect(newId('agreement')).toMatch(idPattern('agreement'));
    expect(idPattern('partner').test(newId('key'))).toBe(false);
  });

  it('do not repeat and use the whole alphabet', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => newId('key')));
    expect(ids.size).toBe(2000);
    const characters = new Set(randomToken(5000));
    expect(characters.size).toBe(36);
  });
});

describe('API keys', () => {
  it('look like acc_ and 40 base-36 characters', () => {
    const key = generateApiKey();
    expect(looksLikeApiKey(key)).toBe(true);
    expect(looksLikeApiKey(key.toUpperCase())).toBe(false);
    expect(looksLikeApiKey(`${key}x`)).toBe(false);
    expect(displayPrefix(key)).toBe(key.slice(0, 10));
  });

  it('hash to a stable SHA-256 and compare in constant time', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sameHash(hashApiKey('a'), hashApiKey('a'))).toBe(true);
    expect(sameHash(hashApiKey('a'), hashApiKey('b'))).toBe(false);
    expect(sameHash(hashApiKey('a'), 'ab')).toBe(false);
  });
});
