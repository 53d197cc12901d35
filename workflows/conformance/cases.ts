/**
 * The AWS-recorded conformance cases (../shared/conformance/asl-aws beside
 * the checkout): loading them, playing their Lambda functions, running them
 * through runAsl and comparing with what AWS recorded.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Json, isObject } from '../engine/json.ts';
import { functionNameOf } from '../engine/lambda.ts';
import { type RunAslResult, runAsl } from '../runner.ts';

export interface RecordedResult {
  result: string;
  output?: Json;
  error?: string;
  cause?: Json;
}

export interface ConformanceCase {
  name: string;
  definition: Json;
  input: Json;
  expected: { status: string; output?: Json; error?: string; cause?: Json };
  features: string[];
  query_language: string;
  lambdas?: Record<string, { handler?: string; behaviour: string }>;
  lambda_invocations?: {
    integration: string;
    state?: string;
    resource?: string;
    parameters?: Json;
    payload?: Json;
    recorded_result: RecordedResult | null;
  }[];
  notes?: string[];
}

const here = dirname(fileURLToPath(import.meta.url));

/** The cases folder beside the checkout, or undefined when this clone has none. */
export function conformanceDir(): string | undefined {
  const dir = resolve(here, '..', '..', '..', 'shared', 'conformance', 'asl-aws');
  return existsSync(dir) ? dir : undefined;
}

export function loadCases(dir: string, filter?: string): ConformanceCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as Omit<ConformanceCase, 'name'>), name: f.replace(/\.json$/, '') }))
    .filter((c) => !filter || c.name.includes(filter));
}

/** The case's family: the part of its name before the first `__`. */
export function familyOf(c: ConformanceCase): string {
  return c.name.split('__')[0] ?? c.name;
}

// ------------------------------------------------------------ playing Lambdas

/** json.dumps as Python writes it (", " and ": " separators, ASCII only): the recorded functions are Python. */
export function pythonDumps(value: Json, integralAsFloat = false): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isInteger(value) && integralAsFloat ? `${value}.0` : String(value);
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Array.isArray(value)) return `[${value.map((v) => pythonDumps(v, integralAsFloat)).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${pythonDumps(k)}: ${pythonDumps(v, integralAsFloat)}`)
    .join(', ')}}`;
}

type RawResponse = { payload: string; functionError?: string } | { hang: true };

function pythonError(requestIndex: number, type: string, message: string): string {
  return pythonDumps({
    errorMessage: message,
    errorType: type,
    requestId: `<uuid:${requestIndex}>`,
    stackTrace: [`  File "/var/task/handler.py", line 2, in handler\n    raise ${type}("${message}")\n`],
  });
}

const LARGE = `"${'a'.repeat(263168)}"`;

/** What the described handler does when no recorded result is left to replay. */
function behaviourResponse(handler: string | undefined, event: Json, requestIndex: number): RawResponse {
  switch (handler) {
    case 'LAMBDA_FUNC_RAISE_EXCEPTION':
      return { payload: pythonError(requestIndex, 'Exception', 'Some exception was raised.'), functionError: 'Unhandled' };
    case 'LAMBDA_FUNC_RAISE_CUSTOM_EXCEPTION':
      return { payload: pythonError(requestIndex, 'CustomException', 'Some custom exception was raised.'), functionError: 'Unhandled' };
    case 'ECHO_FUNCTION':
      return { payload: pythonDumps({ Return: 'HelloWorld' }) };
    case 'LAMBDA_RETURN_BYTES_STR':
      return { payload: '"HelloWorld!"' };
    case 'LAMBDA_FUNC_LARGE_OUTPUT_STRING':
      return { payload: LARGE };
    case 'LAMBDA_WAIT_60_SECONDS':
      return { hang: true };
    default:
      return { payload: pythonDumps(event) };
  }
}

const ENVELOPE_KEYS = ['ExecutedVersion', 'Payload', 'StatusCode'];

/** Turns a recorded task outcome back into the raw Invoke response that produced it. */
function recordedResponse(integration: string, r: RecordedResult, event: Json, handler: string | undefined, requestIndex: number): RawResponse {
  if (r.result === 'succeeded') {
    const out = r.output ?? null;
    if (integration !== 'legacy-lambda-resource' && isObject(out) && ENVELOPE_KEYS.every((k) => Object.hasOwn(out, k))) {
      // Parsing the case loses Python's int/float distinction (0 vs 0.0); the recorded Content-Length keeps it.
      const text = pythonDumps(out.Payload as Json);
      const meta = out.SdkHttpMetadata;
      const headers = isObject(meta) && isObject(meta.HttpHeaders) ? meta.HttpHeaders : {};
      const recordedLength = Number(headers['Content-Length']);
      const asFloat = pythonDumps(out.Payload as Json, true);
      return { payload: Buffer.byteLength(text) !== recordedLength && Buffer.byteLength(asFloat) === recordedLength ? asFloat : text };
    }
    return { payload: pythonDumps(out) };
  }
  if (r.result === 'TaskTimedOut') return { hang: true };
  if (r.error === 'States.DataLimitExceeded') return { payload: LARGE };
  if (r.error && r.cause !== undefined && r.cause !== null) {
    return { payload: typeof r.cause === 'string' ? r.cause : pythonDumps(r.cause), functionError: 'Unhandled' };
  }
  return behaviourResponse(handler, event, requestIndex);
}

/**
 * Writes one module per Lambda of the case into `dir`; each exports `invoke`
 * (the raw Invoke response) and replays that function's recorded results in
 * order, then behaves as described.
 */
export function writeHandlerModules(c: ConformanceCase, dir: string): Record<string, string> {
  const perFunction = new Map<string, { integration: string; result: RecordedResult | null }[]>();
  for (const inv of c.lambda_invocations ?? []) {
    const params = inv.parameters;
    const fn =
      inv.integration === 'legacy-lambda-resource'
        ? functionNameOf(inv.resource ?? '')
        : functionNameOf(isObject(params) && typeof params.FunctionName === 'string' ? params.FunctionName : '');
    const list = perFunction.get(fn) ?? [];
    list.push({ integration: inv.integration, result: inv.recorded_result });
    perFunction.set(fn, list);
  }
  const bindings: Record<string, string> = {};
  mkdirSync(dir, { recursive: true });
  const counterFile = join(dir, 'counter.mjs');
  writeFileSync(counterFile, 'export const counter = { n: 0 };\n');
  for (const [fn, info] of Object.entries(c.lambdas ?? {})) {
    if (!info.handler) continue; // a function that does not exist stays unbound
    const recorded = perFunction.get(fn) ?? [];
    const file = join(dir, `${fn}.mjs`);
    // The replay decisions are made here, in TypeScript, and frozen into the module as data.
    const plan = recorded.map((r) => (r.result ? { integration: r.integration, result: r.result } : null));
    writeFileSync(
      file,
      `import { counter } from './counter.mjs';
import { respondFor } from ${JSON.stringify(import.meta.url)};
const plan = ${JSON.stringify(plan)};
const handler = ${JSON.stringify(info.handler)};
let i = 0;
export function invoke(event) {
  counter.n += 1;
  const step = plan[i++];
  return respondFor(step, event, handler, counter.n);
}
`,
    );
    bindings[fn] = file;
  }
  return bindings;
}

/** Used by the generated modules: the response for one call. */
export function respondFor(step: { integration: string; result: RecordedResult } | null | undefined, event: Json, handler: string, requestIndex: number): Promise<{ payload: string; functionError?: string }> {
  const raw = step ? recordedResponse(step.integration, step.result, event, handler, requestIndex) : behaviourResponse(handler, event, requestIndex);
  if ('hang' in raw) return new Promise(() => undefined);
  return Promise.resolve(raw);
}

// ------------------------------------------------------------ comparing

const HEADER_MASKS: Record<string, string> = { date: 'date', 'x-amzn-requestid': 'x-amzn-RequestId', 'x-amzn-trace-id': 'X-Amzn-Trace-Id', requestid: 'RequestId' };
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A string from AWS with the snapshot tool's masks (<json-input:N>) matched loosely. */
function stringMatches(expected: string, actual: string): boolean {
  if (expected === actual) return true;
  if (/^<uuid:\d+>$/.test(expected)) return UUID_RE.test(actual);
  if (!expected.includes('<json-input:')) return false;
  const re = expected
    .split(/<json-input:\d+>/)
    .map(escapeRe)
    .join('[\\s\\S]*');
  return new RegExp(`^${re}$`).test(actual);
}

/** The first difference between expected and actual, as a path, or undefined when they match. */
export function firstDifference(expected: unknown, actual: unknown, path = '$', key = ''): string | undefined {
  const mask = HEADER_MASKS[key.toLowerCase()];
  if (mask !== undefined && (expected === mask || (Array.isArray(expected) && expected.length === 1 && typeof expected[0] === 'string' && /^<uuid:\d+>$/.test(expected[0])))) return undefined;
  if (typeof expected === 'string' && typeof actual === 'string') return stringMatches(expected, actual) ? undefined : path;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return path;
    if (expected.length !== actual.length) return `${path} (length ${expected.length} vs ${actual.length})`;
    for (let i = 0; i < expected.length; i++) {
      const d = firstDifference(expected[i], actual[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return path;
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!Object.hasOwn(a, k)) return `${path}.${k} (missing)`;
      const d = firstDifference(e[k], a[k], `${path}.${k}`, k);
      if (d) return d;
    }
    for (const k of Object.keys(a)) if (!Object.hasOwn(e, k)) return `${path}.${k} (unexpected)`;
    return undefined;
  }
  return expected === actual ? undefined : path;
}

function parseMaybe(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Compares a run with the recording; returns a short description of the difference, or undefined. */
export function compareOutcome(c: ConformanceCase, actual: RunAslResult): string | undefined {
  const exp = c.expected;
  if (actual.status !== exp.status) return `status ${actual.status} (expected ${exp.status})`;
  if (actual.status === 'SUCCEEDED') {
    const d = firstDifference(exp.output, actual.output);
    return d ? `output differs at ${d}` : undefined;
  }
  if (actual.status === 'INVALID_DEFINITION') return 'invalid definition';
  if ((exp.error ?? '') !== (actual.error ?? '')) return `error ${JSON.stringify(actual.error)} (expected ${JSON.stringify(exp.error)})`;
  const expCause = exp.cause;
  if (expCause === undefined || expCause === null) return actual.cause === undefined || actual.cause === '' ? undefined : 'unexpected cause';
  const d = typeof expCause === 'string' ? firstDifference(expCause, actual.cause ?? '', 'cause') : firstDifference(expCause, parseMaybe(actual.cause), 'cause');
  return d ? `cause differs at ${d}` : undefined;
}

// ------------------------------------------------------------ running

export interface CaseOutcome {
  name: string;
  family: string;
  features: string[];
  passed: boolean;
  difference?: string;
  expected: unknown;
  actual: unknown;
}

export async function runCase(c: ConformanceCase, workDir: string, timeoutMs = 15_000): Promise<CaseOutcome> {
  const dir = join(workDir, c.name);
  const lambdas = writeHandlerModules(c, dir);
  let actual: RunAslResult | { crash: string };
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<{ crash: string }>((res) => {
      timer = setTimeout(() => res({ crash: `no outcome within ${timeoutMs} ms` }), timeoutMs);
    });
    actual = await Promise.race([runAsl({ definition: c.definition, input: c.input, virtualTime: true, lambdas }), timeout]);
    clearTimeout(timer);
  } catch (err) {
    actual = { crash: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  const difference = 'crash' in actual ? `crash: ${actual.crash}` : compareOutcome(c, actual);
  return { name: c.name, family: familyOf(c), features: c.features, passed: difference === undefined, ...(difference ? { difference } : {}), expected: c.expected, actual };
}

export async function runCases(cases: ConformanceCase[], options: { concurrency?: number; onResult?: (o: CaseOutcome) => void } = {}): Promise<CaseOutcome[]> {
  const workDir = mkdtempSync(join(tmpdir(), 'accord-conformance-'));
  const results: CaseOutcome[] = new Array<CaseOutcome>(cases.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const c = cases[i];
      if (!c) return;
      const outcome = await runCase(c, workDir);
      results[i] = outcome;
      options.onResult?.(outcome);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return results;
}
