import { z } from 'zod';
import { AgreementIdSchema, RunIdSchema } from '../../shared/agreement.ts';
import { AgreementBlindKeysSchema, BlindKeySchema, PutBlindKeyRequestSchema } from '../../shared/blind/keys.ts';
import type { Role } from '../../shared/partner.ts';
import type { RouteDefinition } from './routes.ts';

/**
 * The routes of blind matching (docs/blind-matching.md): a partner's X25519
 * public key, and the keys a party derives a run's secret with.
 */

const ANY_ROLE: readonly Role[] = ['admin', 'approver', 'contributor', 'viewer'];
/** Whoever makes the blind contributions holds the private key, so contributors may register the public one. */
const KEY_HOLDERS: readonly Role[] = ['admin', 'contributor'];

const BlindKeyOfPartnerSchema = z
  .object({ blindKey: BlindKeySchema, history: z.array(BlindKeySchema).describe('every key registered, oldest first, retired ones with retiredAt') })
  .meta({ id: 'BlindKeyOfPartner' });

export const BLIND_ROUTES = [
  {
    handler: 'put-blind-key',
    method: 'PUT',
    path: '/v1/partners/me/blind-key',
    summary: 'Register the partner’s X25519 public key for blind matching (raw 32 bytes, base64url); a new key serves runs whose keys are not fixed yet',
    auth: KEY_HOLDERS,
    request: { body: PutBlindKeyRequestSchema },
    responses: [
      { status: 201, description: 'registered: the key in force from now on', schema: BlindKeyOfPartnerSchema },
      { status: 200, description: 'this key was in force already: nothing changed', schema: BlindKeyOfPartnerSchema },
      { status: 409, description: 'another key was registered meanwhile (blind_key_changed)' },
    ],
  },
  {
    handler: 'get-blind-key',
    method: 'GET',
    path: '/v1/partners/me/blind-key',
    summary: 'The partner’s blind-matching public key in force, and every key it registered',
    auth: ANY_ROLE,
    responses: [
      { status: 200, description: 'the key in force and the history', schema: BlindKeyOfPartnerSchema },
      { status: 404, description: 'the partner has registered no blind key' },
    ],
  },
  {
    handler: 'get-agreement-blind-keys',
    method: 'GET',
    path: '/v1/agreements/{agreementId}/blind-keys',
    summary: 'Both parties’ public keys to derive a run’s secret with: the run’s fixed keys, or the keys in force',
    auth: ANY_ROLE,
    request: { params: z.object({ agreementId: AgreementIdSchema }), query: z.object({ runId: RunIdSchema.optional() }) },
    responses: [
      { status: 200, description: 'the keys', schema: AgreementBlindKeysSchema },
      { status: 404, description: 'no such agreement or run, or not a party' },
    ],
  },
] as const satisfies readonly RouteDefinition[];
