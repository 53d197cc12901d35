import type { Terms } from '../terms.ts';

/**
 * The columns of a blind contribution (shared/blind/contribution.ts), apart
 * from everything else so that the clear validator can recognise a blind
 * file without importing the blind pipeline.
 */

export const BLIND_COLUMNS = ['record', 'population', 'domainToken', 'labelToken', 'nameToken', 'countryToken'] as const;
export type BlindColumn = (typeof BLIND_COLUMNS)[number];

/** A record reference: 16 to 64 base64url characters (the client makes 16 random ones). */
export const RECORD_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** What a blind contribution reads of the terms. */
export type BlindMatching = Pick<Terms['matching'], 'domain' | 'name' | 'blindCountry'>;

/** The columns a blind contribution holds under these terms, in the order the client writes them. */
export function blindColumns(matching: BlindMatching): BlindColumn[] {
  return [
    'record',
    'population',
    ...(matching.domain ? (['domainToken'] as const) : []),
    ...(matching.domain && matching.name ? (['labelToken'] as const) : []),
    ...(matching.name ? (['nameToken'] as const) : []),
    ...(matching.name && matching.blindCountry === true ? (['countryToken'] as const) : []),
  ];
}

/** Whether a CSV header is that of a blind contribution: a `record` column and a token column. */
export function looksBlind(header: readonly string[]): boolean {
  const fields = new Set(header.map((field) => field.trim()));
  return fields.has('record') && (fields.has('domainToken') || fields.has('nameToken'));
}
