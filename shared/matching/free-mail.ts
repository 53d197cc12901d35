import { domainToASCII } from 'node:url';
import disposableDomains from 'disposable-email-domains-js/dist/dict/disposable_email_blocklist.json' with { type: 'json' };
import freeMailDomains from 'email-providers/all.json' with { type: 'json' };

/**
 * Mailbox domains that never identify a company: free-mail providers and ISPs
 * (`email-providers`, ~8,800 domains from HubSpot's list via goware) and
 * disposable-address services (`disposable-email-domains-js`, ~8,900 domains
 * from the disposable-email-domains project, CC0), plus the few providers
 * below that both lists miss.
 */
const MISSING_PROVIDERS = [
  '139.com',
  '163.net',
  'aol.de',
  'disroot.org',
  'duck.com',
  'fastmail.com',
  'gmx.ch',
  'posteo.de',
  'posteo.net',
  'riseup.net',
  'skiff.com',
  'sohu.com',
  'tuta.com',
  'tuta.io',
  'tutamail.com',
  'tutanota.com',
  'tutanota.de',
  'yandex.by',
  'yandex.kz',
  'yandex.ua',
  'zohomail.com',
];

/**
 * Company websites that HubSpot's free-mail list carries because the company
 * once offered mailboxes, or by mistake: for account mapping they are the
 * company's own domain. Kept short and reviewed by hand.
 */
const COMPANY_DOMAINS_IN_PROVIDER_LIST = [
  'alibaba.com',
  'ancestry.com',
  'bt.com',
  'discovery.com',
  'dnsmadeeasy.com',
  'easypost.com',
  'facebook.com',
  'go.com',
  'medscape.com',
  'name.com',
  'nus.edu.sg',
  'parrot.com',
  'saudia.com',
  'singpost.com',
  'swissinfo.org',
  'telstra.com',
];

/** Lower-case ASCII (IDN as punycode), as domainKey produces; undefined for entries that are not domains. */
function canonical(entry: string): string | undefined {
  const lower = entry.trim().toLowerCase();
  if (/^[a-z0-9.-]+$/.test(lower)) return lower;
  const ascii = domainToASCII(lower);
  return ascii === '' ? undefined : ascii;
}

function buildSet(): ReadonlySet<string> {
  const set = new Set<string>();
  for (const list of [freeMailDomains as readonly string[], disposableDomains as readonly string[], MISSING_PROVIDERS]) {
    for (const entry of list) {
      const domain = canonical(entry);
      if (domain) set.add(domain);
    }
  }
  for (const domain of COMPANY_DOMAINS_IN_PROVIDER_LIST) set.delete(domain);
  return set;
}

/** Free-mail and disposable mailbox domains, canonical form; a Set, so `__proto__` is just a string. */
export const FREE_MAIL_DOMAINS: ReadonlySet<string> = buildSet();
