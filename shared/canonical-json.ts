import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * JSON Canonicalization Scheme (RFC 8785) through `canonicalize`, the
 * implementation by the RFC's author: object keys sorted by UTF-16 code units,
 * no whitespace, strings escaped as ECMAScript's JSON.stringify does, and
 * numbers serialised as ECMAScript's Number-to-String (so 1e21 is `1e+21`,
 * 4.50 is `4.5`, -0 is `0`). NaN, Infinity and lone surrogates are refused.
 *
 * Members whose value is `undefined` are left out, as JSON.stringify does, so
 * an optional field that is absent and one that is `undefined` hash the same.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON form (undefined, a function or a symbol)');
  return text;
}

/** Lower-case hex SHA-256 of a string's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A hash as Accord writes it: `sha256:` and 64 lower-case hex digits. */
export type Sha256Hash = `sha256:${string}`;

export const SHA256_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** `sha256:` + hex SHA-256 of the value's canonical JSON. */
export function canonicalHash(value: unknown): Sha256Hash {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}
