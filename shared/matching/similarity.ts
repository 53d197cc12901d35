import { type CodeUnits, fitsOneByte, spansEqual, trimmed, widen } from './account-table.ts';

/**
 * The name similarity of the matcher (docs/matching.md, "The similarity"),
 * computed on code units in typed arrays: names are read once into
 * `NameColumns` (the name without spaces, end to end, and where each token
 * ends), and a comparison allocates nothing.
 */

/** Names without spaces end to end (one byte a code unit while they fit: `CodeUnits`), with their tokens. */
export interface NameColumns {
  chars: CodeUnits;
  /** Name `k` is `chars[starts[k]..starts[k + 1])`. */
  starts: Int32Array;
  /** End offset in `chars` of each token. */
  tokenEnds: Int32Array;
  /** The tokens of name `k` are `tokenEnds[firstToken[k]..firstToken[k + 1])`. */
  firstToken: Int32Array;
}

const SPACE = 32;

/** Builds `NameColumns` one name at a time; tokens are split on spaces, empty ones dropped. */
export class NameColumnsBuilder {
  private chars: CodeUnits;
  private starts: Int32Array;
  private tokenEnds: Int32Array;
  private firstToken: Int32Array;
  private count = 0;
  private used = 0;
  private tokens = 0;

  constructor(names = 1024, chars = names * 16) {
    this.chars = new Uint8Array(Math.max(16, chars));
    this.starts = new Int32Array(names + 1);
    this.tokenEnds = new Int32Array(Math.max(16, names * 3));
    this.firstToken = new Int32Array(names + 1);
  }

  /** Adds the name key `source[from..to)`; returns its index. */
  addSpan(source: CodeUnits, from: number, to: number): number {
    if (this.used + (to - from) > this.chars.length) this.chars = growUnits(this.chars, this.used + (to - from));
    if (this.chars instanceof Uint8Array && !fitsOneByte(source, from, to)) this.chars = widen(this.chars, this.used);
    if (this.tokens + (to - from) + 1 > this.tokenEnds.length) this.tokenEnds = grow32(this.tokenEnds, this.tokens + (to - from) + 1);
    const chars = this.chars;
    let at = this.used;
    let inToken = false;
    for (let k = from; k < to; k++) {
      const c = source[k]!;
      if (c === SPACE) {
        if (inToken) this.tokenEnds[this.tokens++] = at;
        inToken = false;
      } else {
        chars[at++] = c;
        inToken = true;
      }
    }
    if (inToken) this.tokenEnds[this.tokens++] = at;
    this.used = at;
    return this.close();
  }

  /** Adds name `k` of other columns. */
  addColumnsName(names: NameColumns, k: number): number {
    const from = names.starts[k]!;
    const to = names.starts[k + 1]!;
    const t0 = names.firstToken[k]!;
    const t1 = names.firstToken[k + 1]!;
    if (this.used + (to - from) > this.chars.length) this.chars = growUnits(this.chars, this.used + (to - from));
    if (this.chars instanceof Uint8Array && !fitsOneByte(names.chars, from, to)) this.chars = widen(this.chars, this.used);
    if (this.tokens + (t1 - t0) > this.tokenEnds.length) this.tokenEnds = grow32(this.tokenEnds, this.tokens + (t1 - t0));
    this.chars.set(names.chars.subarray(from, to), this.used);
    for (let t = t0; t < t1; t++) this.tokenEnds[this.tokens++] = names.tokenEnds[t]! - from + this.used;
    this.used += to - from;
    return this.close();
  }

  /** Adds a name key given as a string. */
  add(nameKey: string): number {
    const codes = new Uint16Array(nameKey.length);
    for (let k = 0; k < nameKey.length; k++) codes[k] = nameKey.charCodeAt(k);
    return this.addSpan(codes, 0, codes.length);
  }

  build(): NameColumns {
    return {
      chars: trimmed(this.chars, this.used),
      starts: trimmed(this.starts, this.count + 1),
      tokenEnds: trimmed(this.tokenEnds, this.tokens),
      firstToken: trimmed(this.firstToken, this.count + 1),
    };
  }

  private close(): number {
    const index = this.count++;
    if (this.count + 1 > this.starts.length) {
      this.starts = grow32(this.starts, this.count + 1);
      this.firstToken = grow32(this.firstToken, this.count + 1);
    }
    this.starts[this.count] = this.used;
    this.firstToken[this.count] = this.tokens;
    return index;
  }
}

function growUnits(array: CodeUnits, atLeast: number): CodeUnits {
  const size = Math.max(atLeast, array.length * 2);
  const grown = array instanceof Uint8Array ? new Uint8Array(size) : new Uint16Array(size);
  grown.set(array);
  return grown;
}

export function grow32(array: Int32Array, atLeast: number): Int32Array {
  const grown = new Int32Array(Math.max(atLeast, array.length * 2));
  grown.set(array);
  return grown;
}

/** The letters of name `k` (its length without spaces). */
export function nameLength(names: NameColumns, k: number): number {
  return names.starts[k + 1]! - names.starts[k]!;
}

/** Start offset of token `t` of name `k`. */
function tokenStart(names: NameColumns, k: number, t: number): number {
  return t === names.firstToken[k] ? names.starts[k]! : names.tokenEnds[t - 1]!;
}

// ---------------------------------------------------------------------------
// Edit distance

const rowPrev = new Int32Array(64);
const rowCurr = new Int32Array(64);
const rowPrev2 = new Int32Array(64);

/** Optimal string alignment distance (Levenshtein with adjacent transpositions), for short tokens. */
function osaDistance(s: CodeUnits, sFrom: number, n: number, t: CodeUnits, tFrom: number, m: number): number {
  if (n === 0) return m;
  if (m === 0) return n;
  if (m >= 63) return levenshteinLong(s, sFrom, n, t, tFrom, m);
  let prev2 = rowPrev2;
  let prev = rowPrev;
  let curr = rowCurr;
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    curr[0] = i;
    const si = s[sFrom + i - 1]!;
    for (let j = 1; j <= m; j++) {
      const tj = t[tFrom + j - 1]!;
      const cost = si === tj ? 0 : 1;
      let d = Math.min(prev[j]! + 1, curr[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && si === t[tFrom + j - 2] && s[sFrom + i - 2] === tj) d = Math.min(d, prev2[j - 2]! + 1);
      curr[j] = d;
    }
    const spare = prev2;
    prev2 = prev;
    prev = curr;
    curr = spare;
  }
  return prev[m]!;
}

/** Plain Levenshtein distance for tokens of 63 letters or more (no transpositions). */
function levenshteinLong(s: CodeUnits, sFrom: number, n: number, t: CodeUnits, tFrom: number, m: number): number {
  let prev = Int32Array.from({ length: m + 1 }, (_, j) => j);
  for (let i = 1; i <= n; i++) {
    const curr = new Int32Array(m + 1);
    curr[0] = i;
    for (let j = 1; j <= m; j++) curr[j] = Math.min(prev[j]! + 1, curr[j - 1]! + 1, prev[j - 1]! + (s[sFrom + i - 1] === t[tFrom + j - 1] ? 0 : 1));
    prev = curr;
  }
  return prev[m]!;
}

// ---------------------------------------------------------------------------
// Tokens and names

/**
 * Two different tokens count as the same word, with partial credit, when both
 * have at least six letters and at most a fifth of the longer one differs:
 * one edit up to nine letters, two from ten. Shorter words must be equal
 * ("Chen" is not "Cohen", "Apex" is not "Apax").
 */
const TOKEN_CREDIT_FLOOR = 0.8;
const TOKEN_TYPO_LENGTH = 6;

function tokenSimilarity(s: CodeUnits, sFrom: number, sTo: number, t: CodeUnits, tFrom: number, tTo: number): number {
  const x = sTo - sFrom;
  const y = tTo - tFrom;
  if (spansEqual(s, sFrom, sTo, t, tFrom, tTo)) return 1;
  const longer = Math.max(x, y);
  if (Math.min(x, y) < TOKEN_TYPO_LENGTH - 1 || longer < TOKEN_TYPO_LENGTH) return 0;
  if (Math.abs(x - y) > longer * (1 - TOKEN_CREDIT_FLOOR)) return 0;
  const similarity = 1 - osaDistance(s, sFrom, x, t, tFrom, y) / longer;
  return similarity >= TOKEN_CREDIT_FLOOR ? similarity : 0;
}

const SIMS = new Float64Array(256);

/**
 * Name similarity, 0 to 1, of name `i` of `x` and name `j` of `y`: the tokens
 * of both names aligned one to one, best first; each aligned pair earns its
 * letters times its similarity (1 - edit distance / length, when at least
 * 0.8); the score is the letters earned over all letters of both names. Word
 * order does not matter, a typo costs in proportion to its word, and a word
 * one name has and the other lacks costs its whole length ("Delta Air
 * Lines" and "Delta Dental" score 0.42). Names equal once spaces are removed
 * ("Face Book", "Facebook") score 1.
 */
export function nameSimilarity(x: NameColumns, i: number, y: NameColumns, j: number): number {
  const xs = x.starts[i]!;
  const xe = x.starts[i + 1]!;
  const ys = y.starts[j]!;
  const ye = y.starts[j + 1]!;
  const lengthX = xe - xs;
  if (spansEqual(x.chars, xs, xe, y.chars, ys, ye)) return lengthX > 0 ? 1 : 0;
  const total = lengthX + (ye - ys);
  if (total === 0) return 0;
  const a0 = x.firstToken[i]!;
  const na = x.firstToken[i + 1]! - a0;
  const b0 = y.firstToken[j]!;
  const nb = y.firstToken[j + 1]! - b0;
  if (na * nb > SIMS.length) return nameSimilarityLong(x, i, y, j, total);
  // Token similarities, then one to one, best first (ties: first token of x, then of y).
  let any = false;
  for (let p = 0; p < na; p++) {
    const pFrom = tokenStart(x, i, a0 + p);
    const pTo = x.tokenEnds[a0 + p]!;
    for (let q = 0; q < nb; q++) {
      const s = tokenSimilarity(x.chars, pFrom, pTo, y.chars, tokenStart(y, j, b0 + q), y.tokenEnds[b0 + q]!);
      SIMS[p * nb + q] = s;
      if (s > 0) any = true;
    }
  }
  if (!any) return 0;
  let earned = 0;
  for (;;) {
    let best = 0;
    let at = -1;
    for (let k = 0; k < na * nb; k++) {
      if (SIMS[k]! > best) {
        best = SIMS[k]!;
        at = k;
      }
    }
    if (at < 0) break;
    const p = Math.floor(at / nb);
    const q = at - p * nb;
    earned += (tokenLength(x, i, a0 + p) + tokenLength(y, j, b0 + q)) * best;
    for (let k = 0; k < nb; k++) SIMS[p * nb + k] = 0;
    for (let k = 0; k < na; k++) SIMS[k * nb + q] = 0;
  }
  return Math.min(1, earned / total);
}

function tokenLength(names: NameColumns, k: number, t: number): number {
  return names.tokenEnds[t]! - tokenStart(names, k, t);
}

/** The same, for names of more tokens than the fixed table holds. */
function nameSimilarityLong(x: NameColumns, i: number, y: NameColumns, j: number, total: number): number {
  const a0 = x.firstToken[i]!;
  const na = x.firstToken[i + 1]! - a0;
  const b0 = y.firstToken[j]!;
  const nb = y.firstToken[j + 1]! - b0;
  const sims: { p: number; q: number; s: number }[] = [];
  for (let p = 0; p < na; p++) {
    for (let q = 0; q < nb; q++) {
      const s = tokenSimilarity(x.chars, tokenStart(x, i, a0 + p), x.tokenEnds[a0 + p]!, y.chars, tokenStart(y, j, b0 + q), y.tokenEnds[b0 + q]!);
      if (s > 0) sims.push({ p, q, s });
    }
  }
  sims.sort((u, v) => v.s - u.s || u.p - v.p || u.q - v.q);
  const usedA = new Uint8Array(na);
  const usedB = new Uint8Array(nb);
  let earned = 0;
  for (const { p, q, s } of sims) {
    if (usedA[p] || usedB[q]) continue;
    usedA[p] = 1;
    usedB[q] = 1;
    earned += (tokenLength(x, i, a0 + p) + tokenLength(y, j, b0 + q)) * s;
  }
  return Math.min(1, earned / total);
}

/** Rounds a score to four decimals, so that it prints and compares the same everywhere. */
export function roundScore(score: number): number {
  return Math.round(score * 10_000) / 10_000;
}

/** The similarity of two name keys, as the matcher scores them (rounded). */
export function scoreNames(nameA: string, nameB: string): number {
  const builder = new NameColumnsBuilder(2);
  builder.add(nameA);
  builder.add(nameB);
  const names = builder.build();
  return roundScore(nameSimilarity(names, 0, names, 1));
}
