/**
 * The contribution pipeline shared by the matching task, the dry-run CLI
 * (`npm run match`) and the benchmark: a contribution stream goes through
 * the streaming validation, each accepted row is normalised (registrable
 * domain, name key, country) into the matcher's compact account table.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { byteChunks } from '../contributions/csv-reader.ts';
import { type AccountRow, validateContribution, type ValidationOptions, type ValidationReport } from '../contributions/validate.ts';
import { AccountTable, type AccountTableData, type NormalisedAccount } from './account-table.ts';
import { domainKey } from './domain-key.ts';
import { nameKey } from './name-key.ts';
import { indexSide, sideIndexBuffers } from './side-index.ts';

/** Country-code TLDs that companies everywhere use as generic ones: they say nothing of a country. */
const GENERIC_CCTLDS = new Set(['ai', 'io', 'co', 'me', 'tv', 'ly', 'fm', 'gg', 'to', 'cc', 'ws', 'sh', 'ac', 'am', 'la', 'nu', 'so', 'vc', 'xyz']);

/**
 * The matcher's country: an ISO 3166 alpha-2 code when the row's country is
 * written as one (any case; UK is GB), else the country of the domain's
 * country-code TLD (acme.de: DE) when the row has no country at all; unknown
 * otherwise. A country only ever keeps two names apart, so unknown is safe.
 */
export function countryKey(country: string | undefined, domain: string | undefined): string | undefined {
  const written = country?.trim() ?? '';
  if (written !== '') {
    const code = written.toUpperCase();
    if (!/^[A-Z]{2}$/.test(code)) return undefined;
    return code === 'UK' ? 'GB' : code;
  }
  if (domain === undefined) return undefined;
  const tld = domain.slice(domain.lastIndexOf('.') + 1);
  if (tld.length !== 2 || GENERIC_CCTLDS.has(tld) || !/^[a-z]{2}$/.test(tld)) return undefined;
  return tld === 'uk' ? 'GB' : tld.toUpperCase();
}

/** The registrable domain of a validated row: its website's, else its e-mail's. */
function rowDomain(row: AccountRow): string | undefined {
  return (row.website ? domainKey(row.website) : undefined) ?? (row.email ? domainKey(row.email) : undefined);
}

/** A validated row as the matcher's input. */
export function normaliseRow(row: AccountRow): NormalisedAccount {
  const domain = rowDomain(row);
  const country = countryKey(row.country, domain);
  return {
    ref: row.ref,
    population: row.population,
    nameKey: nameKey(row.name),
    ...(domain === undefined ? {} : { domainKey: domain }),
    ...(country === undefined ? {} : { country }),
  };
}

/** The same, straight into a table, without an object per row. */
export function addNormalisedRow(table: AccountTable, row: AccountRow): void {
  const domain = rowDomain(row);
  table.addRow(row.ref, row.population, nameKey(row.name), domain, countryKey(row.country, domain));
}

export interface ReadSide {
  table: AccountTable;
  report: ValidationReport;
  /** Validation and normalisation, milliseconds. */
  ms: number;
  /** Building the side's index, milliseconds (when read in a worker). */
  indexMs?: number;
}

/** Validates and normalises one contribution into an account table. */
export async function readSide(input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, options: ValidationOptions = {}): Promise<ReadSide> {
  const started = performance.now();
  const table = new AccountTable();
  const report = await validateContribution(input, options, (row) => addNormalisedRow(table, row));
  return { table: report.verdict === 'accepted' ? table : new AccountTable(), report, ms: Math.round(performance.now() - started) };
}

// ---------------------------------------------------------------------------
// In a worker thread

/** Marks a worker started by `readSideInWorker` (this module is its entry, also inside a bundle). */
const WORKER_ROLE = 'accord:read-side';
/** Chunks handed to the worker and not yet read: bounds the memory when the worker is slower than the input. */
const MAX_CHUNKS_IN_FLIGHT = 8;

type ToWorker = { type: 'chunk'; chunk: Uint8Array } | { type: 'end' };
type FromWorker =
  | { type: 'read' }
  | { type: 'done'; report: ValidationReport; ms: number; indexMs: number; table: AccountTableData }
  | { type: 'failed'; message: string; stack?: string };

/** The typed arrays' buffers of a table, each once, to transfer rather than copy. */
function buffersOf(data: AccountTableData): ArrayBuffer[] {
  const arrays = [data.refs.chars, data.refs.ends, data.names.chars, data.names.ends, data.domains.chars, data.domains.ends, data.ranks, data.domainIds, data.countryIds];
  return [...new Set([...arrays.map((array) => array.buffer as ArrayBuffer), ...(data.index ? sideIndexBuffers(data.index) : [])])];
}

/** The worker's side: chunks in as messages, the report and the table out as one message. */
function serveReadSide(port: NonNullable<typeof parentPort>, options: ValidationOptions, useDomain: boolean): void {
  const queue: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  port.on('message', (message: ToWorker) => {
    if (message.type === 'chunk') queue.push(message.chunk);
    else ended = true;
    wake?.();
  });
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const chunk = queue.shift();
      if (chunk) {
        yield chunk;
        port.postMessage({ type: 'read' } satisfies FromWorker);
      } else if (ended) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  readSide(chunks(), options).then(
    ({ table, report, ms }) => {
      const started = performance.now();
      if (report.verdict === 'accepted') table.index = indexSide(table, useDomain);
      const indexMs = Math.round(performance.now() - started);
      const data = table.toData();
      port.postMessage({ type: 'done', report, ms, indexMs, table: data } satisfies FromWorker, buffersOf(data));
      port.close();
    },
    (error: unknown) => {
      const failure: FromWorker = { type: 'failed', message: error instanceof Error ? error.message : String(error) };
      if (error instanceof Error && error.stack) failure.stack = error.stack;
      port.postMessage(failure);
      port.close();
    },
  );
}

if (!isMainThread && parentPort && (workerData as { role?: string } | null)?.role === WORKER_ROLE) {
  const { options, useDomain } = workerData as { options: ValidationOptions; useDomain: boolean };
  serveReadSide(parentPort, options, useDomain);
}

/**
 * `readSide` in a worker thread: this thread only moves the bytes (bounded:
 * a few chunks in flight), the worker validates and normalises, builds the
 * matcher's index of the side (`indexSide`, for `matching.domain` as given:
 * the matcher rebuilds it for the other setting), and the table comes back
 * without a copy. Two sides read this way use two cores.
 * From source (`.ts`, tests and scripts) the worker loads through tsx; in a
 * bundle it loads the bundle itself, whose copy of this module serves it
 * (`workerModule`: another module that contains this one, such as a Lambda
 * bundle; by default the module or bundle this code is in).
 */
export async function readSideInWorker(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  options: ValidationOptions = {},
  matching: { domain: boolean } = { domain: true },
  workerModule: URL = new URL(import.meta.url),
): Promise<ReadSide> {
  const url = workerModule;
  const execArgv = url.pathname.endsWith('.ts') && !process.execArgv.includes('tsx') ? [...process.execArgv, '--import', 'tsx'] : process.execArgv;
  const worker = new Worker(url, { workerData: { role: WORKER_ROLE, options, useDomain: matching.domain }, execArgv });
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let finished = false;
  const result = new Promise<ReadSide>((resolve, reject) => {
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'read') {
        inFlight--;
        wake?.();
      } else if (message.type === 'done') {
        finished = true;
        resolve({ table: AccountTable.fromData(message.table), report: message.report, ms: message.ms, indexMs: message.indexMs });
      } else {
        finished = true;
        reject(Object.assign(new Error(message.message), message.stack ? { stack: message.stack } : {}));
      }
      wake?.();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the worker reading a contribution stopped (exit code ${code})`)));
  });
  result.catch(() => undefined);
  try {
    for await (const chunk of byteChunks(input)) {
      if (finished) break;
      // A copy the worker owns (a stream's chunks may share one pooled buffer).
      const own = new Uint8Array(chunk);
      worker.postMessage({ type: 'chunk', chunk: own } satisfies ToWorker, [own.buffer]);
      if (++inFlight >= MAX_CHUNKS_IN_FLIGHT) await Promise.race([new Promise<void>((resolve) => (wake = resolve)), result]);
    }
    if (!finished) worker.postMessage({ type: 'end' } satisfies ToWorker);
    return await result;
  } finally {
    await worker.terminate();
  }
}
