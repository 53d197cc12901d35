import { POPULATIONS, type Population } from '../terms.ts';
import { AccountTable, fnv1aString, type NormalisedAccount, StringColumn } from './account-table.ts';
import {
  assign,
  BlockComparer,
  BlockIndex,
  blockKeysOf,
  type CandidateColumns,
  canonicalPermutation,
  type ClaimedCandidates,
  compareClaimed,
  type CompareJob,
  compareJob,
  type LeftoverColumns,
  mergeClaimed,
} from './name-stage.ts';
import { groupRows, indexSide, type SideIndex } from './side-index.ts';
import { NameColumnsBuilder } from './similarity.ts';

export { AccountTable, type AccountTableData, type NormalisedAccount } from './account-table.ts';
export { type ClaimedCandidates, compareClaimed, type CompareJob, FULL_BLOCK_COMPARISONS, NEIGHBOURHOOD } from './name-stage.ts';
export { roundScore, scoreNames } from './similarity.ts';

/**
 * The matcher: two partners' normalised account lists in, the pairs of
 * accounts they have in common and the 9-box out. Pure and deterministic: the
 * same inputs give the same pairs in the same order, byte for byte, however
 * many shards the work was split into. docs/matching.md explains the choices
 * and the measurements behind them.
 *
 * 1. Deduplicate each side: rows with the same registrable domain are one
 *    account; rows without a domain are one account when their name keys are
 *    equal. The account takes the strongest population of its rows
 *    (customer > opportunity > prospect) and keeps all their refs.
 * 2. Domain: accounts of both sides with the same domain key match (score 1).
 * 3. Name: the accounts left on each side are grouped into blocks (the
 *    longest token, the first and the last four letters of the name); within
 *    a block names are compared all against all when the block is small, by
 *    sorted neighbourhood when it is large — never a quadratic pass over a
 *    side. Pairs at or above the threshold are kept, best first, one partner
 *    per account.
 *
 * Sharding: stage 1 and 2 are local to the shard of each row's key (its
 * domain, or its name when it has none); stage 3 is local to the shard of each
 * block key; the final assignment and ordering run once over the candidates
 * of every shard. `matchAccounts(a, b, options, shards)` runs the shards
 * inline (one shard: on columns throughout, without the per-shard objects);
 * on AWS a Distributed Map runs the same functions per shard.
 */

// ---------------------------------------------------------------------------
// Output

export type MatchMethod = 'domain' | 'name';

/** One account both sides have: the refs of side A's rows and of side B's rows that are this account. */
export interface MatchPair {
  a: string[];
  b: string[];
  method: MatchMethod;
  /** 1 for a domain match; the name similarity, rounded to four decimals, for a name match. */
  score: number;
  /** What matched: the domain key, or each side's name key. */
  keys: { domain?: string; nameA?: string; nameB?: string };
  /** [A's population, B's population] of the account. */
  cell: [Population, Population];
}

/** What the matcher reads of the terms (`terms.matching`); blind mode is decided before the matcher. */
export interface MatchOptions {
  domain: boolean;
  name: boolean;
  /** The least name similarity, 0.5 to 1, for a name match. */
  fuzzyThreshold: number;
}

export const DEFAULT_MATCH_OPTIONS: Readonly<MatchOptions> = { domain: true, name: true, fuzzyThreshold: 0.9 };

export interface SideCounts {
  /** Rows read into the matcher. */
  rows: number;
  /** Accounts after deduplication (rows with neither a domain nor a name are not accounts). */
  accounts: number;
}

export interface MatchResult {
  /** In canonical order; see `comparePairs`. */
  pairs: MatchPair[];
  a: SideCounts;
  b: SideCounts;
}

// ---------------------------------------------------------------------------
// Shards

/** 32-bit FNV-1a over the UTF-16 code units of a key: stable across runs, machines and versions. */
export function fnv1a(key: string): number {
  return fnv1aString(key);
}

/** The shard, 0 to shards - 1, of a blocking key. */
export function shardOf(key: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be a whole number of at least 1, not ${shards}`);
  return shards === 1 ? 0 : fnv1a(key) % shards;
}

/** The key that decides a row's shard in the deduplication and domain stage: its domain, or its name when it has none. */
export function rowShardKey(account: Pick<NormalisedAccount, 'domainKey' | 'nameKey'>, options: Pick<MatchOptions, 'domain'> = DEFAULT_MATCH_OPTIONS): string {
  return options.domain && account.domainKey ? `d:${account.domainKey}` : `n:${account.nameKey}`;
}

/** Splits a table by `rowShardKey`; each shard keeps its rows in their original order. */
export function partitionRows(table: AccountTable, shards: number, options: Pick<MatchOptions, 'domain'> = DEFAULT_MATCH_OPTIONS): AccountTable[] {
  const parts = Array.from({ length: shards }, () => new AccountTable());
  for (let row = 0; row < table.length; row++) {
    const account = table.row(row);
    parts[shardOf(rowShardKey(account, options), shards)]!.add(account);
  }
  return parts;
}

// ---------------------------------------------------------------------------
// Stage 1 and 2: deduplicate, match on domain (per row shard)

/** An account of one side left unmatched by domain, for the name stage. */
export interface Leftover {
  /** Unique on its side: `d:` + domain key, or `n:` + name key. */
  id: string;
  refs: string[];
  rank: number;
  domainKey?: string;
  nameKey: string;
  country?: string;
  /** Position in its side's canonical order (name without spaces, then id), set by `partitionBlocks`. */
  order?: number;
}

export interface DomainStage {
  pairs: MatchPair[];
  leftA: Leftover[];
  leftB: Leftover[];
  a: SideCounts;
  b: SideCounts;
}

/** A side's groups (see `SideIndex`) with its table. */
type Groups = Pick<SideIndex, 'domainGroups' | 'rep' | 'start' | 'members' | 'accounts'> & { table: AccountTable };

function group(table: AccountTable, useDomain: boolean): Groups {
  return { table, ...groupRows(table, useDomain) };
}

function refsOf(groups: Groups, g: number): string[] {
  const refs: string[] = [];
  for (let k = groups.start[g]!; k < groups.start[g + 1]!; k++) refs.push(groups.table.ref(groups.members[k]!));
  return refs;
}

/** Deduplicates both sides and matches their accounts on domain; marks the matched domain groups. */
function domainStage(ga: Groups, gb: Groups, useDomain: boolean): { pairs: MatchPair[]; matchedA: Uint8Array; matchedB: Uint8Array } {
  const pairs: MatchPair[] = [];
  const matchedA = new Uint8Array(ga.domainGroups);
  const matchedB = new Uint8Array(gb.domainGroups);
  if (useDomain) {
    const domainsA = ga.table.domains.values;
    for (let da = 0; da < ga.domainGroups; da++) {
      const repA = ga.rep[da]!;
      if (repA < 0) continue;
      const db = gb.table.domains.findOf(ga.table.domains, da);
      if (db < 0 || db >= gb.domainGroups) continue;
      const repB = gb.rep[db]!;
      if (repB < 0) continue;
      matchedA[da] = 1;
      matchedB[db] = 1;
      pairs.push({
        a: refsOf(ga, da),
        b: refsOf(gb, db),
        method: 'domain',
        score: 1,
        keys: { domain: domainsA.get(da) },
        cell: [ga.table.population(repA), gb.table.population(repB)],
      });
    }
  }
  return { pairs, matchedA, matchedB };
}

/** The groups left for the name stage: unmatched domain accounts with a name, and every name account. */
function leftoverGroups(groups: Groups, matched: Uint8Array): Int32Array {
  const out: number[] = [];
  const { table, rep } = groups;
  for (let g = 0; g < rep.length; g++) {
    const row = rep[g]!;
    if (row < 0) continue;
    if (g < groups.domainGroups && (matched[g] || table.names.end(row) === table.names.start(row))) continue;
    out.push(g);
  }
  return Int32Array.from(out);
}

/**
 * Deduplicates both sides of one row shard and matches their accounts on
 * domain; returns the domain pairs and each side's accounts left for the name
 * stage (none when `options.name` is off).
 */
export function matchShard(a: AccountTable, b: AccountTable, options: MatchOptions = DEFAULT_MATCH_OPTIONS): DomainStage {
  const ga = group(a, options.domain);
  const gb = group(b, options.domain);
  const { pairs, matchedA, matchedB } = domainStage(ga, gb, options.domain);
  const leftovers = (groups: Groups, matched: Uint8Array): Leftover[] => {
    if (!options.name) return [];
    return Array.from(leftoverGroups(groups, matched), (g) => {
      const { table } = groups;
      const rep = groups.rep[g]!;
      const nameKey = table.nameKey(rep);
      const domainKey = g < groups.domainGroups ? table.domains.values.get(g) : undefined;
      const leftover: Leftover = {
        id: domainKey === undefined ? `n:${nameKey}` : `d:${domainKey}`,
        refs: refsOf(groups, g),
        rank: table.rank(rep),
        ...(domainKey === undefined ? {} : { domainKey }),
        nameKey,
      };
      const country = table.country(rep);
      if (country !== undefined) leftover.country = country;
      return leftover;
    });
  };
  return {
    pairs,
    leftA: leftovers(ga, matchedA),
    leftB: leftovers(gb, matchedB),
    a: { rows: a.length, accounts: ga.accounts },
    b: { rows: b.length, accounts: gb.accounts },
  };
}

// ---------------------------------------------------------------------------
// Stage 3: names within blocks (per block shard)

/**
 * The block keys of a name key: its longest token (the first in code-unit
 * order of equals, so word order does not matter), and the first and the
 * last four letters of the name without spaces. Two names that score 0.9
 * share their longest word or, when a typo hit it, their beginning or their
 * end.
 */
export function blockKeys(nameKey: string): string[] {
  const builder = new NameColumnsBuilder(1);
  builder.add(nameKey);
  return blockKeysOf(builder.build(), 0);
}

export interface BlockShard {
  /** Block key -> indices into `a` and `b`. */
  blocks: Map<string, { a: number[]; b: number[] }>;
  a: Leftover[];
  b: Leftover[];
}

function compareStrings(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Country ids shared by both sides of a name stage. */
class CountryIds {
  private readonly ids = new Map<string, number>();

  of(country: string | undefined): number {
    if (country === undefined) return -1;
    let id = this.ids.get(country);
    if (id === undefined) this.ids.set(country, (id = this.ids.size));
    return id;
  }
}

/** Leftover objects, in the order given, as columns. */
function leftoverColumns(left: readonly Leftover[], countries: CountryIds): LeftoverColumns {
  const builder = new NameColumnsBuilder(left.length);
  const labels = new StringColumn();
  const labelFrom = new Int32Array(left.length).fill(-1);
  const labelTo = new Int32Array(left.length).fill(-1);
  left.forEach((leftover, k) => {
    builder.add(leftover.nameKey);
    const domain = leftover.domainKey;
    if (domain === undefined) return;
    const dot = domain.indexOf('.');
    const id = labels.push(dot < 0 ? domain : domain.slice(0, dot));
    labelFrom[k] = labels.start(id);
    labelTo[k] = labels.end(id);
  });
  return { names: builder.build(), countries: Int32Array.from(left, (leftover) => countries.of(leftover.country)), labelChars: labels.chars, labelFrom, labelTo };
}

/**
 * Splits both sides' leftovers into block shards by `shardOf(blockKey)`; a
 * leftover goes to every shard one of its blocks falls in. Sets each
 * leftover's `order` (its position in its side's canonical order: name
 * without spaces, then id).
 */
export function partitionBlocks(leftA: readonly Leftover[], leftB: readonly Leftover[], shards: number): BlockShard[] {
  const parts: BlockShard[] = Array.from({ length: shards }, () => ({ blocks: new Map(), a: [], b: [] }));
  const place = (left: readonly Leftover[], side: 'a' | 'b') => {
    const builder = new NameColumnsBuilder(left.length);
    for (const leftover of left) builder.add(leftover.nameKey);
    const names = builder.build();
    const permutation = canonicalPermutation(names, (x, y) => compareStrings(left[x]!.id, left[y]!.id));
    const lastIndex = new Int32Array(shards).fill(-1);
    const seenAt = new Int32Array(shards).fill(-1);
    permutation.forEach((k, n) => {
      const leftover = left[k]!;
      leftover.order = n;
      for (const key of blockKeysOf(names, k)) {
        const shard = shardOf(key, shards);
        const part = parts[shard]!;
        if (seenAt[shard] !== n) {
          seenAt[shard] = n;
          lastIndex[shard] = part[side].length;
          part[side].push(leftover);
        }
        let block = part.blocks.get(key);
        if (!block) {
          block = { a: [], b: [] };
          part.blocks.set(key, block);
        }
        block[side].push(lastIndex[shard]!);
      }
    });
  };
  place(leftA, 'a');
  place(leftB, 'b');
  for (const part of parts) for (const [key, block] of part.blocks) if (block.a.length === 0 || block.b.length === 0) part.blocks.delete(key);
  return parts;
}

/** A scored pair of leftovers at or above the threshold. */
export interface Candidate {
  a: Leftover;
  b: Leftover;
  score: number;
}

/**
 * The name stage of one block shard: every pair of leftovers that share a
 * block and whose names score at or above the threshold, unless their
 * countries differ or their websites do. Websites differ when both sides have
 * one and the labels before the public suffix differ (acme.com and acme.de
 * agree; nordvik.com and nordvik-logistics.no do not): measured on generated
 * data, this veto buys more precision than it costs recall (docs/matching.md).
 */
export function matchBlockShard(shard: BlockShard, options: MatchOptions = DEFAULT_MATCH_OPTIONS): Candidate[] {
  const countries = new CountryIds();
  const comparer = new BlockComparer(leftoverColumns(shard.a, countries), leftoverColumns(shard.b, countries), options.fuzzyThreshold);
  for (const block of shard.blocks.values()) comparer.block(block.a, block.a.length, block.b, block.b.length);
  const { a, b, score, count } = comparer.candidates;
  return Array.from({ length: count }, (_, k) => ({ a: shard.a[a[k]!]!, b: shard.b[b[k]!]!, score: score[k]! }));
}

// ---------------------------------------------------------------------------
// Merge: assignment, order, output

/**
 * One partner per account: candidates best first (score, then the same
 * country before an unknown one, then A's and B's canonical order), each
 * taken when neither account is taken yet. Candidates found in several
 * blocks or shards count once.
 */
export function assignNames(candidates: readonly Candidate[]): MatchPair[] {
  const orderA = Int32Array.from(candidates, (candidate) => candidate.a.order!);
  const orderB = Int32Array.from(candidates, (candidate) => candidate.b.order!);
  const score = Float64Array.from(candidates, (candidate) => candidate.score);
  const sameCountry = Uint8Array.from(candidates, ({ a, b }) => (a.country !== undefined && a.country === b.country ? 1 : 0));
  return Array.from(assign(orderA, orderB, score, sameCountry, candidates.length), (k) => {
    const { a, b } = candidates[k]!;
    return { a: a.refs, b: b.refs, method: 'name', score: score[k]!, keys: { nameA: a.nameKey, nameB: b.nameKey }, cell: [POPULATIONS[a.rank]!, POPULATIONS[b.rank]!] };
  });
}

function firstKey(pair: MatchPair): string {
  return pair.keys.domain ?? pair.keys.nameA ?? '';
}

/** Canonical order: domain pairs by domain, then name pairs by A's name, B's name and refs. */
export function comparePairs(x: MatchPair, y: MatchPair): number {
  if (x.method !== y.method) return x.method === 'domain' ? -1 : 1;
  return (
    compareStrings(firstKey(x), firstKey(y)) ||
    compareStrings(x.keys.nameB ?? '', y.keys.nameB ?? '') ||
    compareStrings(x.a.join('\u0000'), y.a.join('\u0000')) ||
    compareStrings(x.b.join('\u0000'), y.b.join('\u0000'))
  );
}

/** The side's index, built unless the table carries one for these options (read in a worker: `readSideInWorker`). */
function indexOf(table: AccountTable, useDomain: boolean): SideIndex {
  const index = table.index;
  return index?.useDomain === useDomain && index.rows === table.length ? index : indexSide(table, useDomain);
}

/** The canonical positions of a side's accounts left for the name stage: unmatched, with a name. */
function leftoverPositions(index: SideIndex, matched: Uint8Array): Int32Array {
  const out = new Int32Array(index.group.length);
  let n = 0;
  for (let k = 0; k < index.group.length; k++) {
    const g = index.group[k]!;
    if (g >= index.domainGroups || !matched[g]) out[n++] = k;
  }
  return out.subarray(0, n);
}

/** The one-process match up to the name comparisons: the sides, the domain pairs, and the comparison to run (none when names are off). */
interface InlineMatch {
  a: AccountTable;
  b: AccountTable;
  ia: SideIndex;
  ib: SideIndex;
  pairs: MatchPair[];
  job?: CompareJob;
}

function prepareInline(a: AccountTable, b: AccountTable, options: MatchOptions): InlineMatch {
  const ia = indexOf(a, options.domain);
  const ib = indexOf(b, options.domain);
  const { pairs, matchedA, matchedB } = domainStage({ table: a, ...ia }, { table: b, ...ib }, options.domain);
  if (!options.name) return { a, b, ia, ib, pairs };
  const countries = new CountryIds();
  const columns = (table: AccountTable, index: SideIndex): LeftoverColumns => {
    const ids = Int32Array.from(table.countries, (country) => countries.of(country));
    const byPosition = new Int32Array(new SharedArrayBuffer(index.group.length * 4));
    for (let k = 0; k < byPosition.length; k++) {
      const country = table.countryId(index.rep[index.group[k]!]!);
      byPosition[k] = country < 0 ? -1 : ids[country]!;
    }
    return { names: index.names, countries: byPosition, labelChars: table.domains.values.chars, labelFrom: index.labelFrom, labelTo: index.labelTo };
  };
  const blocks = BlockIndex.build(
    { names: ia.names, members: leftoverPositions(ia, matchedA), longest: ia.longest, hashes: ia.keyHashes },
    { names: ib.names, members: leftoverPositions(ib, matchedB), longest: ib.longest, hashes: ib.keyHashes },
  );
  return { a, b, ia, ib, pairs, job: compareJob(columns(a, ia), columns(b, ib), blocks, options.fuzzyThreshold) };
}

/** Assigns the name candidates (best first, one partner per account) and puts every pair in canonical order. */
function finishInline({ a, b, ia, ib, pairs }: InlineMatch, candidates: CandidateColumns | undefined): MatchResult {
  if (candidates) {
    const ga: Groups = { table: a, ...ia };
    const gb: Groups = { table: b, ...ib };
    for (const k of assign(candidates.a, candidates.b, candidates.score, candidates.sameCountry, candidates.count)) {
      const gA = ia.group[candidates.a[k]!]!;
      const gB = ib.group[candidates.b[k]!]!;
      const repA = ia.rep[gA]!;
      const repB = ib.rep[gB]!;
      pairs.push({
        a: refsOf(ga, gA),
        b: refsOf(gb, gB),
        method: 'name',
        score: candidates.score[k]!,
        keys: { nameA: a.nameKey(repA), nameB: b.nameKey(repB) },
        cell: [a.population(repA), b.population(repB)],
      });
    }
  }
  pairs.sort(comparePairs);
  return { pairs, a: { rows: a.length, accounts: ia.accounts }, b: { rows: b.length, accounts: ib.accounts } };
}

/** The whole match in one process, on columns throughout (no per-shard objects). */
function matchInline(a: AccountTable, b: AccountTable, options: MatchOptions): MatchResult {
  const match = prepareInline(a, b, options);
  const candidates = match.job && mergeClaimed([compareClaimed(match.job)]);
  match.job = undefined;
  return finishInline(match, candidates);
}

/**
 * `matchAccounts` (one shard) with the name comparisons shared between this
 * thread and another: `elsewhere(job)` runs `compareClaimed(job)` on another
 * thread while this one runs it too; each claims chunks of blocks until none
 * is left. The pairs are the same, byte for byte, as `matchAccounts` gives.
 */
export async function matchAccountsSharing(
  a: AccountTable,
  b: AccountTable,
  options: MatchOptions,
  elsewhere: (job: CompareJob) => Promise<ClaimedCandidates>,
): Promise<MatchResult> {
  const match = prepareInline(a, b, options);
  if (!match.job) return finishInline(match, undefined);
  const there = elsewhere(match.job);
  there.catch(() => undefined);
  const here = compareClaimed(match.job);
  const candidates = mergeClaimed([here, await there]);
  // The blocks and ranks are not needed to make the pairs.
  match.job = undefined;
  return finishInline(match, candidates);
}

/**
 * Matches two sides, running `shards` row shards and block shards inline and
 * merging them; the result does not depend on the number of shards.
 */
export function matchAccounts(a: AccountTable, b: AccountTable, options: MatchOptions = DEFAULT_MATCH_OPTIONS, shards = 1): MatchResult {
  if (shards === 1) return matchInline(a, b, options);
  const partsA = partitionRows(a, shards, options);
  const partsB = partitionRows(b, shards, options);
  const pairs: MatchPair[] = [];
  const leftA: Leftover[] = [];
  const leftB: Leftover[] = [];
  const countA: SideCounts = { rows: 0, accounts: 0 };
  const countB: SideCounts = { rows: 0, accounts: 0 };
  for (let shard = 0; shard < shards; shard++) {
    const stage = matchShard(partsA[shard]!, partsB[shard]!, options);
    for (const pair of stage.pairs) pairs.push(pair);
    for (const leftover of stage.leftA) leftA.push(leftover);
    for (const leftover of stage.leftB) leftB.push(leftover);
    countA.rows += stage.a.rows;
    countA.accounts += stage.a.accounts;
    countB.rows += stage.b.rows;
    countB.accounts += stage.b.accounts;
  }
  if (options.name && leftA.length > 0 && leftB.length > 0) {
    const candidates: Candidate[] = [];
    for (const shard of partitionBlocks(leftA, leftB, shards)) for (const candidate of matchBlockShard(shard, options)) candidates.push(candidate);
    for (const pair of assignNames(candidates)) pairs.push(pair);
  }
  pairs.sort(comparePairs);
  return { pairs, a: countA, b: countB };
}

// ---------------------------------------------------------------------------
// The 9-box and JSON Lines

export type NineBox = Record<Population, Record<Population, number>>;

export function emptyNineBox(): NineBox {
  const row = () => ({ customer: 0, opportunity: 0, prospect: 0 });
  return { customer: row(), opportunity: row(), prospect: row() };
}

/**
 * The 9-box of one side, [mine][theirs]: how many matched accounts fall in
 * each cell. Both sides count the same pairs, so B's box is A's transposed.
 */
export function nineBox(pairs: readonly MatchPair[], side: 'a' | 'b'): NineBox {
  const box = emptyNineBox();
  for (const { cell } of pairs) {
    const [mine, theirs] = side === 'a' ? cell : [cell[1], cell[0]];
    box[mine][theirs]++;
  }
  return box;
}

/** Characters JSON.stringify escapes in a string: quote, backslash, controls, and lone surrogates (any surrogate sends the string to it). */
// eslint-disable-next-line no-control-regex -- these are the characters JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as JSON, exactly as JSON.stringify writes it, without its cost for the common plain string. */
function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
}

function jsonStrings(values: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) out += (i > 0 ? ',' : '') + jsonString(values[i]!);
  return `${out}]`;
}

/** One pair as one line of JSON, keys in a fixed order. */
export function pairToJson(pair: MatchPair): string {
  const keys =
    pair.method === 'domain'
      ? `{"domain":${jsonString(pair.keys.domain!)}}`
      : `{"nameA":${jsonString(pair.keys.nameA!)},"nameB":${jsonString(pair.keys.nameB!)}}`;
  return `{"a":${jsonStrings(pair.a)},"b":${jsonStrings(pair.b)},"method":"${pair.method}","score":${pair.score},"keys":${keys},"cell":["${pair.cell[0]}","${pair.cell[1]}"]}`;
}

/** The pairs as JSON Lines (one pair per line, each line ended by a newline), in the order given. */
export function* pairsToJsonLines(pairs: Iterable<MatchPair>): Generator<string> {
  for (const pair of pairs) yield `${pairToJson(pair)}\n`;
}

/** What a run records of its match: counts, the 9-box from A's side, pairs by method. */
export interface MatchSummary {
  a: SideCounts;
  b: SideCounts;
  pairs: number;
  byMethod: Record<MatchMethod, number>;
  nineBox: NineBox;
}

export function summarise(result: MatchResult): MatchSummary {
  const byMethod: Record<MatchMethod, number> = { domain: 0, name: 0 };
  for (const pair of result.pairs) byMethod[pair.method]++;
  return { a: result.a, b: result.b, pairs: result.pairs.length, byMethod, nineBox: nineBox(result.pairs, 'a') };
}
