import { parse } from 'tldts';

/**
 * The registrable domain (eTLD+1) of a host, URL or e-mail address, by the
 * Public Suffix List, or undefined when there is none (an IP, a bare suffix).
 */
export function registrableDomain(input: string): string | undefined {
  const trimmed = input.trim().toLowerCase();
  const host = trimmed.includes('@') && !trimmed.includes('/') ? trimmed.slice(trimmed.lastIndexOf('@') + 1) : trimmed;
  const parsed = parse(host, { allowPrivateDomains: true });
  if (parsed.isIp || !parsed.domain || !parsed.isIcann && !parsed.isPrivate) return undefined;
  return parsed.domain;
}
