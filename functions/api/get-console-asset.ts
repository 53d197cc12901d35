import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { serveConsoleFile } from '../lib/console-files.ts';

/**
 * GET /console/assets/{asset}: the console's script, stylesheet and icon.
 * Their names carry a hash of their content, so browsers keep them for a year.
 */
export const handler = (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
  serveConsoleFile(event, `assets/${event.pathParameters?.asset ?? ''}`, { cacheControl: 'public, max-age=31536000, immutable' });
