import { type CodeUnits, compareSpans, fnv1aCodes, inSharedMemory, spansEqual } from './account-table.ts';
import { grow32, type NameColumns, nameLength, nameSimilarity, roundScore } from './similarity.ts';

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

/** One side's accounts for the name stage, by position in canonical order. */
export interface LeftoverColumns {
  names: NameColumns;
  /** Country id, shared by both sides, or -1. */
  countries: Int32Array;
  /** The website's label (the domain before its first dot) is `labelChars[labelFrom..labelTo)`; -1 without a website. */
  labelChars: CodeUnits;
  labelFrom: Int32Array;
  labelTo: Int32Array;
}

// ---------------------------------------------------------------------------
// Canonical order

/**
 * Sorts the indices 0 to n - 1 by the whole number `primary[k]`, then by
 * `tie`. The primary key and the index are packed into one double and sorted
 * natively; only runs of equal primary keys go through `tie`. `primary` must
 * stay below 2^53 / 2^(bits of n).
 */
function sortIndices(primary: Float64Array, tie: (x: number, y: number) => number): Int32Array {
  const n = primary.length;
  const scale = 2 ** indexBits(n);
  const packed = new Float64Array(n);
  for (let k = 0; k < n; k++) packed[k] = primary[k]! * scale + k;
  packed.sort();
  const out = new Int32Array(n);
  for (let k = 0; k < n; k++) out[k] = packed[k]! % scale;
  for (let from = 0; from < n; ) {
    const key = primary[out[from]!]!;
    let to = from + 1;
    while (to < n && primary[out[to]!] === key) to++;
    if (to - from > 1) out.set(Array.from(out.subarray(from, to)).sort(tie), from);
    from = to;
  }
  return out;
}

/** Bits needed to write 0 to n - 1. */
function indexBits(n: number): number {
  return Math.max(1, Math.ceil(Math.log2(n + 1)));
}

/**
 * The canonical order of names: by the name without spaces (code unit by
 * code unit, a prefix first), then by `tie` (the account's id). Returns the
 * permutation: position -> index. The first letters, in a dense alphabet of
 * the letters that occur, make the packed primary key of `sortIndices`.
 */
export function canonicalPermutation(names: NameColumns, tie: (x: number, y: number) => number): Int32Array {
  const n = names.starts.length - 1;
  const { chars, starts } = names;
  const LOOK = 8;
  const dense = new Int32Array(65_536);
  for (let k = 0; k < n; k++) for (let at = starts[k]!; at < starts[k + 1]! && at < starts[k]! + LOOK; at++) dense[chars[at]!] = 1;
  let letters = 0;
  for (let c = 0; c < 65_536; c++) if (dense[c]) dense[c] = ++letters;
  const radix = letters + 1;
  const width = Math.max(1, Math.min(LOOK, Math.floor((53 - indexBits(n)) / Math.log2(radix))));
  const primary = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const from = starts[k]!;
    const to = starts[k + 1]!;
    let key = 0;
    for (let p = 0; p < width; p++) key = key * radix + (from + p < to ? dense[chars[from + p]!]! : 0);
    primary[k] = key;
  }
  return sortIndices(primary, (x, y) => compareSpans(chars, starts[x]!, starts[x + 1]!, chars, starts[y]!, starts[y + 1]!) || tie(x, y));
}

/**
 * Ranks of both sides' names (each side in canonical order) on one scale:
 * equal names without spaces get equal ranks, so the sorted neighbourhood
 * compares numbers, not strings. In shared memory (a comparison thread reads them).
 */
export function compactRanks(a: NameColumns, b: NameColumns): [Int32Array, Int32Array] {
  const na = a.starts.length - 1;
  const nb = b.starts.length - 1;
  const rankA = new Int32Array(new SharedArrayBuffer(na * 4));
  const rankB = new Int32Array(new SharedArrayBuffer(nb * 4));
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

/** Where block key `kind` of name `k` starts (without its marker), given the name's longest token. */
function keyFrom(names: NameColumns, k: number, kind: number, longest: number): number {
  if (kind === KIND_FIRST) return names.starts[k]!;
  if (kind === KIND_LAST) return names.starts[k + 1]! - 4;
  return longest === names.firstToken[k] ? names.starts[k]! : names.tokenEnds[longest - 1]!;
}

/** Where block key `kind` of name `k` ends. */
function keyTo(names: NameColumns, k: number, kind: number, longest: number): number {
  if (kind === KIND_FIRST) return names.starts[k]! + 4;
  if (kind === KIND_LAST) return names.starts[k + 1]!;
  return names.tokenEnds[longest]!;
}

/** FNV-1a of the block key's text (`t:` + token, `^` + first four, `$` + last four letters): its shard is this modulo the shard count. */
function keyHash(names: NameColumns, k: number, kind: number, longest: number): number {
  let hash = Math.imul(0x811c9dc5 ^ KIND_CHARS[kind]!, 0x01000193);
  if (kind === KIND_TOKEN) hash = Math.imul(hash ^ COLON, 0x01000193);
  return fnv1aCodes(names.chars, keyFrom(names, k, kind, longest), keyTo(names, k, kind, longest), hash);
}

/** Writes the block key hashes of name `k` at `out[at + kind]` (kinds 1 and 2 only for names of more than four letters). */
export function nameKeyHashes(names: NameColumns, k: number, longest: number, out: Uint32Array, at: number): void {
  if (longest < 0) return;
  const kinds = nameLength(names, k) > 4 ? 3 : 1;
  for (let kind = 0; kind < kinds; kind++) out[at + kind] = keyHash(names, k, kind, longest);
}

/** The block keys of name `k` as text (`t:systems`, `^acme`, `$tems`). */
export function blockKeysOf(names: NameColumns, k: number): string[] {
  const longest = longestToken(names, k);
  if (longest < 0) return [];
  const text = (kind: number) =>
    String.fromCharCode(KIND_CHARS[kind]!) + (kind === KIND_TOKEN ? ':' : '') + String.fromCharCode(...names.chars.subarray(keyFrom(names, k, kind, longest), keyTo(names, k, kind, longest)));
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

/** One side's names for a `BlockIndex`. */
export interface BlockSide {
  names: NameColumns;
  members?: Int32Array;
  longest?: Int32Array;
  hashes?: Uint32Array;
}

/** A `BlockIndex` as plain data (typed arrays), to rebuild it in another thread. */
export interface BlockIndexData {
  sides: [NameColumns, NameColumns];
  longest: [Int32Array, Int32Array];
  /** Per side, per (position * 3 + kind): the key's hash, and 1 when its block is compared all against all. */
  hashes: [Uint32Array, Uint32Array];
  full: [Uint8Array, Uint8Array];
  /** position << 3 | side << 2 | kind, sorted by key hash, one block after the other. */
  refs: Int32Array;
  /** Where each block starts in `refs` (and, last, where the last one ends). */
  starts: Int32Array;
}

/**
 * The blocks of both sides' names (each side in canonical order): every
 * (key hash, side, position) sorted, and the keys of equal hashes checked to
 * be equal. Knows which blocks are small enough to be compared all against
 * all, so that a pair two blocks share is compared once.
 */
export class BlockIndex {
  private readonly sides: [NameColumns, NameColumns];
  private readonly longest: [Int32Array, Int32Array];
  private readonly hashes: [Uint32Array, Uint32Array];
  private readonly full: [Uint8Array, Uint8Array];
  private readonly refs: Int32Array;
  private readonly starts: Int32Array;

  /** An index built before (`build`, `data`). */
  constructor(data: BlockIndexData) {
    ({ sides: this.sides, longest: this.longest, hashes: this.hashes, full: this.full, refs: this.refs, starts: this.starts } = data);
  }

  /**
   * The blocks of both sides. `members`: the positions of each side in the
   * blocks (all when absent), in increasing order; `longest` and `hashes`
   * when already computed (`SideIndex`). What another thread reads of the
   * index (`data`) is built in shared memory.
   */
  static build(a: BlockSide, b: BlockSide): BlockIndex {
    const sides: [NameColumns, NameColumns] = [a.names, b.names];
    const prepare = (side: BlockSide): [Int32Array, Uint32Array] => {
      if (side.longest && side.hashes) return [side.longest, side.hashes];
      const n = side.names.starts.length - 1;
      const longest = new Int32Array(n);
      const hashes = new Uint32Array(n * 3);
      for (let k = 0; k < n; k++) {
        longest[k] = longestToken(side.names, k);
        nameKeyHashes(side.names, k, longest[k]!, hashes, k * 3);
      }
      return [longest, hashes];
    };
    const [longestA, hashesA] = prepare(a);
    const [longestB, hashesB] = prepare(b);
    const longestOf: [Int32Array, Int32Array] = [longestA, longestB];
    const hashesOf: [Uint32Array, Uint32Array] = [hashesA, hashesB];
    const membersOf = (side: BlockSide) => side.members ?? Int32Array.from({ length: side.names.starts.length - 1 }, (_, k) => k);
    const members = [membersOf(a), membersOf(b)];
    let total = 0;
    for (let s = 0; s < 2; s++) {
      const names = sides[s]!;
      const longest = longestOf[s]!;
      for (const k of members[s]!) if (longest[k]! >= 0) total += nameLength(names, k) > 4 ? 3 : 1;
    }
    const keys = new Uint32Array(total);
    const refs = new Int32Array(new SharedArrayBuffer(total * 4));
    let e = 0;
    for (let s = 0; s < 2; s++) {
      const names = sides[s]!;
      const longest = longestOf[s]!;
      const hashes = hashesOf[s]!;
      for (const k of members[s]!) {
        if (longest[k]! < 0) continue;
        const kinds = nameLength(names, k) > 4 ? 3 : 1;
        for (let kind = 0; kind < kinds; kind++) {
          keys[e] = hashes[k * 3 + kind]!;
          refs[e++] = (k << 3) | (s << 2) | kind;
        }
      }
    }
    sortByHash(keys, refs);
    const full: [Uint8Array, Uint8Array] = [new Uint8Array(new SharedArrayBuffer(longestA.length * 3)), new Uint8Array(new SharedArrayBuffer(longestB.length * 3))];
    // Keys are compared through an index whose blocks are not known yet.
    const keysOnly = new BlockIndex({ sides, longest: longestOf, hashes: hashesOf, full, refs, starts: new Int32Array(0) });
    // Blocks: runs of equal hashes whose keys are equal (a run of different keys with one hash is split, its order kept).
    let starts: Int32Array = new Int32Array(1024);
    let blocks = 0;
    const push = (at: number) => {
      if (blocks === starts.length) starts = grow32(starts, blocks + 1);
      starts[blocks++] = at;
    };
    for (let from = 0; from < total; ) {
      let to = from + 1;
      while (to < total && keys[to] === keys[from]) to++;
      let same = true;
      for (let r = from + 1; r < to && same; r++) same = keysOnly.sameKey(refs[from]!, refs[r]!);
      if (same) push(from);
      else {
        const groups: number[][] = [];
        for (let r = from; r < to; r++) {
          const group = groups.find((members) => keysOnly.sameKey(members[0]!, refs[r]!));
          if (group) group.push(refs[r]!);
          else groups.push([refs[r]!]);
        }
        let at = from;
        for (const members of groups) {
          push(at);
          refs.set(members, at);
          at += members.length;
        }
      }
      from = to;
    }
    push(total);
    const index = new BlockIndex({ sides, longest: longestOf, hashes: hashesOf, full, refs, starts: inSharedMemory(starts.subarray(0, blocks)) });
    index.forEach((ia, na, ib, nb, kind) => {
      if (na * nb > FULL_BLOCK_COMPARISONS) return;
      for (let x = 0; x < na; x++) full[0][ia[x]! * 3 + kind] = 1;
      for (let y = 0; y < nb; y++) full[1][ib[y]! * 3 + kind] = 1;
    });
    return index;
  }

  /** The index as plain data. */
  data(): BlockIndexData {
    return { sides: this.sides, longest: this.longest, hashes: this.hashes, full: this.full, refs: this.refs, starts: this.starts };
  }

  /** Number of blocks (with one member or more). */
  get blocks(): number {
    return Math.max(0, this.starts.length - 1);
  }

  /**
   * Splits the blocks into at most `count` runs of consecutive blocks with
   * about as many members each; returns where each run starts (and, last,
   * where the last one ends), in blocks.
   */
  chunks(count: number): Int32Array {
    const { starts } = this;
    const blocks = this.blocks;
    const out: number[] = [0];
    const total = blocks === 0 ? 0 : starts[blocks]! - starts[0]!;
    for (let chunk = 1, block = 0; chunk < count; chunk++) {
      const target = starts[0]! + (total * chunk) / count;
      while (block < blocks && starts[block]! < target) block++;
      if (block > out[out.length - 1]! && block < blocks) out.push(block);
    }
    out.push(blocks);
    return Int32Array.from(out);
  }

  /** Calls `visit(membersA, countA, membersB, countB, kind)` once per block both sides are in, of blocks `fromBlock` to `toBlock - 1` (the arrays are reused between calls). */
  forEach(visit: (membersA: Int32Array, countA: number, membersB: Int32Array, countB: number, kind: number) => void, fromBlock = 0, toBlock = this.blocks): void {
    const { starts, refs } = this;
    let membersA = new Int32Array(64);
    let membersB = new Int32Array(64);
    for (let block = fromBlock; block < toBlock; block++) {
      const from = starts[block]!;
      const to = starts[block + 1]!;
      if (to - from < 2) continue;
      if (to - from > membersA.length) {
        membersA = new Int32Array(to - from);
        membersB = new Int32Array(to - from);
      }
      let na = 0;
      let nb = 0;
      for (let r = from; r < to; r++) {
        const ref = refs[r]!;
        if (ref & 4) membersB[nb++] = ref >>> 3;
        else membersA[na++] = ref >>> 3;
      }
      if (na > 0 && nb > 0) visit(membersA, na, membersB, nb, refs[from]! & 3);
    }
  }

  /** True when A's name `i` and B's name `j` share a block of a kind before `kind` that is compared all against all: they meet there. */
  metBefore(i: number, j: number, kind: number): boolean {
    for (let before = 0; before < kind; before++) {
      const x = i * 3 + before;
      const y = j * 3 + before;
      if (this.full[0][x] && this.full[1][y] && this.hashes[0][x] === this.hashes[1][y] && this.sameKey((i << 3) | before, (j << 3) | 4 | before)) return true;
    }
    return false;
  }

  private sameKey(x: number, y: number): boolean {
    const kind = x & 3;
    if (kind !== (y & 3)) return false;
    const nx = this.sides[(x >> 2) & 1]!;
    const ny = this.sides[(y >> 2) & 1]!;
    const lx = this.longest[(x >> 2) & 1]![x >>> 3]!;
    const ly = this.longest[(y >> 2) & 1]![y >>> 3]!;
    return spansEqual(nx.chars, keyFrom(nx, x >>> 3, kind, lx), keyTo(nx, x >>> 3, kind, lx), ny.chars, keyFrom(ny, y >>> 3, kind, ly), keyTo(ny, y >>> 3, kind, ly));
  }
}

// ---------------------------------------------------------------------------
// Comparison

/** Scored pairs at or above the threshold, as parallel arrays of positions on each side. */
export interface CandidateColumns {
  a: Int32Array;
  b: Int32Array;
  score: Float64Array;
  /** 1 when both accounts have a country and it is the same (a tie-break of the assignment). */
  sameCountry: Uint8Array;
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
  readonly candidates: CandidateColumns = { a: new Int32Array(1024), b: new Int32Array(1024), score: new Float64Array(1024), sameCountry: new Uint8Array(1024), count: 0 };
  private readonly a: LeftoverColumns;
  private readonly b: LeftoverColumns;
  private readonly rankA: Int32Array;
  private readonly rankB: Int32Array;
  private readonly threshold: number;
  private readonly minRatio: number;
  private index: BlockIndex | undefined;
  private kind = 0;

  /** `ranks`: `compactRanks(a.names, b.names)` when already computed. */
  constructor(a: LeftoverColumns, b: LeftoverColumns, threshold: number, ranks = compactRanks(a.names, b.names)) {
    this.a = a;
    this.b = b;
    [this.rankA, this.rankB] = ranks;
    this.threshold = threshold;
    // A score is at most 2.25 x the shorter name's letters over both names' letters (a token earns credit only with one at most 1.25 times its length).
    this.minRatio = threshold / (2.25 - threshold);
  }

  /**
   * Compares the members of one block. With the index of all blocks and the
   * block's kind, a pair that also shares an earlier kind's block compared
   * all against all is left to that block.
   */
  block(ia: ArrayLike<number>, na: number, ib: ArrayLike<number>, nb: number, index?: BlockIndex, kind = 0): void {
    this.index = kind > 0 ? index : undefined;
    this.kind = kind;
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
    const labelA = a.labelFrom[i]!;
    const labelB = b.labelFrom[j]!;
    if (labelA >= 0 && labelB >= 0 && !spansEqual(a.labelChars, labelA, a.labelTo[i]!, b.labelChars, labelB, b.labelTo[j]!)) return;
    if (this.index?.metBefore(i, j, this.kind)) return;
    const score = roundScore(nameSimilarity(a.names, i, b.names, j));
    if (score < this.threshold) return;
    const out = this.candidates;
    if (out.count === out.a.length) {
      out.a = grow32(out.a, out.count + 1);
      out.b = grow32(out.b, out.count + 1);
      const scores = new Float64Array(out.count * 2);
      scores.set(out.score);
      out.score = scores;
      const same = new Uint8Array(out.count * 2);
      same.set(out.sameCountry);
      out.sameCountry = same;
    }
    out.a[out.count] = i;
    out.b[out.count] = j;
    out.sameCountry[out.count] = ca >= 0 && ca === cb ? 1 : 0;
    out.score[out.count++] = score;
  }
}

// ---------------------------------------------------------------------------
// Comparison on more than one thread

/**
 * The comparison of every block of an index, as plain data that threads
 * share: each thread claims runs of blocks (chunks) one after the other
 * until none is left, so a busy thread does less and none waits for
 * another. The large arrays are in shared memory (the index, the ranks, the
 * side indexes read in worker threads), so posting a job copies little.
 */
export interface CompareJob {
  a: LeftoverColumns;
  b: LeftoverColumns;
  ranks: [Int32Array, Int32Array];
  blocks: BlockIndexData;
  threshold: number;
  /** Where each chunk starts, in blocks (`BlockIndex.chunks`). */
  chunks: Int32Array;
  /** The next chunk to claim: one number in shared memory. */
  next: Int32Array;
}

/** The candidates one thread found, and which chunks it compared, in order, with the candidates' count after each. */
export interface ClaimedCandidates {
  candidates: CandidateColumns;
  chunks: Int32Array;
  ends: Int32Array;
}

/** Chunks per job: enough for a thread that was held up to leave the rest to the other. */
export const COMPARE_CHUNKS = 64;

export function compareJob(a: LeftoverColumns, b: LeftoverColumns, blocks: BlockIndex, threshold: number, chunks = COMPARE_CHUNKS): CompareJob {
  return { a, b, ranks: compactRanks(a.names, b.names), blocks: blocks.data(), threshold, chunks: blocks.chunks(chunks), next: new Int32Array(new SharedArrayBuffer(4)) };
}

/** Compares the job's chunks this thread claims, until none is left (or `maxChunks` are done). */
export function compareClaimed(job: CompareJob, maxChunks = Infinity): ClaimedCandidates {
  const comparer = new BlockComparer(job.a, job.b, job.threshold, job.ranks);
  const index = new BlockIndex(job.blocks);
  const visit = (membersA: Int32Array, na: number, membersB: Int32Array, nb: number, kind: number) => comparer.block(membersA, na, membersB, nb, index, kind);
  const chunks: number[] = [];
  const ends: number[] = [];
  const count = job.chunks.length - 1;
  for (let chunk = Atomics.add(job.next, 0, 1); chunk < count; chunk = chunks.length < maxChunks ? Atomics.add(job.next, 0, 1) : count) {
    index.forEach(visit, job.chunks[chunk], job.chunks[chunk + 1]);
    chunks.push(chunk);
    ends.push(comparer.candidates.count);
  }
  const { a, b, score, sameCountry, count: found } = comparer.candidates;
  return {
    candidates: { a: a.slice(0, found), b: b.slice(0, found), score: score.slice(0, found), sameCountry: sameCountry.slice(0, found), count: found },
    chunks: Int32Array.from(chunks),
    ends: Int32Array.from(ends),
  };
}

/** The candidates of every thread in chunk order: the same, in the same order, as one thread comparing all blocks. */
export function mergeClaimed(parts: readonly ClaimedCandidates[]): CandidateColumns {
  const runs: { part: ClaimedCandidates; from: number; to: number; chunk: number }[] = [];
  for (const part of parts) part.chunks.forEach((chunk, k) => runs.push({ part, chunk, from: k === 0 ? 0 : part.ends[k - 1]!, to: part.ends[k]! }));
  runs.sort((x, y) => x.chunk - y.chunk);
  const count = parts.reduce((sum, part) => sum + part.candidates.count, 0);
  const out: CandidateColumns = { a: new Int32Array(count), b: new Int32Array(count), score: new Float64Array(count), sameCountry: new Uint8Array(count), count };
  let at = 0;
  for (const { part, from, to } of runs) {
    out.a.set(part.candidates.a.subarray(from, to), at);
    out.b.set(part.candidates.b.subarray(from, to), at);
    out.score.set(part.candidates.score.subarray(from, to), at);
    out.sameCountry.set(part.candidates.sameCountry.subarray(from, to), at);
    at += to - from;
  }
  return out;
}

/**
 * One partner per account: candidates best first — by score, then those
 * whose accounts have the same country before those where a country is
 * unknown, then A's and B's canonical order — each taken when neither
 * account is taken yet; a candidate found in several blocks counts once.
 * Returns the indices of the candidates taken, in that order.
 */
export function assign(orderA: Int32Array, orderB: Int32Array, score: Float64Array, sameCountry: Uint8Array, count: number): Int32Array {
  let maxA = 0;
  let maxB = 0;
  for (let k = 0; k < count; k++) {
    if (orderA[k]! > maxA) maxA = orderA[k]!;
    if (orderB[k]! > maxB) maxB = orderB[k]!;
  }
  // Primary key: the score's four decimals, best first, and the same country first, then A's order when all fit.
  const withA = 15 + indexBits(maxA + 1) + indexBits(count) <= 53;
  const scaleA = 2 ** indexBits(maxA + 1);
  const primary = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const rank = (10_000 - Math.round(score[k]! * 10_000)) * 2 + (sameCountry[k] ? 0 : 1);
    primary[k] = withA ? rank * scaleA + orderA[k]! : rank;
  }
  const sorted = sortIndices(primary, (x, y) => orderA[x]! - orderA[y]! || orderB[x]! - orderB[y]!);
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
