/**
 * Registrable domains against the recorded cases of ../shared/conformance/domains:
 * the Public Suffix List's own vectors, private-suffix cases, and URL/host
 * extraction cases from the tldts and tldextract test suites. Read at run
 * time; skipped with a reason in a clone without that folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { domainToASCII } from 'node:url';
import { parse } from 'tldts';
import { describe, expect, it } from 'vitest';
import { domainKey, domainParts, isFreeMailDomain } from '../../shared/matching/domain-key.ts';

const dir = join(import.meta.dirname, '..', '..', '..', 'shared', 'conformance', 'domains');
const present = existsSync(dir);
const title = (name: string) => (present ? name : `${name} (skipped: ../shared/conformance/domains is not beside this checkout)`);

function load<T>(file: string): T[] {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as T[];
}

/** The recorded value in our canonical form: lower-case ASCII, Unicode labels in punycode. */
function canonical(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return value
    .split('.')
    .map((label) => (/^\p{ASCII}*$/u.test(label) ? label.toLowerCase() : domainToASCII(label)))
    .join('.');
}

interface Outcome {
  label: string;
  got: unknown;
  want: unknown;
}

function misses(outcomes: Outcome[]): string {
  return outcomes
    .filter((o) => o.got !== o.want)
    .map((o) => `${o.label}: got ${JSON.stringify(o.got)}, want ${JSON.stringify(o.want)}`)
    .join('\n');
}

interface PslVector {
  input: string | null;
  registrable: string | null;
  needs_private_section?: boolean;
  registrable_icann_only?: string | null;
}

interface PrivateCase {
  input: string;
  registrable?: string | null;
  registrable_icann_only?: string | null;
}

interface ExtractionCase {
  input: string;
  op: 'registrable_domain' | 'hostname' | 'tldextract_split' | 'domain_without_suffix';
  expected: string | null | { subdomain: string; domain: string; suffix: string };
  private_suffixes?: boolean;
}

/**
 * Where Accord reads a CRM cell differently from the library that recorded
 * the case, on purpose. Each one is asserted to behave as described here.
 */
const DELIBERATE: Record<string, { got: string | undefined; why: string }> = {
  'hostname mailto:example.com': { got: 'example.com', why: 'mailto: is dropped before reading an address, so a sloppy mailto:acme.com still names acme.com' },
  'tldextract_split http://xn--&.so-net.com': { got: undefined, why: 'a host with an invalid character (&) gives no key rather than a guess' },
  'tldextract_split ://example.com': { got: 'example.com', why: 'a missing scheme name in front of :// is forgiven, as tldts does' },
};

describe.skipIf(!present)(title('Public Suffix List test vectors'), () => {
  const vectors = present ? load<PslVector>('psl_test_vectors.json') : [];

  it('finds the registrable domain of every vector, private section on', () => {
    const outcomes = vectors.map((v) => ({ label: String(v.input), got: domainParts(v.input).registrable, want: canonical(v.registrable) }));
    expect(vectors.length).toBeGreaterThan(70);
    expect(misses(outcomes)).toBe('');
  });

  it('finds the ICANN-only answer where the vector depends on the private section', () => {
    const privateOnes = vectors.filter((v) => v.needs_private_section);
    const outcomes = privateOnes.map((v) => ({
      label: String(v.input),
      got: domainParts(v.input, { privateSuffixes: false }).registrable,
      want: canonical(v.registrable_icann_only),
    }));
    expect(privateOnes.length).toBeGreaterThan(0);
    expect(misses(outcomes)).toBe('');
  });

  it('keys every vector as its registrable domain, unless its TLD is unknown to the list or it is a mailbox provider', () => {
    const outcomes = vectors.map((v) => {
      const registrable = canonical(v.registrable);
      const listed = registrable !== undefined && (parse(registrable, { allowPrivateDomains: true }).isIcann === true || parse(registrable, { allowPrivateDomains: true }).isPrivate === true);
      const want = registrable && listed && !isFreeMailDomain(registrable) ? registrable : undefined;
      return { label: String(v.input), got: domainKey(v.input), want };
    });
    expect(misses(outcomes)).toBe('');
    // The filters do bite: example.example (unknown TLD) and example.com (reserved, on the provider list) give no key.
    expect(outcomes.filter((o) => o.want === undefined && o.got === undefined).length).toBeGreaterThan(30);
  });
});

describe.skipIf(!present)(title('private-suffix cases'), () => {
  const cases = present ? load<PrivateCase>('psl_private_cases.json') : [];

  it('matches every case with the private section and without it', () => {
    const outcomes: Outcome[] = [];
    for (const c of cases) {
      if (c.registrable !== undefined) outcomes.push({ label: `${c.input} (private)`, got: domainParts(c.input).registrable, want: canonical(c.registrable) });
      if (c.registrable_icann_only !== undefined) {
        outcomes.push({ label: `${c.input} (ICANN)`, got: domainParts(c.input, { privateSuffixes: false }).registrable, want: canonical(c.registrable_icann_only) });
      }
    }
    expect(outcomes.length).toBeGreaterThan(cases.length);
    expect(misses(outcomes)).toBe('');
  });
});

describe.skipIf(!present)(title('URL and host extraction cases (tldts, tldextract)'), () => {
  const cases = present ? load<ExtractionCase>('domain_url_extraction_cases.json') : [];

  function outcome(c: ExtractionCase): Outcome {
    const label = `${c.op} ${c.input}`;
    switch (c.op) {
      case 'registrable_domain':
        return { label, got: domainParts(c.input, { privateSuffixes: c.private_suffixes ?? false }).registrable, want: canonical(c.expected as string | null) };
      case 'hostname':
        return { label, got: domainParts(c.input).hostname, want: canonical(c.expected as string | null) };
      case 'tldextract_split': {
        // tldextract knows no implicit '*' rule: a TLD missing from the list gives no registrable domain.
        const split = c.expected as { domain: string; suffix: string };
        const parts = domainParts(c.input, { privateSuffixes: false });
        return { label, got: parts.listed && !parts.isIp ? parts.registrable : undefined, want: split.domain && split.suffix ? canonical(`${split.domain}.${split.suffix}`) : undefined };
      }
      case 'domain_without_suffix':
        return { label, got: domainParts(c.input).registrable?.split('.')[0], want: c.expected ?? undefined };
    }
  }

  it('extracts hosts and registrable domains as recorded, but for the deliberate differences', () => {
    const outcomes = cases.map(outcome);
    const unexpected = outcomes.filter((o) => !(o.label in DELIBERATE));
    expect(cases.length).toBeGreaterThan(380);
    expect(misses(unexpected)).toBe('');
    const passed = outcomes.filter((o) => o.got === o.want).length;
    expect(passed).toBe(cases.length - Object.keys(DELIBERATE).length);
  });

  it.each(Object.entries(DELIBERATE))('differs on purpose: %s', (label, { got, why }) => {
    const c = cases.find((x) => `${x.op} ${x.input}` === label);
    expect(c, `case ${label} is recorded`).toBeDefined();
    const o = outcome(c as ExtractionCase);
    expect(o.got, why).toBe(got);
    expect(o.want).not.toBe(got);
  });

  it('never keys an object-prototype label as anything but itself', () => {
    for (const label of ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf', 'prototype']) {
      expect(domainKey(`https://${label}.com/x`)).toBe(`${label.toLowerCase()}.com`);
      expect(domainKey(`www.${label}.co.uk`)).toBe(`${label.toLowerCase()}.co.uk`);
      expect(domainKey(label)).toBeUndefined();
    }
  });
});
