/**
 * The matching bench (part of `npm run bench`; alone: `npx tsx
 * bench/match-bench.ts [rows]`). Generates two CRM exports of 1,000,000 rows
 * each with known truth (test/quality/generator.ts) in a temporary folder,
 * then on the same files:
 *
 * 1. Accord: the dry run of `npm run match` (streaming validation,
 *    normalisation, dedupe, domain and fuzzy name matching, pairs written as
 *    JSON Lines) in a child process, whose peak resident memory it reports.
 * 2. The analyst's alternative: DuckDB reads both CSVs, cleans the website
 *    (or the e-mail's domain) with string functions (scheme, path, `www.`,
 *    the last two labels or three after co/com/org/net/ac/gov/edu) and joins.
 *    Domain only: no names.
 *
 * Prints both times, their ratio, rows/s, both CPU times (user + sys of
 * every thread: steadier than wall time on a shared machine), Accord's peak
 * memory, each one's precision (and Accord's recall) against the generator's
 * truth, and the machine's load.
 * Bounded: a guard stops it after ten minutes; the folder is removed.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { type DryRunSummary, dryRun } from '../scripts/match.ts';
import { type Dataset, generateDataset, type Predicted, type Side, scorePairs } from '../test/quality/generator.ts';

const GUARD_MS = 600_000;
const SEED = 20_261_123;

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const rate = (rows: number, ms: number) => `${Math.round(rows / (ms / 1000)).toLocaleString('en')} rows/s`;

/** The child: runs the dry run and prints its summary with its own peak RSS. */
async function child(fileA: string, fileB: string, out: string): Promise<void> {
  const started = performance.now();
  const summary = await dryRun(fileA, fileB, out);
  const elapsed = performance.now() - started;
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ summary, elapsed, cpu: (user + system) / 1000, maxRss: process.resourceUsage().maxRSS * 1024 })}\n`);
}

async function runAccord(fileA: string, fileB: string, out: string): Promise<{ summary: DryRunSummary; elapsed: number; cpu: number; wall: number; maxRss: number }> {
  const started = performance.now();
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', fileA, fileB, out], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  const [code] = (await once(proc, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the Accord child process exited with ${code}`);
  const result = JSON.parse(text) as { summary: DryRunSummary; elapsed: number; cpu: number; maxRss: number };
  return { ...result, wall: performance.now() - started };
}

async function* readPairs(path: string): AsyncGenerator<Predicted> {
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (line) yield JSON.parse(line) as Predicted;
  }
}

async function writeTruth(path: string, side: Side): Promise<void> {
  const out = createWriteStream(path);
  let buffer = 'id,entity\n';
  for (let n = 0; n < side.rows; n++) {
    buffer += `${side.prefix}${n},${side.truth[n]}\n`;
    if (buffer.length > 1 << 16) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}

const FREE_MAIL = ['gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'aol.com', 'icloud.com', 'gmx.de', 'web.de'];

/** The analyst's cleaning: host from a URL or an e-mail address, no `www.`, the last two labels (three after a second-level such as co.uk). */
function cleanedDomains(file: string): string {
  return `
    SELECT id, CASE
        WHEN len(parts) >= 3 AND parts[-2] IN ('co', 'com', 'org', 'net', 'ac', 'gov', 'edu') THEN array_to_string(parts[-3:], '.')
        ELSE array_to_string(parts[-2:], '.') END AS domain
    FROM (
      SELECT id, string_split(regexp_replace(split_part(split_part(split_part(regexp_replace(lower(trim(
          coalesce(nullif(website, ''), split_part(email, '@', 2)))), '^[a-z]+://', ''), '/', 1), '?', 1), ':', 1), '^www\\.', ''), '.') AS parts
      FROM read_csv('${file}', header = true, all_varchar = true, ignore_errors = true, strict_mode = false)
    )
    WHERE len(parts) >= 2`;
}

async function runDuckDb(fileA: string, fileB: string, truthA: string, truthB: string): Promise<{ ms: number; cpu: number; pairs: number; correct: number }> {
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  try {
    const started = performance.now();
    // DuckDB's threads are this process's: its CPU time is this process's during the query.
    const cpuBefore = process.cpuUsage();
    await db.run(`
      CREATE TABLE pairs AS
      WITH a AS (${cleanedDomains(fileA)}), b AS (${cleanedDomains(fileB)})
      SELECT a.id AS a, b.id AS b, domain FROM a JOIN b USING (domain)
      WHERE domain NOT IN (${FREE_MAIL.map((domain) => `'${domain}'`).join(', ')})`);
    const ms = performance.now() - started;
    const { user, system } = process.cpuUsage(cpuBefore);
    const reader = await db.runAndReadAll(`
      SELECT count(*)::BIGINT AS pairs, count(*) FILTER (WHERE ta.entity = tb.entity AND ta.entity >= 0)::BIGINT AS correct
      FROM pairs
      JOIN read_csv('${truthA}', header = true) ta ON ta.id = pairs.a
      JOIN read_csv('${truthB}', header = true) tb ON tb.id = pairs.b`);
    const [row] = reader.getRowObjects() as { pairs: bigint; correct: bigint }[];
    return { ms, cpu: (user + system) / 1000, pairs: Number(row!.pairs), correct: Number(row!.correct) };
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

export async function runMatchBench(rows = 1_000_000): Promise<void> {
  const guard = setTimeout(() => {
    console.error(`match bench: aborted after ${GUARD_MS / 1000} s`);
    process.exit(1);
  }, GUARD_MS);
  const dir = mkdtempSync(join(tmpdir(), 'accord-match-bench-'));
  try {
    const fileA = join(dir, 'a.csv');
    const fileB = join(dir, 'b.csv');
    const out = join(dir, 'pairs.jsonl');
    const t0 = performance.now();
    const dataset: Dataset = await generateDataset(fileA, fileB, { seed: SEED, rowsA: rows, rowsB: rows });
    const generated = performance.now() - t0;
    await writeTruth(join(dir, 'truth-a.csv'), dataset.a);
    await writeTruth(join(dir, 'truth-b.csv'), dataset.b);

    const loadBefore = loadavg()[0]!;
    const accord = await runAccord(fileA, fileB, out);
    const predicted: Predicted[] = [];
    for await (const pair of readPairs(out)) predicted.push(pair);
    const quality = scorePairs(dataset, predicted);
    const duck = await runDuckDb(fileA, fileB, join(dir, 'truth-a.csv'), join(dir, 'truth-b.csv'));
    const loadAfter = loadavg()[0]!;

    const { summary } = accord;
    const t = summary.timings;
    const lines: [string, string][] = [
      ['generated', `${rows.toLocaleString('en')} x ${rows.toLocaleString('en')} rows, ${dataset.entities.toLocaleString('en')} companies, ${quality.common.toLocaleString('en')} on both sides (${seconds(generated)})`],
      ['Accord: validate + normalise A | B', `${seconds(t.readA ?? 0)} | ${seconds(t.readB ?? 0)} (a worker thread each, at once)`],
      ['Accord: index each side A | B', `${seconds(t.indexA ?? 0)} | ${seconds(t.indexB ?? 0)} (dedupe, canonical order, block keys; same workers)`],
      ['Accord: match (dedupe, domain, names)', seconds(t.match ?? 0)],
      ['Accord: write pairs (JSON Lines)', seconds(t.write ?? 0)],
      ['Accord: CSV to 9-box and pairs', `${seconds(accord.elapsed)} (${rate(2 * rows, accord.elapsed)}); process ${seconds(accord.wall)} with start-up`],
      ['Accord: CPU time (user + sys, every thread)', seconds(accord.cpu)],
      ['Accord: peak memory (max RSS, workers included)', mb(accord.maxRss)],
      ['Accord: pairs', `${summary.pairs} (domain ${summary.byMethod?.domain}, name ${summary.byMethod?.name})`],
      ['Accord: precision / recall', `${quality.overall.precision.toFixed(4)} / ${quality.overall.recall.toFixed(4)}`],
      ['  by domain', `${quality.byMethod.domain!.precision.toFixed(4)} / ${quality.byMethod.domain!.recall.toFixed(4)}`],
      ['  by name', `${quality.byMethod.name!.precision.toFixed(4)} / ${quality.byMethod.name!.recall.toFixed(4)}`],
      ['DuckDB: domain-only SQL join', `${seconds(duck.ms)} (${rate(2 * rows, duck.ms)})`],
      ['DuckDB: CPU time (user + sys, every thread)', seconds(duck.cpu)],
      ['DuckDB: pairs', String(duck.pairs)],
      ['DuckDB: precision', duck.pairs === 0 ? '-' : (duck.correct / duck.pairs).toFixed(4)],
      ['Accord / DuckDB time', `${(accord.elapsed / duck.ms).toFixed(2)} x (CPU time ${(accord.cpu / duck.cpu).toFixed(2)} x)`],
      ['machine load (1-minute average) before | after', `${loadBefore.toFixed(1)} | ${loadAfter.toFixed(1)} on ${availableParallelism()} cores`],
    ];
    const width = Math.max(...lines.map(([k]) => k.length));
    console.log('Matching: Accord (domain and names) against a DuckDB domain join, on the same generated files');
    for (const [k, v] of lines) console.log(`  ${k.padEnd(width)}  ${v}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    clearTimeout(guard);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [flag, ...rest] = process.argv.slice(2);
  const run = flag === '--child' ? child(rest[0]!, rest[1]!, rest[2]!) : runMatchBench(flag === undefined ? undefined : Number(flag));
  run.catch((error: unknown) => {
    console.error('match bench:', error);
    process.exit(1);
  });
}
