import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountTable, DEFAULT_MATCH_OPTIONS, matchAccounts, type MatchResult } from '../../shared/matching/matcher.ts';
import { parseTerms } from '../../shared/terms.ts';
import { readSide } from '../../shared/matching/pipeline.ts';
import { type Dataset, generateDataset, type Quality, scorePairs } from './generator.ts';

/**
 * Matching quality on generated CRM exports with known truth: 20,000 rows a
 * side through the real validator, normalisers and matcher, with the default
 * terms. docs/matching.md has the figures at other sizes and thresholds.
 */
const ROWS = 20_000;

let dir: string;
let dataset: Dataset;
let tables: { a: AccountTable; b: AccountTable };
let result: MatchResult;
let quality: Quality;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'accord-quality-'));
  dataset = await generateDataset(join(dir, 'a.csv'), join(dir, 'b.csv'), { seed: 20_261_123, rowsA: ROWS, rowsB: ROWS });
  const [a, b] = await Promise.all([readSide(createReadStream(join(dir, 'a.csv'))), readSide(createReadStream(join(dir, 'b.csv')))]);
  tables = { a: a.table, b: b.table };
  result = matchAccounts(a.table, b.table, parseTerms({}).matching);
  quality = scorePairs(dataset, result.pairs);
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe(`matching quality, ${ROWS.toLocaleString('en')} x ${ROWS.toLocaleString('en')} generated rows, default terms`, () => {
  it('uses the default threshold of the terms', () => {
    expect(parseTerms({}).matching.fuzzyThreshold).toBe(DEFAULT_MATCH_OPTIONS.fuzzyThreshold);
  });

  it('finds most of the companies both sides have, by both methods', () => {
    expect(quality.common).toBeGreaterThan(ROWS * 0.3);
    expect(quality.byMethod.domain!.pairs).toBeGreaterThan(quality.common * 0.4);
    expect(quality.byMethod.name!.pairs).toBeGreaterThan(quality.common * 0.2);
  });

  it('reaches precision 0.99 and recall 0.95 overall', () => {
    expect(quality.overall.precision).toBeGreaterThanOrEqual(0.99);
    expect(quality.overall.recall).toBeGreaterThanOrEqual(0.95);
  });

  it('reaches precision 0.999 and recall 0.999 by domain', () => {
    expect(quality.byMethod.domain!.precision).toBeGreaterThanOrEqual(0.999);
    expect(quality.byMethod.domain!.recall).toBeGreaterThanOrEqual(0.999);
  });

  it('reaches precision 0.97 and recall 0.95 by name, where same-name companies of other countries are the errors left', () => {
    expect(quality.byMethod.name!.precision).toBeGreaterThanOrEqual(0.97);
    expect(quality.byMethod.name!.recall).toBeGreaterThanOrEqual(0.95);
  });

  it('is worse with a lax threshold: the threshold matters', () => {
    const lax = scorePairs(dataset, matchAccounts(tables.a, tables.b, { ...DEFAULT_MATCH_OPTIONS, fuzzyThreshold: 0.5 }).pairs);
    expect(lax.byMethod.name!.precision).toBeLessThan(quality.byMethod.name!.precision);
  });
});
