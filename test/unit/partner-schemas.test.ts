import { describe, expect, it } from 'vitest';
import { CompanyDomainSchema, CreateKeyRequestSchema, SignUpRequestSchema } from '../../shared/partner.ts';

describe('company domain', () => {
  it.each([
    ['acme.com', 'acme.com'],
    ['ACME.COM', 'acme.com'],
    ['www.acme.co.uk', 'acme.co.uk'],
    ['https://shop.acme.com.au/path?q=1', 'acme.com.au'],
    ['  acme.io  ', 'acme.io'],
    ['acme.github.io', 'acme.github.io'],
  ])('reduces %s to %s', (input, expected) => {
    expect(CompanyDomainSchema.parse(input)).toBe(expected);
  });

  it.each(['co.uk', 'localhost', '127.0.0.1', 'not a domain', ''])('refuses %j', (input) => {
    expect(CompanyDomainSchema.safeParse(input).success).toBe(false);
  });
});

describe('sign-up request', () => {
  const valid = { name: 'Acme', domain: 'acme.com', contactEmail: 'ops@acme.com' };

  it('accepts a valid request and trims the name', () => {
    expect(SignUpRequestSchema.parse({ ...valid, name: '  Acme  ' })).toEqual(valid);
  });

  it('refuses unknown fields, a bad e-mail and missing fields, naming each', () => {
    const result = SignUpRequestSchema.safeParse({ domain: 'acme.com', contactEmail: 'nope', extra: 1 });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join('.') || issue.code);
    expect(paths).toEqual(expect.arrayContaining(['name', 'contactEmail', 'unrecognized_keys']));
  });
});

describe('create-key request', () => {
  it('accepts the four roles only', () => {
    for (const role of ['admin', 'approver', 'contributor', 'viewer']) {
      expect(CreateKeyRequestSchema.safeParse({ role, label: 'k' }).success).toBe(true);
    }
    expect(CreateKeyRequestSchema.safeParse({ role: 'owner', label: 'k' }).success).toBe(false);
    expect(CreateKeyRequestSchema.safeParse({ role: 'admin', label: '' }).success).toBe(false);
  });
});
