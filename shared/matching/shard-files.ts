import { POPULATIONS, type Population } from '../terms.ts';
import { AccountTable, type BlockShard, type Candidate, type DomainStage, type Leftover, type MatchOptions, type NormalisedAccount } from './matcher.ts';

/**
 * What the shards of a Distributed Map match pass to each other, as text
 * (docs/matching.md, "Scale-out"). Each stage's output is exactly what the
 * matcher's functions return, so that the sharded run composes them as
 * `matchAccounts` does and gives the same pairs, byte for byte.
 *
 * - Row shard (JSON Lines): one normalised row per line,
 *   `[side, ref, population, nameKey, domainKey|null, country|null]`, in file order.
 * - Domain stage (JSON): `matchShard`'s result: pairs, both sides' leftovers, counts.
 * - Block shard (JSON): `partitionBlocks`'s part: both sides' leftovers (with
 *   their canonical order) and the blocks as `[key, a indices, b indices]`.
 * - Candidates (JSON Lines): `matchBlockShard`'s candidates, `{a, b, score}`.
 */

/** One work item of a Distributed Map over shards: what the shard task reads, writes, and matches with. */
export interface ShardItem {
  stage: 'rows' | 'blocks';
  shard: number;
  /** Object keys in the results bucket. */
  input: string;
  output: string;
  options: MatchOptions;
}

type Side = 'a' | 'b';

export function rowShardLine(side: Side, account: NormalisedAccount): string {
  return `${JSON.stringify([side, account.ref, account.population, account.nameKey, account.domainKey ?? null, account.country ?? null])}\n`;
}

/** A row shard's text back into both sides' account tables, rows in their original order. */
export function parseRowShard(text: string): { a: AccountTable; b: AccountTable } {
  const tables = { a: new AccountTable(), b: new AccountTable() };
  for (const line of lines(text)) {
    const [side, ref, population, nameKey, domainKey, country] = JSON.parse(line) as [Side, string, Population, string, string | null, string | null];
    if ((side !== 'a' && side !== 'b') || !POPULATIONS.includes(population)) throw new Error(`not a row shard line: ${line.slice(0, 200)}`);
    const account: NormalisedAccount = { ref, population, nameKey };
    if (domainKey !== null) account.domainKey = domainKey;
    if (country !== null) account.country = country;
    tables[side].add(account);
  }
  return tables;
}

export function domainStageToJson(stage: DomainStage): string {
  return JSON.stringify(stage);
}

export function parseDomainStage(text: string): DomainStage {
  return JSON.parse(text) as DomainStage;
}

export function blockShardToJson(shard: BlockShard): string {
  return JSON.stringify({ a: shard.a, b: shard.b, blocks: [...shard.blocks].map(([key, block]) => [key, block.a, block.b]) });
}

export function parseBlockShard(text: string): BlockShard {
  const parsed = JSON.parse(text) as { a: Leftover[]; b: Leftover[]; blocks: [string, number[], number[]][] };
  return { a: parsed.a, b: parsed.b, blocks: new Map(parsed.blocks.map(([key, a, b]) => [key, { a, b }])) };
}

export function candidatesToJsonLines(candidates: readonly Candidate[]): string {
  let out = '';
  for (const candidate of candidates) out += `${JSON.stringify(candidate)}\n`;
  return out;
}

export function parseCandidates(text: string): Candidate[] {
  return lines(text).map((line) => JSON.parse(line) as Candidate);
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
