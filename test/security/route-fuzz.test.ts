import { GetCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROUTES, type HttpMethod, type RouteDefinition } from '../../functions/api/routes.ts';
import { keys } from '../../functions/store/table-keys.ts';
import { registrableDomain } from '../../shared/domains.ts';
import { useTestApi } from '../support/api-client.ts';
import { documentClient, tableName } from '../reliability/support.ts';
import { buildWorld, fillPath, PARTIES, pathParameterNames, ROLES, SAMPLE_BODIES, type World, worldState } from './world.ts';

/**
 * A bounded, seeded fuzz of every route of ROUTES (routes added later are
 * fuzzed too): random and malformed bodies, content types, Authorization
 * headers, path parameters, query strings, Idempotency-Keys and methods.
 * Whatever comes in: never a 5xx, always the error envelope for an error,
 * never a stack trace or a path of the code in an answer, and a refused
 * request leaves the stored state of the tenants it names as it was.
 *
 *   FUZZ_SEED=7 FUZZ_PER_ROUTE=100 npx vitest run test/security/route-fuzz.test.ts
 */

process.env.ACCORD_WEBHOOK_ALLOW_LOOPBACK_HTTP = 'true';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_123);
const PER_ROUTE = Number(process.env.FUZZ_PER_ROUTE ?? (process.env.CI ? 20 : 30));
/** The fuzz stops starting new rounds after this, having done at least MIN_ROUNDS over every route. */
const TIME_BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 45_000);
const MIN_ROUNDS = 6;

const api = useTestApi();
const routes = ROUTES as readonly RouteDefinition[];

/** What an answer must never show: a stack frame, a source file, a path of the machine, an error's class name. */
const INTERNALS = /\bat\s+[\w.<>$]+\s+\(|\bat\s+(?:file:\/\/|\/[^\s"]+:\d+)|node_modules|\.ts:\d+|\.js:\d+|file:\/\/|\/(?:functions|shared|local|workflows|work|tmp|home|root|var)\/|\b(?:TypeError|ReferenceError|SyntaxError|RangeError)\b|ConditionalCheckFailed|TransactionCanceled|ValidationException/;

type Auth = { kind: 'none' } | { kind: 'raw'; value: string } | { kind: 'unknown' } | { kind: 'key'; who: (typeof PARTIES)[number]; role: (typeof ROLES)[number] };
type BodyChoice =
  | { kind: 'none' }
  | { kind: 'sample' }
  | { kind: 'sample-with'; key: string; value: unknown }
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; value: string }
  | { kind: 'oversize' };

interface Spec {
  method: 'route' | HttpMethod | 'HEAD' | 'OPTIONS';
  auth: Auth;
  path: { kind: 'filled' } | { kind: 'junk-param'; index: number; value: string } | { kind: 'suffix'; value: string };
  query: string;
  contentType: string | undefined;
  body: BodyChoice;
  idempotencyKey: string | undefined;
}

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 60 });
const junkText = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), printable, fc.constantFrom('..', '../../etc/passwd', '%00', ' ', 'agr_', 'ptn_x', 'null', 'x'.repeat(3000)));

const specArb: fc.Arbitrary<Spec> = fc.record({
  method: fc.oneof({ weight: 9, arbitrary: fc.constant('route' as const) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') }),
  auth: fc.oneof(
    fc.constant<Auth>({ kind: 'none' }),
    printable.map((value): Auth => ({ kind: 'raw', value })),
    fc.constantFrom<Auth>({ kind: 'raw', value: 'Bearer' }, { kind: 'raw', value: 'Basic YWRtaW46YWRtaW4=' }, { kind: 'raw', value: 'Bearer acc_' }, { kind: 'unknown' }),
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('key' as const), who: fc.constantFrom(...PARTIES), role: fc.constantFrom(...ROLES) }) },
  ),
  path: fc.oneof(
    { weight: 5, arbitrary: fc.constant({ kind: 'filled' as const }) },
    fc.record({ kind: fc.constant('junk-param' as const), index: fc.nat(3), value: junkText }),
    fc.record({ kind: fc.constant('suffix' as const), value: fc.constantFrom('/', '//', '/x', '/..', '/%2e%2e/%2e%2e', '?', '#x', '/v1') }),
  ),
  query: fc.oneof({ weight: 3, arbitrary: fc.constant('') }, fc.dictionary(printable, printable, { maxKeys: 3 }).map((entries) => new URLSearchParams(entries).toString())),
  contentType: fc.oneof(
    { weight: 4, arbitrary: fc.constant('application/json') },
    fc.constantFrom(undefined, 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/merge-patch+json', 'multipart/form-data; boundary=x', 'application/json;;;', 'APPLICATION/JSON'),
  ),
  body: fc.oneof(
    fc.constant<BodyChoice>({ kind: 'none' }),
    { weight: 2, arbitrary: fc.constant<BodyChoice>({ kind: 'sample' }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('sample-with' as const), key: fc.oneof(printable, fc.constantFrom('__proto__', 'constructor', 'terms', 'role', 'url', 'termsHash', 'basedOnVersion', 'counterpartyId', 'inviteEmail', 'domain', 'name')), value: fc.jsonValue({ maxDepth: 3 }) }) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value): BodyChoice => ({ kind: 'json', value })) },
    fc.constantFrom<BodyChoice>(
      { kind: 'text', value: '{' },
      { kind: 'text', value: '{"a":' },
      { kind: 'text', value: '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}' },
      { kind: 'text', value: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]' },
      { kind: 'text', value: `${'['.repeat(20_000)}${']'.repeat(20_000)}` },
      { kind: 'text', value: '\u0000\u0001\u0002' },
      { kind: 'text', value: '{"a": 1e999999}' },
      { kind: 'text', value: '\ufeff{}' },
      { kind: 'oversize' },
    ),
    junkText.map((value): BodyChoice => ({ kind: 'text', value })),
  ),
  idempotencyKey: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, fc.uuid(), printable),
});

function authHeader(auth: Auth, world: World): string | undefined {
  switch (auth.kind) {
    case 'none':
      return undefined;
    case 'raw':
      return auth.value;
    case 'unknown':
      return `Bearer acc_${'0'.repeat(40)}`;
    case 'key':
      return `Bearer ${world[auth.who].keys[auth.role]}`;
  }
}

function pathOf(route: RouteDefinition, spec: Spec, world: World): string {
  const filled = fillPath(route, world);
  if (spec.path.kind === 'suffix') return filled + spec.path.value;
  if (spec.path.kind === 'junk-param') {
    const names = pathParameterNames(route);
    if (names.length === 0) return `${filled}/${encodeURIComponent(spec.path.value)}`;
    const name = names[spec.path.index % names.length] ?? '';
    const templated = route.path.replace(`{${name}}`, encodeURIComponent(spec.path.value) || '%20');
    return fillPath({ ...route, path: templated }, world);
  }
  return filled;
}

function bodyOf(route: RouteDefinition, spec: Spec, world: World, who: (typeof PARTIES)[number]): string | Buffer | undefined {
  const sample = () => (SAMPLE_BODIES[route.handler]?.(world, who) ?? {}) as Record<string, unknown>;
  switch (spec.body.kind) {
    case 'none':
      return undefined;
    case 'sample':
      return JSON.stringify(sample());
    case 'sample-with':
      return JSON.stringify({ ...sample(), [spec.body.key]: spec.body.value });
    case 'json':
      return JSON.stringify(spec.body.value);
    case 'text':
      return spec.body.value;
    case 'oversize':
      return JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) });
  }
}

/** Domains claimed in the table, for the sign-up bodies among the refused requests. */
async function domainClaimed(domain: unknown): Promise<boolean> {
  if (typeof domain !== 'string') return false;
  const registrable = registrableDomain(domain);
  if (!registrable) return false;
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName(), Key: keys.domainClaim(registrable), ConsistentRead: true }));
  return Item !== undefined;
}

describe('route fuzz', () => {
  it('answers every route, whatever it is sent, without a 5xx or an internal detail, and changes nothing when it refuses', async () => {
    const world = await buildWorld(api);
    const specs = new Map(routes.map((route, index) => [route, fc.sample(specArb, { seed: SEED + index, numRuns: PER_ROUTE })]));
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const started = Date.now();
    let sent = 0;
    let rounds = 0;
    let before = await worldState(world);

    for (let round = 0; round < PER_ROUTE; round++) {
      if (round >= MIN_ROUNDS && Date.now() - started > TIME_BUDGET_MS) break;
      for (const route of routes) {
        const spec = specs.get(route)?.[round];
        if (!spec) continue;
        const who = spec.auth.kind === 'key' ? spec.auth.who : 'c';
        const method = spec.method === 'route' ? route.method : spec.method;
        const path = pathOf(route, spec, world) + (spec.query ? `?${spec.query}` : '');
        const headers: Record<string, string> = {};
        const authorization = authHeader(spec.auth, world);
        if (authorization !== undefined) headers.authorization = authorization;
        if (spec.contentType !== undefined) headers['content-type'] = spec.contentType;
        if (spec.idempotencyKey !== undefined) headers['idempotency-key'] = spec.idempotencyKey;
        const body = method === 'GET' || method === 'HEAD' ? undefined : bodyOf(route, spec, world, who);
        const label = `#${round} ${method} ${path.slice(0, 120)} (${route.handler}, auth ${spec.auth.kind}, body ${spec.body.kind})`;

        let status: number;
        let text: string;
        let headerText: string;
        try {
          const response = await api.call(method, path, { headers, ...(body === undefined ? {} : { rawBody: body }) });
          ({ status, text } = response);
          headerText = JSON.stringify(Object.fromEntries(response.headers));
        } catch (error) {
          // fetch refuses some requests before sending them (a header it cannot encode): nothing reached the API.
          if (error instanceof TypeError) continue;
          throw error;
        }
        sent += 1;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);

        if (status >= 500) failures.push(`${label}: ${status} ${text.slice(0, 200)}`);
        if (status >= 400 && method !== 'HEAD') {
          const envelope = safeJson(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined;
          if (typeof envelope?.error?.code !== 'string' || typeof envelope.error.message !== 'string' || !Array.isArray(envelope.error.details)) {
            failures.push(`${label}: ${status} without the error envelope: ${text.slice(0, 200)}`);
          }
        }
        const internal = INTERNALS.exec(text) ?? INTERNALS.exec(headerText);
        if (internal) failures.push(`${label}: ${status} shows "${internal[0]}": ${text.slice(Math.max(0, internal.index - 80), internal.index + 80)}`);

        if (!(method === 'GET' && status < 400)) {
          const after = await worldState(world);
          if (status >= 400 && after !== before) failures.push(`${label}: refused with ${status} but the stored state changed`);
          before = after;
        }
        if (status >= 400 && route.handler === 'sign-up-partner' && typeof body === 'string') {
          const domain = (safeJson(body) as { domain?: unknown } | undefined)?.domain;
          if (await domainClaimed(domain)) failures.push(`${label}: refused with ${status} but its domain was claimed`);
        }
      }
      rounds += 1;
    }

    if (process.env.FUZZ_REPORT) {
      console.log(`route fuzz: seed ${SEED}, ${rounds} rounds, ${sent} requests in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    }
    expect(failures).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Bounded, and not vacuous: every route got its rounds, and the fuzz reached both refusals and successes.
    expect(rounds).toBeGreaterThanOrEqual(MIN_ROUNDS);
    expect(sent).toBeGreaterThanOrEqual(routes.length * MIN_ROUNDS * 0.9);
    const count = (predicate: (status: number) => boolean) => [...statuses].filter(([status]) => predicate(status)).reduce((sum, [, n]) => sum + n, 0);
    expect(count((status) => status < 300)).toBeGreaterThan(0);
    expect(count((status) => status === 400)).toBeGreaterThan(0);
    expect(count((status) => status === 401)).toBeGreaterThan(0);
  }, 240_000);
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
