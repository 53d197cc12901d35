import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccordFunction, PROJECT_ROOT } from '../../infra/constructs/accord-function.ts';
import { readSide } from '../../shared/matching/pipeline.ts';
import { MatchThreads, readSideInWorker } from '../../shared/matching/threads.ts';
import { DEFAULT_MATCH_OPTIONS, matchAccounts, pairsToJsonLines } from '../../shared/matching/matcher.ts';
import { SAMPLE_A_LINES, SAMPLE_B_LINES } from '../support/sample-accounts.ts';

/*
 * The matching task reads both contributions in worker threads and shares
 * the name comparisons with another (`MatchThreads`). In its Lambda each
 * worker is the function's own bundle: this test bundles
 * functions/tasks/match-run.ts as `cdk synth` does (AccordFunction, local
 * esbuild, ESM) and runs both kinds of job with that bundle as the worker,
 * so a bundle that cannot serve as one fails here, not on AWS.
 */

const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };

const CSV = SAMPLE_A_LINES.join('\n');
const csv = () => Readable.from([Buffer.from(CSV)]);
const OTHER = [...SAMPLE_B_LINES, 'Wayne Enterprise,,Customer'].join('\n');

let outdir: string;
let bundle: string;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'accord-bundle-'));
  const app = new App({ outdir, context: cdkJson.context });
  const stack = new Stack(app, 'BundleTest');
  new AccordFunction(stack, 'MatchRun', { entry: 'functions/tasks/match-run.ts' });
  const assembly = app.synth();
  // The stack's one function is its one asset: the folder esbuild wrote the bundle to.
  const assets = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
  expect(assets).toHaveLength(1);
  bundle = join(assembly.directory, assets[0]!, 'index.mjs');
}, 120_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('the match-run Lambda bundle', () => {
  it('is one ESM file that serves as its own read-side worker, reading as the source does', async () => {
    expect(existsSync(bundle)).toBe(true);
    const [here, there] = await Promise.all([readSide(csv()), readSideInWorker(csv(), {}, { domain: true }, pathToFileURL(bundle))]);
    expect(there.report).toEqual(here.report);
    expect(there.report).toMatchObject({ verdict: 'accepted', accepted: 10, rejected: 1 });
    expect(Array.from({ length: there.table.length }, (_, row) => there.table.row(row))).toEqual(Array.from({ length: here.table.length }, (_, row) => here.table.row(row)));
    expect(there.table.index?.accounts).toBe(9);
  });

  it('serves as the worker that shares the name comparisons, with the pairs of one thread', async () => {
    const threads = new MatchThreads(pathToFileURL(bundle));
    try {
      const [a, b] = await Promise.all([threads.readSide(csv()), threads.readSide(Readable.from([Buffer.from(OTHER)]))]);
      const pairs = (await threads.matchAccounts(a.table, b.table, DEFAULT_MATCH_OPTIONS)).pairs;
      expect(pairs.map((pair) => pair.method)).toContain('name');
      expect([...pairsToJsonLines(pairs)].join('')).toBe([...pairsToJsonLines(matchAccounts(a.table, b.table, DEFAULT_MATCH_OPTIONS).pairs)].join(''));
    } finally {
      await threads.close();
    }
  });
});
