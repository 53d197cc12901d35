import type { z } from 'zod';
import { ROUTES } from '../functions/api/routes.ts';
import { CliError, EXIT, exitCodeOfStatus } from './errors.ts';

/**
 * The API as the CLI calls it: by route name, from the same route table that
 * generates the OpenAPI document and the deployed routes, so a path or a
 * method never drifts. Answers the body of a 2xx, typed by the route's
 * schema; any other answer becomes a CliError carrying the API's own
 * message and the exit code of its status.
 */

type CliRoute = (typeof ROUTES)[number];
export type RouteName = CliRoute['handler'];
type Route<H extends RouteName> = Extract<CliRoute, { handler: H }>;

type RequestPart<H extends RouteName, K extends string> = Route<H> extends { request: infer R } ? (R extends Record<K, infer S extends z.ZodType> ? z.input<S> : never) : never;
type Responses<H extends RouteName> = Route<H>['responses'][number];
/** The 2xx answers of a route; all its answers when their statuses are not literal types (a helper built them). */
type SuccessResponse<H extends RouteName> = [Extract<Responses<H>, { status: 200 | 201 }>] extends [never] ? Responses<H> : Extract<Responses<H>, { status: 200 | 201 }>;
type SchemaOf<R> = R extends { schema: infer S extends z.ZodType } ? S : never;

export type ResponseOf<H extends RouteName> = [SchemaOf<SuccessResponse<H>>] extends [never] ? unknown : z.output<SchemaOf<SuccessResponse<H>>>;

export interface CallInput<H extends RouteName> {
  params?: Record<string, string>;
  query?: Partial<Record<string, string>>;
  body?: RequestPart<H, 'body'>;
}

/** An API error answer, as `{"error": {code, message, details}}`. */
export class ApiError extends CliError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details: { path: string; message: string }[] = [],
  ) {
    super(message, exitCodeOfStatus(status));
    this.name = 'ApiError';
  }
}

interface Envelope {
  error?: { code?: string; message?: string; details?: { path: string; message: string }[] };
}

export function pathOf(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`the path ${template} needs ${name}`);
    return encodeURIComponent(value);
  });
}

export class AccordClient {
  constructor(
    readonly endpoint: string,
    private readonly key: string | undefined,
    /** Where the key came from, to say so when it is refused. */
    private readonly keySource = 'the key',
  ) {}

  /** Calls a route and answers its JSON body. */
  async call<H extends RouteName>(handler: H, input: CallInput<H> = {}): Promise<ResponseOf<H>> {
    const text = await this.callText(handler, input);
    try {
      return (text ? JSON.parse(text) : undefined) as ResponseOf<H>;
    } catch {
      throw new CliError(`the API answered ${handler} with something that is not JSON`, EXIT.failed);
    }
  }

  /** Calls a route and answers its body as text (a CSV export). */
  async callText<H extends RouteName>(handler: H, input: CallInput<H> = {}): Promise<string> {
    const route: CliRoute | undefined = ROUTES.find((candidate) => candidate.handler === handler);
    if (!route) throw new Error(`no route ${handler}`);
    if (route.auth !== 'public' && !this.key) {
      throw new CliError('no API key: run accord signup, add a profile (accord profile add NAME), pass --profile NAME, or set ACCORD_API_KEY', EXIT.auth);
    }
    const query = new URLSearchParams(Object.entries(input.query ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const url = `${this.endpoint}${pathOf(route.path, input.params)}${query.size ? `?${query.toString()}` : ''}`;
    const headers: Record<string, string> = {};
    if (route.auth !== 'public' && this.key) headers.authorization = `Bearer ${this.key}`;
    let body: string | undefined;
    if (route.method === 'POST' || route.method === 'PUT') {
      body = JSON.stringify(input.body ?? {});
      headers['content-type'] = 'application/json';
    }
    const response = await send(url, { method: route.method, headers, ...(body === undefined ? {} : { body }) }, this.endpoint);
    const text = await response.text();
    if (response.ok) return text;
    let error: Envelope['error'];
    try {
      error = (JSON.parse(text) as Envelope).error;
    } catch {
      error = undefined;
    }
    const message = error?.message ?? `HTTP ${response.status} ${response.statusText}`;
    const hint = response.status === 401 ? ` (${this.keySource})` : '';
    throw new ApiError(`${message}${hint}`, response.status, error?.code ?? `http_${response.status}`, error?.details ?? []);
  }
}

/** fetch, with a refused or failed connection said as such. */
export async function send(url: string, init: RequestInit, endpoint: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code === 'ECONNREFUSED' ? 'connection refused' : (cause?.message ?? (error as Error).message);
    throw new CliError(`cannot reach the Accord API at ${endpoint}: ${why} (is it running? set --endpoint or ACCORD_ENDPOINT)`, EXIT.unreachable, { cause: error });
  }
}
