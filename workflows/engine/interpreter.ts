/**
 * The step function of an execution: given its serialisable record and one
 * event, it advances every thread of control as far as it can without
 * waiting, mutating the record, and returns the history events it appended
 * and the effects the outside world must carry out (invoke a task, arm a
 * timer, announce the end). It never reads the wall clock or schedules
 * anything itself: time and randomness come from the injected environment.
 */
import { ERR, EvaluationError, StatesError } from './errors.ts';
import { type IntrinsicContext, evaluateIntrinsic, isIntrinsic, parseIntrinsic } from './intrinsics.ts';
import { type Json, type JsonObject, isObject, jsonTypeName, payloadBytes } from './json.ts';
import { type JsonataScope, evaluateExpression, evaluateRequired, evaluateTemplate, expressionText, isJsonataExpression } from './jsonata.ts';
import { evaluateParsed, normalisedPath, parsePath, setAtPath } from './jsonpath.ts';
import { itemReaderRequest } from './item-reader.ts';
import { type Program, ROOT_BLOCK, branchKey, mapKey, parseResource } from './program.ts';
import type { ChoiceRule, Effect, ExecutionEvent, ExecutionRecord, Frame, HistoryEvent, Pending, QueryLanguage, StateDef } from './types.ts';

export const MAX_PAYLOAD_BYTES = 256 * 1024;

export interface InterpreterEnv {
  now(): number;
  random(): number;
  /** A fresh unique id (invocation ids, task tokens). */
  newId(): string;
}

export interface StepResult {
  events: HistoryEvent[];
  effects: Effect[];
}

type QueueItem = { frameId: string; mode: 'enter' | 'retry' };

class Step {
  readonly events: HistoryEvent[] = [];
  readonly effects: Effect[] = [];
  readonly queue: QueueItem[] = [];
  /** Continuations of parent states (a Map whose last iteration ended), run before the next queued frame. */
  readonly later: (() => Promise<void>)[] = [];
  constructor(
    readonly rec: ExecutionRecord,
    private readonly now: () => number,
  ) {}
  emit(type: string, details?: Record<string, Json>): number {
    const id = this.rec.nextEventId++;
    this.events.push({ id, previousEventId: id - 1, timestamp: this.now(), type, ...(details ? { details } : {}) });
    return id;
  }
}

/**
 * A context-object timestamp: "Step Functions follows the ISO8601 specification which states that
 * output can be zero, three, six or nine digits as necessary. When a timestamp has zero fractional
 * seconds, Step Functions removes the trailing zeros rather than pad the output."
 */
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

/** Task tokens carry the execution they belong to, so no global index is needed to route them. */
export function encodeTaskToken(executionArn: string, nonce: string): string {
  return Buffer.from(JSON.stringify({ e: executionArn, n: nonce }), 'utf8').toString('base64url');
}
export function decodeTaskToken(token: string): { executionArn: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (isObject(parsed) && typeof parsed.e === 'string') return { executionArn: parsed.e };
  } catch {
    // not one of ours
  }
  return undefined;
}

function errorMatches(names: string[], error: string): boolean {
  for (const n of names) {
    if (n === error) return true;
    if (n === ERR.ALL) return true;
    if (n === ERR.TaskFailed && error !== ERR.Timeout && error !== ERR.HeartbeatTimeout) return true;
    if (n === ERR.Timeout && error === ERR.HeartbeatTimeout) return true;
  }
  return false;
}

const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** RFC 3339 timestamp in nanoseconds-aware comparable form: [epoch seconds, fraction string]. */
function parseTimestamp(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TIMESTAMP_RE.exec(value);
  if (!m) return undefined;
  const base = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[8]?.toUpperCase() === 'Z' ? 'Z' : (m[8] ?? 'Z')}`);
  if (Number.isNaN(base)) return undefined;
  const frac = m[7] ? Number(`0${m[7]}`) : 0;
  return base / 1000 + frac;
}

function stringMatches(value: string, pattern: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '\\' && i + 1 < pattern.length) {
      re += (pattern[i + 1] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i++;
    } else if (c === '*') re += '.*';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${re}$`, 's').test(value);
}

export class Interpreter {
  constructor(
    readonly program: Program,
    private readonly env: InterpreterEnv,
  ) {}

  /** A new execution record; nothing runs until the `start` event. */
  newExecution(args: { executionArn: string; stateMachineArn: string; name: string; input: Json; startDate: number }): ExecutionRecord {
    const rootId = 'f0';
    const timeout = this.program.definition.TimeoutSeconds;
    return {
      executionArn: args.executionArn,
      stateMachineArn: args.stateMachineArn,
      name: args.name,
      status: 'RUNNING',
      input: args.input,
      startDate: args.startDate,
      ...(typeof timeout === 'number' ? { deadline: args.startDate + timeout * 1000 } : {}),
      nextEventId: 1,
      nextSeq: 1,
      rootFrameId: rootId,
      frames: {},
      tokens: {},
    };
  }

  async step(rec: ExecutionRecord, event: ExecutionEvent): Promise<StepResult> {
    const st = new Step(rec, () => this.env.now());
    if (rec.status !== 'RUNNING') return st;
    try {
      await this.dispatch(st, event);
      await this.drain(st);
    } catch (err) {
      // A bug in the interpreter must not leave the execution running forever.
      const message = err instanceof Error ? err.message : String(err);
      this.finishExecution(st, 'FAILED', undefined, ERR.Runtime, `The local runtime failed: ${message}`);
    }
    return st;
  }

  /** The effects that bring a reloaded record back to life: re-invoke in-flight tasks (at least once), re-arm every deadline. */
  recoverEffects(rec: ExecutionRecord): Effect[] {
    const effects: Effect[] = [];
    if (rec.status !== 'RUNNING') return effects;
    if (rec.deadline !== undefined) effects.push({ kind: 'timer', executionArn: rec.executionArn, frameId: rec.rootFrameId, at: rec.deadline, key: 'execution' });
    for (const frame of Object.values(rec.frames)) {
      const p = frame.pending;
      if (!p) continue;
      if (p.kind === 'task') {
        if (!p.submitted) {
          effects.push({
            kind: 'invoke',
            executionArn: rec.executionArn,
            frameId: frame.id,
            invocationId: p.invocationId,
            stateName: frame.current,
            resource: p.resource,
            parameters: p.parameters,
            ...(p.taskToken ? { taskToken: p.taskToken } : {}),
            ...(p.itemReader ? { itemReader: true as const } : {}),
          });
        }
        if (p.deadline !== undefined) effects.push({ kind: 'timer', executionArn: rec.executionArn, frameId: frame.id, at: p.deadline, key: `timeout:${p.invocationId}` });
        if (p.heartbeatDeadline !== undefined) {
          effects.push({ kind: 'timer', executionArn: rec.executionArn, frameId: frame.id, at: p.heartbeatDeadline, key: `heartbeat:${p.invocationId}:${p.heartbeatDeadline}` });
        }
      } else if (p.kind === 'wait' || p.kind === 'retry') {
        effects.push({ kind: 'timer', executionArn: rec.executionArn, frameId: frame.id, at: p.until, key: `${p.kind}:${p.until}` });
      }
    }
    return effects;
  }

  // ---------------------------------------------------------------- events

  private async dispatch(st: Step, ev: ExecutionEvent): Promise<void> {
    const rec = st.rec;
    switch (ev.kind) {
      case 'start': {
        st.emit('ExecutionStarted', { input: rec.input, roleArn: 'arn:aws:iam::000000000000:role/accord-local', stateMachineArn: rec.stateMachineArn });
        if (rec.deadline !== undefined) st.effects.push({ kind: 'timer', executionArn: rec.executionArn, frameId: rec.rootFrameId, at: rec.deadline, key: 'execution' });
        const root: Frame = this.newFrame(rec, rec.rootFrameId, ROOT_BLOCK, rec.input, {});
        rec.frames[root.id] = root;
        this.enter(st, root, this.program.definition.StartAt, rec.input);
        return;
      }
      case 'taskSucceeded':
      case 'taskFailed':
      case 'taskSubmitted': {
        const frame = rec.frames[ev.frameId];
        const p = frame?.pending;
        if (!frame || p?.kind !== 'task' || p.invocationId !== ev.invocationId) return; // stale
        const state = this.stateOf(frame);
        if (p.itemReader) {
          frame.pending = undefined;
          if (ev.kind === 'taskSucceeded') {
            const items = Array.isArray(ev.output) ? ev.output : [];
            await this.guard(st, frame, state, () => this.branches(st, frame, state, this.lang(state) === 'JSONata', items));
          } else if (ev.kind === 'taskFailed') await this.handleError(st, frame, state, new StatesError(ev.error, ev.cause));
          return;
        }
        const legacy = parseResource(p.resource)?.kind === 'lambda-function';
        if (ev.kind === 'taskSubmitted') {
          p.submitted = true;
          st.emit('TaskSubmitted', { resource: p.resource, output: JSON.stringify(ev.output) });
          return;
        }
        if (ev.kind === 'taskSucceeded') {
          st.emit(legacy ? 'LambdaFunctionSucceeded' : 'TaskSucceeded', { ...(legacy ? {} : { resource: p.resource }), output: JSON.stringify(ev.output) });
          this.clearTask(rec, frame);
          await this.guard(st, frame, state, () => this.afterResult(st, frame, state, ev.output));
          return;
        }
        st.emit(legacy ? 'LambdaFunctionFailed' : 'TaskFailed', { ...(legacy ? {} : { resource: p.resource }), error: ev.error, ...(ev.cause !== undefined ? { cause: ev.cause } : {}) });
        this.clearTask(rec, frame);
        await this.handleError(st, frame, state, new StatesError(ev.error, ev.cause));
        return;
      }
      case 'tokenSuccess':
      case 'tokenFailure':
      case 'tokenHeartbeat': {
        const frameId = rec.tokens[ev.token];
        const frame = frameId ? rec.frames[frameId] : undefined;
        const p = frame?.pending;
        if (!frame || p?.kind !== 'task' || p.taskToken !== ev.token) return;
        const state = this.stateOf(frame);
        if (ev.kind === 'tokenHeartbeat') {
          if (p.heartbeatSeconds !== undefined) {
            p.heartbeatDeadline = this.env.now() + p.heartbeatSeconds * 1000;
            st.effects.push({ kind: 'timer', executionArn: rec.executionArn, frameId: frame.id, at: p.heartbeatDeadline, key: `heartbeat:${p.invocationId}:${p.heartbeatDeadline}` });
          }
          return;
        }
        if (ev.kind === 'tokenSuccess') {
          st.emit('TaskSucceeded', { resource: p.resource, output: JSON.stringify(ev.output) });
          this.clearTask(rec, frame);
          await this.guard(st, frame, state, () => this.afterResult(st, frame, state, ev.output));
          return;
        }
        const error = ev.error ?? '';
        st.emit('TaskFailed', { resource: p.resource, error, ...(ev.cause !== undefined ? { cause: ev.cause } : {}) });
        this.clearTask(rec, frame);
        await this.handleError(st, frame, state, new StatesError(error, ev.cause));
        return;
      }
      case 'timer': {
        if (ev.key === 'execution') {
          this.finishExecution(st, 'TIMED_OUT', undefined, ERR.Timeout, undefined);
          return;
        }
        const frame = rec.frames[ev.frameId];
        const p = frame?.pending;
        if (!frame || !p) return;
        const state = this.stateOf(frame);
        if (p.kind === 'wait' && ev.key === `wait:${p.until}`) {
          const output = (p as Pending & { output?: Json }).output ?? frame.input;
          frame.pending = undefined;
          await this.guard(st, frame, state, () => Promise.resolve(this.exitState(st, frame, state, output)));
          return;
        }
        if (p.kind === 'retry' && ev.key === `retry:${p.until}`) {
          frame.pending = undefined;
          st.queue.push({ frameId: frame.id, mode: 'retry' });
          return;
        }
        if (p.kind === 'task' && (ev.key === `timeout:${p.invocationId}` || ev.key === `heartbeat:${p.invocationId}:${p.heartbeatDeadline}`)) {
          const heartbeat = ev.key.startsWith('heartbeat');
          const legacy = parseResource(p.resource)?.kind === 'lambda-function';
          const error = heartbeat ? ERR.HeartbeatTimeout : ERR.Timeout;
          st.emit(legacy ? 'LambdaFunctionTimedOut' : 'TaskTimedOut', { ...(legacy ? {} : { resource: p.resource }), error });
          this.clearTask(rec, frame);
          await this.handleError(st, frame, state, new StatesError(error));
        }
        return;
      }
      case 'executionTimeout':
        this.finishExecution(st, 'TIMED_OUT', undefined, ERR.Timeout, undefined);
        return;
      case 'stop':
        this.finishExecution(st, 'ABORTED', undefined, ev.error, ev.cause);
        return;
    }
  }

  private async drain(st: Step): Promise<void> {
    while ((st.queue.length > 0 || st.later.length > 0) && st.rec.status === 'RUNNING') {
      const next = st.later.shift();
      if (next) {
        await next();
        continue;
      }
      const item = st.queue.shift() as QueueItem;
      const frame = st.rec.frames[item.frameId];
      if (!frame) continue;
      const state = this.stateOf(frame);
      if (item.mode === 'enter') {
        frame.enteredEventId = st.emit(`${state.Type}StateEntered`, { name: frame.current, input: JSON.stringify(frame.input) });
        frame.enteredTime = this.env.now();
        frame.retryCounts = [];
        frame.retryCount = 0;
      }
      await this.guard(st, frame, state, () => this.attempt(st, frame, state));
    }
  }

  private async guard(st: Step, frame: Frame, state: StateDef, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (!(err instanceof StatesError)) throw err;
      await this.handleError(st, frame, state, err);
    }
  }

  // ---------------------------------------------------------------- frames

  private newFrame(rec: ExecutionRecord, id: string, block: string, input: Json, vars: Record<string, Json>): Frame {
    void rec;
    return { id, block, current: '', input, vars, enteredEventId: 0, enteredTime: 0, retryCounts: [], retryCount: 0 };
  }

  private stateOf(frame: Frame): StateDef {
    const block = this.program.blocks.get(frame.block);
    const state = block?.States[frame.current];
    if (!state) throw new Error(`unknown state '${frame.current}' in block ${frame.block}`);
    return state;
  }

  private lang(state: StateDef): QueryLanguage {
    return state.QueryLanguage ?? this.program.queryLanguage;
  }

  private enter(st: Step, frame: Frame, stateName: string, input: Json): void {
    frame.current = stateName;
    frame.input = input;
    frame.pending = undefined;
    st.queue.push({ frameId: frame.id, mode: 'enter' });
  }

  private clearTask(rec: ExecutionRecord, frame: Frame): void {
    const p = frame.pending;
    if (p?.kind === 'task' && p.taskToken) delete rec.tokens[p.taskToken];
    frame.pending = undefined;
  }

  /** Removes a frame and everything running under it (a failed Parallel's other branches). */
  private abortFrame(rec: ExecutionRecord, frameId: string): void {
    const frame = rec.frames[frameId];
    if (!frame) return;
    const p = frame.pending;
    if (p?.kind === 'branches') for (const child of p.children) if (child) this.abortFrame(rec, child);
    if (p?.kind === 'task' && p.taskToken) delete rec.tokens[p.taskToken];
    delete rec.frames[frameId];
  }

  /** The state finished with this output: leave it and go on (or end the frame). */
  private exitState(st: Step, frame: Frame, state: StateDef, output: Json): void {
    if (payloadBytes(output) > MAX_PAYLOAD_BYTES) {
      throw new StatesError(ERR.DataLimitExceeded, `The state/task '${frame.current}' returned a result with a size exceeding the maximum number of bytes service limit.`);
    }
    st.emit(`${state.Type}StateExited`, { name: frame.current, output: JSON.stringify(output) });
    if (state.Type === 'Succeed' || state.End === true) {
      this.finishFrame(st, frame, output);
      return;
    }
    if (typeof state.Next !== 'string') throw new StatesError(ERR.Runtime, `State '${frame.current}' has neither Next nor End`);
    this.enter(st, frame, state.Next, output);
  }

  private finishFrame(st: Step, frame: Frame, output: Json): void {
    const rec = st.rec;
    if (!frame.parentId) {
      delete rec.frames[frame.id];
      this.finishExecution(st, 'SUCCEEDED', output, undefined, undefined);
      return;
    }
    const parent = rec.frames[frame.parentId];
    delete rec.frames[frame.id];
    const p = parent?.pending;
    if (!parent || p?.kind !== 'branches' || frame.index === undefined) return;
    p.results[frame.index] = output;
    p.done[frame.index] = true;
    p.children[frame.index] = null;
    const parentState = this.stateOf(parent);
    if (parentState.Type === 'Map') st.emit('MapIterationSucceeded', { name: parent.current, index: frame.index });
    this.advanceBranches(st, parent, parentState);
  }

  private failFrame(st: Step, frame: Frame, err: StatesError): void {
    const rec = st.rec;
    if (!frame.parentId) {
      this.finishExecution(st, 'FAILED', undefined, err.error, err.causeText);
      return;
    }
    const parent = rec.frames[frame.parentId];
    this.abortFrame(rec, frame.id);
    const p = parent?.pending;
    if (!parent || p?.kind !== 'branches' || frame.index === undefined) return;
    p.children[frame.index] = null;
    const parentState = this.stateOf(parent);
    if (parentState.Type === 'Map') {
      st.emit('MapIterationFailed', { name: parent.current, index: frame.index });
      p.failures++;
      p.done[frame.index] = true;
      p.results[frame.index] = { Error: err.error, Cause: err.causeText ?? '' };
      const total = p.items?.length ?? 0;
      const tolerated = p.toleratedCount !== undefined || p.toleratedPercentage !== undefined;
      const overCount = p.failures > (p.toleratedCount ?? 0);
      const overPct = p.toleratedPercentage !== undefined ? (p.failures / Math.max(total, 1)) * 100 > p.toleratedPercentage : true;
      const exceeded = tolerated ? (p.toleratedCount !== undefined && overCount) || (p.toleratedPercentage !== undefined && overPct) || (p.toleratedCount !== undefined && p.toleratedPercentage === undefined && overCount) : true;
      if (!exceeded) {
        this.advanceBranches(st, parent, parentState);
        return;
      }
      for (const child of p.children) if (child) this.abortFrame(rec, child);
      parent.pending = undefined;
      st.emit('MapStateFailed');
      const failure = tolerated ? new StatesError(ERR.ExceedToleratedFailureThreshold, 'The specified tolerated failure threshold for the Map Run was exceeded.') : err;
      this.queueError(st, parent, parentState, failure);
      return;
    }
    for (const child of p.children) if (child) this.abortFrame(rec, child);
    parent.pending = undefined;
    st.emit('ParallelStateFailed');
    this.queueError(st, parent, parentState, err);
  }

  /** Errors of a parent found while finishing a child are handled after the current frame's work. */
  private queueError(st: Step, frame: Frame, state: StateDef, err: StatesError): void {
    st.later.push(() => this.handleError(st, frame, state, err));
  }

  private finishExecution(st: Step, status: ExecutionRecord['status'], output: Json | undefined, error: string | undefined, cause: string | undefined): void {
    const rec = st.rec;
    if (rec.status !== 'RUNNING') return;
    rec.status = status;
    rec.stopDate = this.env.now();
    if (output !== undefined) rec.output = output;
    if (error !== undefined) rec.error = error;
    if (cause !== undefined) rec.cause = cause;
    const details: Record<string, Json> = {};
    if (output !== undefined) details.output = JSON.stringify(output);
    if (error !== undefined) details.error = error;
    if (cause !== undefined) details.cause = cause;
    const type = status === 'SUCCEEDED' ? 'ExecutionSucceeded' : status === 'FAILED' ? 'ExecutionFailed' : status === 'TIMED_OUT' ? 'ExecutionTimedOut' : 'ExecutionAborted';
    st.emit(type, details);
    rec.frames = {};
    rec.tokens = {};
    st.queue.length = 0;
    st.later.length = 0;
    st.effects.push({ kind: 'finished', executionArn: rec.executionArn, status });
  }

  // ---------------------------------------------------------------- errors

  private stateRef(frame: Frame): string {
    return `An error occurred while executing the state '${frame.current}' (entered at the event id #${frame.enteredEventId}). `;
  }

  private async handleError(st: Step, frame: Frame, state: StateDef, raw: StatesError): Promise<void> {
    let err = raw;
    if (raw instanceof EvaluationError) err = new StatesError(raw.error, `${this.stateRef(frame)}${raw.causeText ?? ''}`);
    if (!st.rec.frames[frame.id] || st.rec.status !== 'RUNNING') return;
    if (err.error !== ERR.Runtime) {
      const retriers = state.Retry ?? [];
      for (let i = 0; i < retriers.length; i++) {
        const r = retriers[i];
        if (!r || !errorMatches(r.ErrorEquals, err.error)) continue;
        const attempts = frame.retryCounts[i] ?? 0;
        const max = r.MaxAttempts ?? 3;
        if (attempts >= max) break;
        frame.retryCounts[i] = attempts + 1;
        frame.retryCount++;
        let delay = (r.IntervalSeconds ?? 1) * Math.pow(r.BackoffRate ?? 2, attempts);
        if (r.MaxDelaySeconds !== undefined) delay = Math.min(delay, r.MaxDelaySeconds);
        if (r.JitterStrategy === 'FULL') delay = this.env.random() * delay;
        const until = this.env.now() + Math.round(delay * 1000);
        frame.pending = { kind: 'retry', until };
        st.effects.push({ kind: 'timer', executionArn: st.rec.executionArn, frameId: frame.id, at: until, key: `retry:${until}` });
        return;
      }
      const catchers = state.Catch ?? [];
      for (const c of catchers) {
        if (!errorMatches(c.ErrorEquals, err.error)) continue;
        const errorOutput: JsonObject = { Error: err.error, Cause: err.causeText ?? '' };
        try {
          let output: Json;
          let assigned: Record<string, Json> = {};
          if (this.lang(state) === 'JSONata') {
            const scope = this.jsonataScope(st, frame, { errorOutput });
            if (c.Assign !== undefined) assigned = (await this.jsonataAssign(c.Assign, scope)) as Record<string, Json>;
            output = c.Output !== undefined ? await evaluateTemplate(c.Output, scope, 'Output') : errorOutput;
          } else {
            if (c.Assign !== undefined) assigned = this.jsonPathAssign(st, frame, c.Assign, errorOutput);
            output = this.applyResultPath(frame.input, c.ResultPath, errorOutput);
          }
          Object.assign(frame.vars, assigned);
          st.emit(`${state.Type}StateExited`, { name: frame.current, output: JSON.stringify(output) });
          this.enter(st, frame, c.Next, output);
        } catch (inner) {
          if (!(inner instanceof StatesError)) throw inner;
          const e2 = inner instanceof EvaluationError ? new StatesError(inner.error, `${this.stateRef(frame)}${inner.causeText ?? ''}`) : inner;
          this.failFrame(st, frame, e2);
        }
        return;
      }
    }
    this.failFrame(st, frame, err);
  }

  // ---------------------------------------------------------------- evaluation helpers

  private contextObject(st: Step, frame: Frame, extra?: { token?: string; mapItem?: { Index: number; Value: Json } }): JsonObject {
    const rec = st.rec;
    const ctx: JsonObject = {
      Execution: {
        Id: rec.executionArn,
        Input: rec.input,
        Name: rec.name,
        RoleArn: 'arn:aws:iam::000000000000:role/accord-local',
        StartTime: iso(rec.startDate),
        RedriveCount: 0,
      },
      StateMachine: { Id: rec.stateMachineArn, Name: rec.stateMachineArn.split(':').pop() ?? '' },
      State: { EnteredTime: iso(frame.enteredTime), Name: frame.current, RetryCount: frame.retryCount },
    };
    if (extra?.token) ctx.Task = { Token: extra.token };
    // Inline Map items come from the state input: "For state input, the value will be : STATE_DATA".
    if (extra?.mapItem) ctx.Map = { Item: { ...extra.mapItem, Source: 'STATE_DATA' } };
    return ctx;
  }

  private jsonataScope(st: Step, frame: Frame, extra: { result?: Json; errorOutput?: Json; token?: string; mapItem?: { Index: number; Value: Json }; input?: Json } = {}): JsonataScope {
    const states: Record<string, Json> = {
      input: extra.input !== undefined ? extra.input : frame.input,
      context: this.contextObject(st, frame, extra),
    };
    if (extra.result !== undefined) states.result = extra.result;
    if (extra.errorOutput !== undefined) states.errorOutput = extra.errorOutput;
    return { states, variables: frame.vars, random: () => this.env.random() };
  }

  /** Resolves a JSONPath reference ($..., $$..., $var...) or fails the way Step Functions does. */
  private resolvePath(st: Step, frame: Frame, text: string, input: Json, ctx: () => JsonObject): { found: true; value: Json } | { found: false } {
    const path = parsePath(text);
    let doc: Json;
    if (path.root.kind === 'input') doc = input;
    else if (path.root.kind === 'context') doc = ctx();
    else {
      const name = path.root.name;
      if (!Object.hasOwn(frame.vars, name)) return { found: false };
      doc = frame.vars[name] as Json;
    }
    void st;
    return evaluateParsed(path, doc);
  }

  private intrinsicContext(st: Step, frame: Frame, input: Json, ctx: () => JsonObject, field: string): IntrinsicContext {
    return {
      resolvePath: (text) => {
        const r = this.resolvePath(st, frame, text, input, ctx);
        if (!r.found) throw new EvaluationError(ERR.Runtime, `The JSONPath '${text}' specified for the field '${field}' could not be found in the input '${JSON.stringify(input)}'`);
        return r.value;
      },
      random: () => this.env.random(),
    };
  }

  /** A `.$` field: a path or an intrinsic function. */
  private evalDollarField(st: Step, frame: Frame, expr: string, input: Json, ctx: () => JsonObject, field: string): Json {
    if (isIntrinsic(expr)) return evaluateIntrinsic(parseIntrinsic(expr), this.intrinsicContext(st, frame, input, ctx, field));
    const r = this.resolvePath(st, frame, expr, input, ctx);
    if (!r.found) {
      const where = parsePath(expr).root.kind === 'context' ? 'the context object' : `the input '${JSON.stringify(input)}'`;
      throw new EvaluationError(ERR.Runtime, `The JSONPath '${expr}' specified for the field '${field}' could not be found in ${where}`);
    }
    return r.value;
  }

  /** A JSONPath payload template (Parameters, ResultSelector, ItemSelector, Assign). */
  private payload(st: Step, frame: Frame, template: Json, input: Json, ctx: () => JsonObject): Json {
    if (Array.isArray(template)) return template.map((t) => this.payload(st, frame, t, input, ctx));
    if (!isObject(template)) return template;
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(template)) {
      if (key.endsWith('.$') && typeof value === 'string') {
        out[key.slice(0, -2)] = this.evalDollarField(st, frame, value, input, ctx, key);
      } else out[key] = this.payload(st, frame, value, input, ctx);
    }
    return out;
  }

  private jsonPathAssign(st: Step, frame: Frame, assign: JsonObject, input: Json): Record<string, Json> {
    const ctx = (): JsonObject => this.contextObject(st, frame);
    return this.payload(st, frame, assign, input, ctx) as Record<string, Json>;
  }

  private async jsonataAssign(assign: JsonObject, scope: JsonataScope): Promise<Json> {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(assign)) out[k] = await evaluateTemplate(v, scope, `Assign/${k}`);
    return out;
  }

  private applyInputPath(st: Step, frame: Frame, input: Json, path: string | null | undefined): Json {
    if (path === undefined) return input;
    if (path === null) return {};
    const r = this.resolvePath(st, frame, path, input, () => this.contextObject(st, frame));
    if (!r.found) throw new EvaluationError(ERR.Runtime, `Invalid path '${path}' : No results for path: ${normalisedPath(parsePath(path))}`);
    return r.value;
  }

  private applyOutputPath(st: Step, frame: Frame, output: Json, path: string | null | undefined): Json {
    if (path === undefined) return output;
    if (path === null) return {};
    const r = this.resolvePath(st, frame, path, output, () => this.contextObject(st, frame));
    if (!r.found) throw new EvaluationError(ERR.Runtime, `Invalid path '${path}' : No results for path: ${normalisedPath(parsePath(path))}`);
    return r.value;
  }

  private applyResultPath(input: Json, path: string | null | undefined, result: Json): Json {
    if (path === undefined || path === '$') return result;
    if (path === null) return input;
    try {
      return setAtPath(input, path, result);
    } catch {
      throw new EvaluationError(ERR.ResultPathMatchFailure, `Unable to apply ResultPath '${path}' to input '${JSON.stringify(input)}'`);
    }
  }

  private numberField(st: Step, frame: Frame, state: StateDef, name: 'TimeoutSeconds' | 'HeartbeatSeconds' | 'MaxConcurrency' | 'ToleratedFailureCount' | 'ToleratedFailurePercentage', input: Json, scope: JsonataScope | undefined): Promise<number | undefined> | number | undefined {
    const literal = state[name];
    const pathField = state[`${name}Path` as keyof StateDef] as string | undefined;
    if (typeof literal === 'number') return literal;
    if (typeof literal === 'string' && scope && isJsonataExpression(literal)) {
      return (async () => {
        const text = expressionText(literal);
        const v = await evaluateRequired(text, scope, name);
        if (typeof v !== 'number') {
          throw new EvaluationError(ERR.QueryEvaluationError, `The JSONata expression '${text}' specified for the field '${name}' returned an unexpected result type. Expected 'number', but was '${jsonTypeName(v)}' for value: ${JSON.stringify(v)}`);
        }
        return v;
      })();
    }
    if (pathField !== undefined) {
      const r = this.resolvePath(st, frame, pathField, input, () => this.contextObject(st, frame));
      const v = r.found ? r.value : undefined;
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
      if (!Number.isInteger(n)) {
        throw new EvaluationError(ERR.Runtime, `The ${name}Path field refers to value "${typeof v === 'string' ? v : JSON.stringify(v ?? null)}" which is not a valid integer: ${pathField}`);
      }
      return n;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- states

  private async attempt(st: Step, frame: Frame, state: StateDef): Promise<void> {
    const jsonata = this.lang(state) === 'JSONata';
    switch (state.Type) {
      case 'Pass':
        return jsonata ? this.passJsonata(st, frame, state) : this.passJsonPath(st, frame, state);
      case 'Choice':
        return this.choice(st, frame, state, jsonata);
      case 'Wait':
        return this.wait(st, frame, state, jsonata);
      case 'Succeed': {
        if (jsonata) {
          const scope = this.jsonataScope(st, frame);
          const out = state.Output !== undefined ? await evaluateTemplate(state.Output, scope, 'Output') : frame.input;
          this.exitState(st, frame, state, out);
        } else {
          const eff = this.applyInputPath(st, frame, frame.input, state.InputPath);
          this.exitState(st, frame, state, this.applyOutputPath(st, frame, eff, state.OutputPath));
        }
        return;
      }
      case 'Fail':
        return this.fail(st, frame, state, jsonata);
      case 'Task':
        return this.task(st, frame, state, jsonata);
      case 'Parallel':
      case 'Map':
        return this.branches(st, frame, state, jsonata);
    }
  }

  private async passJsonPath(st: Step, frame: Frame, state: StateDef): Promise<void> {
    const ctx = (): JsonObject => this.contextObject(st, frame);
    const eff = this.applyInputPath(st, frame, frame.input, state.InputPath);
    let result: Json;
    if (state.Result !== undefined) result = state.Result;
    else if (state.Parameters !== undefined) result = this.payload(st, frame, state.Parameters, eff, ctx);
    else result = eff;
    const assigned = state.Assign !== undefined ? this.jsonPathAssign(st, frame, state.Assign, result) : undefined;
    const out = this.applyOutputPath(st, frame, this.applyResultPath(frame.input, state.ResultPath, result), state.OutputPath);
    if (assigned) Object.assign(frame.vars, assigned);
    this.exitState(st, frame, state, out);
    await Promise.resolve();
  }

  private async passJsonata(st: Step, frame: Frame, state: StateDef): Promise<void> {
    const scope = this.jsonataScope(st, frame);
    const assigned = state.Assign !== undefined ? await this.jsonataAssign(state.Assign, scope) : undefined;
    const out = state.Output !== undefined ? await evaluateTemplate(state.Output, scope, 'Output') : frame.input;
    if (isObject(assigned)) Object.assign(frame.vars, assigned);
    this.exitState(st, frame, state, out);
  }

  private evalRule(st: Step, frame: Frame, rule: ChoiceRule, input: Json): boolean {
    if (rule.And) return rule.And.every((r) => this.evalRule(st, frame, r, input));
    if (rule.Or) return rule.Or.some((r) => this.evalRule(st, frame, r, input));
    if (rule.Not) return !this.evalRule(st, frame, rule.Not, input);
    const variable = rule.Variable;
    if (typeof variable !== 'string') throw new EvaluationError(ERR.Runtime, 'A choice rule has no Variable');
    const ctx = (): JsonObject => this.contextObject(st, frame);
    const r = this.resolvePath(st, frame, variable, input, ctx);
    const ops = Object.keys(rule).filter((k) => k !== 'Variable' && k !== 'Next' && k !== 'Assign' && k !== 'Output' && k !== 'Comment');
    const op = ops[0];
    if (!op) throw new EvaluationError(ERR.Runtime, 'A choice rule has no comparison');
    if (op === 'IsPresent') return r.found === (rule.IsPresent === true);
    if (!r.found) throw new EvaluationError(ERR.Runtime, `Invalid path '${variable}': The choice state's condition path references an invalid value.`);
    const v = r.value;
    let expected = rule[op] as Json;
    let name = op;
    if (op.endsWith('Path')) {
      name = op.slice(0, -4);
      const e = this.resolvePath(st, frame, expected as string, input, ctx);
      if (!e.found) throw new EvaluationError(ERR.Runtime, `Invalid path '${JSON.stringify(expected)}': The choice state's condition path references an invalid value.`);
      expected = e.value;
    }
    switch (name) {
      case 'IsNull':
        return (v === null) === (expected === true);
      case 'IsNumeric':
        return (typeof v === 'number') === (expected === true);
      case 'IsString':
        return (typeof v === 'string') === (expected === true);
      case 'IsBoolean':
        return (typeof v === 'boolean') === (expected === true);
      case 'IsTimestamp':
        return (parseTimestamp(v) !== undefined) === (expected === true);
      case 'StringEquals':
      case 'StringLessThan':
      case 'StringGreaterThan':
      case 'StringLessThanEquals':
      case 'StringGreaterThanEquals': {
        if (typeof v !== 'string' || typeof expected !== 'string') return false;
        return cmp(name.slice(6), v < expected ? -1 : v > expected ? 1 : 0);
      }
      case 'StringMatches':
        return typeof v === 'string' && typeof expected === 'string' && stringMatches(v, expected);
      case 'NumericEquals':
      case 'NumericLessThan':
      case 'NumericGreaterThan':
      case 'NumericLessThanEquals':
      case 'NumericGreaterThanEquals': {
        if (typeof v !== 'number' || typeof expected !== 'number') return false;
        return cmp(name.slice(7), v < expected ? -1 : v > expected ? 1 : 0);
      }
      case 'BooleanEquals':
        return typeof v === 'boolean' && typeof expected === 'boolean' && v === expected;
      case 'TimestampEquals':
      case 'TimestampLessThan':
      case 'TimestampGreaterThan':
      case 'TimestampLessThanEquals':
      case 'TimestampGreaterThanEquals': {
        const a = parseTimestamp(v);
        const b = parseTimestamp(expected);
        if (a === undefined || b === undefined) return false;
        return cmp(name.slice(9), a < b ? -1 : a > b ? 1 : 0);
      }
      default:
        throw new EvaluationError(ERR.Runtime, `Unsupported choice operator '${op}'`);
    }
  }

  private async choice(st: Step, frame: Frame, state: StateDef, jsonata: boolean): Promise<void> {
    const rules = state.Choices ?? [];
    if (jsonata) {
      const scope = this.jsonataScope(st, frame);
      for (const rule of rules) {
        const text = typeof rule.Condition === 'string' ? expressionText(rule.Condition) : JSON.stringify(rule.Condition);
        const v = typeof rule.Condition === 'boolean' ? rule.Condition : await evaluateRequired(text, scope, 'Condition');
        if (typeof v !== 'boolean') {
          throw new EvaluationError(ERR.QueryEvaluationError, `The JSONata expression '${text}' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '${jsonTypeName(v)}' for value: ${JSON.stringify(v)}`);
        }
        if (v) {
          const assigned = rule.Assign !== undefined ? await this.jsonataAssign(rule.Assign, scope) : undefined;
          const out = rule.Output !== undefined ? await evaluateTemplate(rule.Output, scope, 'Output') : frame.input;
          if (isObject(assigned)) Object.assign(frame.vars, assigned);
          return this.choiceGo(st, frame, state, out, rule.Next);
        }
      }
      if (state.Default === undefined) throw new StatesError(ERR.NoChoiceMatched, `No Matches!`);
      const assigned = state.Assign !== undefined ? await this.jsonataAssign(state.Assign, scope) : undefined;
      const out = state.Output !== undefined ? await evaluateTemplate(state.Output, scope, 'Output') : frame.input;
      if (isObject(assigned)) Object.assign(frame.vars, assigned);
      return this.choiceGo(st, frame, state, out, state.Default);
    }
    const eff = this.applyInputPath(st, frame, frame.input, state.InputPath);
    for (const rule of rules) {
      if (this.evalRule(st, frame, rule, eff)) {
        const assigned = rule.Assign !== undefined ? this.jsonPathAssign(st, frame, rule.Assign, eff) : undefined;
        const out = this.applyOutputPath(st, frame, eff, state.OutputPath);
        if (assigned) Object.assign(frame.vars, assigned);
        return this.choiceGo(st, frame, state, out, rule.Next);
      }
    }
    if (state.Default === undefined) throw new StatesError(ERR.NoChoiceMatched, `No Matches!`);
    const assigned = state.Assign !== undefined ? this.jsonPathAssign(st, frame, state.Assign, eff) : undefined;
    const out = this.applyOutputPath(st, frame, eff, state.OutputPath);
    if (assigned) Object.assign(frame.vars, assigned);
    return this.choiceGo(st, frame, state, out, state.Default);
  }

  private choiceGo(st: Step, frame: Frame, state: StateDef, output: Json, next: string | undefined): void {
    st.emit('ChoiceStateExited', { name: frame.current, output: JSON.stringify(output) });
    void state;
    if (typeof next !== 'string') throw new StatesError(ERR.Runtime, 'A choice rule has no Next');
    this.enter(st, frame, next, output);
  }

  private async wait(st: Step, frame: Frame, state: StateDef, jsonata: boolean): Promise<void> {
    let until: number;
    let output: Json;
    let assigned: Json | undefined;
    if (jsonata) {
      const scope = this.jsonataScope(st, frame);
      if (state.Seconds !== undefined) {
        let s: Json = state.Seconds;
        if (typeof s === 'string') {
          const text = expressionText(s);
          s = await evaluateRequired(text, scope, 'Seconds');
          if (typeof s !== 'number' || !Number.isInteger(s) || s < 0) {
            throw new EvaluationError(ERR.QueryEvaluationError, `The JSONata expression '${text}' specified for the field 'Seconds' returned an unexpected result type. Expected 'integer', but was '${jsonTypeName(s)}' for value: ${JSON.stringify(s)}`);
          }
        }
        until = this.env.now() + (s) * 1000;
      } else {
        const raw = state.Timestamp ?? '';
        const text = expressionText(raw);
        const t = isJsonataExpression(raw) ? await evaluateRequired(text, scope, 'Timestamp') : raw;
        const parsed = parseTimestamp(t);
        if (parsed === undefined) throw new EvaluationError(ERR.QueryEvaluationError, `The JSONata expression '${text}' specified for the field 'Timestamp' returned an invalid timestamp: ${JSON.stringify(t)}`);
        until = Math.round(parsed * 1000);
      }
      assigned = state.Assign !== undefined ? await this.jsonataAssign(state.Assign, scope) : undefined;
      output = state.Output !== undefined ? await evaluateTemplate(state.Output, scope, 'Output') : frame.input;
    } else {
      const eff = this.applyInputPath(st, frame, frame.input, state.InputPath);
      const ctx = (): JsonObject => this.contextObject(st, frame);
      if (state.Seconds !== undefined) until = this.env.now() + Number(state.Seconds) * 1000;
      else if (state.SecondsPath !== undefined) {
        const r = this.resolvePath(st, frame, state.SecondsPath, eff, ctx);
        if (!r.found) throw new EvaluationError(ERR.Runtime, `Invalid path '${state.SecondsPath}' : No results for path: ${normalisedPath(parsePath(state.SecondsPath))}`);
        const v = r.value;
        if (typeof v !== 'number' || !Number.isInteger(v)) {
          throw new EvaluationError(ERR.Runtime, `The SecondsPath parameter cannot be parsed as a long value: ${state.SecondsPath} == ${JSON.stringify(v)}`);
        }
        if (v < 0) throw new EvaluationError(ERR.Runtime, `The SecondsPath parameter references a negative value: ${state.SecondsPath} == ${v}`);
        until = this.env.now() + v * 1000;
      } else if (state.Timestamp !== undefined) {
        const parsed = parseTimestamp(state.Timestamp);
        if (parsed === undefined) throw new EvaluationError(ERR.Runtime, `The Timestamp '${state.Timestamp}' is not a valid timestamp`);
        until = Math.round(parsed * 1000);
      } else {
        const path = state.TimestampPath ?? '$';
        const r = this.resolvePath(st, frame, path, eff, ctx);
        if (!r.found) throw new EvaluationError(ERR.Runtime, `Invalid path '${path}' : No results for path: ${normalisedPath(parsePath(path))}`);
        const parsed = parseTimestamp(r.value);
        if (parsed === undefined) throw new EvaluationError(ERR.Runtime, `The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: ${path} == ${JSON.stringify(r.value)}`);
        until = Math.round(parsed * 1000);
      }
      assigned = state.Assign !== undefined ? this.jsonPathAssign(st, frame, state.Assign, eff) : undefined;
      output = this.applyOutputPath(st, frame, eff, state.OutputPath);
    }
    if (isObject(assigned)) Object.assign(frame.vars, assigned);
    if (until <= this.env.now()) {
      this.exitState(st, frame, state, output);
      return;
    }
    frame.pending = { kind: 'wait', until, output } as Pending;
    st.effects.push({ kind: 'timer', executionArn: st.rec.executionArn, frameId: frame.id, at: until, key: `wait:${until}` });
  }

  private async fail(st: Step, frame: Frame, state: StateDef, jsonata: boolean): Promise<void> {
    let error: string | undefined;
    let cause: string | undefined;
    if (jsonata) {
      const scope = this.jsonataScope(st, frame);
      const ev = async (v: string | undefined, field: string): Promise<string | undefined> => {
        if (v === undefined) return undefined;
        if (!isJsonataExpression(v)) return v;
        const text = expressionText(v);
        const r = await evaluateRequired(text, scope, field);
        if (typeof r !== 'string') {
          throw new EvaluationError(ERR.QueryEvaluationError, `The JSONata expression '${text}' specified for the field '${field}' returned an unexpected result type. Expected 'string', but was '${jsonTypeName(r)}' for value: ${JSON.stringify(r)}`);
        }
        return r;
      };
      error = await ev(state.Error, 'Error');
      cause = await ev(state.Cause, 'Cause');
    } else {
      const ctx = (): JsonObject => this.contextObject(st, frame);
      const ev = (literal: string | undefined, path: string | undefined, field: string): string | undefined => {
        if (literal !== undefined) return literal;
        if (path === undefined) return undefined;
        let v: Json;
        if (isIntrinsic(path)) v = evaluateIntrinsic(parseIntrinsic(path), this.intrinsicContext(st, frame, frame.input, ctx, field));
        else {
          const r = this.resolvePath(st, frame, path, frame.input, ctx);
          if (!r.found) throw new EvaluationError(ERR.Runtime, `The JSONPath '${path}' specified for the field '${field}' could not be found in the input '${JSON.stringify(frame.input)}'`);
          v = r.value;
        }
        return typeof v === 'string' ? v : JSON.stringify(v);
      };
      error = ev(state.Error, state.ErrorPath, 'ErrorPath');
      cause = ev(state.Cause, state.CausePath, 'CausePath');
    }
    this.failFrame(st, frame, new StatesError(error ?? '', cause));
    if (error === undefined && st.rec.status === 'FAILED') delete st.rec.error;
  }

  private async task(st: Step, frame: Frame, state: StateDef, jsonata: boolean): Promise<void> {
    const resource = state.Resource ?? '';
    const kind = parseResource(resource);
    if (!kind) throw new StatesError(ERR.Runtime, `Unsupported resource '${resource}'`);
    const needsToken = (kind.kind === 'lambda-invoke' && kind.waitForTaskToken) || (kind.kind === 'start-execution' && kind.mode === 'token');
    const token = needsToken ? encodeTaskToken(st.rec.executionArn, this.env.newId()) : undefined;
    let parameters: Json;
    let timeout: number | undefined;
    let heartbeat: number | undefined;
    if (jsonata) {
      const scope = this.jsonataScope(st, frame, token ? { token } : {});
      parameters = state.Arguments !== undefined ? await evaluateTemplate(state.Arguments, scope, 'Arguments') : frame.input;
      timeout = await this.numberField(st, frame, state, 'TimeoutSeconds', frame.input, scope);
      heartbeat = await this.numberField(st, frame, state, 'HeartbeatSeconds', frame.input, scope);
    } else {
      const eff = this.applyInputPath(st, frame, frame.input, state.InputPath);
      const ctx = (): JsonObject => this.contextObject(st, frame, token ? { token } : {});
      parameters = state.Parameters !== undefined ? this.payload(st, frame, state.Parameters, eff, ctx) : eff;
      timeout = await this.numberField(st, frame, state, 'TimeoutSeconds', eff, undefined);
      heartbeat = await this.numberField(st, frame, state, 'HeartbeatSeconds', eff, undefined);
    }
    const invocationId = `${st.rec.nextSeq++}`;
    const now = this.env.now();
    const p: Pending = { kind: 'task', invocationId, resource, parameters };
    if (token) {
      p.taskToken = token;
      st.rec.tokens[token] = frame.id;
    }
    if (timeout !== undefined) p.deadline = now + timeout * 1000;
    if (heartbeat !== undefined) {
      p.heartbeatSeconds = heartbeat;
      p.heartbeatDeadline = now + heartbeat * 1000;
    }
    frame.pending = p;
    const legacy = kind.kind === 'lambda-function';
    const details: Record<string, Json> = { resource, parameters: JSON.stringify(parameters) };
    if (timeout !== undefined) details.timeoutInSeconds = timeout;
    if (heartbeat !== undefined) details.heartbeatInSeconds = heartbeat;
    st.emit(legacy ? 'LambdaFunctionScheduled' : 'TaskScheduled', details);
    st.emit(legacy ? 'LambdaFunctionStarted' : 'TaskStarted', { resource });
    st.effects.push({
      kind: 'invoke',
      executionArn: st.rec.executionArn,
      frameId: frame.id,
      invocationId,
      stateName: frame.current,
      resource,
      parameters,
      ...(token ? { taskToken: token } : {}),
    });
    if (p.deadline !== undefined) st.effects.push({ kind: 'timer', executionArn: st.rec.executionArn, frameId: frame.id, at: p.deadline, key: `timeout:${invocationId}` });
    if (p.heartbeatDeadline !== undefined) {
      st.effects.push({ kind: 'timer', executionArn: st.rec.executionArn, frameId: frame.id, at: p.heartbeatDeadline, key: `heartbeat:${invocationId}:${p.heartbeatDeadline}` });
    }
  }

  /** A Task, Parallel or Map produced its result: shape the output, assign, move on. */
  private async afterResult(st: Step, frame: Frame, state: StateDef, result: Json): Promise<void> {
    if (this.lang(state) === 'JSONata') {
      const scope = this.jsonataScope(st, frame, { result });
      const assigned = state.Assign !== undefined ? await this.jsonataAssign(state.Assign, scope) : undefined;
      const out = state.Output !== undefined ? await evaluateTemplate(state.Output, scope, 'Output') : result;
      if (isObject(assigned)) Object.assign(frame.vars, assigned);
      this.exitState(st, frame, state, out);
      return;
    }
    const ctx = (): JsonObject => this.contextObject(st, frame);
    const selected = state.ResultSelector !== undefined ? this.payload(st, frame, state.ResultSelector, result, ctx) : result;
    const assigned = state.Assign !== undefined ? this.jsonPathAssign(st, frame, state.Assign, selected) : undefined;
    const out = this.applyOutputPath(st, frame, this.applyResultPath(frame.input, state.ResultPath, selected), state.OutputPath);
    if (assigned) Object.assign(frame.vars, assigned);
    this.exitState(st, frame, state, out);
  }

  private async branches(st: Step, frame: Frame, state: StateDef, jsonata: boolean, readItems?: Json[]): Promise<void> {
    const isMap = state.Type === 'Map';
    if (isMap && state.ItemReader !== undefined && readItems === undefined) return this.scheduleItemReader(st, frame, state, jsonata);
    let inputs: Json[];
    let rawItems: Json[] | undefined;
    let effective: Json;
    let maxConcurrency = 0;
    let toleratedCount: number | undefined;
    let toleratedPercentage: number | undefined;
    if (jsonata) {
      const scope = this.jsonataScope(st, frame);
      effective = frame.input;
      if (!isMap) {
        const args = state.Arguments !== undefined ? await evaluateTemplate(state.Arguments, scope, 'Arguments') : frame.input;
        inputs = (state.Branches ?? []).map(() => args);
      } else {
        let items: Json;
        if (readItems !== undefined) items = readItems;
        else if (state.Items === undefined) {
          items = frame.input;
          if (!Array.isArray(items)) throw new EvaluationError(ERR.QueryEvaluationError, `Map state input must be an array but was: ${JSON.stringify(items)}`);
        } else if (typeof state.Items === 'string' && isJsonataExpression(state.Items)) {
          const text = expressionText(state.Items);
          const v = await evaluateExpression(text, scope, 'Items');
          if (v === undefined) throw new EvaluationError(ERR.QueryEvaluationError, `The JSONata expression '${text}' specified for the field 'Items' returned nothing (undefined).`);
          if (!Array.isArray(v)) {
            throw new EvaluationError(ERR.QueryEvaluationError, `The JSONata expression '${text}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '${jsonTypeName(v)}' for value: ${JSON.stringify(v)}`);
          }
          items = v;
        } else items = await evaluateTemplate(state.Items, scope, 'Items');
        if (!Array.isArray(items)) throw new EvaluationError(ERR.QueryEvaluationError, `Map state input must be an array but was: ${JSON.stringify(items)}`);
        rawItems = items;
        inputs = [];
        for (let i = 0; i < items.length; i++) {
          const itemScope = this.jsonataScope(st, frame, { mapItem: { Index: i, Value: items[i] as Json } });
          inputs.push(state.ItemSelector !== undefined ? await evaluateTemplate(state.ItemSelector, itemScope, 'ItemSelector') : (items[i] as Json));
        }
        if (state.ItemBatcher !== undefined) {
          inputs = await this.batch(st, frame, state, inputs, frame.input, scope);
          rawItems = inputs;
        }
        maxConcurrency = (await this.numberField(st, frame, state, 'MaxConcurrency', frame.input, scope)) ?? 0;
        toleratedCount = await this.numberField(st, frame, state, 'ToleratedFailureCount', frame.input, scope);
        toleratedPercentage = await this.numberField(st, frame, state, 'ToleratedFailurePercentage', frame.input, scope);
      }
    } else {
      effective = this.applyInputPath(st, frame, frame.input, state.InputPath);
      const ctx = (item?: { Index: number; Value: Json }) => (): JsonObject => this.contextObject(st, frame, item ? { mapItem: item } : {});
      if (!isMap) {
        const args = state.Parameters !== undefined ? this.payload(st, frame, state.Parameters, effective, ctx()) : effective;
        inputs = (state.Branches ?? []).map(() => args);
      } else {
        let items: Json = readItems ?? effective;
        if (readItems === undefined && state.ItemsPath !== undefined) {
          const r = this.resolvePath(st, frame, state.ItemsPath, effective, ctx());
          if (!r.found) throw new EvaluationError(ERR.Runtime, `Invalid path '${state.ItemsPath}' : No results for path: ${normalisedPath(parsePath(state.ItemsPath))}`);
          items = r.value;
        }
        if (!Array.isArray(items)) throw new EvaluationError(ERR.Runtime, `Map state input must be an array but was: ${JSON.stringify(items)}`);
        rawItems = items;
        const selector = state.ItemSelector ?? state.Parameters;
        inputs = items.map((item, i) => (selector !== undefined ? this.payload(st, frame, selector, effective, ctx({ Index: i, Value: item })) : item));
        if (state.ItemBatcher !== undefined) {
          inputs = await this.batch(st, frame, state, inputs, effective, undefined);
          rawItems = inputs;
        }
        maxConcurrency = ((await this.numberField(st, frame, state, 'MaxConcurrency', effective, undefined))) ?? 0;
        toleratedCount = await this.numberField(st, frame, state, 'ToleratedFailureCount', effective, undefined);
        toleratedPercentage = await this.numberField(st, frame, state, 'ToleratedFailurePercentage', effective, undefined);
      }
    }
    const n = inputs.length;
    frame.pending = {
      kind: 'branches',
      children: new Array<string | null>(n).fill(null),
      results: new Array<Json | null>(n).fill(null),
      done: new Array<boolean>(n).fill(false),
      ...(isMap ? { items: inputs, rawItems: rawItems ?? [] } : {}),
      nextIndex: 0,
      maxConcurrency: isMap ? maxConcurrency : 0,
      failures: 0,
      ...(toleratedCount !== undefined ? { toleratedCount } : {}),
      ...(toleratedPercentage !== undefined ? { toleratedPercentage } : {}),
      stateInput: frame.input,
      effectiveInput: effective,
    };
    st.emit(isMap ? 'MapStateStarted' : 'ParallelStateStarted', isMap ? { length: n } : {});
    if (!isMap) {
      for (let i = 0; i < n; i++) this.startChild(st, frame, state, i, inputs[i] as Json);
      frame.pending.nextIndex = n;
    }
    this.advanceBranches(st, frame, state);
  }

  /**
   * A Distributed Map with an ItemReader first reads its items: an invoke
   * effect the task runner carries out against S3 (persisted and recovered
   * like a task); its result starts the iterations (`branches` again).
   */
  private async scheduleItemReader(st: Step, frame: Frame, state: StateDef, jsonata: boolean): Promise<void> {
    const reader = isObject(state.ItemReader) ? state.ItemReader : {};
    const config = isObject(reader.ReaderConfig) ? reader.ReaderConfig : {};
    let args: Json;
    let maxItems: number | undefined;
    if (jsonata) {
      const scope = this.jsonataScope(st, frame);
      args = reader.Arguments !== undefined ? await evaluateTemplate(reader.Arguments, scope, 'ItemReader.Arguments') : {};
      const max = config.MaxItems;
      if (typeof max === 'string' && isJsonataExpression(max)) {
        const v = await evaluateRequired(expressionText(max), scope, 'MaxItems');
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
          throw new EvaluationError(ERR.QueryEvaluationError, `The JSONata expression '${expressionText(max)}' specified for the field 'MaxItems' returned an unexpected result type. Expected 'integer', but was '${jsonTypeName(v)}' for value: ${JSON.stringify(v)}`);
        }
        maxItems = v;
      } else if (typeof max === 'number') maxItems = max;
    } else {
      const eff = this.applyInputPath(st, frame, frame.input, state.InputPath);
      const ctx = (): JsonObject => this.contextObject(st, frame);
      args = reader.Parameters !== undefined ? this.payload(st, frame, reader.Parameters, eff, ctx) : {};
      if (typeof config.MaxItems === 'number') maxItems = config.MaxItems;
      else if (typeof config.MaxItemsPath === 'string') {
        const r = this.resolvePath(st, frame, config.MaxItemsPath, eff, ctx);
        if (!r.found || typeof r.value !== 'number' || !Number.isInteger(r.value)) {
          throw new EvaluationError(ERR.Runtime, `The MaxItemsPath field refers to value "${JSON.stringify(r.found ? r.value : null)}" which is not a valid integer: ${config.MaxItemsPath}`);
        }
        maxItems = r.value;
      }
    }
    const parameters = itemReaderRequest(args, config, maxItems) as unknown as Json;
    const resource = typeof reader.Resource === 'string' ? reader.Resource : '';
    const invocationId = `${st.rec.nextSeq++}`;
    frame.pending = { kind: 'task', invocationId, resource, parameters, itemReader: true };
    st.effects.push({ kind: 'invoke', executionArn: st.rec.executionArn, frameId: frame.id, invocationId, stateName: frame.current, resource, parameters, itemReader: true });
  }

  /**
   * ItemBatcher: the selected items in groups, each iteration's input
   * `{"Items": [...]}` plus `BatchInput` when given; a group closes at
   * MaxItemsPerBatch items or before it would pass MaxInputBytesPerBatch.
   */
  private async batch(st: Step, frame: Frame, state: StateDef, items: Json[], input: Json, scope: JsonataScope | undefined): Promise<Json[]> {
    const batcher = isObject(state.ItemBatcher) ? state.ItemBatcher : {};
    const number = async (field: 'MaxItemsPerBatch' | 'MaxInputBytesPerBatch'): Promise<number | undefined> => {
      const v = batcher[field];
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && scope && isJsonataExpression(v)) {
        const r = await evaluateRequired(expressionText(v), scope, field);
        if (typeof r !== 'number') throw new EvaluationError(ERR.QueryEvaluationError, `The JSONata expression '${expressionText(v)}' specified for the field '${field}' returned an unexpected result type. Expected 'number', but was '${jsonTypeName(r)}' for value: ${JSON.stringify(r)}`);
        return r;
      }
      const path = batcher[`${field}Path`];
      if (typeof path === 'string' && !scope) {
        const r = this.resolvePath(st, frame, path, input, () => this.contextObject(st, frame));
        if (!r.found || typeof r.value !== 'number') throw new EvaluationError(ERR.Runtime, `The ${field}Path field refers to a value which is not a valid integer: ${path}`);
        return r.value;
      }
      return undefined;
    };
    const maxItems = await number('MaxItemsPerBatch');
    const maxBytes = await number('MaxInputBytesPerBatch');
    if (maxItems === undefined && maxBytes === undefined) throw new EvaluationError(ERR.Runtime, 'An ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch');
    let batchInput: Json | undefined;
    if (batcher.BatchInput !== undefined) {
      batchInput = scope ? await evaluateTemplate(batcher.BatchInput, scope, 'BatchInput') : this.payload(st, frame, batcher.BatchInput, input, () => this.contextObject(st, frame));
    }
    const batches: Json[] = [];
    let current: Json[] = [];
    let bytes = 0;
    const close = () => {
      if (current.length === 0) return;
      batches.push(batchInput === undefined ? { Items: current } : { BatchInput: batchInput, Items: current });
      current = [];
      bytes = 0;
    };
    for (const item of items) {
      const size = payloadBytes(item);
      if (current.length > 0 && maxBytes !== undefined && bytes + size > maxBytes) close();
      current.push(item);
      bytes += size;
      if (maxItems !== undefined && current.length >= maxItems) close();
    }
    close();
    return batches;
  }

  private startChild(st: Step, parent: Frame, state: StateDef, index: number, input: Json): void {
    const rec = st.rec;
    const p = parent.pending;
    if (p?.kind !== 'branches') return;
    const isMap = state.Type === 'Map';
    const block = isMap ? mapKey(parent.block, parent.current) : branchKey(parent.block, parent.current, index);
    const startAt = this.program.blocks.get(block)?.StartAt ?? '';
    const child = this.newFrame(rec, `f${rec.nextSeq++}`, block, input, { ...parent.vars });
    child.parentId = parent.id;
    child.index = index;
    if (isMap) child.mapItem = { Index: index, Value: (p.rawItems ?? [])[index] ?? null };
    rec.frames[child.id] = child;
    p.children[index] = child.id;
    if (isMap) st.emit('MapIterationStarted', { name: parent.current, index });
    this.enter(st, child, startAt, input);
  }

  /** Starts Map iterations up to MaxConcurrency; finishes the state once every child is done. */
  private advanceBranches(st: Step, frame: Frame, state: StateDef): void {
    const p = frame.pending;
    if (p?.kind !== 'branches') return;
    const total = p.done.length;
    if (state.Type === 'Map') {
      const running = (): number => p.children.filter((c) => c !== null).length;
      while (p.nextIndex < total && (p.maxConcurrency <= 0 || running() < p.maxConcurrency)) {
        const i = p.nextIndex++;
        this.startChild(st, frame, state, i, (p.items ?? [])[i] ?? null);
      }
    }
    if (p.done.every(Boolean)) {
      const results = p.results;
      frame.pending = undefined;
      st.emit(state.Type === 'Map' ? 'MapStateSucceeded' : 'ParallelStateSucceeded');
      st.later.push(() => this.guard(st, frame, state, () => this.afterResult(st, frame, state, results)));
    }
  }

}

function cmp(op: string, c: number): boolean {
  switch (op) {
    case 'Equals':
      return c === 0;
    case 'LessThan':
      return c < 0;
    case 'GreaterThan':
      return c > 0;
    case 'LessThanEquals':
      return c <= 0;
    case 'GreaterThanEquals':
      return c >= 0;
    default:
      return false;
  }
}

