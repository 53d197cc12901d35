import { apiHandler } from '../lib/api-handler.ts';
import { openApiDocument } from './openapi-document.ts';
import { routeByHandler } from './routes.ts';

export const handler = apiHandler(routeByHandler('get-openapi'), () => Promise.resolve({ status: 200, body: openApiDocument() }));
