import { compareSpans, fnv1aCodes, spansEqual } from './account-table.ts';
import { grow32, type NameColumns, NameColumnsBuilder, nameLength, nameSimilarity, roundScore } from './similarity.ts';

/**
 * The name stage on columns: each side's leftover accounts as typed arrays in
 * canonical order, blocks found by sorting (block-key hash, side, order)
 * instead of a map of lists, candidates as parallel arrays. The matcher's
 * per-shard functions and its one-process path both run on this.
 */

/** A block's members are compared all against all up to this many comparisons; larger blocks by sorted neighbourhood. */
export const FULL_BLOCK_COMPARISONS = 100;
/** In a large block, each name is compared with this many nearest names of the other side in sorted order. */
export const NEIGHBOURHOOD = 2;

/** One side's leftovers for the name stage, in canonical order. */
export interface LeftoverColumns {
  names: NameColumns;
  /** Country id, shared by both sides, or -1. */
  countries: Int32Array;
  /** Id of the website's label before the public suffix (shared by both sides), or -1 without a website. */
  labels: Int32Array;
}

// ---------------------------------------------------------------------------
// Canonical order

/** The first three code units of a span, as one number that sorts as the span does (a prefix first). */
function prefixKey(chars: Uint16Array, from: number, to: number): number {
  const c0 = from < to ? chars[from]! + 1 : 0;
  const c1 = from + 1 < to ? chars[from + 1]! + 1 : 0;
  const c2 = from + 2 < to ? chars[from + 2]! + 1 : 0;
  return (c0 * 131_072 + c1) * 131_072 + c2;
}

/**
 * The canonical order of names: by the name without spaces, then by `tie`
 * (the account's id). Returns the permutation: position -> index.
 */
export function canonicalPermutation(names: NameColumns, tie: (x: number, y: number) => number): Int32Array {
  const n = names.starts.length - 1;
  const { chars, starts } = names;
  const prefix = new Float64Array(n);
  for (let k = 0; k < n; k++) prefix[k] = prefixKey(chars, starts[k]!, starts[k + 1]!);
  const order = Array.from({ length: n }, (_, k) => k);
  order.sort((x, y) => prefix[x]! - prefix[y]! || compareSpans(chars, starts[x]!, starts[x + 1]!, chars, starts[y]!, starts[y + 1]!) || tie(x, y));
  return Int32Array.from(order);
}

/** The names in the order of `permutation`. */
export function permuteNames(names: NameColumns, permutation: Int32Array): NameColumns {
  const builder = new NameColumnsBuilder(permutation.length, names.chars.length);
  for (const k of permutation) builder.addColumnsName(names, k);
  return builder.build();
}

/**
 * Ranks of both sides' names (each side in canonical order) on one scale:
 * equal names without spaces get equal ranks, so the sorted neighbourhood
 * compares numbers, not strings.
 */
export function compactRanks(a: NameColumns, b: NameColumns): [Int32Array, Int32Array] {
  const na = a.starts.length - 1;
  const nb = b.starts.length - 1;
  const rankA = new Int32Array(na);
  const rankB = new Int32Array(nb);
  let i = 0;
  let j = 0;
  let rank = 0;
  while (i < na || j < nb) {
    let c: number;
    if (i >= na) c = 1;
    else if (j >= nb) c = -1;
    else c = compareSpans(a.chars, a.starts[i]!, a.starts[i + 1]!, b.chars, b.starts[j]!, b.starts[j + 1]!);
    rank++;
    if (c <= 0) {
      const from = i;
      while (i < na && spansEqual(a.chars, a.starts[from]!, a.starts[from + 1]!, a.chars, a.starts[i]!, a.starts[i + 1]!)) rankA[i++] = rank;
    }
    if (c >= 0) {
      const from = j;
      while (j < nb && spansEqual(b.chars, b.starts[from]!, b.starts[from + 1]!, b.chars, b.starts[j]!, b.starts[j + 1]!)) rankB[j++] = rank;
    }
  }
  return [rankA, rankB];
}

// ---------------------------------------------------------------------------
// Block keys

const KIND_TOKEN = 0;
const KIND_FIRST = 1;
const KIND_LAST = 2;
const KIND_CHARS = [116, 94, 36]; // 't', '^', '$'
const COLON = 58;

/** The longest token of name `k` (the first in code-unit order of equals), as a token index; -1 for an empty name. */
export function longestToken(names: NameColumns, k: number): number {
  const { chars, tokenEnds, firstToken, starts } = names;
  let best = -1;
  let bestFrom = 0;
  let bestLength = -1;
  let from = starts[k]!;
  for (let t = firstToken[k]!; t < firstToken[k + 1]!; t++) {
    const to = tokenEnds[t]!;
    const length = to - from;
    if (length > bestLength || (length === bestLength && compareSpans(chars, from, to, chars, bestFrom, bestFrom + bestLength) < 0)) {
      best = t;
      bestFrom = from;
      bestLength = length;
    }
    from = to;
  }
  return best;
}

/** The span of block key `kind` of name `k` (without its marker), given its longest token. */
function keySpan(names: NameColumns, k: number, kind: number, longest: number): [number, number] {
  const from = names.starts[k]!;
  const to = names.starts[k + 1]!;
  if (kind === KIND_FIRST) return [from, from + 4];
  if (kind === KIND_LAST) return [to - 4, to];
  return [longest === names.firstToken[k] ? from : names.tokenEnds[longest - 1]!, names.tokenEnds[longest]!];
}

/** FNV-1a of the block key's text (`t:` + token, `^` + first four, `$` + last four letters): its shard is this modulo the shard count. */
function keyHash(names: NameColumns, k: number, kind: number, longest: number): number {
  const [from, to] = keySpan(names, k, kind, longest);
  let hash = Math.imul(0x811c9dc5 ^ KIND_CHARS[kind]!, 0x01000193);
  if (kind === KIND_TOKEN) hash = Math.imul(hash ^ COLON, 0x01000193);
  return fnv1aCodes(names.chars, from, to, hash);
}

/** The block keys of name `k` as text (`t:systems`, `^acme`, `$tems`). */
export function blockKeysOf(names: NameColumns, k: number): string[] {
  const longest = longestToken(names, k);
  if (longest < 0) return [];
  const text = (kind: number) => {
    const [from, to] = keySpan(names, k, kind, longest);
    return String.fromCharCode(KIND_CHARS[kind]!) + (kind === KIND_TOKEN ? ':' : '') + String.fromCharCode(...names.chars.subarray(from, to));
  };
  return nameLength(names, k) > 4 ? [text(KIND_TOKEN), text(KIND_FIRST), text(KIND_LAST)] : [text(KIND_TOKEN)];
}

/** Radix sort (stable, two passes of 16 bits) of `refs` by `keys`. */
function sortByHash(keys: Uint32Array, refs: Int32Array): void {
  const n = keys.length;
  const keys2 = new Uint32Array(n);
  const refs2 = new Int32Array(n);
  const counts = new Int32Array(65_537);
  for (const [shift, fromKeys, fromRefs, toKeys, toRefs] of [
    [0, keys, refs, keys2, refs2],
    [16, keys2, refs2, keys, refs],
  ] as const) {
    counts.fill(0);
    for (let e = 0; e < n; e++) counts[((fromKeys[e]! >>> shift) & 0xffff) + 1]!++;
    for (let d = 1; d <= 65_536; d++) counts[d]! += counts[d - 1]!;
    for (let e = 0; e < n; e++) {
      const at = counts[(fromKeys[e]! >>> shift) & 0xffff]!++;
      toKeys[at] = fromKeys[e]!;
      toRefs[at] = fromRefs[e]!;
    }
  }
}

/**
 * Every block both sides are in, with its members in canonical order: calls
 * `visit(membersA, countA, membersB, countB)` once per block (the arrays are
 * reused between calls). Blocks are found by sorting every (key hash, side,
 * position) and checking that the keys of equal hashes are equal.
 */
export function forEachBlock(a: NameColumns, b: NameColumns, visit: (membersA: Int32Array, countA: number, membersB: Int32Array, countB: number) => void): void {
  const sides = [a, b];
  const longest = sides.map((names) => {
    const n = names.starts.length - 1;
    const out = new Int32Array(n);
    for (let k = 0; k < n; k++) out[k] = longestToken(names, k);
    return out;
  });
  let total = 0;
  for (let s = 0; s < 2; s++) {
    const names = sides[s]!;
    for (let k = 0; k < longest[s]!.length; k++) if (longest[s]![k]! >= 0) total += nameLength(names, k) > 4 ? 3 : 1;
  }
  const keys = new Uint32Array(total);
  // ref = position << 3 | side << 2 | kind
  const refs = new Int32Array(total);
  let e = 0;
  for (let s = 0; s < 2; s++) {
    const names = sides[s]!;
    const tokens = longest[s]!;
    for (let k = 0; k < tokens.length; k++) {
      const t = tokens[k]!;
      if (t < 0) continue;
      const kinds = nameLength(names, k) > 4 ? 3 : 1;
      for (let kind = 0; kind < kinds; kind++) {
        keys[e] = keyHash(names, k, kind, t);
        refs[e++] = (k << 3) | (s << 2) | kind;
      }
    }
  }
  sortByHash(keys, refs);

  const sameKey = (x: number, y: number) => {
    const kind = x & 3;
    if (kind !== (y & 3)) return false;
    const sx = (x >> 2) & 1;
    const sy = (y >> 2) & 1;
    const [xFrom, xTo] = keySpan(sides[sx]!, x >>> 3, kind, longest[sx]![x >>> 3]!);
    const [yFrom, yTo] = keySpan(sides[sy]!, y >>> 3, kind, longest[sy]![y >>> 3]!);
    return spansEqual(sides[sx]!.chars, xFrom, xTo, sides[sy]!.chars, yFrom, yTo);
  };
  let membersA = new Int32Array(64);
  let membersB = new Int32Array(64);
  const block = (members: ArrayLike<number>, from: number, to: number) => {
    let na = 0;
    let nb = 0;
    if (to - from > membersA.length) {
      membersA = new Int32Array(to - from);
      membersB = new Int32Array(to - from);
    }
    for (let r = from; r < to; r++) {
      const ref = members[r]!;
      if (ref & 4) membersB[nb++] = ref >>> 3;
      else membersA[na++] = ref >>> 3;
    }
    if (na > 0 && nb > 0) visit(membersA, na, membersB, nb);
  };
  for (let from = 0; from < total; ) {
    let to = from + 1;
    while (to < total && keys[to] === keys[from]) to++;
    let same = true;
    for (let r = from + 1; r < to && same; r++) same = sameKey(refs[from]!, refs[r]!);
    if (same) block(refs, from, to);
    else {
      // Different keys with one hash: split the run by key, keeping its order.
      const groups: number[][] = [];
      for (let r = from; r < to; r++) {
        const group = groups.find((members) => sameKey(members[0]!, refs[r]!));
        if (group) group.push(refs[r]!);
        else groups.push([refs[r]!]);
      }
      for (const members of groups) block(members, 0, members.length);
    }
    from = to;
  }
}

// ---------------------------------------------------------------------------
// Comparison

/** Scored pairs at or above the threshold, as parallel arrays of positions on each side. */
export interface CandidateColumns {
  a: Int32Array;
  b: Int32Array;
  score: Float64Array;
  count: number;
}

/**
 * Compares the leftovers of a block: all against all when the block is
 * small, by sorted neighbourhood when it is large. Two accounts are not
 * compared when both have a country and the countries differ, or both have a
 * website and the labels before the public suffix differ, or their lengths
 * make the threshold unreachable.
 */
export class BlockComparer {
  readonly candidates: CandidateColumns = { a: new Int32Array(1024), b: new Int32Array(1024), score: new Float64Array(1024), count: 0 };
  private readonly a: LeftoverColumns;
  private readonly b: LeftoverColumns;
  private readonly rankA: Int32Array;
  private readonly rankB: Int32Array;
  private readonly threshold: number;
  private readonly minRatio: number;

  constructor(a: LeftoverColumns, b: LeftoverColumns, threshold: number) {
    this.a = a;
    this.b = b;
    [this.rankA, this.rankB] = compactRanks(a.names, b.names);
    this.threshold = threshold;
    // A score is at most 2.25 x the shorter name's letters over both names' letters (a token earns credit only with one at most 1.25 times its length).
    this.minRatio = threshold / (2.25 - threshold);
  }

  block(ia: ArrayLike<number>, na: number, ib: ArrayLike<number>, nb: number): void {
    if (na * nb <= FULL_BLOCK_COMPARISONS) {
      for (let x = 0; x < na; x++) for (let y = 0; y < nb; y++) this.consider(ia[x]!, ib[y]!);
      return;
    }
    // Sorted neighbourhood: both sides' members are in canonical order (name
    // without spaces, then id); in their merged order (A before B on equal
    // names) each name meets the nearest NEIGHBOURHOOD names of the other
    // side after it.
    const { rankA, rankB } = this;
    let j = 0;
    for (let x = 0; x < na; x++) {
      const i = ia[x]!;
      const rank = rankA[i]!;
      while (j < nb && rankB[ib[j]!]! < rank) j++;
      for (let k = j; k < nb && k < j + NEIGHBOURHOOD; k++) this.consider(i, ib[k]!);
    }
    let i = 0;
    for (let y = 0; y < nb; y++) {
      const jb = ib[y]!;
      const rank = rankB[jb]!;
      while (i < na && rankA[ia[i]!]! <= rank) i++;
      for (let k = i; k < na && k < i + NEIGHBOURHOOD; k++) this.consider(ia[k]!, jb);
    }
  }

  private consider(i: number, j: number): void {
    const { a, b } = this;
    const ca = a.countries[i]!;
    const cb = b.countries[j]!;
    if (ca >= 0 && cb >= 0 && ca !== cb) return;
    const la = nameLength(a.names, i);
    const lb = nameLength(b.names, j);
    if (Math.min(la, lb) < this.minRatio * Math.max(la, lb)) return;
    const labelA = a.labels[i]!;
    const labelB = b.labels[j]!;
    if (labelA >= 0 && labelB >= 0 && labelA !== labelB) return;
    const score = roundScore(nameSimilarity(a.names, i, b.names, j));
    if (score < this.threshold) return;
    const out = this.candidates;
    if (out.count === out.a.length) {
      out.a = grow32(out.a, out.count + 1);
      out.b = grow32(out.b, out.count + 1);
      const scores = new Float64Array(out.count * 2);
      scores.set(out.score);
      out.score = scores;
    }
    out.a[out.count] = i;
    out.b[out.count] = j;
    out.score[out.count++] = score;
  }
}

/**
 * One partner per account: candidates best first (score, then A's and B's
 * canonical order), each taken when neither account is taken yet; a
 * candidate found in several blocks counts once. Returns the indices of the
 * candidates taken, in that order.
 */
export function assign(orderA: Int32Array, orderB: Int32Array, score: Float64Array, count: number): Int32Array {
  const sorted = Array.from({ length: count }, (_, k) => k);
  sorted.sort((x, y) => score[y]! - score[x]! || orderA[x]! - orderA[y]! || orderB[x]! - orderB[y]!);
  let maxA = 0;
  let maxB = 0;
  for (let k = 0; k < count; k++) {
    if (orderA[k]! > maxA) maxA = orderA[k]!;
    if (orderB[k]! > maxB) maxB = orderB[k]!;
  }
  const takenA = new Uint8Array(maxA + 1);
  const takenB = new Uint8Array(maxB + 1);
  const taken: number[] = [];
  for (const k of sorted) {
    const x = orderA[k]!;
    const y = orderB[k]!;
    if (takenA[x] || takenB[y]) continue;
    takenA[x] = 1;
    takenB[y] = 1;
    taken.push(k);
  }
  return Int32Array.from(taken);
}
