/**
 * The local Step Functions service: state machines, executions, task tokens.
 * Each execution is advanced one event at a time by the Interpreter; after
 * each step the record and its new history events are saved, and only then
 * are the step's effects carried out (tasks invoked, timers armed).
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from './clock.ts';
import { DefinitionError } from './errors.ts';
import { Interpreter, MAX_PAYLOAD_BYTES, decodeTaskToken } from './interpreter.ts';
import { type Json, deepEqual, payloadBytes } from './json.ts';
import type { LambdaInvoker } from './lambda.ts';
import { loadProgram } from './program.ts';
import { type ExecutionStore, InMemoryStore } from './store.ts';
import { runTask } from './tasks.ts';
import type { Effect, ExecutionEvent, ExecutionRecord, HistoryEvent } from './types.ts';

/** An error the API reports by name (ExecutionDoesNotExist, TaskDoesNotExist, ...). */
export class SfnApiError extends Error {
  constructor(
    name: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = name;
  }
}

export interface EngineOptions {
  clock: Clock;
  lambda: LambdaInvoker;
  store?: ExecutionStore;
  region?: string;
  account?: string;
  random?: () => number;
  newId?: () => string;
}

interface Live {
  record: ExecutionRecord;
  interpreter: Interpreter;
  queue: { event: ExecutionEvent; done: () => void; fail: (err: unknown) => void }[];
  processing: boolean;
  timers: Map<string, TimerHandle>;
  waiters: ((record: ExecutionRecord) => void)[];
}

export class Engine {
  readonly clock: Clock;
  readonly store: ExecutionStore;
  private readonly lambda: LambdaInvoker;
  private readonly region: string;
  private readonly account: string;
  private readonly random: () => number;
  private readonly newId: () => string;
  private readonly interpreters = new Map<string, Interpreter>();
  private readonly live = new Map<string, Live>();
  private inFlight = 0;
  private closed = false;
  private processingCount = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(options: EngineOptions) {
    this.clock = options.clock;
    this.lambda = options.lambda;
    this.store = options.store ?? new InMemoryStore();
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '000000000000';
    this.random = options.random ?? Math.random;
    this.newId = options.newId ?? randomUUID;
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.account}:stateMachine:${name}`;
  }

  /** Registers (or replaces) a state machine; throws DefinitionError for a definition that cannot run. */
  async createStateMachine(args: { name: string; definition: string | Json; roleArn?: string }): Promise<{ stateMachineArn: string; creationDate: number }> {
    const text = typeof args.definition === 'string' ? args.definition : JSON.stringify(args.definition);
    const program = loadProgram(text);
    const stateMachineArn = this.stateMachineArn(args.name);
    const creationDate = this.clock.now();
    await this.store.putStateMachine({ stateMachineArn, name: args.name, definition: text, ...(args.roleArn !== undefined ? { roleArn: args.roleArn } : {}), creationDate });
    this.interpreters.set(stateMachineArn, this.makeInterpreter(program));
    return { stateMachineArn, creationDate };
  }

  private makeInterpreter(program: ReturnType<typeof loadProgram>): Interpreter {
    return new Interpreter(program, { now: () => this.clock.now(), random: this.random, newId: this.newId });
  }

  private async interpreterFor(stateMachineArn: string): Promise<Interpreter> {
    const hit = this.interpreters.get(stateMachineArn);
    if (hit) return hit;
    const sm = await this.store.getStateMachine(stateMachineArn);
    if (!sm) throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    const interpreter = this.makeInterpreter(loadProgram(sm.definition));
    this.interpreters.set(stateMachineArn, interpreter);
    return interpreter;
  }

  async startExecution(args: { stateMachineArn: string; input?: Json; name?: string }): Promise<{ executionArn: string; startDate: number }> {
    const interpreter = await this.interpreterFor(args.stateMachineArn);
    const name = args.name ?? this.newId();
    const smName = args.stateMachineArn.split(':').pop() ?? '';
    const executionArn = `arn:aws:states:${this.region}:${this.account}:execution:${smName}:${name}`;
    const input = args.input === undefined ? {} : args.input;
    if (payloadBytes(input) > MAX_PAYLOAD_BYTES) {
      throw new SfnApiError('ValidationException', `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PAYLOAD_BYTES}`);
    }
    if (this.closed) throw new SfnApiError('ServiceUnavailable', 'The local Step Functions service is stopping', 503);
    const existing = this.live.get(executionArn)?.record ?? (await this.store.load(executionArn)) ?? this.live.get(executionArn)?.record;
    if (existing) {
      if (existing.status === 'RUNNING' && deepEqual(existing.input, input)) return { executionArn, startDate: existing.startDate };
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record = interpreter.newExecution({ executionArn, stateMachineArn: args.stateMachineArn, name, input, startDate: this.clock.now() });
    this.live.set(executionArn, { record, interpreter, queue: [], processing: false, timers: new Map(), waiters: [] });
    await this.post(executionArn, { kind: 'start' });
    return { executionArn, startDate: record.startDate };
  }

  /** Reloads every RUNNING execution from the store and re-derives what it was waiting for. */
  async recover(): Promise<number> {
    const running = await this.store.list({ status: 'RUNNING' });
    for (const record of running) {
      if (this.live.has(record.executionArn)) continue;
      const interpreter = await this.interpreterFor(record.stateMachineArn);
      this.live.set(record.executionArn, { record, interpreter, queue: [], processing: false, timers: new Map(), waiters: [] });
      this.applyEffects(record.executionArn, interpreter.recoverEffects(record));
    }
    return running.length;
  }

  async describeExecution(executionArn: string): Promise<ExecutionRecord> {
    const live = this.live.get(executionArn);
    if (live) return live.record;
    const record = await this.store.load(executionArn);
    if (!record) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  async getExecutionHistory(executionArn: string): Promise<HistoryEvent[]> {
    await this.describeExecution(executionArn);
    return this.store.history(executionArn);
  }

  listExecutions(filter?: { stateMachineArn?: string; status?: ExecutionRecord['status'] }): Promise<ExecutionRecord[]> {
    return this.store.list(filter);
  }

  async stopExecution(executionArn: string, args: { error?: string; cause?: string } = {}): Promise<{ stopDate: number }> {
    const record = await this.describeExecution(executionArn);
    if (record.status === 'RUNNING') await this.post(executionArn, { kind: 'stop', ...args });
    return { stopDate: (await this.describeExecution(executionArn)).stopDate ?? this.clock.now() };
  }

  /**
   * The execution a task token belongs to, or the error AWS gives: a token
   * that is not one of ours is InvalidToken; one whose execution is unknown,
   * TaskDoesNotExist; one already answered, timed out or of an execution that
   * has ended, TaskTimedOut.
   */
  private async tokenTarget(token: string): Promise<string> {
    const decoded = decodeTaskToken(token);
    if (!decoded) throw new SfnApiError('InvalidToken', "Invalid Token: 'Invalid token'");
    const live = this.live.get(decoded.executionArn);
    const record = live?.record ?? (await this.store.load(decoded.executionArn));
    if (!record) throw new SfnApiError('TaskDoesNotExist', "Task Does Not Exist: 'Provided task does not exist'");
    if (record.status !== 'RUNNING' || !Object.hasOwn(record.tokens, token)) {
      throw new SfnApiError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    }
    return decoded.executionArn;
  }

  async sendTaskSuccess(token: string, output: Json): Promise<void> {
    const arn = await this.tokenTarget(token);
    await this.post(arn, { kind: 'tokenSuccess', token, output });
  }

  async sendTaskFailure(token: string, error?: string, cause?: string): Promise<void> {
    const arn = await this.tokenTarget(token);
    await this.post(arn, { kind: 'tokenFailure', token, ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) });
  }

  async sendTaskHeartbeat(token: string): Promise<void> {
    const arn = await this.tokenTarget(token);
    await this.post(arn, { kind: 'tokenHeartbeat', token });
  }

  /** Resolves with the final record once the execution has stopped. */
  waitForExecution(executionArn: string): Promise<ExecutionRecord> {
    const live = this.live.get(executionArn);
    if (!live) return this.describeExecution(executionArn);
    if (live.record.status !== 'RUNNING') return Promise.resolve(live.record);
    return new Promise((resolve) => live.waiters.push(resolve));
  }

  /** Work under way: events being processed and task invocations not yet answered. */
  get busy(): { processing: number; inFlight: number } {
    return { processing: this.processingCount, inFlight: this.inFlight };
  }

  /** Resolves when no event is being processed (tasks may still be in flight). */
  settled(): Promise<void> {
    if (this.processingCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops taking events: timers are cancelled and what is being processed is
   * finished and saved. Task results that arrive later are dropped; the
   * executions stay RUNNING in the store, and recover() picks them up.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const live of this.live.values()) {
      for (const t of live.timers.values()) t.cancel();
      live.timers.clear();
    }
    await this.settled();
  }

  private post(executionArn: string, event: ExecutionEvent): Promise<void> {
    const live = this.live.get(executionArn);
    if (!live) return Promise.resolve();
    if (this.closed) return Promise.reject(new SfnApiError('ServiceUnavailable', 'The local Step Functions service is stopping', 503));
    return new Promise<void>((done, fail) => {
      live.queue.push({ event, done, fail });
      if (!live.processing) void this.process(executionArn, live);
    });
  }

  private async process(executionArn: string, live: Live): Promise<void> {
    live.processing = true;
    this.processingCount++;
    try {
      for (;;) {
        const item = live.queue.shift();
        if (!item) break;
        if (this.closed) {
          item.fail(new SfnApiError('ServiceUnavailable', 'The local Step Functions service is stopping', 503));
          continue;
        }
        try {
          const result = await live.interpreter.step(live.record, item.event);
          await this.store.save(live.record, result.events);
          this.applyEffects(executionArn, result.effects);
          item.done();
        } catch (err) {
          item.fail(err);
        }
      }
    } finally {
      live.processing = false;
      this.processingCount--;
      if (this.processingCount === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  private applyEffects(executionArn: string, effects: Effect[]): void {
    const live = this.live.get(executionArn);
    if (!live) return;
    for (const effect of effects) {
      switch (effect.kind) {
        case 'invoke': {
          if (this.closed) break;
          this.inFlight++;
          void runTask(effect, {
            lambda: this.lambda,
            now: () => this.clock.now(),
            newId: this.newId,
            region: this.region,
            account: this.account,
            startExecution: (args) => this.startExecution(args),
            waitForExecution: (arn) => this.waitForExecution(arn),
          })
            .then((outcome) => this.post(executionArn, outcome))
            .catch(() => undefined)
            .finally(() => {
              this.inFlight--;
            });
          break;
        }
        case 'timer': {
          if (this.closed) break;
          const key = `${effect.frameId}|${effect.key}`;
          if (live.timers.has(key)) break;
          const handle = this.clock.setTimer(effect.at, () => {
            live.timers.delete(key);
            void this.post(executionArn, { kind: 'timer', frameId: effect.frameId, key: effect.key }).catch(() => undefined);
          });
          live.timers.set(key, handle);
          break;
        }
        case 'finished': {
          for (const t of live.timers.values()) t.cancel();
          live.timers.clear();
          const waiters = live.waiters;
          live.waiters = [];
          for (const w of waiters) w(live.record);
          // The record stays reachable through the store; drop the live copy.
          this.live.delete(executionArn);
          break;
        }
      }
    }
  }
}

export { DefinitionError };
