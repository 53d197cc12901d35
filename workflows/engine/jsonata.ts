/** JSONata as Step Functions evaluates it: `{% ... %}` strings, $states, variables and AWS's own functions. */
import { createHash, randomUUID } from 'node:crypto';
import jsonata from 'jsonata';
import { ERR, EvaluationError, StatesError } from './errors.ts';
import { seededRandom } from './intrinsics.ts';
import { type Json, isObject } from './json.ts';

const EXPR = /^\{%([\s\S]*)%\}$/;

/** Only a string that starts with `{%` and ends with `%}` (no surrounding spaces) is an expression. */
export function isJsonataExpression(value: unknown): value is string {
  return typeof value === 'string' && EXPR.test(value);
}

export function expressionText(value: string): string {
  const m = EXPR.exec(value);
  return (m?.[1] ?? value).trim();
}

const compiled = new Map<string, jsonata.Expression | Error>();

function compile(text: string): jsonata.Expression {
  let hit = compiled.get(text);
  if (!hit) {
    try {
      hit = jsonata(text);
    } catch (err) {
      hit = err instanceof Error ? err : new Error(String(err));
    }
    if (compiled.size > 5000) compiled.clear();
    compiled.set(text, hit);
  }
  if (hit instanceof Error) throw hit;
  return hit;
}

export interface JsonataScope {
  /** $states: input, context, and where available result and errorOutput. */
  states: Record<string, Json>;
  variables: Record<string, Json>;
  random: () => number;
}

function jsonataErrorText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
    return `${String((err as { code: unknown }).code)}: ${String((err as { message: unknown }).message)}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function awsFunctions(random: () => number): Record<string, unknown> {
  return {
    // "Built-in JSONata functions that require integer values as parameters will
    // automatically round down any non-integer numbers provided."
    partition: (array: unknown, rawSize: unknown): Json => {
      if (!Array.isArray(array)) throw new StatesError(ERR.QueryEvaluationError, '$partition expects an array');
      const size = typeof rawSize === 'number' ? Math.floor(rawSize) : rawSize;
      if (typeof size !== 'number' || size <= 0) throw new StatesError(ERR.QueryEvaluationError, '$partition expects a positive integer size');
      const out: Json[] = [];
      for (let i = 0; i < array.length; i += size) out.push(array.slice(i, i + size) as Json[]);
      return out;
    },
    range: (rawStart: unknown, rawEnd: unknown, rawStep: unknown): Json => {
      if (typeof rawStart !== 'number' || typeof rawEnd !== 'number' || typeof rawStep !== 'number' || Math.floor(rawStep) === 0) {
        throw new StatesError(ERR.QueryEvaluationError, '$range expects numbers and a non-zero step');
      }
      const [start, end, step] = [Math.floor(rawStart), Math.floor(rawEnd), Math.floor(rawStep)];
      const out: number[] = [];
      for (let v = start; step > 0 ? v <= end : v >= end; v += step) {
        out.push(v);
        if (out.length > 1000) throw new StatesError(ERR.QueryEvaluationError, '$range produced more than 1000 items');
      }
      return out;
    },
    hash: (data: unknown, alg: unknown): Json => {
      const map: Record<string, string> = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
      const nodeAlg = typeof alg === 'string' ? map[alg] : undefined;
      if (!nodeAlg) throw new StatesError(ERR.QueryEvaluationError, `$hash: unsupported algorithm ${JSON.stringify(alg)}`);
      const text = typeof data === 'string' ? data : JSON.stringify(data);
      return createHash(nodeAlg).update(text, 'utf8').digest('hex');
    },
    random: (seed?: unknown): Json => {
      if (seed === undefined) return random();
      // The same number for the same seed; a non-integer seed is rounded down.
      return seededRandom(Number(seed));
    },
    uuid: (): Json => randomUUID(),
    parse: (text: unknown): Json => {
      if (typeof text !== 'string') throw new StatesError(ERR.QueryEvaluationError, '$parse expects a string');
      try {
        return JSON.parse(text) as Json;
      } catch {
        throw new StatesError(ERR.QueryEvaluationError, `$parse: '${text}' is not valid JSON`);
      }
    },
  };
}

/** Makes a JSONata result plain JSON; functions are reported as unsupported. */
function toJson(value: unknown): Json | undefined | typeof UNSUPPORTED {
  if (value === undefined) return undefined;
  if (typeof value === 'function') return UNSUPPORTED;
  if (value && typeof value === 'object' && ('_jsonata_function' in value || '_jsonata_lambda' in value)) return UNSUPPORTED;
  return JSON.parse(JSON.stringify(value)) as Json;
}
const UNSUPPORTED = Symbol('unsupported');

export interface JsonataFailure {
  kind: 'undefined' | 'error' | 'unsupported';
  detail?: string;
}

/** Evaluates one expression; `undefined` results come back as `undefined`. */
export async function evaluateExpression(text: string, scope: JsonataScope, field: string): Promise<Json | undefined> {
  let result: unknown;
  try {
    const expr = compile(text);
    const bindings: Record<string, unknown> = { ...awsFunctions(scope.random), ...scope.variables, states: scope.states };
    result = await expr.evaluate(scope.states.input, bindings);
  } catch (err) {
    if (err instanceof StatesError) {
      throw new EvaluationError(err.error, `The JSONata expression '${text}' specified for the field '${field}' threw an error during evaluation. ${err.causeText ?? ''}`);
    }
    throw new EvaluationError(
      ERR.QueryEvaluationError,
      `The JSONata expression '${text}' specified for the field '${field}' threw an error during evaluation. ${jsonataErrorText(err)}`,
    );
  }
  const json = toJson(result);
  if (json === UNSUPPORTED) {
    throw new EvaluationError(ERR.QueryEvaluationError, `The JSONata expression '${text}' specified for the field '${field}' returned an unsupported result type.`);
  }
  return json;
}

/** Evaluates a field that must produce a value. */
export async function evaluateRequired(text: string, scope: JsonataScope, field: string): Promise<Json> {
  const value = await evaluateExpression(text, scope, field);
  if (value === undefined) {
    throw new EvaluationError(ERR.QueryEvaluationError, `The JSONata expression '${text}' specified for the field '${field}' returned nothing (undefined).`);
  }
  return value;
}

/**
 * Evaluates a JSONata template: strings `{% %}` anywhere inside objects and
 * arrays are expressions, everything else is literal.
 */
export async function evaluateTemplate(template: Json, scope: JsonataScope, field: string): Promise<Json> {
  if (typeof template === 'string') {
    if (!isJsonataExpression(template)) return template;
    return evaluateRequired(expressionText(template), scope, field);
  }
  if (Array.isArray(template)) {
    const out: Json[] = [];
    for (let i = 0; i < template.length; i++) out.push(await evaluateTemplate(template[i] as Json, scope, field));
    return out;
  }
  if (isObject(template)) {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(template)) out[k] = await evaluateTemplate(v, scope, `${field}/${k}`);
    return out;
  }
  return template;
}
