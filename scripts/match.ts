/**
 * `npm run --silent match -- --a A.csv --b B.csv [--out pairs.jsonl]`: the
 * dry run of a match on two local files, with no server. Each file goes
 * through the same streaming validation and normalisation as an upload, the
 * two sides through the matcher with the default terms, and one JSON summary
 * goes to stdout: rows read, accepted and rejected per file, the 9-box from
 * A's side, the number of pairs by method, and timings in milliseconds.
 * `--out` writes the pairs as JSON Lines; `a` and `b` hold the rows' refs
 * (the id column's value, or the line number when the file has no id column).
 *
 * Exit status: 0 matched, 1 a file was rejected as a whole, 2 bad arguments.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ValidationReport } from '../shared/contributions/validate.ts';
import { type MatchOptions, type MatchResult, nineBox, type NineBox, pairsToJsonLines } from '../shared/matching/matcher.ts';
import { MatchThreads } from '../shared/matching/threads.ts';
import { parseTerms } from '../shared/terms.ts';

// ---------------------------------------------------------------------------
// The dry run

export interface DryRunSummary {
  a: FileSummary;
  b: FileSummary;
  /** The 9-box from A's side: [A's population][B's population]. */
  nineBox?: NineBox;
  pairs?: number;
  byMethod?: Record<string, number>;
  out?: string;
  timings: Record<string, number>;
}

interface FileSummary {
  file: string;
  verdict: ValidationReport['verdict'];
  reason?: string;
  rowsRead: number;
  accepted: number;
  rejected: number;
  /** Accounts after deduplication. */
  accounts?: number;
  /** The first rejections, by line. */
  rejections: ValidationReport['rejections'];
}

function fileSummary(file: string, report: ValidationReport): FileSummary {
  return {
    file,
    verdict: report.verdict,
    ...(report.reason === undefined ? {} : { reason: report.reason }),
    rowsRead: report.rowsRead,
    accepted: report.accepted,
    rejected: report.rejected,
    rejections: report.rejections.slice(0, 10),
  };
}

async function writeLines(path: string, result: MatchResult): Promise<void> {
  const out = createWriteStream(path);
  let buffer = '';
  for (const line of pairsToJsonLines(result.pairs)) {
    buffer += line;
    if (buffer.length > 1 << 16) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}

export async function dryRun(fileA: string, fileB: string, out: string | undefined, options: MatchOptions = parseTerms({}).matching): Promise<DryRunSummary> {
  const started = performance.now();
  // A worker thread reads each file, another shares the name comparisons with this thread.
  const threads = new MatchThreads();
  try {
    const [a, b] = await Promise.all([threads.readSide(createReadStream(fileA), {}, options), threads.readSide(createReadStream(fileB), {}, options)]);
    const timings: Record<string, number> = { readA: a.ms, readB: b.ms, indexA: a.indexMs ?? 0, indexB: b.indexMs ?? 0 };
    const summary: DryRunSummary = { a: fileSummary(fileA, a.report), b: fileSummary(fileB, b.report), timings };
    if (a.report.verdict === 'accepted' && b.report.verdict === 'accepted') {
      const matchStarted = performance.now();
      const result = await threads.matchAccounts(a.table, b.table, options);
      timings.match = Math.round(performance.now() - matchStarted);
      summary.a.accounts = result.a.accounts;
      summary.b.accounts = result.b.accounts;
      summary.nineBox = nineBox(result.pairs, 'a');
      summary.pairs = result.pairs.length;
      const byMethod: Record<string, number> = { domain: 0, name: 0 };
      for (const pair of result.pairs) byMethod[pair.method] = (byMethod[pair.method] ?? 0) + 1;
      summary.byMethod = byMethod;
      if (out !== undefined) {
        const writeStarted = performance.now();
        await writeLines(out, result);
        timings.write = Math.round(performance.now() - writeStarted);
        summary.out = out;
      }
    }
    timings.total = Math.round(performance.now() - started);
    return summary;
  } finally {
    await threads.close();
  }
}

const USAGE = 'usage: npm run --silent match -- --a A.csv --b B.csv [--out pairs.jsonl]';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { a: { type: 'string' }, b: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.a || !values.b) {
    console.error(USAGE);
    return 2;
  }
  const summary = await dryRun(values.a, values.b, values.out);
  console.log(JSON.stringify(summary, null, 2));
  return summary.pairs === undefined ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error('match:', error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
