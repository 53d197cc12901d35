import { z } from 'zod';
import type { RouteDefinition } from './routes.ts';

/**
 * The web console's routes (console/): its page and its hashed assets, public
 * and static. Their functions carry the console's files in their asset.
 */
export const CONSOLE_ROUTES = [
  {
    handler: 'get-console',
    method: 'GET',
    path: '/console',
    summary: 'The web console for legal and ops (an HTML page; it signs in with an API key)',
    auth: 'public',
    servesConsole: true,
    responses: [
      { status: 200, description: 'the console’s page (text/html)' },
      { status: 304, description: 'not modified since the ETag sent in If-None-Match' },
    ],
  },
  {
    handler: 'get-console-asset',
    method: 'GET',
    path: '/console/assets/{asset}',
    summary: 'A script, stylesheet or icon of the console, named by a hash of its content',
    auth: 'public',
    servesConsole: true,
    request: { params: z.object({ asset: z.string().regex(/^[a-z]+-[0-9a-f]{12}\.(js|css|svg)$/).describe('e.g. app-0123456789ab.js') }) },
    responses: [
      { status: 200, description: 'the file (text/javascript, text/css or image/svg+xml)' },
      { status: 304, description: 'not modified since the ETag sent in If-None-Match' },
      { status: 404, description: 'no such file in this deployment of the console' },
    ],
  },
] as const satisfies readonly RouteDefinition[];
