/**
 * AWS Step Functions Developer Guide, "Handling errors in Step Functions
 * workflows" (concepts-error-handling.html): error names, retriers
 * (IntervalSeconds, MaxAttempts, BackoffRate, MaxDelaySeconds,
 * JitterStrategy), catchers and the error output, and the page's example
 * state machines (FailFunction, sleep10). Times are virtual: each case
 * asserts the waits the page states.
 */
import { describe, expect, it } from 'vitest';
import type { VirtualClock } from '../../workflows/engine/clock.ts';
import type { Json } from '../../workflows/engine/json.ts';
import type { LambdaModule } from '../../workflows/engine/lambda.ts';
import { FN, failing, machine, outcomeOf, runDoc, seeded } from './docs-support.ts';

/** Gaps between consecutive calls, in seconds. */
const gaps = (calls: number[]): number[] => calls.slice(1).map((t, i) => (t - (calls[i] ?? 0)) / 1000);

/** The page's sleep10: answers after 11 seconds (of virtual time), noting when it was called. */
function sleep10(clock: VirtualClock, calls: number[] = []): LambdaModule {
  return {
    handler: () => {
      calls.push(clock.now());
      return new Promise((resolve) => clock.setTimer(clock.now() + 11_000, () => resolve({ slept: true })));
    },
  };
}

function task(fn: string, extra: Record<string, Json>): Json {
  return machine({ HelloWorld: { Type: 'Task', Resource: `${FN}${fn}`, ...extra, End: true } });
}

describe('Retrying after an error', () => {
  it('BackoffRate: IntervalSeconds 3, MaxAttempts 3, BackoffRate 2 retry after 3, 6 and 12 seconds', async () => {
    const calls: number[] = [];
    const def = task('FailFunction', { Retry: [{ ErrorEquals: ['HandledError'], IntervalSeconds: 3, MaxAttempts: 3, BackoffRate: 2 }] });
    const run = await runDoc(def, {}, { lambdas: (clock) => ({ FailFunction: failing(clock, 'HandledError', calls) }) });
    expect(gaps(calls)).toEqual([3, 6, 12]);
    expect(run.outcome).toMatchObject({ status: 'FAILED', error: 'HandledError' });
    expect(run.elapsedMs).toBe(21_000);
  });

  it('defaults: IntervalSeconds 1, MaxAttempts 3, BackoffRate 2.0', async () => {
    const calls: number[] = [];
    const def = task('FailFunction', { Retry: [{ ErrorEquals: ['HandledError'] }] });
    await runDoc(def, {}, { lambdas: (clock) => ({ FailFunction: failing(clock, 'HandledError', calls) }) });
    expect(gaps(calls)).toEqual([1, 2, 4]);
  });

  it('"A value of 0 specifies that the error is never retried"', async () => {
    const calls: number[] = [];
    const def = task('FailFunction', { Retry: [{ ErrorEquals: ['HandledError'], MaxAttempts: 0 }] });
    const run = await runDoc(def, {}, { lambdas: (clock) => ({ FailFunction: failing(clock, 'HandledError', calls) }) });
    expect(calls).toHaveLength(1);
    expect(run.outcome).toMatchObject({ status: 'FAILED', error: 'HandledError' });
  });

  it('Example 1, BackoffRate 1: with a task timing out after 1 s, each of the two retries starts 3 s after the timeout', async () => {
    const calls: number[] = [];
    const def = task('sleep10', { TimeoutSeconds: 1, Retry: [{ ErrorEquals: ['States.Timeout'], IntervalSeconds: 3, MaxAttempts: 2, BackoffRate: 1 }] });
    const run = await runDoc(def, {}, { lambdas: (clock) => ({ sleep10: sleep10(clock, calls) }) });
    expect(gaps(calls)).toEqual([4, 4]);
    expect(run.outcome).toEqual({ status: 'FAILED', error: 'States.Timeout' });
    expect(run.elapsedMs).toBe(9_000);
  });

  it('Example 2, MaxDelaySeconds 5: waits of 3, then 5 and 5 instead of 6 and 12', async () => {
    const calls: number[] = [];
    const def = task('FailFunction', { Retry: [{ ErrorEquals: ['HandledError'], IntervalSeconds: 3, MaxAttempts: 3, BackoffRate: 2, MaxDelaySeconds: 5 }] });
    await runDoc(def, {}, { lambdas: (clock) => ({ FailFunction: failing(clock, 'HandledError', calls) }) });
    expect(gaps(calls)).toEqual([3, 5, 5]);
  });

  it('Example 2 as printed, with JitterStrategy FULL: each wait is random between 0 and 3, 5, 5 seconds, the same for the same random source', async () => {
    const def = task('FailFunction', { Retry: [{ ErrorEquals: ['HandledError'], IntervalSeconds: 3, MaxAttempts: 3, BackoffRate: 2, MaxDelaySeconds: 5, JitterStrategy: 'FULL' }] });
    const waits = async (random: () => number): Promise<number[]> => {
      const calls: number[] = [];
      await runDoc(def, {}, { random, lambdas: (clock) => ({ FailFunction: failing(clock, 'HandledError', calls) }) });
      return gaps(calls);
    };
    const a = await waits(seeded(42));
    expect(a).toHaveLength(3);
    [3, 5, 5].forEach((cap, i) => {
      expect(a[i]).toBeGreaterThanOrEqual(0);
      expect(a[i]).toBeLessThanOrEqual(cap);
    });
    expect(await waits(seeded(42))).toEqual(a);
    expect(await waits(() => 0.5)).toEqual([1.5, 2.5, 2.5]);
  });

  it('JitterStrategy: IntervalSeconds 2, BackoffRate 2 wait 2, 4, 8 s; with FULL, between 0 and 2, 4, 8 s', async () => {
    const retry = { ErrorEquals: ['HandledError'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 };
    const waits = async (r: Json, random?: () => number): Promise<number[]> => {
      const calls: number[] = [];
      await runDoc(task('FailFunction', { Retry: [r] }), {}, { ...(random ? { random } : {}), lambdas: (clock) => ({ FailFunction: failing(clock, 'HandledError', calls) }) });
      return gaps(calls);
    };
    expect(await waits(retry)).toEqual([2, 4, 8]);
    expect(await waits({ ...retry, JitterStrategy: 'NONE' })).toEqual([2, 4, 8]);
    for (const seed of [1, 2, 3]) {
      const w = await waits({ ...retry, JitterStrategy: 'FULL' }, seeded(seed));
      [2, 4, 8].forEach((cap, i) => {
        expect(w[i]).toBeGreaterThanOrEqual(0);
        expect(w[i]).toBeLessThanOrEqual(cap);
      });
    }
  });

  it('Example 3: retry every error except States.Timeout', async () => {
    const retry: Json[] = [{ ErrorEquals: ['States.Timeout'], MaxAttempts: 0 }, { ErrorEquals: ['States.ALL'] }];
    const failed: number[] = [];
    const other = await runDoc(task('FailFunction', { Retry: retry }), {}, { lambdas: (clock) => ({ FailFunction: failing(clock, 'Boom', failed) }) });
    expect(failed).toHaveLength(4);
    expect(other.outcome).toMatchObject({ status: 'FAILED', error: 'Boom' });
    const slept: number[] = [];
    const timedOut = await runDoc(task('sleep10', { TimeoutSeconds: 2, Retry: retry }), {}, { lambdas: (clock) => ({ sleep10: sleep10(clock, slept) }) });
    expect(slept).toHaveLength(1);
    expect(timedOut.outcome).toEqual({ status: 'FAILED', error: 'States.Timeout' });
  });

  it('Example 4, complex retry: ErrorA, ErrorB, ErrorC, ErrorB wait 1, 2 and 5 s, then the fourth is caught into Z', async () => {
    const calls: number[] = [];
    const def = machine({
      X: {
        Type: 'Task',
        Resource: `${FN}X`,
        Next: 'Y',
        Retry: [
          { ErrorEquals: ['ErrorA', 'ErrorB'], IntervalSeconds: 1, BackoffRate: 2.0, MaxAttempts: 2 },
          { ErrorEquals: ['ErrorC'], IntervalSeconds: 5 },
        ],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Z' }],
      },
      Y: { Type: 'Pass', Result: 'Y', End: true },
      Z: { Type: 'Pass', End: true },
    });
    const run = await runDoc(def, {}, { lambdas: (clock) => ({ X: failing(clock, ['ErrorA', 'ErrorB', 'ErrorC', 'ErrorB'], calls) }) });
    expect(gaps(calls)).toEqual([1, 2, 5]);
    expect(run.outcome.status).toBe('SUCCEEDED');
    const output = (run.outcome as unknown as { output: { Error: string; Cause: string } }).output;
    expect(output.Error).toBe('ErrorB');
    expect(JSON.parse(output.Cause)).toMatchObject({ errorType: 'ErrorB', errorMessage: 'ErrorB raised' });
  });
});

describe('Error names', () => {
  it('States.TaskFailed "matches any known error name except for States.Timeout"', async () => {
    const def = (fn: string, extra: Record<string, Json> = {}): Json =>
      machine({
        HelloWorld: { Type: 'Task', Resource: `${FN}${fn}`, ...extra, Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'fallback' }], End: true },
        fallback: { Type: 'Pass', Result: 'Hello, AWS Step Functions!', End: true },
      });
    const caught = await runDoc(def('FailFunction'), {}, { lambdas: (clock) => ({ FailFunction: failing(clock, 'HandledError') }) });
    expect(caught.outcome).toEqual({ status: 'SUCCEEDED', output: 'Hello, AWS Step Functions!' });
    const timedOut = await runDoc(def('sleep10', { TimeoutSeconds: 2 }), {}, { lambdas: (clock) => ({ sleep10: sleep10(clock) }) });
    expect(timedOut.outcome).toEqual({ status: 'FAILED', error: 'States.Timeout' });
  });

  it('States.Runtime "isn\'t retriable ... A retry or catch on States.ALL won\'t catch States.Runtime errors"', async () => {
    const def = machine({
      T: {
        Type: 'Task',
        Resource: `${FN}echo`,
        OutputPath: '$.missing',
        Retry: [{ ErrorEquals: ['States.ALL'] }],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
        End: true,
      },
      Caught: { Type: 'Pass', End: true },
    });
    expect(await outcomeOf(def, { a: 1 }, { echo: { handler: (e) => e } })).toEqual({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: "An error occurred while executing the state 'T' (entered at the event id #2). Invalid path '$.missing' : No results for path: $['missing']",
    });
  });

  it('States.HeartbeatTimeout: "available inside the Catch and Retry fields"; States.Timeout also covers a missed heartbeat', async () => {
    const def = (errorEquals: string): Json =>
      machine({
        Wait: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: 'notify', Payload: { 'token.$': '$$.Task.Token' } },
          HeartbeatSeconds: 5,
          Catch: [{ ErrorEquals: [errorEquals], ResultPath: '$.error', Next: 'Late' }],
          End: true,
        },
        Late: { Type: 'Pass', End: true },
      });
    for (const name of ['States.HeartbeatTimeout', 'States.Timeout']) {
      const run = await runDoc(def(name), { id: 1 }, { lambdas: () => ({ notify: { handler: () => null } }) });
      expect(run.outcome).toEqual({ status: 'SUCCEEDED', output: { id: 1, error: { Error: 'States.HeartbeatTimeout', Cause: '' } } });
      expect(run.elapsedMs).toBe(5_000);
    }
  });

  it('States.Timeout "is also reported when an entire state machine execution runs longer than the specified TimeoutSeconds"', async () => {
    const run = await runDoc(machine({ W: { Type: 'Wait', Seconds: 100, End: true } }, { TimeoutSeconds: 30 }));
    expect(run.outcome).toEqual({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(run.elapsedMs).toBe(30_000);
  });

  it('"If a nested state machine throws a States.Timeout, the parent will receive a States.TaskFailed error"', async () => {
    const { Engine } = await import('../../workflows/engine/engine.ts');
    const { VirtualClock } = await import('../../workflows/engine/clock.ts');
    const { ModuleLambdaInvoker } = await import('../../workflows/engine/lambda.ts');
    const clock = new VirtualClock();
    const engine = new Engine({ clock, lambda: new ModuleLambdaInvoker({}) });
    const child = await engine.createStateMachine({ name: 'child', definition: machine({ W: { Type: 'Wait', Seconds: 100, End: true } }, { TimeoutSeconds: 10 }) });
    const parent = await engine.createStateMachine({
      name: 'parent',
      definition: machine({
        Run: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2', Parameters: { StateMachineArn: child.stateMachineArn }, Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'Caught' }], End: true },
        Caught: { Type: 'Pass', Parameters: { 'error.$': '$.Error' }, End: true },
      }),
    });
    const { executionArn } = await engine.startExecution({ stateMachineArn: parent.stateMachineArn });
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    clock.advance(10_000);
    expect(await engine.waitForExecution(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: { error: 'States.TaskFailed' } });
  });

  it('States.NoChoiceMatched from a Choice state without a matching rule can be caught by the enclosing Parallel', async () => {
    const choice = { StartAt: 'C', States: { C: { Type: 'Choice', Choices: [{ Variable: '$.x', NumericEquals: 1, Next: 'One' }] }, One: { Type: 'Pass', End: true } } };
    const def = machine({
      P: { Type: 'Parallel', Branches: [choice], Catch: [{ ErrorEquals: ['States.NoChoiceMatched'], ResultPath: '$.error', Next: 'NoMatch' }], End: true },
      NoMatch: { Type: 'Pass', Parameters: { 'error.$': '$.error.Error', 'x.$': '$.x' }, End: true },
    });
    expect(await outcomeOf(def, { x: 2 })).toEqual({ status: 'SUCCEEDED', output: { error: 'States.NoChoiceMatched', x: 2 } });
    expect(await outcomeOf(machine({ C: choice.States.C, One: choice.States.One }), { x: 2 })).toMatchObject({ status: 'FAILED', error: 'States.NoChoiceMatched' });
  });

  it('States.DataLimitExceeded when "Output of a state is larger than payload size quota"', async () => {
    const def = machine({ Double: { Type: 'Pass', Parameters: { 'a.$': '$.s', 'b.$': '$.s' }, End: true } });
    expect(await outcomeOf(def, { s: 'x'.repeat(140 * 1024) })).toEqual({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: "The state/task 'Double' returned a result with a size exceeding the maximum number of bytes service limit.",
    });
  });
});

describe('State machine examples using Retry and Catch', () => {
  it('Handling a failure using Retry: FailFunction retried twice, after 1 s and 2 s, then the execution fails with HandledError', async () => {
    for (const errorEquals of ['HandledError', 'States.TaskFailed']) {
      const calls: number[] = [];
      const def = task('FailFunction', { Retry: [{ ErrorEquals: [errorEquals], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2.0 }] });
      const run = await runDoc(def, {}, { lambdas: (clock) => ({ FailFunction: failing(clock, 'HandledError', calls) }) });
      expect(gaps(calls)).toEqual([1, 2]);
      expect(run.outcome).toMatchObject({ status: 'FAILED', error: 'HandledError' });
    }
  });

  it('Handling a failure using Catch: the fallback Pass state gives "Hello, AWS Step Functions!"', async () => {
    for (const errorEquals of ['HandledError', 'States.TaskFailed']) {
      const def = machine({
        HelloWorld: { Type: 'Task', Resource: `${FN}FailFunction`, Catch: [{ ErrorEquals: [errorEquals], Next: 'fallback' }], End: true },
        fallback: { Type: 'Pass', Result: 'Hello, AWS Step Functions!', End: true },
      });
      expect((await runDoc(def, {}, { lambdas: (clock) => ({ FailFunction: failing(clock, 'HandledError') }) })).outcome).toEqual({ status: 'SUCCEEDED', output: 'Hello, AWS Step Functions!' });
    }
  });

  it('Handling a timeout using Retry: TimeoutSeconds 2 on sleep10, retried after 1 s and 2 s, then States.Timeout', async () => {
    const calls: number[] = [];
    const def = task('sleep10', { TimeoutSeconds: 2, Retry: [{ ErrorEquals: ['States.Timeout'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2.0 }] });
    const run = await runDoc(def, {}, { lambdas: (clock) => ({ sleep10: sleep10(clock, calls) }) });
    expect(gaps(calls)).toEqual([3, 4]);
    expect(run.outcome).toEqual({ status: 'FAILED', error: 'States.Timeout' });
    expect(run.elapsedMs).toBe(9_000);
  });

  it('Handling a timeout using Catch: after 2 s the fallback state gives "Hello, AWS Step Functions!"', async () => {
    const def = machine({
      HelloWorld: { Type: 'Task', Resource: `${FN}sleep10`, TimeoutSeconds: 2, Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'fallback' }], End: true },
      fallback: { Type: 'Pass', Result: 'Hello, AWS Step Functions!', End: true },
    });
    const run = await runDoc(def, {}, { lambdas: (clock) => ({ sleep10: sleep10(clock) }) });
    expect(run.outcome).toEqual({ status: 'SUCCEEDED', output: 'Hello, AWS Step Functions!' });
    expect(run.elapsedMs).toBe(2_000);
  });
});

describe('Fallback states and the error output', () => {
  const def = machine({
    T: {
      Type: 'Task',
      Resource: `${FN}thrower`,
      Catch: [
        { ErrorEquals: ['java.lang.Exception'], ResultPath: '$.error-info', Next: 'RecoveryState' },
        { ErrorEquals: ['States.ALL'], Next: 'EndState' },
      ],
      End: true,
    },
    RecoveryState: { Type: 'Pass', End: true },
    EndState: { Type: 'Pass', End: true },
  });
  const thrower = (name: string): LambdaModule => ({
    invoke: () => ({ payload: JSON.stringify({ errorType: name, errorMessage: 'went wrong' }), functionError: 'Unhandled' }),
  });
  const cause = (name: string): string => JSON.stringify({ errorType: name, errorMessage: 'went wrong' });

  it('the first catcher adds the error output {Error, Cause} to the input as "error-info" and sends it to RecoveryState', async () => {
    expect(await outcomeOf(def, { foo: 'bar' }, { thrower: thrower('java.lang.Exception') })).toEqual({
      status: 'SUCCEEDED',
      output: { foo: 'bar', 'error-info': { Error: 'java.lang.Exception', Cause: cause('java.lang.Exception') } },
    });
  });

  it('without ResultPath (the default $) the error output replaces the input for EndState', async () => {
    expect(await outcomeOf(def, { foo: 'bar' }, { thrower: thrower('SomethingElse') })).toEqual({ status: 'SUCCEEDED', output: { Error: 'SomethingElse', Cause: cause('SomethingElse') } });
  });

  it('"When a state has both Retry and Catch fields, Step Functions uses any appropriate retriers first"', async () => {
    const calls: number[] = [];
    const both = machine({
      T: { Type: 'Task', Resource: `${FN}f`, Retry: [{ ErrorEquals: ['Flaky'], MaxAttempts: 1 }], Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'Caught' }], End: true },
      Caught: { Type: 'Pass', End: true },
    });
    const run = await runDoc(both, { keep: true }, { lambdas: (clock) => ({ f: failing(clock, 'Flaky', calls) }) });
    expect(calls).toHaveLength(2);
    expect(run.outcome).toEqual({ status: 'SUCCEEDED', output: { keep: true } });
  });
});
