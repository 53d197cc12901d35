import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ConsoleFiles } from '../../console/build.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { toHttpError } from './http-error.ts';
import { logger } from './logger.ts';

/**
 * The web console's files (console/build.ts) as the API serves them. On AWS
 * they sit in the function's asset, in `console/` beside the handler's bundle
 * (infra/constructs/api.ts builds them there); the embedded API server hands
 * a loader that builds them in memory instead (local/api-server.ts).
 */

const BESIDE_THE_BUNDLE = fileURLToPath(new URL('./console/', import.meta.url));

async function readConsoleDirectory(dir: string): Promise<ConsoleFiles> {
  const files = new Map<string, Uint8Array>();
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch (error) {
    throw new Error(`the console's files are not in ${dir}: build them with npm run build:console`, { cause: error });
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    if (extname(path)) files.set(relative(dir, path).split('\\').join('/'), new Uint8Array(await readFile(path)));
  }
  return files;
}

let loader: () => Promise<ConsoleFiles> = () => readConsoleDirectory(BESIDE_THE_BUNDLE);
let prepared: Promise<Map<string, PreparedFile>> | undefined;

/** Serve the console from what `load` answers (once) instead of the files beside the function. */
export function serveConsoleFilesFrom(load: () => Promise<ConsoleFiles>): void {
  loader = load;
  prepared = undefined;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface PreparedFile {
  body: Buffer;
  gzipped: Buffer;
  contentType: string;
  etag: string;
}

function prepare(files: ConsoleFiles): Map<string, PreparedFile> {
  const out = new Map<string, PreparedFile>();
  for (const [path, contents] of files) {
    const body = Buffer.from(contents);
    out.set(path, {
      body,
      gzipped: gzipSync(body, { level: 9 }),
      contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    });
  }
  return out;
}

function consoleFiles(): Promise<Map<string, PreparedFile>> {
  prepared ??= loader().then(prepare, (error: unknown) => {
    prepared = undefined;
    throw error;
  });
  return prepared;
}

/** Headers every console response carries. */
const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * The console page's policy: scripts, styles, images and API calls from this
 * origin only; no inline code, no eval, no plug-ins, no framing, no forms
 * posted anywhere (the console calls the API with fetch).
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface ConsoleFileOptions {
  cacheControl: string;
  headers?: Record<string, string>;
}

/** Answers one of the console's files: gzipped when the client accepts it, 304 when its ETag still matches. */
export async function serveConsoleFile(event: APIGatewayProxyEventV2, path: string, options: ConsoleFileOptions): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    const file = (await consoleFiles()).get(path);
    if (!file) throw new NotFoundError(`the console has no file ${path}`);
    const headers: Record<string, string> = {
      ...COMMON_HEADERS,
      ...options.headers,
      'content-type': file.contentType,
      'cache-control': options.cacheControl,
      etag: file.etag,
      vary: 'accept-encoding',
    };
    if ((event.headers?.['if-none-match'] ?? '').split(/\s*,\s*/).includes(file.etag)) return { statusCode: 304, headers, body: '' };
    if (/\bgzip\b/.test(event.headers?.['accept-encoding'] ?? '')) {
      return { statusCode: 200, headers: { ...headers, 'content-encoding': 'gzip' }, body: file.gzipped.toString('base64'), isBase64Encoded: true };
    }
    return { statusCode: 200, headers, body: file.body.toString('base64'), isBase64Encoded: true };
  } catch (error) {
    const requestId = event.requestContext?.requestId ?? 'unknown';
    const httpError = toHttpError(error, requestId);
    if (!httpError.expose) logger.error('console file failed', { requestId, path, error });
    return {
      statusCode: httpError.statusCode,
      headers: { ...COMMON_HEADERS, ...httpError.headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      body: JSON.stringify(httpError.toJSON()),
    };
  }
}
