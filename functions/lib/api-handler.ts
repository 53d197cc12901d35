import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { hashApiKey, looksLikeApiKey } from '../../shared/api-keys.ts';
import {
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthenticatedError,
  UnsupportedMediaTypeError,
  ValidationError,
  type ErrorDetail,
} from '../../shared/errors.ts';
import type { RouteDefinition } from '../api/routes.ts';
import { toHttpError } from './http-error.ts';
import { idempotency } from './idempotency.ts';
import { logger } from './logger.ts';
import type { Caller } from '../store/partner-store.ts';
import { partnerStore } from './stores.ts';

/** Bodies above this are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 1024 * 1024;

type BodyOf<R> = R extends { request: { body: infer S extends z.ZodType } } ? z.output<S> : undefined;
type ParamsOf<R> = R extends { request: { params: infer S extends z.ZodType } } ? z.output<S> : Record<string, never>;
type QueryOf<R> = R extends { request: { query: infer S extends z.ZodType } } ? z.output<S> : Record<string, never>;
type CallerOf<R> = R extends { auth: 'public' } ? undefined : Caller;

export interface ApiRequest<R> {
  body: BodyOf<R>;
  params: ParamsOf<R>;
  query: QueryOf<R>;
  caller: CallerOf<R>;
  event: APIGatewayProxyEventV2;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  /** A body sent as is instead of `body` as JSON (e.g. CSV); say its content-type in `headers`. */
  text?: string;
  headers?: Record<string, string>;
}

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

const BASE_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Result {
  return { statusCode: status, headers: { ...BASE_HEADERS, ...headers }, body: body === undefined ? '' : JSON.stringify(body) };
}

/** Turns any thrown error into the `{"error": {...}}` envelope with its status. */
function errorEnvelope(): MiddlewareObj<Event, Result, Error, Context> {
  return {
    onError: (request) => {
      const requestId = request.event.requestContext?.requestId ?? request.context.awsRequestId;
      const httpError = toHttpError(request.error, requestId);
      if (!httpError.expose) logger.error('request failed', { requestId, error: request.error ?? undefined });
      request.response = jsonResponse(httpError.statusCode, httpError.toJSON(), httpError.headers);
    },
  };
}

/**
 * Wraps a route's business function into a Lambda handler for API Gateway
 * HTTP API (payload 2.0): authenticates and authorises by role, enforces the
 * body's size and media type, parses JSON, validates body and path with the
 * route's zod schemas, answers a retried write from its Idempotency-Key
 * record (functions/lib/idempotency.ts), and answers every error in one envelope.
 */
export function apiHandler<const R extends RouteDefinition>(route: R, fn: (request: ApiRequest<R>) => Promise<ApiResponse>) {
  const parsed = new WeakMap<Event, ApiRequest<R>>();
  return middy<Event, Result, Error, Context>()
    .use(errorEnvelope())
    .use(requestParser(route, parsed))
    .use(idempotency(route, (event) => (parsed.get(event)?.caller as Caller | undefined)?.partnerId))
    .handler(async (event) => {
      const request = parsed.get(event);
      if (!request) throw new Error('the request was not parsed');
      const response = await fn(request);
      if (response.text !== undefined) return { statusCode: response.status, headers: { ...BASE_HEADERS, ...response.headers }, body: response.text };
      return jsonResponse(response.status, response.body, response.headers);
    });
}

/** Authenticates, authorises and validates the request before anything else runs; the handler reads the result. */
function requestParser<R extends RouteDefinition>(route: R, parsed: WeakMap<Event, ApiRequest<R>>): MiddlewareObj<Event, Result, Error, Context> {
  return {
    before: async ({ event }) => {
      const caller = route.auth === 'public' ? undefined : await authenticate(event, route.auth);
      const params = parsePathParameters(event, route.request?.params);
      const query = parseQuery(event, route.request?.query);
      const body = route.request?.body ? parseJsonBody(event, route.request.body) : undefined;
      parsed.set(event, { body, params, query, caller, event } as ApiRequest<R>);
    },
  };
}

async function authenticate(event: Event, roles: readonly string[]): Promise<Caller> {
  const header = event.headers?.authorization ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new UnauthenticatedError('an API key is required: send "Authorization: Bearer <key>"');
  const apiKey = match[1];
  const caller = looksLikeApiKey(apiKey) ? await partnerStore().findCallerByKeyHash(hashApiKey(apiKey)) : undefined;
  if (!caller) throw new UnauthenticatedError('the API key is unknown or has been revoked');
  if (!roles.includes(caller.role)) {
    throw new ForbiddenError(`this needs a key with the role ${roles.join(' or ')}; yours has the role ${caller.role}`);
  }
  return caller;
}

function parsePathParameters(event: Event, schema: z.ZodObject | undefined): unknown {
  if (!schema) return {};
  const result = schema.safeParse(event.pathParameters ?? {});
  if (!result.success) {
    // A malformed id names nothing that exists.
    throw new NotFoundError(result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; '));
  }
  return result.data;
}

function parseQuery(event: Event, schema: z.ZodObject | undefined): unknown {
  if (!schema) return {};
  const result = schema.strict().safeParse(event.queryStringParameters ?? {});
  if (!result.success) {
    const details = issuesToDetails(result.error.issues);
    throw new ValidationError(`the query is invalid: ${details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ')}`, { details });
  }
  return result.data;
}

function parseJsonBody(event: Event, schema: z.ZodType): unknown {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`the body has ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES} (1 MiB)`);
  }
  const contentType = (event.headers?.['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (bytes.length === 0) throw new ValidationError('a JSON body is required', { code: 'body_required' });
  if (contentType !== 'application/json' && !contentType.endsWith('+json')) {
    throw new UnsupportedMediaTypeError(`send the body as JSON with "Content-Type: application/json" (got ${contentType ? `"${contentType}"` : 'none'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ValidationError(`the body is not valid JSON: ${(error as Error).message}`, { code: 'invalid_json', cause: error });
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const details = issuesToDetails(result.error.issues);
    throw new ValidationError(`the body is invalid: ${details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ')}`, { details });
  }
  return result.data;
}

export function issuesToDetails(issues: readonly z.core.$ZodIssue[]): ErrorDetail[] {
  return issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: describeIssue(issue) }));
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'invalid_type') return issue.message;
  const received = /received (\w+)/.exec(issue.message)?.[1];
  if (received === 'undefined') return 'is required';
  return `must be ${issue.expected}${received ? `, not ${received}` : ''}`;
}
