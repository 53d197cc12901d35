/** The States.* intrinsic functions of JSONPath states. */
import { createHash, randomUUID } from 'node:crypto';
import { ERR, EvaluationError } from './errors.ts';
import { type Json, deepEqual, isObject } from './json.ts';

type Arg = { kind: 'literal'; value: Json } | { kind: 'path'; text: string } | { kind: 'call'; call: Call };
export interface Call {
  name: string;
  args: Arg[];
}

export function isIntrinsic(text: string): boolean {
  return /^\s*States\.[A-Za-z0-9]+\s*\(/.test(text);
}

const cache = new Map<string, Call>();

export function parseIntrinsic(text: string): Call {
  const hit = cache.get(text);
  if (hit) return hit;
  const p = new Parser(text);
  const call = p.parseCall();
  p.ws();
  if (!p.done()) p.fail('unexpected trailing text');
  if (cache.size > 5000) cache.clear();
  cache.set(text, call);
  return call;
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}
  fail(detail: string): never {
    throw new EvaluationError(ERR.Runtime, `The intrinsic function '${this.text}' is invalid: ${detail}`);
  }
  done(): boolean {
    return this.pos >= this.text.length;
  }
  ws(): void {
    while (/\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }
  parseCall(): Call {
    this.ws();
    const m = /^States\.[A-Za-z0-9]+/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a States.* function');
    this.pos += m[0].length;
    this.ws();
    if (this.text[this.pos] !== '(') this.fail("expected '('");
    this.pos++;
    const args: Arg[] = [];
    this.ws();
    if (this.text[this.pos] === ')') {
      this.pos++;
      return { name: m[0], args };
    }
    for (;;) {
      args.push(this.parseArg());
      this.ws();
      const c = this.text[this.pos];
      this.pos++;
      if (c === ',') continue;
      if (c === ')') break;
      this.fail("expected ',' or ')'");
    }
    return { name: m[0], args };
  }
  parseArg(): Arg {
    this.ws();
    const c = this.text[this.pos] ?? '';
    if (c === "'") {
      this.pos++;
      let out = '';
      for (;;) {
        const ch = this.text[this.pos];
        if (ch === undefined) this.fail('unterminated string');
        this.pos++;
        if (ch === '\\') {
          const next = this.text[this.pos] ?? '';
          this.pos++;
          // \' \{ \} \\ are escapes; any other backslash is kept
          if (next === "'" || next === '\\') out += next;
          else out += `\\${next}`;
          continue;
        }
        if (ch === "'") break;
        out += ch;
      }
      return { kind: 'literal', value: out };
    }
    if (c === '$') {
      const start = this.pos;
      let depth = 0;
      let quote = '';
      while (this.pos < this.text.length) {
        const ch = this.text[this.pos] ?? '';
        if (quote) {
          if (ch === quote) quote = '';
        } else if (ch === "'" || ch === '"') quote = ch;
        else if (ch === '[' || ch === '(') depth++;
        else if (ch === ']' || (ch === ')' && depth > 0)) depth--;
        else if ((ch === ',' || ch === ')') && depth === 0) break;
        this.pos++;
      }
      return { kind: 'path', text: this.text.slice(start, this.pos).trim() };
    }
    if (this.text.startsWith('States.', this.pos)) return { kind: 'call', call: this.parseCall() };
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`unexpected '${c}'`);
    this.pos += m[0].length;
    return { kind: 'literal', value: JSON.parse(m[0]) as Json };
  }
}

/** Java's toString of a JSON value, which States.Format uses for non-strings. */
function javaString(value: Json): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => javaString(v)).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${k}=${javaString(v)}`)
    .join(', ')}}`;
}

function fail(name: string, detail: string): never {
  throw new EvaluationError(ERR.Runtime, `${name}: ${detail}`);
}

function need(name: string, args: Json[], n: number | [number, number]): void {
  const [min, max] = typeof n === 'number' ? [n, n] : n;
  if (args.length < min || args.length > max) fail(name, `expected ${min === max ? min : `${min} to ${max}`} arguments but got ${args.length}`);
}

function asArray(name: string, v: Json | undefined): Json[] {
  if (!Array.isArray(v)) fail(name, `expected an array but got ${JSON.stringify(v)}`);
  return v;
}
function asNumber(name: string, v: Json | undefined): number {
  if (typeof v !== 'number') fail(name, `expected a number but got ${JSON.stringify(v)}`);
  return v;
}
function asInt(name: string, v: Json | undefined): number {
  const n = asNumber(name, v);
  if (!Number.isInteger(n)) fail(name, `expected an integer but got ${n}`);
  return n;
}
/** "If you specify a non-integer value ..., Step Functions will round it off to the nearest integer" (Java's Math.round, as Math.round). */
function asRounded(name: string, v: Json | undefined): number {
  return Math.round(asNumber(name, v));
}

/** The same number in [0, 1) for the same seed (mulberry32 of the seed). */
export function seededRandom(seed: number): number {
  let t = ((Math.floor(seed) | 0) + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function asString(name: string, v: Json | undefined): string {
  if (typeof v !== 'string') fail(name, `expected a string but got ${JSON.stringify(v)}`);
  return v;
}

export interface IntrinsicContext {
  resolvePath: (text: string) => Json;
  random: () => number;
}

export function evaluateIntrinsic(call: Call, ctx: IntrinsicContext): Json {
  const args = call.args.map((a): Json => (a.kind === 'literal' ? a.value : a.kind === 'path' ? ctx.resolvePath(a.text) : evaluateIntrinsic(a.call, ctx)));
  const name = call.name;
  switch (name) {
    case 'States.Format': {
      if (args.length < 1) fail(name, 'expected a template');
      const template = asString(name, args[0]);
      let i = 1;
      let out = '';
      for (let p = 0; p < template.length; p++) {
        const ch = template[p];
        if (ch === '\\' && p + 1 < template.length && '{}\\'.includes(template[p + 1] ?? '')) {
          out += template[p + 1];
          p++;
        } else if (ch === '{' && template[p + 1] === '}') {
          if (i >= args.length) fail(name, 'more placeholders than arguments');
          out += javaString(args[i] as Json);
          i++;
          p++;
        } else out += ch;
      }
      if (i !== args.length) fail(name, 'more arguments than placeholders');
      return out;
    }
    case 'States.StringToJson': {
      need(name, args, 1);
      const s = asString(name, args[0]);
      if (s.trim() === '') return null;
      try {
        return JSON.parse(s) as Json;
      } catch {
        return fail(name, `cannot parse '${s}' as JSON`);
      }
    }
    case 'States.JsonToString':
      need(name, args, 1);
      return JSON.stringify(args[0]);
    case 'States.Array':
      return args;
    case 'States.ArrayPartition': {
      need(name, args, 2);
      const arr = asArray(name, args[0]);
      const size = asRounded(name, args[1]);
      if (size <= 0) fail(name, 'chunk size must be positive');
      const out: Json[] = [];
      for (let i = 0; i < arr.length; i += size) out.push(arr.slice(i, i + size));
      return out;
    }
    case 'States.ArrayContains': {
      need(name, args, 2);
      const arr = asArray(name, args[0]);
      return arr.some((v) => deepEqual(v, args[1]));
    }
    case 'States.ArrayRange': {
      need(name, args, 3);
      const start = asRounded(name, args[0]);
      const end = asRounded(name, args[1]);
      const step = asRounded(name, args[2]);
      if (step === 0) fail(name, 'step must not be zero');
      const out: number[] = [];
      for (let v = start; step > 0 ? v <= end : v >= end; v += step) {
        out.push(v);
        if (out.length > 1000) fail(name, 'the range has more than 1000 items');
      }
      return out;
    }
    case 'States.ArrayGetItem': {
      need(name, args, 2);
      const arr = asArray(name, args[0]);
      const idx = asInt(name, args[1]);
      if (idx < 0 || idx >= arr.length) fail(name, `index ${idx} out of bounds`);
      return arr[idx] as Json;
    }
    case 'States.ArrayLength':
      need(name, args, 1);
      return asArray(name, args[0]).length;
    case 'States.ArrayUnique': {
      need(name, args, 1);
      const out: Json[] = [];
      for (const v of asArray(name, args[0])) if (!out.some((o) => deepEqual(o, v))) out.push(v);
      return out;
    }
    case 'States.Base64Encode':
      need(name, args, 1);
      return Buffer.from(asString(name, args[0]), 'utf8').toString('base64');
    case 'States.Base64Decode':
      need(name, args, 1);
      return Buffer.from(asString(name, args[0]), 'base64').toString('utf8');
    case 'States.Hash': {
      need(name, args, 2);
      const data = args[0];
      const alg = asString(name, args[1]);
      const map: Record<string, string> = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
      const nodeAlg = map[alg];
      if (!nodeAlg) fail(name, `unsupported algorithm '${alg}'`);
      const text = typeof data === 'string' ? data : JSON.stringify(data);
      return createHash(nodeAlg).update(text, 'utf8').digest('hex');
    }
    case 'States.JsonMerge': {
      need(name, args, 3);
      const [a, b, deep] = args;
      if (!isObject(a) || !isObject(b)) fail(name, 'both arguments must be objects');
      if (deep !== false) fail(name, 'deep merge is not supported; the third argument must be false');
      return { ...a, ...b };
    }
    case 'States.MathRandom': {
      need(name, args, [2, 3]);
      const start = asRounded(name, args[0]);
      const end = asRounded(name, args[1]);
      // "if you use this function with the same seed value, it will return identical numbers"
      const r = args.length === 3 ? seededRandom(asNumber(name, args[2])) : ctx.random();
      return start + Math.floor(r * (end - start));
    }
    case 'States.MathAdd': {
      need(name, args, 2);
      return Math.round(asNumber(name, args[0])) + Math.round(asNumber(name, args[1]));
    }
    case 'States.StringSplit': {
      need(name, args, 2);
      const s = asString(name, args[0]);
      const delims = asString(name, args[1]);
      const out: string[] = [];
      let cur = '';
      for (const ch of s) {
        if (delims.includes(ch)) {
          if (cur !== '') out.push(cur);
          cur = '';
        } else cur += ch;
      }
      if (cur !== '') out.push(cur);
      return out;
    }
    case 'States.UUID':
      need(name, args, 0);
      return randomUUID();
    default:
      return fail(name, 'unknown intrinsic function');
  }
}
