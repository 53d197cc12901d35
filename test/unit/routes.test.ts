import { describe, expect, it } from 'vitest';
import { pathMatches } from '../../functions/api/answer-not-found.ts';
import { openApiDocument } from '../../functions/api/openapi-document.ts';
import { ROUTES } from '../../functions/api/routes.ts';
import { matchRoute } from '../../local/api-server.ts';

describe('route matching', () => {
  it('matches path templates segment by segment', () => {
    expect(pathMatches('/v1/partners/me/keys/{keyId}', '/v1/partners/me/keys/key_1')).toBe(true);
    expect(pathMatches('/v1/partners/me/keys/{keyId}', '/v1/partners/me/keys/key_1/x')).toBe(false);
    expect(pathMatches('/v1/partners', '/v1/partners/')).toBe(true);
    expect(pathMatches('/v1/openapi.json', '/v1/openapiXjson')).toBe(false);
  });

  it('extracts path parameters and tells an unknown method apart', () => {
    expect(matchRoute('DELETE', '/v1/partners/me/keys/key_abc')).toMatchObject({ route: { handler: 'revoke-key' }, pathParameters: { keyId: 'key_abc' } });
    expect(matchRoute('PUT', '/v1/partners').route).toBeUndefined();
  });

  it('has one handler per route and unique method and path pairs', () => {
    expect(new Set(ROUTES.map((r) => r.handler)).size).toBe(ROUTES.length);
    expect(new Set(ROUTES.map((r) => `${r.method} ${r.path}`)).size).toBe(ROUTES.length);
  });
});

describe('OpenAPI document', () => {
  it('describes every route with its request schema and error envelope', () => {
    const document = openApiDocument();
    for (const route of ROUTES) {
      const operation = document.paths?.[route.path]?.[route.method.toLowerCase() as 'get'];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
    }
    const signUp = document.paths?.['/v1/partners']?.post;
    expect(JSON.stringify(signUp?.requestBody)).toContain('SignUpRequest');
    expect(JSON.stringify(document.components?.schemas?.SignUpRequest)).toContain('contactEmail');
    expect(JSON.stringify(signUp?.responses?.['400'])).toContain('Error');
    expect(document.paths?.['/v1/partners/me/keys']?.post?.security).toEqual([{ apiKey: [] }]);
  });
});
