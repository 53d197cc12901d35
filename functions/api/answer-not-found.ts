import { MethodNotAllowedError, NotFoundError } from '../../shared/errors.ts';
import { apiHandler } from '../lib/api-handler.ts';
import { ROUTES } from './routes.ts';

/** Matches a request path against an API Gateway path template such as `/v1/partners/me/keys/{keyId}`. */
export function pathMatches(template: string, path: string): boolean {
  const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+');
  return new RegExp(`^${pattern}/?$`).test(path);
}

/**
 * The `$default` route: whatever no route matched. Answers 405 with `Allow`
 * when the path exists under another method, 404 otherwise, in the error envelope.
 */
export const handler = apiHandler({ handler: 'answer-not-found', method: 'GET', path: '$default', summary: '', auth: 'public', responses: [] }, ({ event }) => {
  const path = event.rawPath;
  const allowed = ROUTES.filter((route) => pathMatches(route.path, path)).map((route) => route.method);
  if (allowed.length > 0) {
    throw new MethodNotAllowedError(`${event.requestContext.http.method} is not allowed on ${path}; use ${allowed.join(' or ')}`, allowed);
  }
  throw new NotFoundError(`no route ${path}; the API is described at /v1/openapi.json`);
});
