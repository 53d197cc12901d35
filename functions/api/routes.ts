import { z } from 'zod';
import {
  AgreementIdSchema,
  AgreementSchema,
  AgreementStatusSchema,
  ApproveTermsRequestSchema,
  CounterProposalRequestSchema,
  EndAgreementRequestSchema,
  ProposeAgreementRequestSchema,
  RunIdSchema,
} from '../../shared/agreement.ts';
import { AuditEventSchema } from '../../shared/audit-chain.ts';
import { ContributionSchema, UploadSlotRequestSchema, UploadSlotSchema } from '../../shared/contributions/contribution.ts';
import { RunViewSchema } from '../../shared/run.ts';
import { RESULTS_ROUTES } from './results-routes.ts';
import { REFERRAL_ROUTES } from './referral-routes.ts';
import {
  DeadLetterListSchema,
  PutWebhookRequestSchema,
  WebhookRegistrationSchema,
  WebhookSchema,
  WebhookWithSecretSchema,
} from '../../shared/notifications.ts';
import {
  ApiKeySchema,
  CreateKeyRequestSchema,
  CreatedKeySchema,
  KeyIdSchema,
  KeyListSchema,
  PartnerSchema,
  type Role,
  SignUpRequestSchema,
  SignUpResponseSchema,
} from '../../shared/partner.ts';
import { BLIND_ROUTES } from './blind-routes.ts';
import { CONSOLE_ROUTES } from './console-routes.ts';

/**
 * Every HTTP route of Accord, as plain data. The CDK stack makes one function
 * and one API Gateway route of each, the embedded HTTP adapter routes to the
 * same handler modules, and the OpenAPI document is generated from it.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().describe('stable machine-readable code, e.g. validation_failed'),
      message: z.string().describe('what is wrong, for a person'),
      details: z
        .array(z.object({ path: z.string(), message: z.string() }))
        .describe('one entry per problem, with the JSON path it concerns'),
    }),
  })
  .meta({ id: 'Error' });

export interface RouteResponse {
  status: number;
  description: string;
  schema?: z.ZodType;
}

export interface RouteDefinition {
  /** Names the handler module `functions/api/<handler>.ts` (verb-noun) and its function. */
  handler: string;
  method: HttpMethod;
  /** API Gateway path template, e.g. `/v1/partners/me/keys/{keyId}`. */
  path: string;
  summary: string;
  /** Roles allowed to call the route, or 'public' when no key is needed. */
  auth: 'public' | readonly Role[];
  request?: {
    body?: z.ZodType;
    params?: z.ZodObject;
    query?: z.ZodObject;
  };
  responses: readonly RouteResponse[];
  /** The handler starts, stops or answers the engagement workflow (the stack grants it exactly that). */
  signalsWorkflow?: true;
  /** The handler signs upload slots: it may write contribution objects to the uploads bucket, nothing else there. */
  signsUploads?: true;
  /** The handler reads run results (the results bucket, under results/), nothing else there. */
  readsResults?: true;
  /** The handler serves the web console's files (console/): the stack builds them into its function's asset; it touches no data. */
  servesConsole?: true;
}

const ANY_ROLE: readonly Role[] = ['admin', 'approver', 'contributor', 'viewer'];
/** Roles that may commit their company: legal/ops approvers and admins. */
const GOVERNING: readonly Role[] = ['admin', 'approver'];

const AgreementParams = z.object({ agreementId: AgreementIdSchema });
const RunParams = z.object({ agreementId: AgreementIdSchema, runId: RunIdSchema });
/** Roles that may upload their company's account list. */
const CONTRIBUTING: readonly Role[] = ['admin', 'contributor'];

const ProposedAgreementSchema = AgreementSchema.extend({
  invitationCode: z.string().optional().describe('when inviting: the code the invitee signs up with, shown only in this response'),
}).meta({ id: 'ProposedAgreement' });

const AuditLogSchema = z
  .object({
    events: z.array(AuditEventSchema),
    verification: z.object({
      ok: z.boolean(),
      seq: z.int().optional().describe('the first event at which the chain breaks'),
      reason: z.string().optional(),
      message: z.string().optional(),
    }),
  })
  .meta({ id: 'AuditLog' });

export const ROUTES = [
  {
    handler: 'get-health',
    method: 'GET',
    path: '/health',
    summary: 'Liveness: answers when the API and its table are reachable',
    auth: 'public',
    responses: [{ status: 200, description: 'healthy', schema: z.object({ status: z.literal('ok'), time: z.string() }) }],
  },
  {
    handler: 'get-openapi',
    method: 'GET',
    path: '/v1/openapi.json',
    summary: 'This API, described as OpenAPI 3.1',
    auth: 'public',
    responses: [{ status: 200, description: 'the OpenAPI document' }],
  },
  {
    handler: 'sign-up-partner',
    method: 'POST',
    path: '/v1/partners',
    summary: 'Sign a company up as a partner; answers its first admin key, once',
    auth: 'public',
    request: { body: SignUpRequestSchema },
    responses: [
      { status: 201, description: 'signed up', schema: SignUpResponseSchema },
      { status: 409, description: 'a partner with this domain already exists' },
    ],
  },
  {
    handler: 'get-my-partner',
    method: 'GET',
    path: '/v1/partners/me',
    summary: 'The partner that owns the calling key',
    auth: ANY_ROLE,
    responses: [{ status: 200, description: 'the partner', schema: PartnerSchema }],
  },
  {
    handler: 'create-key',
    method: 'POST',
    path: '/v1/partners/me/keys',
    summary: 'Create an API key with one role; the key is shown once',
    auth: ['admin'],
    request: { body: CreateKeyRequestSchema },
    responses: [{ status: 201, description: 'created', schema: CreatedKeySchema }],
  },
  {
    handler: 'list-keys',
    method: 'GET',
    path: '/v1/partners/me/keys',
    summary: "The partner's keys, without their secrets",
    auth: ['admin'],
    responses: [{ status: 200, description: 'the keys', schema: KeyListSchema }],
  },
  {
    handler: 'revoke-key',
    method: 'DELETE',
    path: '/v1/partners/me/keys/{keyId}',
    summary: 'Revoke a key: it is refused from the next request on',
    auth: ['admin'],
    request: { params: z.object({ keyId: KeyIdSchema }) },
    responses: [
      { status: 200, description: 'revoked', schema: z.object({ key: ApiKeySchema }) },
      { status: 404, description: 'no such key of this partner' },
    ],
  },
  {
    handler: 'propose-agreement',
    signalsWorkflow: true,
    method: 'POST',
    path: '/v1/agreements',
    summary: 'Propose a mapping agreement to a partner, or invite a company by e-mail; `terms: {}` takes every default',
    auth: GOVERNING,
    request: { body: ProposeAgreementRequestSchema },
    responses: [
      { status: 201, description: 'proposed; an invitation code is shown once when inviting', schema: ProposedAgreementSchema },
      { status: 404, description: 'no such counterparty' },
    ],
  },
  {
    handler: 'list-agreements',
    method: 'GET',
    path: '/v1/agreements',
    summary: "The calling partner's agreements, most recently changed first",
    auth: ANY_ROLE,
    request: { query: z.object({ status: AgreementStatusSchema.optional() }) },
    responses: [{ status: 200, description: 'the agreements', schema: z.object({ agreements: z.array(AgreementSchema) }).meta({ id: 'AgreementList' }) }],
  },
  {
    handler: 'get-agreement',
    method: 'GET',
    path: '/v1/agreements/{agreementId}',
    summary: 'One agreement; only its two parties can see it',
    auth: ANY_ROLE,
    request: { params: AgreementParams },
    responses: [
      { status: 200, description: 'the agreement', schema: AgreementSchema },
      { status: 404, description: 'no such agreement, or not a party to it' },
    ],
  },
  {
    handler: 'counter-propose-agreement',
    method: 'POST',
    path: '/v1/agreements/{agreementId}/counter-proposals',
    summary: 'Answer the current terms with new ones: the terms version goes up and every approval is reset',
    auth: GOVERNING,
    request: { params: AgreementParams, body: CounterProposalRequestSchema },
    responses: [
      { status: 200, description: 'the agreement with the new terms', schema: AgreementSchema },
      { status: 409, description: 'basedOnVersion is not the current terms version (stale_version), or the agreement is past proposal' },
    ],
  },
  {
    handler: 'approve-agreement',
    signalsWorkflow: true,
    method: 'POST',
    path: '/v1/agreements/{agreementId}/approvals',
    summary: 'Approve the current terms, named by their hash; idempotent. When both parties approved, contributions open',
    auth: GOVERNING,
    request: { params: AgreementParams, body: ApproveTermsRequestSchema },
    responses: [
      { status: 200, description: 'the agreement with the approval', schema: AgreementSchema },
      { status: 409, description: 'the hash is not that of the current terms (stale_terms), or the agreement is past proposal' },
    ],
  },
  {
    handler: 'decline-agreement',
    signalsWorkflow: true,
    method: 'POST',
    path: '/v1/agreements/{agreementId}/decline',
    summary: 'Decline the agreement: it ends',
    auth: GOVERNING,
    request: { params: AgreementParams, body: EndAgreementRequestSchema },
    responses: [
      { status: 200, description: 'declined', schema: AgreementSchema },
      { status: 409, description: 'the agreement has already ended' },
    ],
  },
  {
    handler: 'withdraw-agreement',
    signalsWorkflow: true,
    method: 'POST',
    path: '/v1/agreements/{agreementId}/withdraw',
    summary: 'Withdraw from the agreement: it ends and its workflow stops',
    auth: GOVERNING,
    request: { params: AgreementParams, body: EndAgreementRequestSchema },
    responses: [
      { status: 200, description: 'withdrawn', schema: AgreementSchema },
      { status: 409, description: 'the agreement has already ended' },
    ],
  },
  {
    handler: 'get-agreement-audit',
    method: 'GET',
    path: '/v1/agreements/{agreementId}/audit',
    summary: "The agreement's hash-chained audit log, and whether it verifies",
    auth: ANY_ROLE,
    request: { params: AgreementParams },
    responses: [{ status: 200, description: 'the events, oldest first, and the verification', schema: AuditLogSchema }],
  },
  {
    handler: 'create-upload-slot',
    method: 'POST',
    path: '/v1/agreements/{agreementId}/runs/{runId}/contributions',
    summary: 'Ask for an upload slot for your account list: a presigned S3 POST for one file, valid 15 minutes, up to 512 MiB',
    auth: CONTRIBUTING,
    signsUploads: true,
    request: { params: RunParams, body: UploadSlotRequestSchema },
    responses: [
      { status: 201, description: 'the contribution, awaiting its upload, and where to POST the file', schema: UploadSlotSchema },
      { status: 404, description: 'no such run, or not a party' },
      { status: 409, description: 'the run is not open for contributions (run_closed)' },
    ],
  },
  {
    handler: 'list-contributions',
    method: 'GET',
    path: '/v1/agreements/{agreementId}/runs/{runId}/contributions',
    summary: "Your side's contributions to the run, newest last, with their validation reports; never the other side's",
    auth: ANY_ROLE,
    request: { params: RunParams },
    responses: [{ status: 200, description: 'the contributions', schema: z.object({ contributions: z.array(ContributionSchema) }).meta({ id: 'ContributionList' }) }],
  },
  {
    handler: 'get-run',
    method: 'GET',
    path: '/v1/agreements/{agreementId}/runs/{runId}',
    summary: 'A run: its schedule, and whether each side has contributed',
    auth: ANY_ROLE,
    request: { params: RunParams },
    responses: [
      { status: 200, description: 'the run', schema: RunViewSchema },
      { status: 404, description: 'no such run, or not a party' },
    ],
  },
  {
    handler: 'put-webhook',
    method: 'PUT',
    path: '/v1/partners/me/webhook',
    summary: "Register the partner's webhook (its signing secret is shown once) or change its URL (the secret stays)",
    auth: ['admin'],
    request: { body: PutWebhookRequestSchema },
    responses: [
      { status: 201, description: 'registered; the secret is in this response only', schema: WebhookRegistrationSchema },
      { status: 200, description: 'URL changed; secrets unchanged', schema: WebhookRegistrationSchema },
    ],
  },
  {
    handler: 'get-webhook',
    method: 'GET',
    path: '/v1/partners/me/webhook',
    summary: "The partner's webhook, without its secrets",
    auth: ['admin'],
    responses: [
      { status: 200, description: 'the webhook', schema: z.object({ webhook: WebhookSchema }) },
      { status: 404, description: 'no webhook is registered' },
    ],
  },
  {
    handler: 'delete-webhook',
    method: 'DELETE',
    path: '/v1/partners/me/webhook',
    summary: 'Remove the webhook: notifications go to the contact e-mail only',
    auth: ['admin'],
    responses: [
      { status: 200, description: 'removed', schema: z.object({ webhook: WebhookSchema }) },
      { status: 404, description: 'no webhook is registered' },
    ],
  },
  {
    handler: 'rotate-webhook-secret',
    method: 'POST',
    path: '/v1/partners/me/webhook/rotate-secret',
    summary: 'A new signing secret, shown once; the previous one keeps signing alongside it for 24 hours',
    auth: ['admin'],
    responses: [
      { status: 200, description: 'rotated; the new secret is in this response only', schema: WebhookWithSecretSchema },
      { status: 404, description: 'no webhook is registered' },
    ],
  },
  {
    handler: 'list-dead-letters',
    method: 'GET',
    path: '/v1/partners/me/notifications/dead-letters',
    summary: 'Notifications a channel could not deliver after its last attempt, newest first',
    auth: ['admin'],
    responses: [{ status: 200, description: 'the dead letters', schema: DeadLetterListSchema }],
  },
  ...BLIND_ROUTES,
  ...RESULTS_ROUTES,
  ...REFERRAL_ROUTES,
  ...CONSOLE_ROUTES,
] as const satisfies readonly RouteDefinition[];

export type RouteHandlerName = (typeof ROUTES)[number]['handler'];

/** The catch-all function answering 404 or 405 in Accord's error envelope. */
export const NOT_FOUND_HANDLER = 'answer-not-found';

export type RouteOf<H extends RouteHandlerName> = Extract<(typeof ROUTES)[number], { handler: H }>;

export function routeByHandler<H extends RouteHandlerName>(name: H): RouteOf<H> {
  const route = ROUTES.find((r): r is RouteOf<H> => r.handler === name);
  if (!route) throw new Error(`no route has handler ${name}`);
  return route;
}
