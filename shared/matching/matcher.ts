import { POPULATIONS, type Population } from '../terms.ts';

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
 * 3. Name: the accounts left on each side are grouped into blocks (each name
 *    token, the first and the last four letters of the name); within a block
 *    names are compared all against all when the block is small, by sorted
 *    neighbourhood when it is large — never a quadratic pass over a side.
 *    Pairs at or above the threshold are kept, best first, one partner per
 *    account.
 *
 * Sharding: stage 1 and 2 are local to the shard of each row's key (its
 * domain, or its name when it has none); stage 3 is local to the shard of each
 * block key; the final assignment and ordering run once over the candidates
 * of every shard. `matchAccounts(a, b, options, shards)` runs the shards
 * inline; on AWS a Distributed Map runs the same functions per shard.
 */

// ---------------------------------------------------------------------------
// Input

/** One row of a contribution after normalisation. */
export interface NormalisedAccount {
  /** The row's reference in its file: the `id` column, or the line number. */
  ref: string;
  population: Population;
  /** Registrable domain (eTLD+1), lower case; absent for none or free mail. */
  domainKey?: string;
  /** Comparable company name: folded, lower case, no legal suffix, tokens split by single spaces; may be empty. */
  nameKey: string;
  country?: string;
}

const RANK: Readonly<Record<Population, number>> = { customer: 0, opportunity: 1, prospect: 2 };

/**
 * A side's accounts, stored by column for a million rows: refs and name keys
 * as string arrays, the population as one byte, domains and countries
 * interned once and referenced by number.
 */
export class AccountTable {
  readonly refs: string[] = [];
  readonly names: string[] = [];
  /** Distinct domain keys, by id; `domainIds` holds each row's id or -1. */
  readonly domains: string[] = [];
  readonly countries: string[] = [];
  private readonly domainIndex = new Map<string, number>();
  private readonly countryIndex = new Map<string, number>();
  private ranks = new Uint8Array(1024);
  private domainIdOf = new Int32Array(1024);
  private countryIdOf = new Int32Array(1024);

  static from(accounts: Iterable<NormalisedAccount>): AccountTable {
    const table = new AccountTable();
    for (const account of accounts) table.add(account);
    return table;
  }

  get length(): number {
    return this.refs.length;
  }

  add(account: NormalisedAccount): void {
    const row = this.refs.length;
    if (row === this.ranks.length) this.grow();
    this.refs.push(account.ref);
    this.names.push(account.nameKey);
    this.ranks[row] = RANK[account.population];
    this.domainIdOf[row] = account.domainKey ? intern(account.domainKey, this.domains, this.domainIndex) : -1;
    this.countryIdOf[row] = account.country ? intern(account.country, this.countries, this.countryIndex) : -1;
  }

  rank(row: number): number {
    return this.ranks[row]!;
  }

  population(row: number): Population {
    return POPULATIONS[this.ranks[row]!]!;
  }

  domainId(row: number): number {
    return this.domainIdOf[row]!;
  }

  domainKey(row: number): string | undefined {
    const id = this.domainIdOf[row]!;
    return id < 0 ? undefined : this.domains[id];
  }

  /** The id of a domain key in this table, or -1. */
  findDomain(domainKey: string): number {
    return this.domainIndex.get(domainKey) ?? -1;
  }

  country(row: number): string | undefined {
    const id = this.countryIdOf[row]!;
    return id < 0 ? undefined : this.countries[id];
  }

  row(row: number): NormalisedAccount {
    const account: NormalisedAccount = { ref: this.refs[row]!, population: this.population(row), nameKey: this.names[row]! };
    const domainKey = this.domainKey(row);
    const country = this.country(row);
    if (domainKey !== undefined) account.domainKey = domainKey;
    if (country !== undefined) account.country = country;
    return account;
  }

  private grow(): void {
    const size = this.ranks.length * 2;
    const ranks = new Uint8Array(size);
    ranks.set(this.ranks);
    this.ranks = ranks;
    const domains = new Int32Array(size);
    domains.set(this.domainIdOf);
    this.domainIdOf = domains;
    const countries = new Int32Array(size);
    countries.set(this.countryIdOf);
    this.countryIdOf = countries;
  }
}

function intern(value: string, values: string[], index: Map<string, number>): number {
  let id = index.get(value);
  if (id === undefined) {
    id = values.length;
    values.push(value);
    index.set(value, id);
  }
  return id;
}

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
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
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

interface Grouped {
  /** For each domain id: the representative row (strongest population, then first), or -1. */
  domainRep: Int32Array;
  /** Rows of each domain id, first row first. */
  domainRows: (number[] | number)[];
  /** Rows without a domain, by name key. */
  byName: Map<string, number[]>;
  accounts: number;
}

function group(table: AccountTable, useDomain: boolean): Grouped {
  const domainRep = new Int32Array(useDomain ? table.domains.length : 0).fill(-1);
  const domainRows: (number[] | number)[] = new Array<number[] | number>(domainRep.length);
  const byName = new Map<string, number[]>();
  for (let row = 0; row < table.length; row++) {
    const d = useDomain ? table.domainId(row) : -1;
    if (d >= 0) {
      const rep = domainRep[d]!;
      if (rep < 0) {
        domainRep[d] = row;
        domainRows[d] = row;
      } else {
        const rows = domainRows[d]!;
        if (typeof rows === 'number') domainRows[d] = [rows, row];
        else rows.push(row);
        if (table.rank(row) < table.rank(rep)) domainRep[d] = row;
      }
    } else {
      const name = table.names[row]!;
      if (name === '') continue;
      const rows = byName.get(name);
      if (rows) rows.push(row);
      else byName.set(name, [row]);
    }
  }
  let accounts = byName.size;
  for (let d = 0; d < domainRep.length; d++) if (domainRep[d]! >= 0) accounts++;
  return { domainRep, domainRows, byName, accounts };
}

function refsOf(table: AccountTable, rows: number[] | number): string[] {
  return typeof rows === 'number' ? [table.refs[rows]!] : rows.map((row) => table.refs[row]!);
}

function strongest(table: AccountTable, rows: number[]): number {
  let best = rows[0]!;
  for (const row of rows) if (table.rank(row) < table.rank(best)) best = row;
  return best;
}

function leftovers(table: AccountTable, grouped: Grouped, matched: Uint8Array | undefined): Leftover[] {
  const out: Leftover[] = [];
  for (let d = 0; d < grouped.domainRep.length; d++) {
    const rep = grouped.domainRep[d]!;
    if (rep < 0 || matched?.[d] || table.names[rep] === '') continue;
    const leftover: Leftover = { id: `d:${table.domains[d]!}`, refs: refsOf(table, grouped.domainRows[d]!), rank: table.rank(rep), domainKey: table.domains[d]!, nameKey: table.names[rep]! };
    const country = table.country(rep);
    if (country !== undefined) leftover.country = country;
    out.push(leftover);
  }
  for (const [name, rows] of grouped.byName) {
    const rep = strongest(table, rows);
    const leftover: Leftover = { id: `n:${name}`, refs: rows.map((row) => table.refs[row]!), rank: table.rank(rep), nameKey: name };
    const country = table.country(rep);
    if (country !== undefined) leftover.country = country;
    out.push(leftover);
  }
  return out;
}

/**
 * Deduplicates both sides of one row shard and matches their accounts on
 * domain; returns the domain pairs and each side's accounts left for the name
 * stage (none when `options.name` is off).
 */
export function matchShard(a: AccountTable, b: AccountTable, options: MatchOptions = DEFAULT_MATCH_OPTIONS): DomainStage {
  const ga = group(a, options.domain);
  const gb = group(b, options.domain);
  const pairs: MatchPair[] = [];
  const matchedA = new Uint8Array(ga.domainRep.length);
  const matchedB = new Uint8Array(gb.domainRep.length);
  if (options.domain) {
    for (let da = 0; da < ga.domainRep.length; da++) {
      const repA = ga.domainRep[da]!;
      if (repA < 0) continue;
      const domain = a.domains[da]!;
      const db = b.findDomain(domain);
      if (db < 0) continue;
      const repB = gb.domainRep[db]!;
      if (repB < 0) continue;
      matchedA[da] = 1;
      matchedB[db] = 1;
      pairs.push({
        a: refsOf(a, ga.domainRows[da]!),
        b: refsOf(b, gb.domainRows[db]!),
        method: 'domain',
        score: 1,
        keys: { domain },
        cell: [a.population(repA), b.population(repB)],
      });
    }
  }
  return {
    pairs,
    leftA: options.name ? leftovers(a, ga, matchedA) : [],
    leftB: options.name ? leftovers(b, gb, matchedB) : [],
    a: { rows: a.length, accounts: ga.accounts },
    b: { rows: b.length, accounts: gb.accounts },
  };
}

// ---------------------------------------------------------------------------
// Stage 3: names within blocks (per block shard)

/** A block's members are compared all against all up to this many comparisons; larger blocks by sorted neighbourhood. */
export const FULL_BLOCK_COMPARISONS = 100;
/** In a large block, each name is compared with this many nearest names of the other side in sorted order. */
export const NEIGHBOURHOOD = 2;

/**
 * The block keys of a name key: its longest token (the alphabetically first
 * of equals, so word order does not matter), and the first and the last four
 * letters of the name without spaces. Two names that score 0.9 share their
 * longest word or, when a typo hit it, their beginning or their end.
 */
export function blockKeys(nameKey: string): string[] {
  let longest = '';
  let compact = '';
  for (const token of nameKey.split(' ')) {
    if (token.length > longest.length || (token.length === longest.length && token < longest)) longest = token;
    compact += token;
  }
  if (compact.length === 0) return [];
  const keys = [`t:${longest}`];
  if (compact.length > 4) keys.push(`^${compact.slice(0, 4)}`, `$${compact.slice(-4)}`);
  return keys;
}

export interface BlockShard {
  /** Block key -> indices into `left.a` and `left.b`. */
  blocks: Map<string, { a: number[]; b: number[] }>;
  a: Leftover[];
  b: Leftover[];
}

const compactOf = (nameKey: string) => nameKey.replaceAll(' ', '');

/**
 * Each side's leftovers in canonical order: by name without spaces, then id.
 * Whatever the number of shards, every block then lists its members in this
 * order, so the sorted neighbourhood needs no sort of its own.
 */
function canonicalOrder(left: readonly Leftover[]): Leftover[] {
  const keyed = left.map((leftover) => ({ leftover, compact: compactOf(leftover.nameKey) }));
  keyed.sort((x, y) => compareStrings(x.compact, y.compact) || compareStrings(x.leftover.id, y.leftover.id));
  return keyed.map(({ leftover }, n) => {
    leftover.order = n;
    return leftover;
  });
}

/**
 * Splits both sides' leftovers into block shards by `shardOf(blockKey)`; a
 * leftover goes to every shard one of its blocks falls in. Sets each
 * leftover's `order`.
 */
export function partitionBlocks(leftA: readonly Leftover[], leftB: readonly Leftover[], shards: number): BlockShard[] {
  const parts: BlockShard[] = Array.from({ length: shards }, () => ({ blocks: new Map(), a: [], b: [] }));
  const place = (left: readonly Leftover[], side: 'a' | 'b') => {
    const lastIndex = new Int32Array(shards).fill(-1);
    const seenAt = new Int32Array(shards).fill(-1);
    canonicalOrder(left).forEach((leftover, n) => {
      for (const key of blockKeys(leftover.nameKey)) {
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

interface Prepared {
  tokens: string[];
  length: number;
  compact: string;
  label?: string;
}

function prepare(leftover: Leftover): Prepared {
  const tokens = leftover.nameKey.split(' ').filter((token) => token.length > 0);
  const compact = tokens.join('');
  const prepared: Prepared = { tokens, length: compact.length, compact };
  if (leftover.domainKey !== undefined) prepared.label = leftover.domainKey.slice(0, leftover.domainKey.indexOf('.') >>> 0);
  return prepared;
}

/** Rounds a score to four decimals, so that it prints and compares the same everywhere. */
export function roundScore(score: number): number {
  return Math.round(score * 10_000) / 10_000;
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
  const pa = shard.a.map(prepare);
  const pb = shard.b.map(prepare);
  const out: Candidate[] = [];
  // A score is at most 2.25 x the shorter name's letters over both names' letters (a token earns credit only with one at most 1.25 times its length).
  const minRatio = options.fuzzyThreshold / (2.25 - options.fuzzyThreshold);
  const consider = (i: number, j: number) => {
    const la = shard.a[i]!;
    const lb = shard.b[j]!;
    if (la.country !== undefined && lb.country !== undefined && la.country !== lb.country) return;
    const xa = pa[i]!;
    const xb = pb[j]!;
    if (Math.min(xa.length, xb.length) < minRatio * Math.max(xa.length, xb.length)) return;
    if (xa.label !== undefined && xb.label !== undefined && xa.label !== xb.label) return;
    const score = roundScore(nameSimilarity(xa, xb));
    if (score >= options.fuzzyThreshold) out.push({ a: la, b: lb, score });
  };
  const keys = [...shard.blocks.keys()].sort();
  for (const key of keys) {
    const block = shard.blocks.get(key)!;
    if (block.a.length * block.b.length <= FULL_BLOCK_COMPARISONS) {
      for (const i of block.a) for (const j of block.b) consider(i, j);
      continue;
    }
    // Sorted neighbourhood: both sides' members are already in canonical
    // order (name without spaces, then id); in their merged order (A before
    // B on equal names) each name meets the nearest NEIGHBOURHOOD names of
    // the other side after it.
    const { a: ia, b: ib } = block;
    let j = 0;
    for (const i of ia) {
      const compact = pa[i]!.compact;
      while (j < ib.length && pb[ib[j]!]!.compact < compact) j++;
      for (let k = j; k < ib.length && k < j + NEIGHBOURHOOD; k++) consider(i, ib[k]!);
    }
    let i = 0;
    for (const jb of ib) {
      const compact = pb[jb]!.compact;
      while (i < ia.length && pa[ia[i]!]!.compact <= compact) i++;
      for (let k = i; k < ia.length && k < i + NEIGHBOURHOOD; k++) consider(ia[k]!, jb);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Similarity

const rowPrev = new Int32Array(64);
const rowCurr = new Int32Array(64);
const rowPrev2 = new Int32Array(64);

/** Optimal string alignment distance (Levenshtein with adjacent transpositions), for short tokens. */
export function osaDistance(s: string, t: string): number {
  if (s === t) return 0;
  const n = s.length;
  const m = t.length;
  if (n === 0) return m;
  if (m === 0) return n;
  if (m >= 63) return levenshteinLong(s, t);
  let prev2 = rowPrev2;
  let prev = rowPrev;
  let curr = rowCurr;
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    curr[0] = i;
    const si = s.charCodeAt(i - 1);
    for (let j = 1; j <= m; j++) {
      const tj = t.charCodeAt(j - 1);
      const cost = si === tj ? 0 : 1;
      let d = Math.min(prev[j]! + 1, curr[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && si === t.charCodeAt(j - 2) && s.charCodeAt(i - 2) === tj) d = Math.min(d, prev2[j - 2]! + 1);
      curr[j] = d;
    }
    const spare = prev2;
    prev2 = prev;
    prev = curr;
    curr = spare;
  }
  return prev[m]!;
}

function levenshteinLong(s: string, t: string): number {
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const curr = [i];
    for (let j = 1; j <= t.length; j++) curr[j] = Math.min(prev[j]! + 1, curr[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    prev = curr;
  }
  return prev[t.length]!;
}

/**
 * Two different tokens count as the same word, with partial credit, when both
 * have at least six letters and at most a fifth of the longer one differs:
 * one edit up to nine letters, two from ten. Shorter words must be equal
 * ("Chen" is not "Cohen", "Apex" is not "Apax").
 */
const TOKEN_CREDIT_FLOOR = 0.8;
const TOKEN_TYPO_LENGTH = 6;

function tokenSimilarity(x: string, y: string): number {
  if (x === y) return 1;
  const longer = Math.max(x.length, y.length);
  if (Math.min(x.length, y.length) < TOKEN_TYPO_LENGTH - 1 || longer < TOKEN_TYPO_LENGTH) return 0;
  if (Math.abs(x.length - y.length) > longer * (1 - TOKEN_CREDIT_FLOOR)) return 0;
  const similarity = 1 - osaDistance(x, y) / longer;
  return similarity >= TOKEN_CREDIT_FLOOR ? similarity : 0;
}

const SIMS = new Float64Array(256);

function nameSimilarityLong(ta: readonly string[], tb: readonly string[], total: number): number {
  const sims: { i: number; j: number; s: number }[] = [];
  for (let i = 0; i < ta.length; i++) {
    for (let j = 0; j < tb.length; j++) {
      const s = tokenSimilarity(ta[i]!, tb[j]!);
      if (s > 0) sims.push({ i, j, s });
    }
  }
  sims.sort((p, q) => q.s - p.s || p.i - q.i || p.j - q.j);
  const usedA = new Uint8Array(ta.length);
  const usedB = new Uint8Array(tb.length);
  let earned = 0;
  for (const { i, j, s } of sims) {
    if (usedA[i] || usedB[j]) continue;
    usedA[i] = 1;
    usedB[j] = 1;
    earned += (ta[i]!.length + tb[j]!.length) * s;
  }
  return Math.min(1, earned / total);
}

/**
 * Name similarity, 0 to 1: the tokens of both names aligned one to one, best
 * first; each aligned pair earns its letters times its similarity (1 - edit
 * distance / length, when at least 0.75); the score is the letters earned over
 * all letters of both names. Word order does not matter, a typo costs in
 * proportion to its word, and a word one name has and the other lacks costs
 * its whole length ("Delta Air Lines" and "Delta Dental" score 0.42). Names
 * equal once spaces are removed ("Face Book", "Facebook") score 1.
 */
export function nameSimilarity(x: { tokens: string[]; length: number; compact: string }, y: { tokens: string[]; length: number; compact: string }): number {
  if (x.compact === y.compact) return x.length > 0 ? 1 : 0;
  const total = x.length + y.length;
  if (total === 0) return 0;
  const ta = x.tokens;
  const tb = y.tokens;
  const na = ta.length;
  const nb = tb.length;
  if (na * nb > SIMS.length) return nameSimilarityLong(ta, tb, total);
  // Token similarities, then one to one, best first (ties: first token of x, then of y).
  let any = false;
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      const s = tokenSimilarity(ta[i]!, tb[j]!);
      SIMS[i * nb + j] = s;
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
    const i = Math.floor(at / nb);
    const j = at - i * nb;
    earned += (ta[i]!.length + tb[j]!.length) * best;
    for (let k = 0; k < nb; k++) SIMS[i * nb + k] = 0;
    for (let k = 0; k < na; k++) SIMS[k * nb + j] = 0;
  }
  return Math.min(1, earned / total);
}

/** The similarity of two name keys, as the matcher scores them (rounded). */
export function scoreNames(nameA: string, nameB: string): number {
  const prep = (name: string) => {
    const tokens = name.split(' ').filter((token) => token.length > 0);
    const compact = tokens.join('');
    return { tokens, length: compact.length, compact };
  };
  return roundScore(nameSimilarity(prep(nameA), prep(nameB)));
}

// ---------------------------------------------------------------------------
// Merge: assignment, order, output

/**
 * One partner per account: candidates best first (score, then A's and B's
 * canonical order), each taken when neither account is taken yet. Candidates
 * found in several blocks or shards count once.
 */
export function assignNames(candidates: readonly Candidate[]): MatchPair[] {
  const sorted = [...candidates].sort((x, y) => y.score - x.score || x.a.order! - y.a.order! || x.b.order! - y.b.order!);
  const takenA = new Set<number>();
  const takenB = new Set<number>();
  const pairs: MatchPair[] = [];
  for (const { a, b, score } of sorted) {
    if (takenA.has(a.order!) || takenB.has(b.order!)) continue;
    takenA.add(a.order!);
    takenB.add(b.order!);
    pairs.push({ a: a.refs, b: b.refs, method: 'name', score, keys: { nameA: a.nameKey, nameB: b.nameKey }, cell: [POPULATIONS[a.rank]!, POPULATIONS[b.rank]!] });
  }
  return pairs;
}

function compareStrings(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
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

/**
 * Matches two sides, running `shards` row shards and block shards inline and
 * merging them; the result does not depend on the number of shards.
 */
export function matchAccounts(a: AccountTable, b: AccountTable, options: MatchOptions = DEFAULT_MATCH_OPTIONS, shards = 1): MatchResult {
  const partsA = shards === 1 ? [a] : partitionRows(a, shards, options);
  const partsB = shards === 1 ? [b] : partitionRows(b, shards, options);
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
