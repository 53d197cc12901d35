import { z } from 'zod';
import { registrableDomain } from './domains.ts';
import { displayPrefix, generateApiKey, hashApiKey } from './api-keys.ts';
import { idPattern, newId } from './ids.ts';

export const ROLES = ['admin', 'approver', 'contributor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const RoleSchema = z.enum(ROLES).meta({
  id: 'Role',
  description: 'admin manages the partner and its keys; approver is legal/ops; contributor uploads data; viewer reads.',
});

export const PartnerIdSchema = z.string().regex(idPattern('partner'), 'must be a partner id (ptn_...)');
export const KeyIdSchema = z.string().regex(idPattern('key'), 'must be a key id (key_...)');

const Timestamp = z.iso.datetime().describe('ISO-8601 UTC');

/** A company's web domain, reduced to its registrable domain (acme.co.uk, not www.acme.co.uk). */
export const CompanyDomainSchema = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .transform((value, ctx) => {
    const domain = registrableDomain(value);
    if (!domain) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a registrable domain such as example.com` });
      return z.NEVER;
    }
    return domain;
  })
  .meta({ description: 'the company web domain; a URL or subdomain is reduced to its registrable domain', example: 'acme.com' });

export const SignUpRequestSchema = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(200),
    domain: CompanyDomainSchema,
    contactEmail: z.email('must be an e-mail address').max(254),
    invitationCode: z
      .string()
      .optional()
      .describe('the code of an invitation to an agreement: the new partner becomes its counterparty; contactEmail must be the invited address'),
  })
  .meta({ id: 'SignUpRequest' });
export type SignUpRequest = z.output<typeof SignUpRequestSchema>;

export const PartnerSchema = z
  .object({
    id: PartnerIdSchema,
    name: z.string(),
    domain: z.string(),
    contactEmail: z.string(),
    createdAt: Timestamp,
  })
  .meta({ id: 'Partner' });
export type Partner = z.output<typeof PartnerSchema>;

export const ApiKeySchema = z
  .object({
    id: KeyIdSchema,
    role: RoleSchema,
    label: z.string(),
    prefix: z.string().describe('the first characters of the key, to recognise it; never the secret'),
    createdAt: Timestamp,
    revokedAt: Timestamp.optional(),
  })
  .meta({ id: 'ApiKey', description: 'an API key as listed: never its secret' });
export type ApiKey = z.output<typeof ApiKeySchema>;

export const CreateKeyRequestSchema = z
  .strictObject({
    role: RoleSchema,
    label: z.string().trim().min(1, 'must not be empty').max(100),
  })
  .meta({ id: 'CreateKeyRequest' });
export type CreateKeyRequest = z.output<typeof CreateKeyRequestSchema>;

const SecretKey = z.string().describe('the API key itself, shown only in this response: store it now');

export const SignUpResponseSchema = z
  .object({
    partner: PartnerSchema,
    key: ApiKeySchema,
    apiKey: SecretKey,
    agreementId: z.string().optional().describe('with an invitation: the agreement the new partner is now counterparty to'),
    invitationProblem: z.string().optional().describe('with an invitation that could not be accepted after all (used meanwhile): why; the partner is signed up regardless'),
  })
  .meta({ id: 'SignUpResponse' });

export const CreatedKeySchema = z.object({ key: ApiKeySchema, apiKey: SecretKey }).meta({ id: 'CreatedKey' });

export const KeyListSchema = z.object({ keys: z.array(ApiKeySchema) }).meta({ id: 'KeyList' });

/** A new partner from a validated sign-up. */
export function newPartner(request: SignUpRequest, now: Date): Partner {
  return { id: newId('partner'), name: request.name, domain: request.domain, contactEmail: request.contactEmail, createdAt: now.toISOString() };
}

/** A new key: its listing, the secret to show once, and the hash to store. */
export function newApiKey(role: Role, label: string, now: Date): { key: ApiKey; apiKey: string; keyHash: string } {
  const apiKey = generateApiKey();
  return {
    key: { id: newId('key'), role, label, prefix: displayPrefix(apiKey), createdAt: now.toISOString() },
    apiKey,
    keyHash: hashApiKey(apiKey),
  };
}
