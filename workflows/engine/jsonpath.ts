/**
 * JSONPath as Step Functions evaluates it (Jayway semantics): a definite path
 * selects one value or fails; an indefinite path (wildcard, slice, union,
 * deep scan, filter) always yields an array, possibly empty.
 */
import { type Json, deepEqual, isObject } from './json.ts';

type Segment =
  | { kind: 'prop'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'slice'; start: number | undefined; end: number | undefined; step: number }
  | { kind: 'union'; items: (string | number)[] }
  | { kind: 'deep'; name: string | undefined }
  | { kind: 'filter'; expr: FilterExpr }
  | { kind: 'length' };

type FilterExpr =
  | { op: 'and' | 'or'; left: FilterExpr; right: FilterExpr }
  | { op: 'not'; expr: FilterExpr }
  | { op: 'cmp'; cmp: string; left: Operand; right: Operand }
  | { op: 'exists'; operand: Operand };

type Operand = { kind: 'literal'; value: Json } | { kind: 'path'; root: '@' | '$'; segments: Segment[] };

export interface ParsedPath {
  /** `$` (the input), `$$` (the context object) or a variable name. */
  root: { kind: 'input' } | { kind: 'context' } | { kind: 'variable'; name: string };
  segments: Segment[];
  definite: boolean;
  text: string;
}

export class JsonPathSyntaxError extends Error {
  constructor(path: string, detail: string) {
    super(`Invalid JSONPath '${path}': ${detail}`);
    this.name = 'JsonPathSyntaxError';
  }
}

const cache = new Map<string, ParsedPath>();

export function parsePath(text: string): ParsedPath {
  const cached = cache.get(text);
  if (cached) return cached;
  const parsed = new PathParser(text).parseTop();
  if (cache.size > 5000) cache.clear();
  cache.set(text, parsed);
  return parsed;
}

class PathParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  fail(detail: string): never {
    throw new JsonPathSyntaxError(this.text, detail);
  }

  parseTop(): ParsedPath {
    const t = this.text.trim();
    let root: ParsedPath['root'];
    if (t.startsWith('$$')) {
      root = { kind: 'context' };
      this.pos = this.text.indexOf('$$') + 2;
    } else if (/^\$[A-Za-z_]/.test(t)) {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(t);
      if (!m?.[1]) this.fail('bad variable name');
      root = { kind: 'variable', name: m[1] };
      this.pos = this.text.indexOf('$') + m[0].length;
    } else if (t.startsWith('$')) {
      root = { kind: 'input' };
      this.pos = this.text.indexOf('$') + 1;
    } else {
      this.fail('a path starts with $');
    }
    const segments = this.parseSegments(false);
    if (this.text.slice(this.pos).trim() !== '') this.fail(`unexpected '${this.text.slice(this.pos)}'`);
    const definite = segments.every((s) => s.kind === 'prop' || s.kind === 'index' || s.kind === 'length');
    return { root, segments, definite, text: this.text };
  }

  private peek(): string {
    return this.text[this.pos] ?? '';
  }

  parseSegments(inFilter: boolean): Segment[] {
    const segments: Segment[] = [];
    for (;;) {
      const c = this.peek();
      if (c === '.') {
        if (this.text[this.pos + 1] === '.') {
          this.pos += 2;
          if (this.peek() === '*') {
            this.pos++;
            segments.push({ kind: 'deep', name: undefined });
          } else if (this.peek() === '[') {
            segments.push({ kind: 'deep', name: undefined });
            continue;
          } else {
            segments.push({ kind: 'deep', name: this.readName() });
          }
          continue;
        }
        this.pos++;
        if (this.peek() === '*') {
          this.pos++;
          segments.push({ kind: 'wildcard' });
          continue;
        }
        // `$.abc.['def ghi']`: a dot before a bracket, as the intrinsic functions page writes it.
        if (this.peek() === '[') continue;
        const name = this.readName();
        if (name === 'length' && this.text.startsWith('()', this.pos)) {
          this.pos += 2;
          segments.push({ kind: 'length' });
          continue;
        }
        segments.push({ kind: 'prop', name });
        continue;
      }
      if (c === '[') {
        this.pos++;
        segments.push(this.parseBracket());
        continue;
      }
      if (inFilter || c === '' || c === ' ' || c === ')' || c === ',') return segments;
      this.fail(`unexpected '${c}' at ${this.pos}`);
    }
  }

  private readName(): string {
    const start = this.pos;
    while (this.pos < this.text.length && !'.[] ()=<>!&|,'.includes(this.text[this.pos] ?? '')) this.pos++;
    if (this.pos === start) this.fail(`expected a name at ${start}`);
    return this.text.slice(start, this.pos);
  }

  private skipWs(): void {
    while (this.peek() === ' ') this.pos++;
  }

  private readQuoted(): string {
    const quote = this.peek();
    this.pos++;
    let out = '';
    while (this.pos < this.text.length && this.peek() !== quote) {
      // Only the enclosing quote is escaped; any other backslash is part of the name.
      if (this.peek() === '\\' && this.text[this.pos + 1] === quote) {
        out += quote;
        this.pos += 2;
        continue;
      }
      out += this.peek();
      this.pos++;
    }
    if (this.peek() !== quote) this.fail('unterminated string');
    this.pos++;
    return out;
  }

  private readNumber(): number | undefined {
    const m = /^-?\d+/.exec(this.text.slice(this.pos));
    if (!m) return undefined;
    this.pos += m[0].length;
    return Number(m[0]);
  }

  private parseBracket(): Segment {
    this.skipWs();
    const c = this.peek();
    if (c === '*') {
      this.pos++;
      this.expect(']');
      return { kind: 'wildcard' };
    }
    if (c === '?') {
      this.pos++;
      this.skipWs();
      this.expect('(');
      const expr = this.parseOr();
      this.skipWs();
      this.expect(')');
      this.skipWs();
      this.expect(']');
      return { kind: 'filter', expr };
    }
    const items: (string | number)[] = [];
    if (c === "'" || c === '"') {
      for (;;) {
        this.skipWs();
        items.push(this.readQuoted());
        this.skipWs();
        if (this.peek() === ',') {
          this.pos++;
          continue;
        }
        break;
      }
      this.expect(']');
      return items.length === 1 ? { kind: 'prop', name: String(items[0]) } : { kind: 'union', items };
    }
    // index, union of indexes or slice
    const first = this.readNumber();
    this.skipWs();
    if (this.peek() === ':') {
      this.pos++;
      const end = this.readNumber();
      let step = 1;
      if (this.peek() === ':') {
        this.pos++;
        step = this.readNumber() ?? 1;
      }
      this.skipWs();
      this.expect(']');
      return { kind: 'slice', start: first, end, step };
    }
    if (first === undefined) this.fail(`unexpected '${this.peek()}' in brackets`);
    items.push(first);
    while (this.peek() === ',') {
      this.pos++;
      this.skipWs();
      const n = this.readNumber();
      if (n === undefined) this.fail('expected an index');
      items.push(n);
      this.skipWs();
    }
    this.expect(']');
    return items.length === 1 ? { kind: 'index', index: first } : { kind: 'union', items };
  }

  private expect(ch: string): void {
    if (this.peek() !== ch) this.fail(`expected '${ch}' at ${this.pos}`);
    this.pos++;
  }

  private parseOr(): FilterExpr {
    let left = this.parseAnd();
    for (;;) {
      this.skipWs();
      if (this.text.startsWith('||', this.pos)) {
        this.pos += 2;
        left = { op: 'or', left, right: this.parseAnd() };
      } else return left;
    }
  }

  private parseAnd(): FilterExpr {
    let left = this.parseUnary();
    for (;;) {
      this.skipWs();
      if (this.text.startsWith('&&', this.pos)) {
        this.pos += 2;
        left = { op: 'and', left, right: this.parseUnary() };
      } else return left;
    }
  }

  private parseUnary(): FilterExpr {
    this.skipWs();
    if (this.peek() === '!') {
      this.pos++;
      return { op: 'not', expr: this.parseUnary() };
    }
    if (this.peek() === '(') {
      this.pos++;
      const e = this.parseOr();
      this.skipWs();
      this.expect(')');
      return e;
    }
    const left = this.parseOperand();
    this.skipWs();
    const m = /^(==|!=|<=|>=|<|>)/.exec(this.text.slice(this.pos));
    if (!m?.[1]) return { op: 'exists', operand: left };
    this.pos += m[1].length;
    this.skipWs();
    const right = this.parseOperand();
    return { op: 'cmp', cmp: m[1], left, right };
  }

  private parseOperand(): Operand {
    this.skipWs();
    const c = this.peek();
    if (c === '@' || c === '$') {
      this.pos++;
      return { kind: 'path', root: c, segments: this.parseSegments(true) };
    }
    if (c === "'" || c === '"') return { kind: 'literal', value: this.readQuoted() };
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`unexpected '${c}' in filter`);
    this.pos += m[0].length;
    return { kind: 'literal', value: JSON.parse(m[0]) as Json };
  }
}

/** The outcome of a path: the values it selected, or nothing when a definite path missed. */
export type PathResult = { found: true; value: Json } | { found: false };

function applySegment(values: Json[], seg: Segment, root: Json): Json[] {
  const out: Json[] = [];
  for (const v of values) {
    switch (seg.kind) {
      case 'prop':
        if (isObject(v) && Object.hasOwn(v, seg.name)) out.push(v[seg.name] as Json);
        break;
      case 'index':
        if (Array.isArray(v)) {
          const i = seg.index < 0 ? v.length + seg.index : seg.index;
          if (i >= 0 && i < v.length) out.push(v[i] as Json);
        }
        break;
      case 'wildcard':
        if (Array.isArray(v)) out.push(...v);
        else if (isObject(v)) out.push(...Object.values(v));
        break;
      case 'slice':
        if (Array.isArray(v)) {
          const n = v.length;
          const norm = (x: number | undefined, d: number): number => (x === undefined ? d : x < 0 ? Math.max(0, n + x) : Math.min(n, x));
          const start = norm(seg.start, 0);
          const end = norm(seg.end, n);
          for (let i = start; i < end; i += Math.max(1, seg.step)) out.push(v[i] as Json);
        }
        break;
      case 'union':
        for (const item of seg.items) {
          if (typeof item === 'number' && Array.isArray(v)) {
            const i = item < 0 ? v.length + item : item;
            if (i >= 0 && i < v.length) out.push(v[i] as Json);
          } else if (typeof item === 'string' && isObject(v) && Object.hasOwn(v, item)) out.push(v[item] as Json);
        }
        break;
      case 'deep': {
        const visit = (node: Json): void => {
          if (seg.name === undefined) {
            if (Array.isArray(node) || isObject(node)) {
              out.push(node);
            }
          } else if (isObject(node) && Object.hasOwn(node, seg.name)) out.push(node[seg.name] as Json);
          if (Array.isArray(node)) node.forEach(visit);
          else if (isObject(node)) Object.values(node).forEach(visit);
        };
        visit(v);
        break;
      }
      case 'filter': {
        const candidates = Array.isArray(v) ? v : isObject(v) ? [v] : [];
        for (const item of candidates) if (evalFilter(seg.expr, item, root)) out.push(item);
        break;
      }
      case 'length':
        if (Array.isArray(v)) out.push(v.length);
        else if (typeof v === 'string') out.push(v.length);
        else if (isObject(v)) out.push(Object.keys(v).length);
        break;
    }
  }
  return out;
}

function operandValue(op: Operand, current: Json, root: Json): Json[] {
  if (op.kind === 'literal') return [op.value];
  let values: Json[] = [op.root === '@' ? current : root];
  for (const seg of op.segments) values = applySegment(values, seg, root);
  return values;
}

function compare(cmp: string, a: Json, b: Json): boolean {
  switch (cmp) {
    case '==':
      return deepEqual(a, b);
    case '!=':
      return !deepEqual(a, b);
  }
  if (typeof a === 'number' && typeof b === 'number') {
    return cmp === '<' ? a < b : cmp === '<=' ? a <= b : cmp === '>' ? a > b : a >= b;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    return cmp === '<' ? a < b : cmp === '<=' ? a <= b : cmp === '>' ? a > b : a >= b;
  }
  return false;
}

function evalFilter(expr: FilterExpr, current: Json, root: Json): boolean {
  switch (expr.op) {
    case 'and':
      return evalFilter(expr.left, current, root) && evalFilter(expr.right, current, root);
    case 'or':
      return evalFilter(expr.left, current, root) || evalFilter(expr.right, current, root);
    case 'not':
      return !evalFilter(expr.expr, current, root);
    case 'exists':
      return operandValue(expr.operand, current, root).length > 0;
    case 'cmp': {
      const l = operandValue(expr.left, current, root);
      const r = operandValue(expr.right, current, root);
      if (l.length === 0 || r.length === 0) return false;
      return compare(expr.cmp, l[0] as Json, r[0] as Json);
    }
  }
}

/** Evaluates a parsed path against the document its root refers to. */
export function evaluateParsed(path: ParsedPath, doc: Json): PathResult {
  let values: Json[] = [doc];
  for (const seg of path.segments) values = applySegment(values, seg, doc);
  if (path.definite) return values.length === 0 ? { found: false } : { found: true, value: values[0] as Json };
  return { found: true, value: values };
}

/** Jayway's normalised rendering of a path, as in its error messages: $['a']['b'][0]. */
export function normalisedPath(path: ParsedPath): string {
  let out = path.root.kind === 'context' ? '$$' : path.root.kind === 'variable' ? `$${path.root.name}` : '$';
  for (const seg of path.segments) {
    if (seg.kind === 'prop') out += `['${seg.name}']`;
    else if (seg.kind === 'index') out += `[${seg.index}]`;
    else if (seg.kind === 'wildcard') out += '[*]';
    else if (seg.kind === 'length') out += '.length()';
    else out += '[...]';
  }
  return out;
}

/**
 * Writes `value` at a reference path (ResultPath) in a copy of `doc`, creating
 * the objects on the way; `$` replaces the whole document.
 */
export function setAtPath(doc: Json, pathText: string, value: Json): Json {
  const path = parsePath(pathText);
  if (path.root.kind !== 'input') throw new JsonPathSyntaxError(pathText, 'ResultPath must start with $');
  if (path.segments.length === 0) return value;
  const rootCopy: Json = isObject(doc) ? { ...doc } : Array.isArray(doc) ? [...doc] : {};
  let cursor: Json = rootCopy;
  path.segments.forEach((seg, i) => {
    const last = i === path.segments.length - 1;
    if (seg.kind === 'prop') {
      if (!isObject(cursor)) throw new JsonPathSyntaxError(pathText, 'cannot set a field on a non-object');
      if (last) cursor[seg.name] = value;
      else {
        const next = cursor[seg.name];
        const copy: Json = isObject(next) ? { ...next } : Array.isArray(next) ? [...next] : {};
        cursor[seg.name] = copy;
        cursor = copy;
      }
    } else if (seg.kind === 'index') {
      if (!Array.isArray(cursor)) throw new JsonPathSyntaxError(pathText, 'cannot index a non-array');
      if (last) cursor[seg.index] = value;
      else {
        const next = cursor[seg.index];
        const copy: Json = isObject(next) ? { ...next } : Array.isArray(next) ? [...next] : {};
        cursor[seg.index] = copy;
        cursor = copy;
      }
    } else throw new JsonPathSyntaxError(pathText, 'ResultPath must be a reference path');
  });
  return rootCopy;
}
