import { z } from 'zod';
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
  };
  responses: readonly RouteResponse[];
}

const ANY_ROLE: readonly Role[] = ['admin', 'approver', 'contributor', 'viewer'];

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
