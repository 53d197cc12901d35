import { domainToASCII } from 'node:url';
import { parse } from 'tldts';
import { FREE_MAIL_DOMAINS } from './free-mail.ts';

/**
 * Domains as matching keys. A website, URL, host or e-mail address becomes its
 * registrable domain (eTLD+1) by the Public Suffix List through `tldts`,
 * private suffixes included: `acme.github.io` and `foo.blogspot.com` are
 * companies of their own. Keys are lower-case ASCII; an internationalised
 * name is kept in punycode (`münchen.de` → `xn--mnchen-3ya.de`, UTS #46
 * mapping through Node's `domainToASCII`), so both spellings give one key.
 * See docs/normalisation.md.
 */

type Options = Parameters<typeof parse>[1];
type IResult = ReturnType<typeof parse>;

/** Raw input that may be a URL, an e-mail address or a host. */
const FROM_TEXT: Options = { allowPrivateDomains: true, extractHostname: true, mixedInputs: true, validateHostname: true, detectIp: true };
/** An already extracted, canonical host. */
const FROM_HOST: Options = { allowPrivateDomains: true, extractHostname: false, mixedInputs: false, validateHostname: true, detectIp: true };
const FROM_TEXT_ICANN: Options = { ...FROM_TEXT, allowPrivateDomains: false };
const FROM_HOST_ICANN: Options = { ...FROM_HOST, allowPrivateDomains: false };

/** A plain ASCII host such as `acme.com` or `www.Acme.co.uk`: no cleaning, no URL parsing. */
const PLAIN_HOST = /^(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const PLAIN_HOST_ANY_CASE = /^(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
/** The local part of a plain address such as `jane.doe+crm@acme.com`. */
const PLAIN_LOCAL_PART = /^[a-z0-9_.%+-]+$/i;
const ASCII_HOST = /^[\x21-\x7e]*$/;
const INVISIBLE = /[\u200b-\u200d\u2060\ufeff]/g;
const LINE_BREAK = /[\t\n\r]/;
const LINE_BREAKS = /[\t\n\r]+/;
const LINE_BREAKS_ALL = /[\t\n\r]/g;
const SEPARATOR = /[\s,;]/;
const SEPARATORS = /[\s,;]+/;
const UNICODE_DOTS = /[\u3002\uff0e\uff61]/g;
const WRAPPING = /^["'`([{]+|["'`)\]}]+$/g;
const MAILTO = /^mailto:/i;
const TRAILING_DOTS = /\.+$/;

/** What the Public Suffix List says about the host inside some text. */
export interface DomainParts {
  /** The host, lower-case ASCII (IDN in punycode); undefined when the text holds none. */
  hostname: string | undefined;
  /** The registrable domain (eTLD+1); undefined for an IP, a bare public suffix or no host. */
  registrable: string | undefined;
  /** The suffix comes from a rule of the list, not from the implicit `*` rule for unknown TLDs. */
  listed: boolean;
  isIp: boolean;
}

export interface DomainOptions {
  /** Honour the private section of the list (github.io, blogspot.com, ...). Default true. */
  privateSuffixes?: boolean;
}

/**
 * Strips what people put around a website or address in a CRM cell: quotes,
 * a display name (`Jane <jane@acme.com>`), `mailto:`, and further values
 * (`acme.com; acme.de`, or one per line): the first part that has a dot is
 * kept. Tabs and line breaks inside a single value are dropped, as a URL
 * parser does (`http://exa\nmple.com`).
 */
function clean(raw: string): string {
  let text = raw.trim();
  if (!ASCII_HOST.test(text)) text = text.replace(INVISIBLE, '');
  const open = text.indexOf('<');
  if (open >= 0) {
    const close = text.indexOf('>', open + 1);
    if (close > open) text = text.slice(open + 1, close).trim();
  }
  text = text.replace(WRAPPING, '');
  if (MAILTO.test(text)) text = text.slice('mailto:'.length);
  if (LINE_BREAK.test(text)) {
    const dotted = text.split(LINE_BREAKS).filter((part) => part.includes('.'));
    text = dotted.length > 1 ? (dotted[0] ?? '') : text.replace(LINE_BREAKS_ALL, '');
  }
  if (SEPARATOR.test(text)) text = (text.split(SEPARATORS).find((part) => part.includes('.')) ?? '').replace(WRAPPING, '');
  return text;
}

/** The host of a plain host or plain e-mail address, lower-case; undefined for anything else. */
function plainHost(raw: string): string | undefined {
  if (PLAIN_HOST.test(raw)) return raw;
  const at = raw.indexOf('@');
  if (at < 0) return PLAIN_HOST_ANY_CASE.test(raw) ? raw.toLowerCase() : undefined;
  const host = raw.slice(at + 1);
  return PLAIN_HOST_ANY_CASE.test(host) && PLAIN_LOCAL_PART.test(raw.slice(0, at)) ? host.toLowerCase() : undefined;
}

/** The tldts result for the canonical host in the text, or undefined when there is no valid host. */
function analyse(raw: string | null | undefined, privateSuffixes: boolean): IResult | undefined {
  if (!raw) return undefined;
  const plain = plainHost(raw);
  if (plain) return parse(plain, privateSuffixes ? FROM_HOST : FROM_HOST_ICANN);
  const text = clean(raw);
  // A host never starts with a dot (the list's own vectors); a URL's host may, and tldts drops it.
  if (!text || text.startsWith('.')) return undefined;
  const result = parse(text, privateSuffixes ? FROM_TEXT : FROM_TEXT_ICANN);
  const hostname = result.hostname;
  if (!hostname) return undefined;
  if (ASCII_HOST.test(hostname)) return result;
  const ascii = toAscii(hostname);
  return ascii ? parse(ascii, privateSuffixes ? FROM_TEXT : FROM_TEXT_ICANN) : undefined;
}

/**
 * Unicode labels to punycode by UTS #46 (case folding, NFC, full-width
 * letters), label by label so that an odd ASCII label beside them is left to
 * the list; ideographic and full-width dots count as dots.
 */
function toAscii(hostname: string): string | undefined {
  const labels = hostname.replace(UNICODE_DOTS, '.').replace(TRAILING_DOTS, '').split('.');
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] ?? '';
    if (ASCII_HOST.test(label)) continue;
    const ascii = domainToASCII(label);
    if (!ascii || ascii.includes('.')) return undefined;
    labels[i] = ascii;
  }
  return labels.join('.');
}

/** The host and registrable domain in a website, URL, host or e-mail address, by the Public Suffix List. */
export function domainParts(raw: string | null | undefined, options: DomainOptions = {}): DomainParts {
  const result = analyse(raw, options.privateSuffixes ?? true);
  if (!result?.hostname) return { hostname: undefined, registrable: undefined, listed: false, isIp: false };
  return {
    hostname: result.hostname,
    registrable: result.domain ?? undefined,
    listed: result.isIcann === true || result.isPrivate === true,
    isIp: result.isIp === true,
  };
}

/** True when the host or one of its parents down to the registrable domain is a mailbox provider. */
function onFreeMail(hostname: string, registrable: string): boolean {
  if (FREE_MAIL_DOMAINS.has(registrable)) return true;
  const extra = hostname.length - registrable.length;
  for (let at = 0; at < extra; at = hostname.indexOf('.', at) + 1) {
    if (FREE_MAIL_DOMAINS.has(hostname.slice(at))) return true;
  }
  return false;
}

/**
 * The registrable domain that identifies a company, from a website, URL, host
 * or e-mail address; undefined when there is none or it cannot identify a
 * company: free-mail or disposable, an IP, a bare public suffix, a TLD that
 * the Public Suffix List does not know (`acme.local`, `www.acme`), junk.
 * Lower-case ASCII, IDN in punycode.
 */
export function domainKey(raw: string | null | undefined): string | undefined {
  const result = analyse(raw, true);
  if (!result) return undefined;
  const { domain, hostname } = result;
  if (!domain || !hostname || result.isIp || (result.isIcann !== true && result.isPrivate !== true)) return undefined;
  return onFreeMail(hostname, domain) ? undefined : domain;
}

/**
 * True when the domain (or host, or the domain of an e-mail address) belongs
 * to a free-mail or disposable mailbox provider: gmail.com, mail.ru,
 * mailinator.com, ... Such a domain never identifies a company.
 */
export function isFreeMailDomain(domain: string): boolean {
  const result = analyse(domain, true);
  if (!result?.hostname) return false;
  return result.domain ? onFreeMail(result.hostname, result.domain) : FREE_MAIL_DOMAINS.has(result.hostname);
}
