/**
 * The crash test's harness: DynamoDB Local in this process (it keeps its data
 * while Accord dies), Accord itself in a child process (accord-process.ts)
 * restarted on the same data folder and ports whenever it dies, a client that
 * retries like a careful one (same Idempotency-Key, after the restart), and a
 * webhook receiver that records every delivery by event id.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { IDEMPOTENCY_LEASE_ENV } from '../../../functions/lib/idempotency.ts';
import { PROJECT_ROOT } from '../../../infra/constructs/accord-function.ts';
import { LOOPBACK, type RunningDynamoDB, startDynamoDB } from '../../../local/embedded-services.ts';
import { synthLocalTemplate } from '../../../local/local-stack.ts';
import type { CrashWhen, FromChild, ToChild } from './accord-process.ts';

const CHILD = join(PROJECT_ROOT, 'test/reliability/crash/accord-process.ts');
const START_TIMEOUT_MS = 120_000;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createNetServer();
    probe.once('error', fail);
    probe.listen(0, LOOPBACK, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

export interface Crash {
  /** The write the process died at, as it announced it (`DynamoDB_20120810.TransactWriteItems`, `PUT /accord-results/...`). */
  write: string;
  /** How long the restart took, in ms. */
  restartMs: number;
  /** What the restarted process found to finish: workflow executions resumed, uploads delivered again. */
  resumed: number;
  redelivered: number;
}

/** Accord in a child process, restarted on the same data folder and ports whenever it dies. */
export class AccordProcess {
  readonly crashes: Crash[] = [];
  readonly url: string;
  private child: ChildProcess | undefined;
  private readyPromise: Promise<void> = Promise.resolve();
  private stopping = false;
  private output = '';
  private lastWrite = 'unknown';
  private lastReady = { resumed: 0, redelivered: 0 };
  private pending = new Map<FromChild['type'], (message: FromChild) => void>();

  private constructor(
    private readonly env: Record<string, string>,
    private readonly apiPort: number,
  ) {
    this.url = `http://${LOOPBACK}:${apiPort}`;
  }

  static async start(dataDir: string, dynamodbEndpoint: string, templatePath: string): Promise<AccordProcess> {
    const apiPort = await freePort();
    const env = {
      CRASH_DATA_DIR: dataDir,
      CRASH_TEMPLATE: templatePath,
      CRASH_API_PORT: String(apiPort),
      CRASH_S3_PORT: String(await freePort()),
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
      // One process owns every request: after a restart, a claim of the dead one is surely dead.
      [IDEMPOTENCY_LEASE_ENV]: '1500',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    };
    const accord = new AccordProcess(env, apiPort);
    accord.spawn();
    await accord.ready();
    return accord;
  }

  /** Resolves once the current (or restarted) process serves requests. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  get log(): string {
    return this.output.slice(-6_000);
  }

  arm(writes: number, when: CrashWhen): void {
    this.send({ type: 'arm', writes, when });
  }

  disarm(): void {
    this.send({ type: 'disarm' });
  }

  async writes(): Promise<number> {
    const answer = await this.ask({ type: 'count' }, 'writes');
    return answer.type === 'writes' ? answer.count : 0;
  }

  /** One dispatcher round as if run at `at` (a later scheduled tick): takes over claims whose lease a dead round left. */
  async dispatchAt(at: Date): Promise<number> {
    const answer = await this.ask({ type: 'dispatch', at: at.toISOString() }, 'dispatched');
    return answer.type === 'dispatched' ? answer.settled : 0;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
  }

  private async ask(message: ToChild, answer: FromChild['type']): Promise<FromChild> {
    for (;;) {
      await this.ready();
      const reply = new Promise<FromChild>((done) => this.pending.set(answer, done));
      this.send(message);
      const got = await Promise.race([reply, sleep(15_000).then(() => undefined)]);
      if (got) return got;
      // The process died meanwhile: ask the restarted one.
    }
  }

  private send(message: ToChild): void {
    this.child?.send(message);
  }

  private spawn(): void {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    this.readyPromise = new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`Accord did not start within ${START_TIMEOUT_MS / 1000} s:\n${this.log}`)), START_TIMEOUT_MS);
      const read = (chunk: Buffer) => {
        this.output = (this.output + chunk.toString()).slice(-20_000);
        const ready = /^ready \S+ resumed=(\d+) redelivered=(\d+)/m.exec(chunk.toString());
        if (ready) {
          this.lastReady = { resumed: Number(ready[1]), redelivered: Number(ready[2]) };
          clearTimeout(timer);
          done();
        }
      };
      child.stdout?.on('data', read);
      child.stderr?.on('data', (chunk: Buffer) => {
        this.output = (this.output + chunk.toString()).slice(-20_000);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (this.stopping) return;
        if (signal !== 'SIGKILL') {
          fail(new Error(`Accord exited (${signal ?? code}) unexpectedly:\n${this.log}`));
          return;
        }
        // Killed at an armed write: start again on the same data folder and ports.
        const crashedAt = performance.now();
        this.spawn();
        const restarted = this.readyPromise;
        restarted.then(
          () => this.crashes.push({ write: this.lastWrite, restartMs: Math.round(performance.now() - crashedAt), ...this.lastReady }),
          () => undefined,
        );
        restarted.then(done, fail);
      });
    });
    this.readyPromise.catch(() => undefined);
    child.on('message', (message: FromChild) => {
      if (message.type === 'crashing') this.lastWrite = message.write;
      this.pending.get(message.type)?.(message);
    });
  }
}

export interface Delivery {
  partnerId: string;
  id: string;
  type: string;
  agreementId?: string;
}

/** A webhook receiver on loopback: every delivery, with its event id. */
export class WebhookReceiver {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly deliveries: readonly Delivery[],
  ) {}

  static async start(): Promise<WebhookReceiver> {
    const deliveries: Delivery[] = [];
    const server = createHttpServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; type: string; partnerId: string; agreementId?: string };
        deliveries.push({ partnerId: body.partnerId, id: body.id, type: body.type, ...(body.agreementId ? { agreementId: body.agreementId } : {}) });
        response.statusCode = 204;
        response.end();
      });
    });
    const port = await new Promise<number>((done) => server.listen(0, LOOPBACK, () => done((server.address() as { port: number }).port)));
    return new WebhookReceiver(server, `http://${LOOPBACK}:${port}`, deliveries);
  }

  close(): Promise<void> {
    return new Promise((done) => {
      this.server.close(() => done());
      this.server.closeAllConnections();
    });
  }
}

export interface Answer<T> {
  status: number;
  body: T;
  /** True when the request had to be sent again after the process died. */
  retried: boolean;
}

/** A client that outlives crashes: a request whose answer was lost is sent again, with the same Idempotency-Key, once Accord is back. */
export class RetryingClient {
  constructor(private readonly accord: AccordProcess) {}

  async call<T = Record<string, unknown>>(method: string, path: string, key?: string, body?: unknown): Promise<Answer<T>> {
    const headers: Record<string, string> = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (method !== 'GET') headers['idempotency-key'] = randomUUID();
    if (body !== undefined) headers['content-type'] = 'application/json';
    const deadline = Date.now() + 180_000;
    for (let attempt = 0; ; attempt++) {
      if (Date.now() > deadline) throw new Error(`${method} ${path}: no answer within 180 s\n${this.accord.log}`);
      await this.accord.ready();
      let response: Response;
      try {
        response = await fetch(this.accord.url + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(60_000) });
      } catch {
        await sleep(100); // no answer: the process died; retry once it is back
        continue;
      }
      const text = await response.text();
      const parsed = (text ? JSON.parse(text) : undefined) as T;
      if (response.status === 409 && text.includes('idempotency_request_in_progress')) {
        await sleep(250); // the claim of a request the crash cut short: its lease runs out shortly
        continue;
      }
      if (response.status >= 500) throw new Error(`${method} ${path} answered ${response.status}: ${text}\n${this.accord.log}`);
      return { status: response.status, body: parsed, retried: attempt > 0 };
    }
  }

  /** POSTs a presigned form to s3rver (which dies with Accord): sent again until it is stored. */
  async upload(url: string, fields: Record<string, string>, csv: string): Promise<void> {
    for (;;) {
      await this.accord.ready();
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append('file', new Blob([csv], { type: 'text/csv' }), 'accounts.csv');
      try {
        const response = await fetch(url, { method: 'POST', body: form, signal: AbortSignal.timeout(60_000) });
        await response.body?.cancel();
        if (response.status < 300) return;
        throw new Error(`upload answered ${response.status}`);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('upload answered')) throw error;
        await sleep(100);
      }
    }
  }

  /** The probe's first defined answer, asked every 200 ms (generous: the machine may be shared by a whole test run). */
  async until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 300_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${this.accord.log}`);
      await sleep(200);
    }
  }
}

/** DynamoDB Local in this process, and the template synthesised once, in a fresh data folder. */
export async function startStores(dataDir: string): Promise<{ dynamodb: RunningDynamoDB; endpoint: string; templatePath: string }> {
  await mkdir(join(dataDir, 'dynamodb'), { recursive: true });
  await mkdir(join(dataDir, 's3'), { recursive: true });
  const [dynamodb, template] = await Promise.all([startDynamoDB(dataDir, 0), synthLocalTemplate()]);
  const templatePath = join(dataDir, 'template.json');
  await writeFile(templatePath, JSON.stringify(template));
  return { dynamodb, endpoint: `http://${LOOPBACK}:${dynamodb.port}`, templatePath };
}
