import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { pathMatches } from '../functions/api/answer-not-found.ts';
import { NOT_FOUND_HANDLER, ROUTES, type RouteDefinition } from '../functions/api/routes.ts';
import { serveConsoleFilesFrom } from '../functions/lib/console-files.ts';
import { lambdaContext } from './lambda-context.ts';

/**
 * The embedded stand-in for API Gateway HTTP API: it matches a request to a
 * route of the same route table the CDK stack deploys, builds the payload 2.0
 * event API Gateway would send, and calls the same handler module in-process.
 */

/** API Gateway HTTP API refuses payloads over 10 MB before any function runs; so does this. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

// The web console's files: built in memory (esbuild) on the first request for
// /console, where on AWS the stack builds them into the function's asset.
serveConsoleFilesFrom(async () => (await import('../console/build.ts')).buildConsole());

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const loaded = new Map<string, Promise<Handler>>();

function loadHandler(name: string): Promise<Handler> {
  let handler = loaded.get(name);
  if (!handler) {
    handler = import(`../functions/api/${name}.ts`).then((module: { handler: Handler }) => module.handler);
    loaded.set(name, handler);
  }
  return handler;
}

interface Match {
  route: RouteDefinition | undefined;
  pathParameters: Record<string, string> | undefined;
}

export function matchRoute(method: string, path: string): Match {
  for (const route of ROUTES as readonly RouteDefinition[]) {
    if (route.method !== method || !pathMatches(route.path, path)) continue;
    const names = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '');
    if (names.length === 0) return { route, pathParameters: undefined };
    const values = path.replace(/\/$/, '').split('/');
    const templateParts = route.path.split('/');
    const pathParameters: Record<string, string> = {};
    templateParts.forEach((part, index) => {
      const name = /^\{([^}]+)\}$/.exec(part)?.[1];
      if (name) pathParameters[name] = decodeURIComponent(values[index] ?? '');
    });
    return { route, pathParameters };
  }
  return { route: undefined, pathParameters: undefined };
}

function isTextual(contentType: string): boolean {
  return contentType === '' || /^(text\/|application\/(json|[\w.+-]*\+json|xml|x-www-form-urlencoded|javascript))/i.test(contentType);
}

export function toGatewayEvent(request: IncomingMessage, body: Buffer, match: Match): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const method = request.method ?? 'GET';
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && name !== 'cookie') headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const routeKey = match.route ? `${match.route.method} ${match.route.path}` : '$default';
  const now = new Date();
  const contentType = (headers['content-type'] ?? '').toLowerCase();
  const base64 = body.length > 0 && !isTextual(contentType);
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(request.headers.cookie ? { cookies: request.headers.cookie.split(/;\s*/) } : {}),
    headers,
    ...(url.search ? { queryStringParameters: query } : {}),
    ...(match.pathParameters ? { pathParameters: match.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: body.toString(base64 ? 'base64' : 'utf8') } : {}),
    isBase64Encoded: base64,
  };
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolve('too-large');
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body = result.body === undefined ? '' : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  response.writeHead(result.statusCode ?? 200, headers);
  response.end(body);
}

function sendGatewayError(response: ServerResponse, status: number, code: string, message: string): void {
  send(response, {
    statusCode: status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ error: { code, message, details: [] } }),
  });
}

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ApiServerOptions {
  port: number;
  host?: string;
  /** Called once per request with a short access-log line. */
  log?: (line: string) => void;
}

async function handle(request: IncomingMessage, response: ServerResponse, log: ((line: string) => void) | undefined): Promise<void> {
  const started = performance.now();
  const url = new URL(request.url ?? '/', 'http://localhost');
  const body = await readBody(request, GATEWAY_MAX_BODY_BYTES);
  if (body === 'too-large') {
    sendGatewayError(response, 413, 'payload_too_large', `the body is over the gateway's limit of ${GATEWAY_MAX_BODY_BYTES} bytes`);
    return;
  }
  const match = matchRoute(request.method ?? 'GET', url.pathname);
  const handlerName = match.route?.handler ?? NOT_FOUND_HANDLER;
  try {
    const handler = await loadHandler(handlerName);
    const result = await handler(toGatewayEvent(request, body, match), lambdaContext(`accord-${handlerName}`));
    send(response, result);
  } catch {
    // A handler answers its own errors; reaching here is what API Gateway shows as a failed integration.
    sendGatewayError(response, 500, 'internal_error', 'the function failed');
  }
  log?.(`${request.method} ${url.pathname} ${response.statusCode} ${(performance.now() - started).toFixed(1)}ms`);
}

export function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((request, response) => {
    void handle(request, response, options.log);
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
