import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CONSOLE_CONTENT_SECURITY_POLICY, serveConsoleFile } from '../lib/console-files.ts';

/**
 * GET /console: the web console's page. Public (it holds no data; the
 * console signs in with an API key and calls the API like any client),
 * revalidated on every load so a new deployment shows at once, and locked
 * down by a strict Content-Security-Policy.
 */
export const handler = (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
  serveConsoleFile(event, 'index.html', {
    cacheControl: 'no-cache',
    headers: {
      'content-security-policy': CONSOLE_CONTENT_SECURITY_POLICY,
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    },
  });
