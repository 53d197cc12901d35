import { describe, expect, it } from 'vitest';
import {
  AccountTable,
  assignNames,
  type Candidate,
  comparePairs,
  DEFAULT_MATCH_OPTIONS,
  type Leftover,
  matchAccounts,
  matchBlockShard,
  matchShard,
  type MatchPair,
  type NormalisedAccount,
  pairsToJsonLines,
  partitionBlocks,
  rowShardKey,
  shardOf,
} from '../../shared/matching/matcher.ts';
import {
  blockShardToJson,
  candidatesToJsonLines,
  domainStageToJson,
  parseBlockShard,
  parseCandidates,
  parseDomainStage,
  parseRowShard,
  rowShardLine,
} from '../../shared/matching/shard-files.ts';
import { POPULATIONS } from '../../shared/terms.ts';
import { MATCH_SHARD_THRESHOLD_ENV, matchShardThreshold } from '../../functions/lib/match-scale.ts';
import { rng } from '../quality/generator.ts';

/** Accounts of two sides sharing companies, with name variants, missing domains and countries. */
function sides(seed: number, size: number): [NormalisedAccount[], NormalisedAccount[]] {
  const random = rng(seed);
  const words = ['acme', 'nordvik', 'logistics', 'summit', 'partners', 'borealis', 'capital', 'health', 'pacific', 'media'];
  const companies = Array.from({ length: size }, (_, n) => ({ name: `${words[n % words.length]} ${words[(n * 7) % words.length]} co${n.toString(36)}`, domain: `c${n}.com` }));
  const side = (prefix: string) =>
    Array.from({ length: size }, (_, n): NormalisedAccount => {
      const company = companies[Math.floor(random() * size)]!;
      const nameKey = random() < 0.2 ? company.name.split(' ').reverse().join(' ') : company.name;
      return {
        ref: `${prefix}${n}`,
        population: POPULATIONS[Math.floor(random() * 3)]!,
        nameKey,
        ...(random() < 0.6 ? { domainKey: company.domain } : {}),
        ...(random() < 0.3 ? { country: 'DE' } : {}),
      };
    });
  return [side('a'), side('b')];
}

describe('the shard files of a sharded match', () => {
  it('carry a row shard through text with every field of every row, in order', () => {
    const rows: NormalisedAccount[] = [
      { ref: 'a1', population: 'customer', nameKey: 'acme', domainKey: 'acme.com', country: 'DE' },
      { ref: '"quoted"', population: 'prospect', nameKey: '' },
    ];
    const { a, b } = parseRowShard(rowShardLine('a', rows[0]!) + rowShardLine('b', rows[1]!) + rowShardLine('a', rows[1]!));
    expect([a.row(0), a.row(1)]).toEqual([rows[0], rows[1]]);
    expect(b.row(0)).toEqual(rows[1]);
    expect(() => parseRowShard('["c","x","customer","n",null,null]\n')).toThrow(/not a row shard line/);
  });

  it('give the pairs of matchAccounts, byte for byte, when every stage passes through its file', () => {
    const [a, b] = sides(3, 3000);
    const options = DEFAULT_MATCH_OPTIONS;
    const shards = 5;
    // Partition: each row to the row shard of its key, in order.
    const rowFiles = Array.from({ length: shards }, () => '');
    for (const [label, accounts] of [['a', a], ['b', b]] as const) {
      for (const account of accounts) rowFiles[shardOf(rowShardKey(account, options), shards)] += rowShardLine(label, account);
    }
    // Row shards: deduplicate and match on domain.
    const domainFiles = rowFiles.map((text) => {
      const tables = parseRowShard(text);
      return domainStageToJson(matchShard(tables.a, tables.b, options));
    });
    // Blocks: every shard's leftovers into block shards.
    const stages = domainFiles.map(parseDomainStage);
    const leftA: Leftover[] = stages.flatMap((stage) => stage.leftA);
    const leftB: Leftover[] = stages.flatMap((stage) => stage.leftB);
    const blockFiles = partitionBlocks(leftA, leftB, shards).map(blockShardToJson);
    // Block shards: name candidates.
    const candidateFiles = blockFiles.map((text) => candidatesToJsonLines(matchBlockShard(parseBlockShard(text), options)));
    // Merge.
    const candidates: Candidate[] = candidateFiles.flatMap(parseCandidates);
    const pairs: MatchPair[] = [...stages.flatMap((stage) => stage.pairs), ...assignNames(candidates)].sort(comparePairs);

    const expected = matchAccounts(AccountTable.from(a), AccountTable.from(b), options, 1);
    expect(expected.pairs.filter((pair) => pair.method === 'name').length).toBeGreaterThan(50);
    expect(expected.pairs.filter((pair) => pair.method === 'domain').length).toBeGreaterThan(50);
    expect([...pairsToJsonLines(pairs)].join('')).toBe([...pairsToJsonLines(expected.pairs)].join(''));
    expect(stages.reduce((sum, stage) => sum + stage.a.accounts, 0)).toBe(expected.a.accounts);
  });
});

describe('the threshold between one task and shards', () => {
  it('is 64 MiB of CSV unless ACCORD_MATCH_SHARD_THRESHOLD_BYTES says otherwise, and refuses a value that is not whole bytes', () => {
    expect(matchShardThreshold({})).toBe(64 * 1024 * 1024);
    expect(matchShardThreshold({ [MATCH_SHARD_THRESHOLD_ENV]: '0' })).toBe(0);
    expect(() => matchShardThreshold({ [MATCH_SHARD_THRESHOLD_ENV]: '1.5' })).toThrow(/whole number of bytes/);
    expect(() => matchShardThreshold({ [MATCH_SHARD_THRESHOLD_ENV]: '-1' })).toThrow(/whole number of bytes/);
  });
});
