/**
 * The local Step Functions engine against the rules and examples of the AWS
 * Step Functions documentation: each case asserts the exact output, or the
 * exact error and cause.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../workflows/engine/clock.ts';
import { Engine } from '../../workflows/engine/engine.ts';
import { DefinitionError } from '../../workflows/engine/errors.ts';
import type { Json } from '../../workflows/engine/json.ts';
import { type LambdaModule, ModuleLambdaInvoker } from '../../workflows/engine/lambda.ts';
import { loadProgram } from '../../workflows/engine/program.ts';
import { InMemoryStore } from '../../workflows/engine/store.ts';
import { runAsl } from '../../workflows/runner.ts';

const FN = 'arn:aws:lambda:us-east-1:123456789012:function:';

function pass(states: Record<string, Json>, extra: Record<string, Json> = {}): Json {
  return { StartAt: Object.keys(states)[0] ?? '', States: states, ...extra };
}

async function run(definition: Json, input: Json = {}, lambdas: Record<string, LambdaModule> = {}): Promise<unknown> {
  return runAsl({ definition, input, virtualTime: true, lambdas });
}

/** An engine on a virtual clock, for tests that drive time and tokens themselves. */
function engineWith(lambdas: Record<string, LambdaModule> = {}, store = new InMemoryStore(), clock = new VirtualClock()): { engine: Engine; clock: VirtualClock; store: InMemoryStore } {
  return { engine: new Engine({ clock, store, lambda: new ModuleLambdaInvoker(lambdas) }), clock, store };
}

/** Lets queued events and answered tasks be processed. */
async function settle(engine: Engine): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setImmediate(r));
    await engine.settled();
  }
}

describe('input and output processing (JSONPath)', () => {
  it('applies InputPath, Parameters, ResultSelector, ResultPath and OutputPath in order', async () => {
    // The documentation's example: a Lambda result merged into the input.
    const def = pass({
      Task: {
        Type: 'Task',
        Resource: `${FN}calc`,
        InputPath: '$.lambda',
        Parameters: { 'val1.$': '$.val1', 'val2.$': '$.val2', constant: 3 },
        ResultSelector: { 'sum.$': '$.total' },
        ResultPath: '$.data.lambdaresult',
        OutputPath: '$.data',
        End: true,
      },
    });
    const calc: LambdaModule = { handler: (e) => ({ total: (e as { val1: number; val2: number }).val1 + (e as { val2: number }).val2 }) };
    const input = { comment: 'An input comment.', data: { val1: 23, val2: 17 }, extra: 'foo', lambda: { who: 'AWS Step Functions', val1: 1, val2: 2 } };
    expect(await run(def, input, { calc })).toEqual({ status: 'SUCCEEDED', output: { val1: 23, val2: 17, lambdaresult: { sum: 3 } } });
  });

  it('keeps the input with ResultPath null and discards everything with OutputPath null', async () => {
    const def = pass({
      A: { Type: 'Pass', Result: 'ignored', ResultPath: null, Next: 'B' },
      B: { Type: 'Pass', OutputPath: null, End: true },
    });
    expect(await run(def, { a: 1 })).toEqual({ status: 'SUCCEEDED', output: {} });
    const keep = pass({ A: { Type: 'Pass', Result: 'ignored', ResultPath: null, End: true } });
    expect(await run(keep, { a: 1 })).toEqual({ status: 'SUCCEEDED', output: { a: 1 } });
  });

  it('evaluates intrinsic functions and the context object in Parameters', async () => {
    const def = pass({
      A: {
        Type: 'Pass',
        Parameters: {
          'greeting.$': "States.Format('Hello, my name is {}.', $.name)",
          'chunks.$': 'States.ArrayPartition($.items, 2)',
          'sum.$': 'States.MathAdd(111, -1)',
          'state.$': '$$.State.Name',
          'execution.$': '$$.Execution.Name',
        },
        End: true,
      },
    });
    expect(await run(def, { name: 'Arnav', items: [1, 2, 3, 4, 5] })).toEqual({
      status: 'SUCCEEDED',
      output: { greeting: 'Hello, my name is Arnav.', chunks: [[1, 2], [3, 4], [5]], sum: 110, state: 'A', execution: 'execution' },
    });
  });

  it('fails with States.Runtime when a path in Parameters matches nothing', async () => {
    const def = pass({ pass: { Type: 'Pass', Parameters: { 'value.$': '$.missing' }, End: true } });
    expect(await run(def, { present: 1 })).toEqual({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: `An error occurred while executing the state 'pass' (entered at the event id #2). The JSONPath '$.missing' specified for the field 'value.$' could not be found in the input '{"present":1}'`,
    });
  });
});

describe('Choice', () => {
  const def = pass({
    Check: {
      Type: 'Choice',
      Choices: [
        { Not: { Variable: '$.type', StringEquals: 'Private' }, Next: 'Public' },
        { And: [{ Variable: '$.value', IsPresent: true }, { Variable: '$.value', NumericGreaterThanEquals: 20 }, { Variable: '$.value', NumericLessThan: 30 }], Next: 'ValueInTwenties' },
        { Variable: '$.rating', StringMatches: 'A*', Next: 'Top' },
      ],
      Default: 'DefaultState',
    },
    Public: { Type: 'Pass', Result: 'public', End: true },
    ValueInTwenties: { Type: 'Pass', Result: 'twenties', End: true },
    Top: { Type: 'Pass', Result: 'top', End: true },
    DefaultState: { Type: 'Fail', Error: 'DefaultStateError', Cause: 'No Matches!' },
  });

  it('follows the first matching rule (Not, And, StringMatches)', async () => {
    expect(await run(def, { type: 'Public' })).toEqual({ status: 'SUCCEEDED', output: 'public' });
    expect(await run(def, { type: 'Private', value: 25 })).toEqual({ status: 'SUCCEEDED', output: 'twenties' });
    expect(await run(def, { type: 'Private', value: 35, rating: 'AAA' })).toEqual({ status: 'SUCCEEDED', output: 'top' });
    expect(await run(def, { type: 'Private', value: 35, rating: 'B' })).toEqual({ status: 'FAILED', error: 'DefaultStateError', cause: 'No Matches!' });
  });

  it('fails with States.NoChoiceMatched without a Default', async () => {
    const noDefault = pass({ C: { Type: 'Choice', Choices: [{ Variable: '$.x', BooleanEquals: true, Next: 'T' }] }, T: { Type: 'Succeed' } });
    const result = (await run(noDefault, { x: false })) as { status: string; error: string };
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.NoChoiceMatched');
  });

  it('uses a JSONata Condition with per-rule Assign and Output', async () => {
    const jsonata = pass(
      {
        C: {
          Type: 'Choice',
          Choices: [{ Condition: '{% $states.input.n > 10 %}', Assign: { size: 'big' }, Output: { n: '{% $states.input.n %}' }, Next: 'Done' }],
          Default: 'Done',
          Assign: { size: 'small' },
        },
        Done: { Type: 'Pass', Output: { size: '{% $size %}', n: '{% $states.input.n %}' }, End: true },
      },
      { QueryLanguage: 'JSONata' },
    );
    expect(await run(jsonata, { n: 11, other: true })).toEqual({ status: 'SUCCEEDED', output: { size: 'big', n: 11 } });
    expect(await run(jsonata, { n: 3 })).toEqual({ status: 'SUCCEEDED', output: { size: 'small', n: 3 } });
  });
});

describe('JSONata states and variables', () => {
  it('evaluates Arguments, $states.result, Assign and Output; Assign and Output see the variables from before the state', async () => {
    const def = pass(
      {
        Init: { Type: 'Pass', Assign: { count: 1 }, Next: 'Call' },
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'double', Payload: { n: '{% $states.input.n %}' } },
          Assign: { count: '{% $count + 1 %}', doubled: '{% $states.result.Payload.n %}' },
          Output: { before: '{% $count %}', result: '{% $states.result.Payload %}' },
          Next: 'After',
        },
        After: { Type: 'Pass', Output: { count: '{% $count %}', doubled: '{% $doubled %}', prev: '{% $states.input %}' }, End: true },
      },
      { QueryLanguage: 'JSONata' },
    );
    const double: LambdaModule = { handler: (e) => ({ n: (e as { n: number }).n * 2 }) };
    expect(await run(def, { n: 21 }, { double })).toEqual({
      status: 'SUCCEEDED',
      output: { count: 2, doubled: 42, prev: { before: 1, result: { n: 42 } } },
    });
  });

  it('offers Step Functions functions: $partition, $range, $hash, $parse, $uuid', async () => {
    const def = pass(
      {
        A: {
          Type: 'Pass',
          Output: {
            p: '{% $partition([1,2,3,4,5], 2) %}',
            r: '{% $range(0, 10, 5) %}',
            h: "{% $hash('input data', 'SHA-1') %}",
            j: '{% $parse(\'{"a":1}\') %}',
            u: '{% $length($uuid()) %}',
          },
          End: true,
        },
      },
      { QueryLanguage: 'JSONata' },
    );
    expect(await run(def)).toEqual({
      status: 'SUCCEEDED',
      output: { p: [[1, 2], [3, 4], [5]], r: [0, 5, 10], h: 'aaff4a450a104cd177d28d18d74485e8cae074b7', j: { a: 1 }, u: 36 },
    });
  });

  it('reports an expression that returns nothing as States.QueryEvaluationError', async () => {
    const def = pass({ S: { Type: 'Pass', Output: { result: '{% $nope %}' }, End: true } }, { QueryLanguage: 'JSONata' });
    expect(await run(def)).toEqual({
      status: 'FAILED',
      error: 'States.QueryEvaluationError',
      cause: "An error occurred while executing the state 'S' (entered at the event id #2). The JSONata expression '$nope' specified for the field 'Output/result' returned nothing (undefined).",
    });
  });

  it('scopes variables: Map iterations read outer variables, their own assignments stay inside', async () => {
    const def = pass({
      Init: { Type: 'Pass', Assign: { x: 42, items: [1, 2] }, Next: 'Map' },
      Map: {
        Type: 'Map',
        ItemsPath: '$items',
        ItemProcessor: { StartAt: 'Inner', States: { Inner: { Type: 'Pass', Assign: { x: 0, seen: 'inner' }, Parameters: { 'outer.$': '$x', 'item.$': '$' }, End: true } } },
        Next: 'After',
      },
      After: { Type: 'Pass', Parameters: { 'x.$': '$x', 'results.$': '$' }, End: true },
    });
    expect(await run(def)).toEqual({ status: 'SUCCEEDED', output: { x: 42, results: [{ outer: 42, item: 1 }, { outer: 42, item: 2 }] } });
  });
});

describe('Map and Parallel', () => {
  it('runs Map iterations with ItemSelector and $$.Map.Item, keeping order under MaxConcurrency', async () => {
    const def = pass({
      M: {
        Type: 'Map',
        ItemsPath: '$.detail.shipped',
        MaxConcurrency: 1,
        ItemSelector: { 'parcel.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index', 'courier.$': '$.delivery' },
        ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
        ResultPath: '$.detail.result',
        End: true,
      },
    });
    const input = { delivery: 'UPS', detail: { shipped: [{ prod: 'R31' }, { prod: 'S39' }] } };
    expect(await run(def, input)).toEqual({
      status: 'SUCCEEDED',
      output: {
        delivery: 'UPS',
        detail: {
          shipped: [{ prod: 'R31' }, { prod: 'S39' }],
          result: [
            { parcel: { prod: 'R31' }, index: 0, courier: 'UPS' },
            { parcel: { prod: 'S39' }, index: 1, courier: 'UPS' },
          ],
        },
      },
    });
  });

  it('tolerates failed iterations up to ToleratedFailureCount, then fails with States.ExceedToleratedFailureThreshold', async () => {
    const def = (tolerated: number): Json =>
      pass({
        M: {
          Type: 'Map',
          ToleratedFailureCount: tolerated,
          ItemProcessor: {
            StartAt: 'C',
            States: {
              C: { Type: 'Choice', Choices: [{ Variable: '$', NumericGreaterThan: 1, Next: 'Bad' }], Default: 'Ok' },
              Bad: { Type: 'Fail', Error: 'TooBig', Cause: 'item > 1' },
              Ok: { Type: 'Pass', End: true },
            },
          },
          End: true,
        },
      });
    expect(await run(def(1), [1, 2])).toEqual({ status: 'SUCCEEDED', output: [1, { Error: 'TooBig', Cause: 'item > 1' }] });
    expect(await run(def(0), [1, 2])).toEqual({
      status: 'FAILED',
      error: 'States.ExceedToleratedFailureThreshold',
      cause: 'The specified tolerated failure threshold for the Map Run was exceeded.',
    });
  });

  it('returns Parallel branch outputs in branch order and fails as a whole when a branch fails', async () => {
    const ok = pass({
      P: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'A', States: { A: { Type: 'Pass', Parameters: { 'a.$': '$.v' }, End: true } } },
          { StartAt: 'B', States: { B: { Type: 'Pass', Result: 'b', End: true } } },
        ],
        End: true,
      },
    });
    expect(await run(ok, { v: 1 })).toEqual({ status: 'SUCCEEDED', output: [{ a: 1 }, 'b'] });
    const failing = pass({
      P: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
          { StartAt: 'F', States: { F: { Type: 'Fail', Error: 'BranchError', Cause: 'boom' } } },
        ],
        Catch: [{ ErrorEquals: ['BranchError'], ResultPath: '$.error', Next: 'Handled' }],
        End: true,
      },
      Handled: { Type: 'Pass', End: true },
    });
    expect(await run(failing, { v: 1 })).toEqual({ status: 'SUCCEEDED', output: { v: 1, error: { Error: 'BranchError', Cause: 'boom' } } });
  });
});

describe('Task resources, Retry and Catch', () => {
  it('reports a thrown error with its name, and the cause as the Node.js runtime writes it', async () => {
    class AccountNotFoundError extends Error {
      override name = 'AccountNotFoundError';
    }
    const fn: LambdaModule = {
      handler: () => {
        throw new AccountNotFoundError('no such account');
      },
    };
    const def = pass({ T: { Type: 'Task', Resource: `${FN}lookup`, End: true } });
    const result = (await run(def, {}, { lookup: fn })) as { status: string; error: string; cause: string };
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('AccountNotFoundError');
    const cause = JSON.parse(result.cause) as { errorType: string; errorMessage: string; trace: string[] };
    expect(cause.errorType).toBe('AccountNotFoundError');
    expect(cause.errorMessage).toBe('no such account');
    expect(Array.isArray(cause.trace)).toBe(true);
  });

  it('retries with backoff, then catches into ResultPath with {Error, Cause}', async () => {
    let calls = 0;
    const flaky: LambdaModule = {
      handler: () => {
        calls++;
        throw Object.assign(new Error('try later'), { name: 'ServiceBusy' });
      },
    };
    const def = pass({
      T: {
        Type: 'Task',
        Resource: `${FN}flaky`,
        Retry: [{ ErrorEquals: ['ServiceBusy'], IntervalSeconds: 3, MaxAttempts: 2, BackoffRate: 1.5 }],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Recovered' }],
        End: true,
      },
      Recovered: { Type: 'Pass', End: true },
    });
    const result = (await run(def, { id: 7 }, { flaky })) as { status: string; output: { id: number; failure: { Error: string; Cause: string } } };
    expect(calls).toBe(3);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output.id).toBe(7);
    expect(result.output.failure.Error).toBe('ServiceBusy');
    expect((JSON.parse(result.output.failure.Cause) as { errorMessage: string }).errorMessage).toBe('try later');
  });

  it('wraps lambda:invoke results in the Invoke API envelope and puts Payload inside', async () => {
    const def = pass({ T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'echo', 'Payload.$': '$' }, ResultSelector: { 'p.$': '$.Payload', 's.$': '$.StatusCode' }, End: true } });
    expect(await run(def, { a: 1 }, { echo: { handler: (e) => e } })).toEqual({ status: 'SUCCEEDED', output: { p: { a: 1 }, s: 200 } });
  });

  it('reports a missing function as Lambda.ResourceNotFoundException', async () => {
    const def = pass({ T: { Type: 'Task', Resource: `${FN}ghost`, End: true } });
    const result = (await run(def)) as { error: string; cause: string };
    expect(result.error).toBe('Lambda.ResourceNotFoundException');
    expect(result.cause).toMatch(/^Function not found: arn:aws:lambda:us-east-1:\d{12}:function:ghost/);
  });

  it('fails a result over 256 KiB with States.DataLimitExceeded', async () => {
    const def = pass({ T: { Type: 'Task', Resource: `${FN}big`, End: true } });
    expect(await run(def, {}, { big: { handler: () => 'a'.repeat(263_168) } })).toEqual({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: `The state/task '${FN}big' returned a result with a size exceeding the maximum number of bytes service limit.`,
    });
  });
});

describe('definitions', () => {
  it('refuses a resource the local runtime cannot run, naming the state', () => {
    const def = pass({ Save: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', End: true } });
    expect(() => loadProgram(def)).toThrow(DefinitionError);
    try {
      loadProgram(def);
    } catch (err) {
      expect((err as DefinitionError).problems.join('\n')).toContain("State 'Save' uses the resource 'arn:aws:states:::dynamodb:putItem'");
    }
  });

  it('reports structural problems found by asl-validator', async () => {
    const result = (await run({ StartAt: 'Nowhere', States: { A: { Type: 'Pass', Next: 'Missing' } } })) as { status: string; problems: string[] };
    expect(result.status).toBe('INVALID_DEFINITION');
    expect(result.problems.length).toBeGreaterThan(0);
  });
});

describe('time, task tokens and durability', () => {
  const tokenMachine = pass({
    Approve: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'notify', Payload: { 'token.$': '$$.Task.Token', 'who.$': '$.who' } },
      TimeoutSeconds: 259_200,
      HeartbeatSeconds: 3_600,
      Next: 'Done',
    },
    Done: { Type: 'Pass', End: true },
  });

  function notifier(): { module: LambdaModule; tokens: string[] } {
    const tokens: string[] = [];
    return { tokens, module: { handler: (e) => void tokens.push((e as { token: string }).token) } };
  }

  it('completes a waitForTaskToken task through sendTaskSuccess', async () => {
    const n = notifier();
    const { engine } = engineWith({ notify: n.module });
    const { stateMachineArn } = await engine.createStateMachine({ name: 'approval', definition: tokenMachine });
    const { executionArn } = await engine.startExecution({ stateMachineArn, input: { who: 'legal' } });
    await settle(engine);
    expect(n.tokens).toHaveLength(1);
    await engine.sendTaskSuccess(n.tokens[0] ?? '', { approved: true });
    const done = await engine.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toEqual({ approved: true });
    const types = (await engine.getExecutionHistory(executionArn)).map((e) => e.type);
    expect(types).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSubmitted', 'TaskSucceeded', 'TaskStateExited', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
    await expect(engine.sendTaskSuccess(n.tokens[0] ?? '', {})).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('fires a three-day task timeout at once on a virtual clock, heartbeats permitting', async () => {
    const n = notifier();
    const { engine, clock } = engineWith({ notify: n.module });
    const { stateMachineArn } = await engine.createStateMachine({ name: 'approval', definition: tokenMachine });
    const { executionArn } = await engine.startExecution({ stateMachineArn, input: { who: 'ops' } });
    await settle(engine);
    // Heartbeat every 48 minutes for three days: the heartbeat timeout never fires, the task timeout does.
    for (let minutes = 0; minutes < 72 * 60; minutes += 48) {
      clock.advance(48 * 60_000);
      await settle(engine);
      if ((await engine.describeExecution(executionArn)).status !== 'RUNNING') break;
      await engine.sendTaskHeartbeat(n.tokens[0] ?? '');
    }
    const done = await engine.waitForExecution(executionArn);
    expect(done).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(done.stopDate! - done.startDate).toBe(259_200_000);
  });

  it('fails a task whose heartbeat stops with States.HeartbeatTimeout', async () => {
    const n = notifier();
    const { engine, clock } = engineWith({ notify: n.module });
    const { stateMachineArn } = await engine.createStateMachine({ name: 'approval', definition: tokenMachine });
    const { executionArn } = await engine.startExecution({ stateMachineArn, input: { who: 'ops' } });
    await settle(engine);
    clock.advance(3_600_000);
    await settle(engine);
    expect(await engine.waitForExecution(executionArn)).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
  });

  it('times out a whole execution after its TimeoutSeconds', async () => {
    const { engine, clock } = engineWith();
    const def = pass({ W: { Type: 'Wait', Seconds: 600, End: true } }, { TimeoutSeconds: 60 });
    const { stateMachineArn } = await engine.createStateMachine({ name: 'slow', definition: def });
    const { executionArn } = await engine.startExecution({ stateMachineArn });
    clock.advance(60_000);
    await settle(engine);
    expect(await engine.waitForExecution(executionArn)).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
  });

  it('continues executions from the store after a restart: waits re-armed, tokens still valid', async () => {
    const store = new InMemoryStore();
    const clock = new VirtualClock();
    const n = notifier();
    const def = pass({ W: { Type: 'Wait', Seconds: 30, Next: 'Approve' }, ...((tokenMachine as { States: Record<string, Json> }).States) });
    const first = engineWith({ notify: n.module }, store, clock).engine;
    const { stateMachineArn } = await first.createStateMachine({ name: 'approval', definition: def });
    const tokenised = await first.startExecution({ stateMachineArn, input: { who: 'b' }, name: 'tokenised' });
    clock.advance(30_000);
    await settle(first);
    expect(n.tokens).toHaveLength(1);
    const waiting = await first.startExecution({ stateMachineArn, input: { who: 'a' }, name: 'waiting' });
    await settle(first);
    // "Crash": a fresh engine on the same store; the old one and its timers are abandoned.
    const clock2 = new VirtualClock(clock.now());
    const second = engineWith({ notify: n.module }, store, clock2).engine;
    expect(await second.recover()).toBe(2);
    await second.sendTaskSuccess(n.tokens[0] ?? '', { ok: 'b' });
    expect(await second.waitForExecution(tokenised.executionArn)).toMatchObject({ status: 'SUCCEEDED', output: { ok: 'b' } });
    clock2.advance(30_000);
    await settle(second);
    expect(n.tokens).toHaveLength(2);
    await second.sendTaskSuccess(n.tokens[1] ?? '', { ok: 'a' });
    expect(await second.waitForExecution(waiting.executionArn)).toMatchObject({ status: 'SUCCEEDED', output: { ok: 'a' } });
  });

  it('starts another local execution through states:startExecution.sync:2', async () => {
    const { engine } = engineWith();
    const child = await engine.createStateMachine({ name: 'child', definition: pass({ A: { Type: 'Pass', Parameters: { 'doubled.$': 'States.MathAdd($.n, $.n)' }, End: true } }) });
    const parent = await engine.createStateMachine({
      name: 'parent',
      definition: pass({
        Start: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2', Parameters: { StateMachineArn: child.stateMachineArn, 'Input.$': '$' }, OutputPath: '$.Output', End: true },
      }),
    });
    const { executionArn } = await engine.startExecution({ stateMachineArn: parent.stateMachineArn, input: { n: 21 } });
    expect(await engine.waitForExecution(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: { doubled: 42 } });
  });

  it('answers StartExecution with the same name idempotently while the input is the same', async () => {
    const { engine } = engineWith();
    const { stateMachineArn } = await engine.createStateMachine({ name: 'w', definition: pass({ W: { Type: 'Wait', Seconds: 5, End: true } }) });
    const a = await engine.startExecution({ stateMachineArn, name: 'once', input: { x: 1 } });
    const b = await engine.startExecution({ stateMachineArn, name: 'once', input: { x: 1 } });
    expect(b.executionArn).toBe(a.executionArn);
    await expect(engine.startExecution({ stateMachineArn, name: 'once', input: { x: 2 } })).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });
});
