import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { ErrorSchema, ROUTES, type RouteDefinition } from './routes.ts';

const ERROR_RESPONSES: Record<number, string> = {
  400: 'the request is malformed or invalid; details name each problem',
  401: 'no API key, or an unknown or revoked one',
  403: 'the key’s role does not allow this',
  404: 'unknown, or not visible to this partner',
  409: 'conflicts with the stored state',
  413: 'the body is over 1 MiB',
  415: 'the body is not JSON',
  422: 'the Idempotency-Key was used for another request',
};

/** Every write takes an optional Idempotency-Key (functions/lib/idempotency.ts). */
const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(16)
    .max(255)
    .optional()
    .describe(
      'makes a retry safe: a repeat with the same key within 24 hours gets the first 2xx answer again (header Idempotent-Replayed: true) and changes nothing; the same key with another request answers 422, and while the first is still running 409',
    ),
});

const isWrite = (route: RouteDefinition) => route.method !== 'GET';

function errorStatuses(route: RouteDefinition): number[] {
  const statuses = route.auth === 'public' ? [] : [401, 403];
  if (route.request?.body) statuses.push(400, 413, 415);
  else if (route.request?.query) statuses.push(400);
  if (route.request?.params) statuses.push(404);
  if (isWrite(route)) statuses.push(400, 409, 422);
  return statuses;
}

/** A status as the key type zod-openapi expects (`'200'`, `'404'`). */
const statusKey = (status: number) => String(status) as `${1 | 2 | 3 | 4 | 5}${string}`;

function operation(route: RouteDefinition): ZodOpenApiOperationObject {
  const responses: ZodOpenApiOperationObject['responses'] = {};
  for (const response of route.responses) {
    responses[statusKey(response.status)] = {
      description: response.description,
      ...(response.schema ? { content: { 'application/json': { schema: response.schema } } } : {}),
    };
  }
  for (const status of errorStatuses(route)) {
    responses[statusKey(status)] ??= { description: ERROR_RESPONSES[status] ?? 'error', content: { 'application/json': { schema: ErrorSchema } } };
  }
  for (const response of route.responses) {
    if (response.status >= 400 && !response.schema) {
      responses[statusKey(response.status)] = { description: response.description, content: { 'application/json': { schema: ErrorSchema } } };
    }
  }
  return {
    operationId: route.handler.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase()),
    summary: route.summary,
    security: route.auth === 'public' ? [] : [{ apiKey: [] }],
    ...(route.auth === 'public' ? {} : { description: `Roles allowed: ${route.auth.join(', ')}.` }),
    ...(route.request?.params || route.request?.query || isWrite(route)
      ? {
          requestParams: {
            ...(route.request?.params ? { path: route.request.params } : {}),
            ...(route.request?.query ? { query: route.request.query } : {}),
            ...(isWrite(route) ? { header: IdempotencyHeaders } : {}),
          },
        }
      : {}),
    ...(route.request?.body ? { requestBody: { required: true, content: { 'application/json': { schema: route.request.body } } } } : {}),
    responses,
  };
}

let document: ReturnType<typeof createDocument> | undefined;

/** The OpenAPI 3.1 document of every route, generated from the route table and its zod schemas. */
export function openApiDocument(): ReturnType<typeof createDocument> {
  if (document) return document;
  const paths: ZodOpenApiPathsObject = {};
  for (const route of ROUTES as readonly RouteDefinition[]) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase() as Lowercase<RouteDefinition['method']>] = operation(route);
  }
  document = createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Accord API',
      version: '1',
      description: 'Governed account-mapping agreements between business partners. Errors answer {"error": {"code", "message", "details"}}.',
    },
    paths,
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'an Accord API key (acc_...)' } } },
  });
  return document;
}
