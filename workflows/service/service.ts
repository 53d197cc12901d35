/**
 * The local Step Functions service: the engine on the durable SQLite store,
 * behind an HTTP endpoint that speaks the AWS protocol (awsJson1_0:
 * `POST /`, `X-Amz-Target: AWSStepFunctions.<Operation>`, JSON bodies,
 * errors as `{"__type": ..., "message": ...}`), so `@aws-sdk/client-sfn`
 * with an endpoint override (or AWS_ENDPOINT_URL_SFN) works unchanged.
 *
 * On start it reopens `<dataDir>/stepfunctions/`, takes the folder's lock and
 * recovers every RUNNING execution: waits re-armed from their deadlines, tasks
 * without an answer invoked again, task tokens valid as before.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Clock, RealClock, VirtualClock } from '../engine/clock.ts';
import { Engine, SfnApiError } from '../engine/engine.ts';
import type { Json } from '../engine/json.ts';
import { type LambdaInvoker, type LambdaModule, type LambdaResolver, ModuleLambdaInvoker } from '../engine/lambda.ts';
import { SqliteStore } from '../engine/sqlite-store.ts';
import { StepFunctionsApi } from './api.ts';

export interface StepFunctionsServiceOptions {
  /** The data folder; the service keeps its files in `<dataDir>/stepfunctions/`. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
  /** `real` (npm start) or `virtual` (tests: time moves only through advance()). */
  clock?: 'real' | 'virtual';
  /** Where a virtual clock starts on a fresh data folder (epoch ms); later starts resume where it stopped. */
  virtualStart?: number;
  /** Function name -> handler module path or module; undefined when no such function exists. */
  resolveLambda?: LambdaResolver;
  /** Or the bindings as a record. */
  lambdas?: Record<string, string | LambdaModule>;
  /** Or a whole invoker. */
  lambdaInvoker?: LambdaInvoker;
  region?: string;
  account?: string;
  /** `FULL` (default) or `NORMAL`; see SqliteStore. */
  synchronous?: 'FULL' | 'NORMAL';
  /** One line per request, when given. */
  log?: (line: string) => void;
}

export interface StepFunctionsService {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  /** What the application's SDK clients read: AWS_ENDPOINT_URL_SFN. */
  readonly environment: Record<string, string>;
  /** RUNNING executions picked up from the data folder at start. */
  readonly recovered: number;
  readonly engine: Engine;
  /** Registers or replaces a state machine by name; answers its ARN. */
  registerStateMachine(name: string, definition: string | Json, roleArn?: string): Promise<string>;
  /** Current time of the service's clock (epoch ms). */
  now(): number;
  /**
   * Virtual clock only: moves time forward by `ms`, firing every timer that
   * falls due (each one's step saved) in deadline order, and resolves once the
   * executions have caught up.
   */
  advance(ms: number): Promise<void>;
  /** Resolves when no event is being processed. */
  settled(): Promise<void>;
  /** Stops listening and closes the store; executions stay where they were, ready for the next start. */
  stop(): Promise<void>;
}

const VIRTUAL_NOW = 'virtualNow';

/** One service per data folder: a pid file, taken over when its process is gone (e.g. after SIGKILL). */
function takeLock(dir: string): () => void {
  const file = join(dir, 'service.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      // This very process counts as alive: a second service here would run every execution twice.
      let alive = pid === process.pid;
      if (!alive && Number.isInteger(pid) && pid > 0) {
        try {
          process.kill(pid, 0);
          alive = true;
        } catch (e) {
          alive = (e as NodeJS.ErrnoException).code === 'EPERM';
        }
      }
      if (alive) throw new Error(`The Step Functions data folder ${dir} is in use by process ${pid}`);
      rmSync(file, { force: true });
    }
  }
  throw new Error(`Cannot lock the Step Functions data folder ${dir}`);
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new SfnApiError('ValidationException', 'The request body is too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startStepFunctionsService(options: StepFunctionsServiceOptions): Promise<StepFunctionsService> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const dir = join(options.dataDir, 'stepfunctions');
  mkdirSync(dir, { recursive: true });
  const unlock = takeLock(dir);
  let store: SqliteStore | undefined;
  try {
    store = new SqliteStore(join(dir, 'executions.sqlite'), options.synchronous ? { synchronous: options.synchronous } : {});
    const s = store;
    let clock: Clock;
    let virtual: VirtualClock | undefined;
    if (options.clock === 'virtual') {
      const saved = Number(s.getMeta(VIRTUAL_NOW));
      virtual = new VirtualClock(Number.isFinite(saved) && saved > 0 ? saved : (options.virtualStart ?? Date.now()));
      s.setMeta(VIRTUAL_NOW, String(virtual.now()));
      clock = virtual;
    } else {
      clock = new RealClock();
    }
    const lambda = options.lambdaInvoker ?? new ModuleLambdaInvoker(options.resolveLambda ?? options.lambdas ?? {}, { region, account });
    const engine = new Engine({ clock, store: s, lambda, region, account });
    const api = new StepFunctionsApi(engine, s, region);
    const recovered = await engine.recover();

    const respond = (res: ServerResponse, status: number, body: object, errorType?: string): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'Content-Type': 'application/x-amz-json-1.0',
        'Content-Length': Buffer.byteLength(text),
        'x-amzn-RequestId': randomUUID(),
        ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
      });
      res.end(text);
    };
    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
      try {
        if (req.method !== 'POST' || !operation) throw new SfnApiError('UnknownOperationException', 'Expected POST / with X-Amz-Target: AWSStepFunctions.<Operation>');
        const text = await readBody(req, 4 * 1024 * 1024);
        let body: unknown = {};
        if (text.trim() !== '') {
          try {
            body = JSON.parse(text);
          } catch {
            throw new SfnApiError('SerializationException', 'The request body is not valid JSON');
          }
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new SfnApiError('SerializationException', 'The request body must be a JSON object');
        const answer = await api.call(operation, body as Record<string, unknown>);
        respond(res, 200, answer);
        options.log?.(`sfn ${operation} 200`);
      } catch (err) {
        if (err instanceof SfnApiError) {
          respond(res, err.statusCode, { __type: `com.amazonaws.swf.service.v2.model#${err.name}`, message: err.message }, err.name);
          options.log?.(`sfn ${operation} ${err.statusCode} ${err.name}`);
          return;
        }
        respond(res, 500, { __type: 'com.amazonaws.swf.service.v2.model#InternalServerError', message: err instanceof Error ? err.message : String(err) }, 'InternalServerError');
        options.log?.(`sfn ${operation} 500 ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    };

    const server: Server = createServer((req, res) => void handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const endpoint = `http://127.0.0.1:${port}`;

    // Deadlines that passed while the service was down fire now.
    if (virtual) virtual.advance(0);

    let stopped: Promise<void> | undefined;
    let advancing = Promise.resolve();
    const service: StepFunctionsService = {
      endpoint,
      port,
      region,
      environment: { AWS_ENDPOINT_URL_SFN: endpoint },
      recovered,
      engine,
      async registerStateMachine(name, definition, roleArn) {
        const { stateMachineArn } = await engine.createStateMachine({ name, definition, ...(roleArn !== undefined ? { roleArn } : {}) });
        return stateMachineArn;
      },
      now: () => clock.now(),
      advance(ms: number) {
        if (!virtual) return Promise.reject(new Error('advance() needs the service started with clock: "virtual"'));
        const v = virtual;
        // Advances are serialised: each sees the timers armed by the one before.
        const run = async (): Promise<void> => {
          const target = v.now() + ms;
          for (;;) {
            await engine.settled();
            await turn();
            const next = v.nextTimerAt();
            if (next === undefined || next > target) break;
            v.advanceTo(next);
            s.setMeta(VIRTUAL_NOW, String(v.now()));
          }
          v.advanceTo(target);
          s.setMeta(VIRTUAL_NOW, String(v.now()));
          await engine.settled();
        };
        advancing = advancing.then(run, run);
        return advancing;
      },
      settled: () => engine.settled(),
      stop() {
        stopped ??= (async () => {
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          });
          await engine.close();
          await s.close();
          unlock();
        })();
        return stopped;
      },
    };
    return service;
  } catch (err) {
    await store?.close();
    unlock();
    throw err;
  }
}
