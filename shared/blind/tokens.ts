import { createHmac } from 'node:crypto';

/**
 * Tokens: what a blind contribution holds instead of a domain, a name or a
 * country.
 *
 *   token = base64url(first 16 bytes of HMAC-SHA256(run secret, purpose + "\0" + normalised key))
 *
 * The purpose (`domain`, `label`, `name`, `country`) keeps the kinds apart:
 * a name equal to a domain does not give an equal token. 16 bytes (128
 * bits, 22 characters) is where truncation costs nothing that matters: two
 * different keys collide with probability 2^-128 per pair (for ten million
 * keys a side, about 10^-25 for a whole run), and guessing a token without
 * the secret is as hard as guessing a 128-bit key; the full 32 bytes would
 * only make files and results twice the size.
 */

export const TOKEN_BYTES = 16;
/** base64url length of a token: 22 characters, no padding. */
export const TOKEN_LENGTH = 22;
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export const TOKEN_PURPOSES = ['domain', 'label', 'name', 'country'] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

/** The token of one normalised key, for one purpose, under one run's secret. */
export function blindToken(secret: Buffer, purpose: TokenPurpose, value: string): string {
  return createHmac('sha256', secret).update(`${purpose}\u0000${value}`).digest().subarray(0, TOKEN_BYTES).toString('base64url');
}

/**
 * The label of a registrable domain before its public suffix (acme for
 * acme.co.uk and acme.de), as the clear matcher's website veto reads it: the
 * text before the first dot.
 */
export function domainLabel(domainKey: string): string {
  const dot = domainKey.indexOf('.');
  return dot < 0 ? domainKey : domainKey.slice(0, dot);
}
