/**
 * The matcher on more than one core. `MatchThreads` runs its work in
 * worker threads:
 *
 * - `readSide`: a contribution is validated, normalised and indexed
 *   (`readSide`, `indexSide`) in a worker; this thread only passes the bytes
 *   on (a few chunks in flight at most) and gets the table back without a
 *   copy. Two sides read at once use two cores.
 * - `matchAccounts`: the match, with the name comparisons shared between
 *   this thread and a worker (`matchAccountsSharing`): both claim chunks of
 *   blocks until none is left. The pairs are those of `matchAccounts`, byte
 *   for byte.
 *
 * Each worker stops when its job is done, so that the heap it used goes
 * with it (a reader's garbage would otherwise stay through the match).
 *
 * A worker loads this module again: from source (`.ts`: tests, scripts)
 * through tsx; in a bundle (the Lambda's) the bundle itself, whose copy of
 * this module serves it. The arrays the name stage reads are in shared
 * memory (`inSharedMemory`), so a comparison job copies little.
 */
import { isMainThread, MessageChannel, type MessagePort, parentPort, Worker, workerData } from 'node:worker_threads';
import { byteChunks } from '../contributions/csv-reader.ts';
import type { ValidationOptions, ValidationReport } from '../contributions/validate.ts';
import { AccountTable, type AccountTableData, inSharedMemory, transferable } from './account-table.ts';
import { type ClaimedCandidates, compareClaimed, type CompareJob, type MatchOptions, matchAccountsSharing, type MatchResult } from './matcher.ts';
import { type ReadSide, readSide } from './pipeline.ts';
import { indexSide, shareNameStageArrays, sideIndexArrays } from './side-index.ts';

/** Marks a worker started by `MatchThreads` (this module is its entry, also inside a bundle). */
const WORKER_ROLE = 'accord:matching-thread';
/** Chunks handed to a reading worker and not yet read: bounds the memory when the worker is slower than the input. */
const MAX_CHUNKS_IN_FLIGHT = 8;

/** A job, posted to a worker with its own port for the job's messages. */
type Job = { type: 'read'; port: MessagePort; options: ValidationOptions; useDomain: boolean } | { type: 'compare'; port: MessagePort; job: CompareJob };
type ToReader = { type: 'chunk'; chunk: Uint8Array } | { type: 'end' };
type Failed = { type: 'failed'; message: string; stack?: string };
type FromReader = { type: 'read' } | { type: 'done'; report: ValidationReport; ms: number; indexMs: number; table: AccountTableData } | Failed;
type FromComparer = { type: 'done'; claimed: ClaimedCandidates } | Failed;

function failed(error: unknown): Failed {
  const failure: Failed = { type: 'failed', message: error instanceof Error ? error.message : String(error) };
  if (error instanceof Error && error.stack) failure.stack = error.stack;
  return failure;
}

function errorOf(message: Failed): Error {
  return Object.assign(new Error(message.message), message.stack ? { stack: message.stack } : {});
}

// ---------------------------------------------------------------------------
// In a worker

/** The typed arrays of a table's data, its index's included. */
function tableArrays(data: AccountTableData) {
  return [data.refs.chars, data.refs.ends, data.names.chars, data.names.ends, data.domains.chars, data.domains.ends, data.ranks, data.domainIds, data.countryIds, ...(data.index ? sideIndexArrays(data.index) : [])];
}

/** Reads one contribution: chunks in on the job's port, the report and the table out as one message. */
function serveRead(port: MessagePort, options: ValidationOptions, useDomain: boolean): void {
  const queue: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  port.on('message', (message: ToReader) => {
    if (message.type === 'chunk') queue.push(message.chunk);
    else ended = true;
    wake?.();
  });
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const chunk = queue.shift();
      if (chunk) {
        yield chunk;
        port.postMessage({ type: 'read' } satisfies FromReader);
      } else if (ended) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  readSide(chunks(), options).then(
    ({ table, report, ms }) => {
      const started = performance.now();
      // What the name stage reads goes to shared memory: a comparison thread reads it without a copy.
      if (report.verdict === 'accepted') table.index = shareNameStageArrays(indexSide(table, useDomain));
      const indexMs = Math.round(performance.now() - started);
      const data = table.toData();
      data.domains.chars = inSharedMemory(data.domains.chars);
      port.postMessage({ type: 'done', report, ms, indexMs, table: data } satisfies FromReader, transferable(tableArrays(data)));
      port.close();
    },
    (error: unknown) => {
      port.postMessage(failed(error) satisfies FromReader);
      port.close();
    },
  );
}

/** Compares the chunks of blocks this thread claims. */
function serveCompare(port: MessagePort, job: CompareJob): void {
  try {
    const claimed = compareClaimed(job);
    const { candidates } = claimed;
    port.postMessage({ type: 'done', claimed } satisfies FromComparer, transferable([candidates.a, candidates.b, candidates.score, candidates.sameCountry, claimed.chunks, claimed.ends]));
  } catch (error) {
    port.postMessage(failed(error) satisfies FromComparer);
  }
  port.close();
}

if (!isMainThread && parentPort && (workerData as { role?: string } | null)?.role === WORKER_ROLE) {
  parentPort.on('message', (job: Job) => {
    if (job.type === 'read') serveRead(job.port, job.options, job.useDomain);
    else serveCompare(job.port, job.job);
  });
}

// ---------------------------------------------------------------------------
// The threads

export class MatchThreads {
  private readonly workerModule: URL;
  private readonly execArgv: string[];
  private readonly live = new Set<Worker>();
  /** The worker that will share the name comparisons, started when the first side has been read. */
  private helper: Worker | undefined;

  /** `workerModule`: a module that contains this one (such as a Lambda bundle); by default the module or bundle this code is in. */
  constructor(workerModule: URL = new URL(import.meta.url)) {
    this.workerModule = workerModule;
    this.execArgv = workerModule.pathname.endsWith('.ts') && !process.execArgv.includes('tsx') ? [...process.execArgv, '--import', 'tsx'] : process.execArgv;
  }

  /**
   * `readSide` in a worker thread of its own, plus the side's index
   * (`indexSide`, for `matching.domain` as given: the matcher rebuilds it for
   * the other setting). The worker stops afterwards (its heap goes with it);
   * the first side read starts the worker `matchAccounts` will use, so that
   * it loads while the other side is still being read.
   */
  async readSide(input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, options: ValidationOptions = {}, matching: { domain: boolean } = { domain: true }): Promise<ReadSide> {
    const worker = this.start();
    const { port1: port, port2 } = new MessageChannel();
    let inFlight = 0;
    let wake: (() => void) | undefined;
    let finished = false;
    const result = this.watch<FromReader, ReadSide>(worker, port, (message, resolve, reject) => {
      if (message.type === 'read') {
        inFlight--;
        wake?.();
        return;
      }
      finished = true;
      wake?.();
      if (message.type === 'done') resolve({ table: AccountTable.fromData(message.table), report: message.report, ms: message.ms, indexMs: message.indexMs });
      else reject(errorOf(message));
    });
    try {
      worker.postMessage({ type: 'read', port: port2, options, useDomain: matching.domain } satisfies Job, [port2]);
      for await (const chunk of byteChunks(input)) {
        if (finished) break;
        // A copy the worker owns (a stream's chunks may share one pooled buffer).
        const own = new Uint8Array(chunk);
        port.postMessage({ type: 'chunk', chunk: own } satisfies ToReader, [own.buffer]);
        if (++inFlight >= MAX_CHUNKS_IN_FLIGHT) await Promise.race([new Promise<void>((resolve) => (wake = resolve)), result]);
      }
      if (!finished) port.postMessage({ type: 'end' } satisfies ToReader);
      const side = await result;
      this.helper ??= this.start();
      return side;
    } finally {
      await this.stop(worker);
    }
  }

  /**
   * `matchAccounts` (one shard), its name comparisons shared with a worker
   * thread (`matchAccountsSharing`): the same pairs, byte for byte.
   */
  async matchAccounts(a: AccountTable, b: AccountTable, options: MatchOptions): Promise<MatchResult> {
    const worker = this.helper ?? this.start();
    this.helper = undefined;
    const { port1: port, port2 } = new MessageChannel();
    const compare = (job: CompareJob) => {
      const claimed = this.watch<FromComparer, ClaimedCandidates>(worker, port, (message, resolve, reject) => {
        if (message.type === 'done') resolve(message.claimed);
        else reject(errorOf(message));
      });
      worker.postMessage({ type: 'compare', port: port2, job } satisfies Job, [port2]);
      // Its part done, the worker stops before the pairs are made: its heap is not needed any more.
      return claimed.finally(() => this.stop(worker));
    };
    try {
      return await matchAccountsSharing(a, b, options, compare);
    } finally {
      port.close();
      await this.stop(worker);
    }
  }

  /** Stops every worker still running. */
  async close(): Promise<void> {
    this.helper = undefined;
    await Promise.all([...this.live].map((worker) => this.stop(worker)));
  }

  private start(): Worker {
    const worker = new Worker(this.workerModule, { workerData: { role: WORKER_ROLE }, execArgv: this.execArgv });
    this.live.add(worker);
    return worker;
  }

  private async stop(worker: Worker): Promise<void> {
    this.live.delete(worker);
    await worker.terminate();
  }

  /** The outcome of a job on `worker`, from the messages on its port; fails when the worker fails or stops first. */
  private watch<M, T>(worker: Worker, port: MessagePort, handle: (message: M, resolve: (value: T) => void, reject: (error: Error) => void) => void): Promise<T> {
    const outcome = new Promise<T>((resolve, reject) => {
      const settle = (finish: () => void) => {
        worker.off('error', onError);
        worker.off('exit', onExit);
        port.off('message', onMessage);
        finish();
      };
      const onError = (error: Error) => settle(() => reject(error));
      const onExit = (code: number) => settle(() => reject(new Error(`a matching worker thread stopped (exit code ${code})`)));
      const onMessage = (message: M) =>
        handle(
          message,
          (value) => settle(() => resolve(value)),
          (error) => settle(() => reject(error)),
        );
      worker.once('error', onError);
      worker.once('exit', onExit);
      port.on('message', onMessage);
    });
    outcome.catch(() => undefined);
    return outcome;
  }
}

/** `MatchThreads.readSide` alone. */
export async function readSideInWorker(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  options: ValidationOptions = {},
  matching: { domain: boolean } = { domain: true },
  workerModule?: URL,
): Promise<ReadSide> {
  const threads = new MatchThreads(workerModule);
  try {
    return await threads.readSide(input, options, matching);
  } finally {
    await threads.close();
  }
}
