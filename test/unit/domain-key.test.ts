import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { registrableDomain } from '../../shared/domains.ts';
import { domainKey, domainParts, isFreeMailDomain } from '../../shared/matching/domain-key.ts';

describe('domainKey: websites, URLs and hosts', () => {
  it.each([
    ['acme.com', 'acme.com'],
    ['https://www.Acme.co.uk/about?x=1', 'acme.co.uk'],
    ['acme.com:8080', 'acme.com'],
    ['http://user:secret@shop.acme.com.au:8443/cart#top', 'acme.com.au'],
    ['WWW.SIEMENS.DE', 'siemens.de'],
    ['  "www.bosch.com"  ', 'bosch.com'],
    ["'https://www.unilever.com/'", 'unilever.com'],
    ['acme.com.', 'acme.com'],
    ['acme.com...', 'acme.com'],
    ['https://www.google.co.uk./maps', 'google.co.uk'],
    ['//cdn.shopify.com/s/files', 'shopify.com'],
    ['https://careers.sap.com/en/jobs', 'sap.com'],
    ['toyota.co.jp', 'toyota.co.jp'],
    ['www.city.kobe.jp', 'city.kobe.jp'],
    ['acme.com; acme.de', 'acme.com'],
    ['acme.com\nacme.de', 'acme.com'],
    ['Acme Corp (acme.io)', 'acme.io'],
    ['acme.com\u200b', 'acme.com'],
    ['ｗｗｗ．ａｃｍｅ．ｃｏｍ', 'acme.com'],
  ])('%j → %s', (input, key) => {
    expect(domainKey(input)).toBe(key);
  });

  it.each([
    ['', 'empty'],
    ['   ', 'blank'],
    ['www.', 'www. alone'],
    ['www', 'a single label'],
    ['com', 'a bare public suffix'],
    ['co.uk', 'a bare public suffix'],
    ['github.io', 'a bare private suffix'],
    ['s3.amazonaws.com', 'a bare private suffix'],
    ['1.2.3.4', 'an IPv4 address'],
    ['http://192.168.0.1/admin', 'an IPv4 URL'],
    ['[2001:db8::1]', 'an IPv6 address'],
    ['http://[2001:db8::1]:8080/', 'an IPv6 URL'],
    ['localhost', 'localhost'],
    ['acme.local', 'a TLD unknown to the list'],
    ['www.acme', 'a TLD unknown to the list'],
    ['Acme Inc', 'a company name'],
    ['n/a', 'junk'],
    ['-', 'junk'],
    ['.acme.com', 'a host starting with a dot'],
    ['acme..com', 'an empty label'],
    ['-acme.com', 'a label starting with a hyphen'],
    ['javascript:alert(1)', 'not a web address'],
  ])('%j gives no key (%s)', (input) => {
    expect(domainKey(input)).toBeUndefined();
  });

  it('takes null and undefined as no key', () => {
    expect(domainKey(null)).toBeUndefined();
    expect(domainKey(undefined)).toBeUndefined();
  });
});

describe('domainKey: e-mail addresses', () => {
  it.each([
    ['jane@acme.com', 'acme.com'],
    ['user@mail.acme.com', 'acme.com'],
    ['Jane.Doe+crm@EU.Acme.co.uk', 'acme.co.uk'],
    ['mailto:sales@acme.com', 'acme.com'],
    ['MAILTO:sales@acme.com?subject=hi', 'acme.com'],
    ['Jane Doe <jane@acme.com>', 'acme.com'],
    ['"Doe, Jane" <jane@acme.com>', 'acme.com'],
    ['<jane@acme.com>', 'acme.com'],
    ['Pelé@example.org', 'example.org'],
    ['чебурашка@ящик-с-апельсинами.рф', 'xn-----8kcayoeblonkwzf2jqc1b.xn--p1ai'],
    ['甲斐@黒川.日本', undefined], // .日本 is no TLD: the list does not know it
  ])('%j → %s', (input, key) => {
    expect(domainKey(input)).toBe(key);
  });
});

describe('domainKey: private suffixes are companies of their own', () => {
  it.each([
    ['acme.github.io', 'acme.github.io'],
    ['https://docs.acme.github.io/guide', 'acme.github.io'],
    ['globex.github.io', 'globex.github.io'],
    ['foo.blogspot.com', 'foo.blogspot.com'],
    ['www.foo.blogspot.com', 'foo.blogspot.com'],
    ['acme.herokuapp.com', 'acme.herokuapp.com'],
    ['acme.uk.com', 'acme.uk.com'],
  ])('%j → %s', (input, key) => {
    expect(domainKey(input)).toBe(key);
  });

  it('keeps two GitHub Pages sites apart', () => {
    expect(domainKey('acme.github.io')).not.toBe(domainKey('globex.github.io'));
  });
});

describe('domainKey: internationalised names', () => {
  it('gives the Unicode and the punycode spelling one key, in punycode', () => {
    expect(domainKey('münchen.de')).toBe('xn--mnchen-3ya.de');
    expect(domainKey('xn--mnchen-3ya.de')).toBe('xn--mnchen-3ya.de');
    expect(domainKey('https://www.MÜNCHEN.de/rathaus')).toBe('xn--mnchen-3ya.de');
    expect(domainKey('info@münchen.de')).toBe('xn--mnchen-3ya.de');
  });

  it('finds the public suffix of IDN TLDs in either spelling', () => {
    expect(domainKey('www.食狮.公司.cn')).toBe('xn--85x722f.xn--55qx5d.cn');
    expect(domainKey('www.xn--85x722f.xn--55qx5d.cn')).toBe('xn--85x722f.xn--55qx5d.cn');
    expect(domainKey('公司.cn')).toBeUndefined();
    expect(domainKey('ящик-с-апельсинами.рф')).toBe('xn-----8kcayoeblonkwzf2jqc1b.xn--p1ai');
    expect(domainKey('xn-----8kcayoeblonkwzf2jqc1b.xn--p1ai')).toBe('xn-----8kcayoeblonkwzf2jqc1b.xn--p1ai');
  });
});

describe('domainKey: mailbox providers never identify a company', () => {
  it.each([
    'gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'hotmail.co.uk', 'live.com', 'msn.com', 'yahoo.com', 'yahoo.co.jp', 'ymail.com',
    'icloud.com', 'me.com', 'aol.com', 'protonmail.com', 'proton.me', 'pm.me', 'tutanota.com', 'fastmail.com', 'zoho.com',
    'qq.com', '163.com', '126.com', 'sina.com', 'foxmail.com', 'yandex.ru', 'yandex.com', 'ya.ru', 'mail.ru', 'bk.ru', 'list.ru', 'rambler.ru',
    'gmx.de', 'gmx.net', 'gmx.com', 'web.de', 't-online.de', 'freenet.de', 'orange.fr', 'free.fr', 'laposte.net', 'libero.it',
    'naver.com', 'daum.net', 'hanmail.net', 'rediffmail.com', 'uol.com.br', 'seznam.cz', 'wp.pl', 'onet.pl', 'comcast.net', 'att.net',
  ])('%s', (provider) => {
    expect(isFreeMailDomain(provider)).toBe(true);
    expect(domainKey(provider)).toBeUndefined();
    expect(domainKey(`jane.doe@${provider}`)).toBeUndefined();
  });

  it.each(['mailinator.com', 'guerrillamail.com', '10minutemail.com', 'yopmail.com', 'temp-mail.org', 'sharklasers.com', 'trashmail.com'])(
    'disposable %s',
    (provider) => {
      expect(isFreeMailDomain(provider)).toBe(true);
      expect(domainKey(`x@${provider}`)).toBeUndefined();
    },
  );

  it('also refuses a provider reached through a subdomain', () => {
    expect(domainKey('jane@mail.yahoo.co.uk')).toBeUndefined();
    expect(isFreeMailDomain('mail.gmail.com')).toBe(true);
  });

  it('keeps companies whose domain only looks like a provider', () => {
    for (const company of ['acme.com', 'google.com', 'microsoft.com', 'apple.com', 'yahooinc.com', 'facebook.com', 'alibaba.com', 'bt.com', 'softbank.jp', 'github.com']) {
      expect(isFreeMailDomain(company), company).toBe(false);
      expect(domainKey(company)).toBe(company);
    }
  });

  it('checks only down to the registrable domain, never a public suffix listed by mistake', () => {
    // za.com is a private public suffix that the provider list carries.
    expect(domainKey('acme.za.com')).toBe('acme.za.com');
  });
});

describe('domainKey: properties', () => {
  const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/);

  it('is idempotent: a key keys to itself', () => {
    fc.assert(
      fc.property(label, fc.constantFrom('com', 'co.uk', 'de', 'com.au', 'io', 'github.io'), (name, suffix) => {
        const key = domainKey(`https://www.${name}.${suffix}/x`);
        if (key !== undefined) expect(domainKey(key)).toBe(key);
      }),
    );
  });

  it('never throws and returns lower-case ASCII or nothing, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        const key = domainKey(text);
        if (key !== undefined) expect(key).toMatch(/^[a-z0-9_.-]+$/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('domainParts', () => {
  it('tells hostname, registrable domain, list membership and IPs apart', () => {
    expect(domainParts('https://www.acme.co.uk/x')).toEqual({ hostname: 'www.acme.co.uk', registrable: 'acme.co.uk', listed: true, isIp: false });
    expect(domainParts('foo.example')).toEqual({ hostname: 'foo.example', registrable: 'foo.example', listed: false, isIp: false });
    expect(domainParts('http://10.0.0.1/')).toMatchObject({ registrable: undefined, isIp: true });
    expect(domainParts('waiterrant.blogspot.com', { privateSuffixes: false }).registrable).toBe('blogspot.com');
  });
});

describe('registrableDomain (partner sign-up) delegates to the same rules', () => {
  it('reduces a website and keeps IDN keys in punycode', () => {
    expect(registrableDomain('https://shop.acme.com.au/path')).toBe('acme.com.au');
    expect(registrableDomain('münchen.de')).toBe('xn--mnchen-3ya.de');
  });

  it('does not refuse a free-mail domain (that is for matching) but refuses text with spaces', () => {
    expect(registrableDomain('gmail.com')).toBe('gmail.com');
    expect(registrableDomain('acme .com')).toBeUndefined();
    expect(registrableDomain('acme.com acme.de')).toBeUndefined();
  });
});
