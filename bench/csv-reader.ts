/**
 * `npx tsx bench/csv-reader.ts [rows]`: the contribution CSV reader on two
 * generated exports of 5 columns, read from a temporary file in 1 MiB chunks,
 * then through the whole validator: "plain" quotes one name in ten (it holds
 * a comma), "quoted" quotes every field as Salesforce reports do.
 * Prints rows/s; docs/csv-reader.md has the figures and the comparison with
 * the npm parsers. Bounded: 1,000,000 rows by default, removed afterwards.
 */
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsv } from '../shared/contributions/csv-reader.ts';
import { validateContribution } from '../shared/contributions/validate.ts';

const ROWS = Math.min(Number(process.argv[2] ?? 1_000_000), 5_000_000);
const TYPES = ['Customer', 'Prospect', 'Opportunity'];
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'NL'];

function generate(path: string, quoteAll: boolean): number {
  const fd = openSync(path, 'w');
  let bytes = 0;
  let parts: string[] = ['Account Name,Website,Type,Country,Owner\n'];
  const flush = () => {
    bytes += writeSync(fd, parts.join(''));
    parts = [];
  };
  for (let i = 0; i < ROWS; i++) {
    const fields = [`Company ${i}${i % 10 === 0 ? ', Inc.' : ' GmbH'}`, `https://www.company${i}.com`, TYPES[i % 3], COUNTRIES[i % 5], `owner${i % 97}@example.com`];
    parts.push(`${fields.map((field = '') => (quoteAll || field.includes(',') ? `"${field}"` : field)).join(',')}\n`);
    if (parts.length === 10_000) flush();
  }
  flush();
  closeSync(fd);
  return bytes;
}

/** Wall and CPU time: on a shared machine the CPU time is the steadier figure. */
async function timed(work: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { wall: Math.round(performance.now() - started), cpu: Math.round((used.user + used.system) / 1000) };
}

const rate = (rows: number, ms: number) => `${Math.round((rows / ms) * 1000).toLocaleString('en')} rows/CPU-s`;

const dir = mkdtempSync(join(tmpdir(), 'accord-csv-bench-'));
try {
  for (const shape of ['plain', 'quoted'] as const) {
  const file = join(dir, `${shape}.csv`);
  const bytes = generate(file, shape === 'quoted');
  const open = () => createReadStream(file, { highWaterMark: 1024 * 1024 });
  console.log(`${shape}: ${ROWS.toLocaleString('en')} rows, ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
  for (let round = 1; round <= 3; round++) {
    let records = 0;
    const read = await timed(() => readCsv(open(), { header: () => undefined, record: () => void records++, badRecord: () => undefined }));
    let accepted = 0;
    const validated = await timed(async () => void (accepted = (await validateContribution(open(), {}, () => undefined)).accepted));
    console.log(
      `  round ${round}: reader ${read.wall} ms wall, ${read.cpu} ms CPU (${rate(records, read.cpu)}); ` +
        `validator ${validated.wall} ms wall, ${validated.cpu} ms CPU (${rate(accepted, validated.cpu)}); rss ${Math.round(process.memoryUsage().rss / 1024 / 1024)} MiB`,
    );
  }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
