import { createHash, timingSafeEqual } from 'node:crypto';
import { randomToken } from './ids.ts';

/**
 * API keys: `acc_` and 40 random base-36 characters (~206 bits). Accord
 * stores only the SHA-256 of a key: a key has so much entropy that a fast
 * hash cannot be reversed, and lookups by hash stay O(1).
 */

export const API_KEY_PREFIX = 'acc_';
const API_KEY_PATTERN = /^acc_[0-9a-z]{40}$/;

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomToken(40);
}

export function looksLikeApiKey(value: string): boolean {
  return API_KEY_PATTERN.test(value);
}

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

/** What is shown of a key in listings: enough to recognise it, useless to an attacker. */
export function displayPrefix(apiKey: string): string {
  return apiKey.slice(0, API_KEY_PREFIX.length + 6);
}

/** Constant-time equality of two hex digests. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
