import { createHash } from 'node:crypto';
import { randomToken } from './ids.ts';

/**
 * An invitation lets a company that is not yet on Accord become the
 * counterparty of an agreement: it signs up with the code and the invited
 * e-mail address. Like API keys, codes are stored only as their SHA-256.
 */

export const INVITATION_DAYS = 30;
const CODE_PATTERN = /^inv_[0-9a-z]{32}$/;

export interface NewInvitation {
  code: string;
  codeHash: string;
  expiresAt: string;
}

export function newInvitation(now: Date): NewInvitation {
  const code = `inv_${randomToken(32)}`;
  return { code, codeHash: hashInvitationCode(code), expiresAt: new Date(now.getTime() + INVITATION_DAYS * 86_400_000).toISOString() };
}

export function looksLikeInvitationCode(value: string): boolean {
  return CODE_PATTERN.test(value);
}

export function hashInvitationCode(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

/** E-mail addresses compare without case: the invited one must be the signing-up one. */
export function sameEmail(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
