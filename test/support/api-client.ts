import { afterAll, beforeAll, expect } from 'vitest';
import type { Role } from '../../shared/partner.ts';
import { startApiServer, type ApiServer } from '../../local/api-server.ts';

export interface CallOptions {
  key?: string;
  body?: unknown;
  /** Sent as is, instead of `body` as JSON. */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

export interface CallResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A tiny HTTP client for the API under test: the requests a user would send with curl. */
export class ApiClient {
  /** A base URL, or how to find it once the server has started. */
  constructor(private readonly base: string | (() => string)) {}

  get baseUrl(): string {
    return typeof this.base === 'string' ? this.base : this.base();
  }

  async call<T = Record<string, unknown>>(method: string, path: string, options: CallOptions = {}): Promise<CallResult<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    let body: string | Buffer | undefined = options.rawBody;
    if (body === undefined && options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(this.baseUrl + path, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }
}

/**
 * The API of a test file: started in this worker on a free port before its
 * tests and closed after them; the embedded services come from the global setup.
 */
export function useTestApi(): ApiClient {
  let server: ApiServer | undefined;
  beforeAll(async () => {
    server = await startApiServer({ port: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });
  return new ApiClient(() => {
    if (!server) throw new Error('the test API is not started yet: call it from a test or a hook');
    return server.url;
  });
}

/** Starts the API in this test worker on a free port; the embedded services come from the global setup. */
export async function startTestApi(): Promise<{ server: ApiServer; api: ApiClient }> {
  const server = await startApiServer({ port: 0 });
  return { server, api: new ApiClient(server.url) };
}

let counter = 0;

/** A sign-up body with a domain no other test uses. */
export function uniqueSignUp(name = 'Acme') {
  counter += 1;
  const domain = `${name.toLowerCase().replace(/[^a-z0-9]/g, '')}-${process.pid}-${Date.now().toString(36)}-${counter}.com`;
  return { name, domain, contactEmail: `partners@${domain}` };
}

/** A partner signed up through the API, with one key of each role. */
export interface SignedUpPartner {
  id: string;
  name: string;
  keys: Record<Role, string>;
  /** The id of each key, by role. */
  keyIds: Record<Role, string>;
}

/** Signs a company up and gives it one key of each role. */
export async function signUpWithKeys(api: ApiClient, name: string): Promise<SignedUpPartner> {
  const signUp = await api.call<{ partner: { id: string }; key: { id: string }; apiKey: string }>('POST', '/v1/partners', { body: uniqueSignUp(name) });
  expect(signUp.status).toBe(201);
  const keys: Partial<Record<Role, string>> = { admin: signUp.body.apiKey };
  const keyIds: Partial<Record<Role, string>> = { admin: signUp.body.key.id };
  for (const role of ['approver', 'contributor', 'viewer'] as const) {
    const created = await api.call<{ key: { id: string }; apiKey: string }>('POST', '/v1/partners/me/keys', { key: signUp.body.apiKey, body: { role, label: role } });
    expect(created.status).toBe(201);
    keys[role] = created.body.apiKey;
    keyIds[role] = created.body.key.id;
  }
  return { id: signUp.body.partner.id, name, keys: keys as Record<Role, string>, keyIds: keyIds as Record<Role, string> };
}

/** The probe's first defined answer, asked every 100 ms; fails after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
