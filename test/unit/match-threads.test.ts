import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareClaimed, DEFAULT_MATCH_OPTIONS, matchAccounts, matchAccountsSharing, type MatchPair, pairsToJsonLines } from '../../shared/matching/matcher.ts';
import { type ClaimedCandidates, mergeClaimed } from '../../shared/matching/name-stage.ts';
import { readSide } from '../../shared/matching/pipeline.ts';
import { MatchThreads } from '../../shared/matching/threads.ts';
import { generateDataset } from '../quality/generator.ts';

/*
 * MatchThreads: the sides read in worker threads, the name comparisons shared
 * between this thread and a worker. Whichever thread compares which blocks,
 * the pairs are those of matchAccounts on one thread, byte for byte.
 */

const text = (pairs: readonly MatchPair[]) => [...pairsToJsonLines(pairs)].join('');

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'accord-threads-'));
  await generateDataset(join(dir, 'a.csv'), join(dir, 'b.csv'), { seed: 7, rowsA: 6000, rowsB: 6000 });
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('MatchThreads', () => {
  it('reads both sides in workers and shares the comparisons with one, giving the pairs of matchAccounts byte for byte', async () => {
    const [a, b] = await Promise.all([readSide(createReadStream(join(dir, 'a.csv'))), readSide(createReadStream(join(dir, 'b.csv')))]);
    for (const options of [DEFAULT_MATCH_OPTIONS, { ...DEFAULT_MATCH_OPTIONS, domain: false }, { ...DEFAULT_MATCH_OPTIONS, fuzzyThreshold: 0.8 }]) {
      const expected = text(matchAccounts(a.table, b.table, options).pairs);
      const threads = new MatchThreads();
      try {
        const [ta, tb] = await Promise.all([threads.readSide(createReadStream(join(dir, 'a.csv')), {}, options), threads.readSide(createReadStream(join(dir, 'b.csv')), {}, options)]);
        const pairs = (await threads.matchAccounts(ta.table, tb.table, options)).pairs;
        expect(pairs.filter((pair) => pair.method === 'name').length).toBeGreaterThan(500);
        expect(text(pairs)).toBe(expected);
      } finally {
        await threads.close();
      }
    }
  }, 120_000);

  it('matches tables read on this thread too (the arrays are copied to the worker, not shared)', async () => {
    const [a, b] = await Promise.all([readSide(createReadStream(join(dir, 'a.csv'))), readSide(createReadStream(join(dir, 'b.csv')))]);
    const threads = new MatchThreads();
    try {
      expect(text((await threads.matchAccounts(a.table, b.table, DEFAULT_MATCH_OPTIONS)).pairs)).toBe(text(matchAccounts(a.table, b.table, DEFAULT_MATCH_OPTIONS).pairs));
    } finally {
      await threads.close();
    }
  }, 60_000);
});

describe('matchAccountsSharing', () => {
  it('gives the pairs of matchAccounts however the chunks of blocks fall between the threads', async () => {
    const [a, b] = await Promise.all([readSide(createReadStream(join(dir, 'a.csv'))), readSide(createReadStream(join(dir, 'b.csv')))]);
    const expected = text(matchAccounts(a.table, b.table, DEFAULT_MATCH_OPTIONS).pairs);
    for (const first of [1, 5, 40, 1000]) {
      // "Another thread" that claims the first chunks before this one starts: this one compares the rest.
      let there = 0;
      const pairs = await matchAccountsSharing(a.table, b.table, DEFAULT_MATCH_OPTIONS, (job) => {
        const claimed = compareClaimed(job, first);
        there = claimed.chunks.length;
        return Promise.resolve(claimed);
      });
      expect(there).toBeGreaterThan(0);
      expect(text(pairs.pairs)).toBe(expected);
    }
  }, 60_000);
});

describe('mergeClaimed', () => {
  const claimed = (chunks: number[], ends: number[], a: number[]): ClaimedCandidates => ({
    candidates: { a: Int32Array.from(a), b: Int32Array.from(a, (x) => x + 100), score: Float64Array.from(a, (x) => x / 10), sameCountry: Uint8Array.from(a, (x) => x % 2), count: a.length },
    chunks: Int32Array.from(chunks),
    ends: Int32Array.from(ends),
  });

  it('puts the candidates in chunk order, whichever thread found them', () => {
    // Thread 1 compared chunks 0 and 2 (candidates 1, 2 | 5), thread 2 chunks 1 and 3 (3, 4 | none).
    const merged = mergeClaimed([claimed([0, 2], [2, 3], [1, 2, 5]), claimed([1, 3], [2, 2], [3, 4])]);
    expect(merged.count).toBe(5);
    expect(Array.from(merged.a)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(merged.b)).toEqual([101, 102, 103, 104, 105]);
    expect(Array.from(merged.score)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(Array.from(merged.sameCountry)).toEqual([1, 0, 1, 0, 1]);
  });
});
