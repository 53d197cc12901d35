import { domainParts } from './matching/domain-key.ts';

const INNER_SPACE = /\S\s+\S/;

/**
 * The registrable domain (eTLD+1) of a host, URL or e-mail address, by the
 * Public Suffix List with its private section, or undefined when there is none
 * (an IP, a bare suffix, a TLD the list does not know, text with spaces).
 * Lower-case ASCII, IDN in punycode, as the matching keys (matching/domain-key.ts).
 */
export function registrableDomain(input: string): string | undefined {
  if (INNER_SPACE.test(input)) return undefined;
  const parts = domainParts(input);
  return parts.listed && !parts.isIp ? parts.registrable : undefined;
}
