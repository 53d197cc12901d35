import { randomBytes } from 'node:crypto';

/** Every identifier Accord hands out names what it is. */
export const ID_PREFIXES = {
  partner: 'ptn',
  key: 'key',
  agreement: 'agr',
  run: 'run',
  contribution: 'ctb',
  referral: 'ref',
  ledgerEntry: 'led',
  event: 'evt',
  invitation: 'inv',
  match: 'mch',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Random base-36 text with `length` characters drawn without modulo bias. */
export function randomToken(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 252 = 7 * 36: bytes at or above it would bias the first characters.
      if (byte < 252 && out.length < length) out += ALPHABET[byte % 36];
    }
  }
  return out;
}

/** A new unguessable id such as `ptn_4k0x...` (20 random base-36 chars, ~103 bits). */
export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${randomToken(20)}`;
}

export function idPattern(kind: IdKind): RegExp {
  return new RegExp(`^${ID_PREFIXES[kind]}_[0-9a-z]{20}$`);
}
