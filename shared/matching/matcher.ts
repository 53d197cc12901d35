import { POPULATIONS, type Population } from '../terms.ts';
import { AccountTable, compareSpans, fnv1aString, Interner, type NormalisedAccount } from './account-table.ts';
import { assign, BlockComparer, blockKeysOf, canonicalPermutation, forEachBlock, type LeftoverColumns, permuteNames } from './name-stage.ts';
import { type NameColumns, NameColumnsBuilder } from './similarity.ts';

export { AccountTable, type AccountTableData, type NormalisedAccount } from './account-table.ts';
export { FULL_BLOCK_COMPARISONS, NEIGHBOURHOOD } from './name-stage.ts';
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

/**
 * A side's accounts: groups 0 to `domainGroups - 1` are the table's domain
 * ids (empty when the domain is off), the others the rows without a domain
 * with one name key, in the order of their first row. Rows by group as
 * offsets (`start`) into `rows`, first row first.
 */
interface Groups {
  table: AccountTable;
  domainGroups: number;
  /** The representative row of each group (strongest population, then first), or -1 for a domain without rows. */
  rep: Int32Array;
  start: Int32Array;
  rows: Int32Array;
  accounts: number;
}

function group(table: AccountTable, useDomain: boolean): Groups {
  const n = table.length;
  const domainGroups = useDomain ? table.domains.size : 0;
  const names = new Interner();
  const groupOf = new Int32Array(n);
  const { chars } = table.names;
  for (let row = 0; row < n; row++) {
    const d = useDomain ? table.domainId(row) : -1;
    if (d >= 0) groupOf[row] = d;
    else {
      const from = table.names.start(row);
      const to = table.names.end(row);
      groupOf[row] = to === from ? -1 : domainGroups + names.internSpan(chars, from, to);
    }
  }
  const groups = domainGroups + names.size;
  const start = new Int32Array(groups + 1);
  for (let row = 0; row < n; row++) if (groupOf[row]! >= 0) start[groupOf[row]! + 1]!++;
  for (let g = 0; g < groups; g++) start[g + 1]! += start[g]!;
  const fill = start.slice(0, groups);
  const rows = new Int32Array(start[groups]!);
  const rep = new Int32Array(groups).fill(-1);
  for (let row = 0; row < n; row++) {
    const g = groupOf[row]!;
    if (g < 0) continue;
    rows[fill[g]!++] = row;
    if (rep[g]! < 0 || table.rank(row) < table.rank(rep[g]!)) rep[g] = row;
  }
  let accounts = names.size;
  for (let d = 0; d < domainGroups; d++) if (rep[d]! >= 0) accounts++;
  return { table, domainGroups, rep, start, rows, accounts };
}

function refsOf(groups: Groups, g: number): string[] {
  const refs: string[] = [];
  for (let k = groups.start[g]!; k < groups.start[g + 1]!; k++) refs.push(groups.table.ref(groups.rows[k]!));
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
      const db = gb.table.domains.findSpan(domainsA.chars, domainsA.start(da), domainsA.end(da));
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

/** Country and website label ids shared by both sides of a name stage. */
class SharedIds {
  readonly countries = new Map<string, number>();
  readonly labels = new Interner();

  country(country: string | undefined): number {
    if (country === undefined) return -1;
    let id = this.countries.get(country);
    if (id === undefined) this.countries.set(country, (id = this.countries.size));
    return id;
  }

  /** The label of a domain key: what comes before its first dot. */
  label(domainKey: string | undefined): number {
    if (domainKey === undefined) return -1;
    const dot = domainKey.indexOf('.');
    return this.labels.intern(dot < 0 ? domainKey : domainKey.slice(0, dot));
  }
}

/** Leftover objects, in the order given, as columns. */
function leftoverColumns(left: readonly Leftover[], shared: SharedIds): LeftoverColumns {
  const builder = new NameColumnsBuilder(left.length);
  for (const leftover of left) builder.add(leftover.nameKey);
  return {
    names: builder.build(),
    countries: Int32Array.from(left, (leftover) => shared.country(leftover.country)),
    labels: Int32Array.from(left, (leftover) => shared.label(leftover.domainKey)),
  };
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
  const shared = new SharedIds();
  const comparer = new BlockComparer(leftoverColumns(shard.a, shared), leftoverColumns(shard.b, shared), options.fuzzyThreshold);
  for (const block of shard.blocks.values()) comparer.block(block.a, block.a.length, block.b, block.b.length);
  const { a, b, score, count } = comparer.candidates;
  return Array.from({ length: count }, (_, k) => ({ a: shard.a[a[k]!]!, b: shard.b[b[k]!]!, score: score[k]! }));
}

// ---------------------------------------------------------------------------
// Merge: assignment, order, output

/**
 * One partner per account: candidates best first (score, then A's and B's
 * canonical order), each taken when neither account is taken yet. Candidates
 * found in several blocks or shards count once.
 */
export function assignNames(candidates: readonly Candidate[]): MatchPair[] {
  const orderA = Int32Array.from(candidates, (candidate) => candidate.a.order!);
  const orderB = Int32Array.from(candidates, (candidate) => candidate.b.order!);
  const score = Float64Array.from(candidates, (candidate) => candidate.score);
  return Array.from(assign(orderA, orderB, score, candidates.length), (k) => {
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

/** One side's leftovers as columns in canonical order, straight from its groups, with the group of each position. */
function leftoverSide(groups: Groups, matched: Uint8Array, shared: SharedIds): { columns: LeftoverColumns; group: Int32Array } {
  const { table, rep, domainGroups } = groups;
  const list = leftoverGroups(groups, matched);
  const builder = new NameColumnsBuilder(list.length);
  const names = table.names;
  for (const g of list) builder.addSpan(names.chars, names.start(rep[g]!), names.end(rep[g]!));
  const domains = table.domains.values;
  // Ties of equal names are broken by id: `d:` + domain before `n:` + name key.
  const tie = (x: number, y: number) => {
    const gx = list[x]!;
    const gy = list[y]!;
    const dx = gx < domainGroups;
    if (dx !== gy < domainGroups) return dx ? -1 : 1;
    if (dx) return compareSpans(domains.chars, domains.start(gx), domains.end(gx), domains.chars, domains.start(gy), domains.end(gy));
    const rx = rep[gx]!;
    const ry = rep[gy]!;
    return compareSpans(names.chars, names.start(rx), names.end(rx), names.chars, names.start(ry), names.end(ry));
  };
  const unordered: NameColumns = builder.build();
  const permutation = canonicalPermutation(unordered, tie);
  const group = permutation.map((k) => list[k]!);
  const countryIds = Int32Array.from(table.countries, (country) => shared.country(country));
  const countries = new Int32Array(group.length);
  const labels = new Int32Array(group.length);
  for (let k = 0; k < group.length; k++) {
    const g = group[k]!;
    const country = table.countryId(rep[g]!);
    countries[k] = country < 0 ? -1 : countryIds[country]!;
    if (g < domainGroups) {
      const from = domains.start(g);
      const to = domains.end(g);
      let dot = from;
      while (dot < to && domains.chars[dot] !== 46) dot++;
      labels[k] = shared.labels.internSpan(domains.chars, from, dot);
    } else labels[k] = -1;
  }
  return { columns: { names: permuteNames(unordered, permutation), countries, labels }, group };
}

/** The whole match in one process, on columns throughout (no per-shard objects). */
function matchInline(a: AccountTable, b: AccountTable, options: MatchOptions): MatchResult {
  const ga = group(a, options.domain);
  const gb = group(b, options.domain);
  const { pairs, matchedA, matchedB } = domainStage(ga, gb, options.domain);
  if (options.name) {
    const shared = new SharedIds();
    const left = [leftoverSide(ga, matchedA, shared), leftoverSide(gb, matchedB, shared)] as const;
    const comparer = new BlockComparer(left[0].columns, left[1].columns, options.fuzzyThreshold);
    forEachBlock(left[0].columns.names, left[1].columns.names, (ia, na, ib, nb) => comparer.block(ia, na, ib, nb));
    const candidates = comparer.candidates;
    for (const k of assign(candidates.a, candidates.b, candidates.score, candidates.count)) {
      const gA = left[0].group[candidates.a[k]!]!;
      const gB = left[1].group[candidates.b[k]!]!;
      const repA = ga.rep[gA]!;
      const repB = gb.rep[gB]!;
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
  return { pairs, a: { rows: a.length, accounts: ga.accounts }, b: { rows: b.length, accounts: gb.accounts } };
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

function jsonStrings(values: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) out += (i > 0 ? ',' : '') + JSON.stringify(values[i]);
  return `${out}]`;
}

/** One pair as one line of JSON, keys in a fixed order. */
export function pairToJson(pair: MatchPair): string {
  const keys =
    pair.method === 'domain'
      ? `{"domain":${JSON.stringify(pair.keys.domain)}}`
      : `{"nameA":${JSON.stringify(pair.keys.nameA)},"nameB":${JSON.stringify(pair.keys.nameB)}}`;
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
