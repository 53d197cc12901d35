/**
 * AWS Step Functions Developer Guide, the JSONPath input and output pages and
 * the workflow state pages:
 * - "InputPath, Parameters and ResultSelector" (input-output-inputpath-params.html),
 *   "Specifying state output using ResultPath" (input-output-resultpath.html),
 *   "Example: Manipulating state data with paths" (OutputPath);
 * - "Wait workflow state" (state-wait.html), "Map workflow state" (state-map.html,
 *   state-map-inline.html, failure thresholds in state-map-distributed.html),
 *   "Parallel workflow state", "Succeed" and "Fail";
 * - "Task workflow state" resources: Lambda function ARNs, lambda:invoke,
 *   .waitForTaskToken, states:startExecution.
 */
import { describe, expect, it } from 'vitest';
import { DefinitionError } from '../../workflows/engine/errors.ts';
import type { Json } from '../../workflows/engine/json.ts';
import { loadProgram } from '../../workflows/engine/program.ts';
import { FN, START, jsonata, machine, outcomeOf, runDoc } from './docs-support.ts';

const ok = (output: Json): { status: 'SUCCEEDED'; output: Json } => ({ status: 'SUCCEEDED', output });
const hello = { HelloFunction: { handler: (): Json => 'Hello, Step Functions!' } };

describe('InputPath, Parameters and ResultSelector', () => {
  it('InputPath "$.dataset2" passes {"val1": "a", "val2": "b", "val3": "c"}', async () => {
    const input = { comment: 'Example for InputPath.', dataset1: { val1: 1, val2: 2, val3: 3 }, dataset2: { val1: 'a', val2: 'b', val3: 'c' } };
    expect(await outcomeOf(machine({ S: { Type: 'Pass', InputPath: '$.dataset2', End: true } }), input)).toEqual(ok({ val1: 'a', val2: 'b', val3: 'c' }));
  });

  it('Parameters select from the input with keys ending in .$ and keep static values', async () => {
    const input = { comment: 'Example for Parameters.', product: { details: { color: 'blue', size: 'small', material: 'cotton' }, availability: 'in stock', sku: '2317', cost: '$23' } };
    const def = machine({
      S: { Type: 'Pass', Parameters: { comment: 'Selecting what I care about.', MyDetails: { 'size.$': '$.product.details.size', 'exists.$': '$.product.availability', StaticValue: 'foo' } }, End: true },
    });
    expect(await outcomeOf(def, input)).toEqual(ok({ comment: 'Selecting what I care about.', MyDetails: { size: 'small', exists: 'in stock', StaticValue: 'foo' } }));
  });

  it('ResultSelector picks ClusterId and ResourceType from the result before ResultPath puts them under EMROutput', async () => {
    const result = { resourceType: 'elasticmapreduce', resource: 'createCluster.sync', output: { SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: 'r' }, ClusterId: 'AKIAIOSFODNN7EXAMPLE' } };
    const def = machine({
      Cluster: { Type: 'Task', Resource: `${FN}createCluster`, ResultSelector: { 'ClusterId.$': '$.output.ClusterId', 'ResourceType.$': '$.resourceType' }, ResultPath: '$.EMROutput', End: true },
    });
    expect(await outcomeOf(def, { Name: 'MyWorkflowCluster' }, { createCluster: { handler: () => result } })).toEqual(
      ok({ Name: 'MyWorkflowCluster', EMROutput: { ClusterId: 'AKIAIOSFODNN7EXAMPLE', ResourceType: 'elasticmapreduce' } }),
    );
  });

  it('"Flattening an array of arrays": ResultSelector "$[*][*]" on a Parallel result', async () => {
    const def = machine({
      P: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'A', States: { A: { Type: 'Pass', Result: [{ a: 1 }, { b: 2 }], End: true } } },
          { StartAt: 'B', States: { B: { Type: 'Pass', Result: [{ c: 3 }], End: true } } },
        ],
        ResultSelector: { 'flattened.$': '$[*][*]' },
        End: true,
      },
    });
    expect(await outcomeOf(def)).toEqual(ok({ flattened: [{ a: 1 }, { b: 2 }, { c: 3 }] }));
  });
});

describe('Specifying state output using ResultPath', () => {
  const input = { comment: 'This is a test', details: 'Default example', who: 'Step Functions' };
  const hi = (resultPath?: string | null): Json =>
    machine({ HelloFunction: { Type: 'Task', Resource: `${FN}HelloFunction`, ...(resultPath !== undefined ? { ResultPath: resultPath } : {}), End: true } });

  it('without ResultPath (the same as "$") the result replaces the input', async () => {
    expect(await outcomeOf(hi(), input, hello)).toEqual(ok('Hello, Step Functions!'));
    expect(await outcomeOf(hi('$'), input, hello)).toEqual(ok('Hello, Step Functions!'));
  });

  it('ResultPath null discards the result and keeps the original input', async () => {
    expect(await outcomeOf(hi(null), input, hello)).toEqual(ok(input));
  });

  it('ResultPath "$.taskresult" includes the result with the input', async () => {
    expect(await outcomeOf(hi('$.taskresult'), input, hello)).toEqual(ok({ ...input, taskresult: 'Hello, Step Functions!' }));
  });

  it('ResultPath "$.strings.lambdaresult" inserts the result as a child of strings', async () => {
    const nested = { comment: 'An input comment.', strings: { string1: 'foo', string2: 'bar', string3: 'baz' }, who: 'AWS Step Functions' };
    expect(await outcomeOf(hi('$.strings.lambdaresult'), nested, hello)).toEqual(ok({ ...nested, strings: { ...nested.strings, lambdaresult: 'Hello, Step Functions!' } }));
  });

  it('ResultPath "$.comment" replaces an existing node', async () => {
    expect(await outcomeOf(hi('$.comment'), input, hello)).toEqual(ok({ ...input, comment: 'Hello, Step Functions!' }));
  });

  it('a Catch with ResultPath "$.error" keeps {"foo": "bar"} and adds the error', async () => {
    const def = machine({
      T: { Type: 'Task', Resource: `${FN}fail`, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'NextTask', ResultPath: '$.error' }], End: true },
      NextTask: { Type: 'Pass', End: true },
    });
    const fail = { invoke: () => ({ payload: '{"errorType":"Error here"}', functionError: 'Unhandled' }) };
    expect(await outcomeOf(def, { foo: 'bar' }, { fail })).toEqual(ok({ foo: 'bar', error: { Error: 'Error here', Cause: '{"errorType":"Error here"}' } }));
  });
});

describe('OutputPath', () => {
  it('OutputPath "$.data" passes only that part of the state output on', async () => {
    const def = machine({ S: { Type: 'Pass', Result: { lambdaresult: 3 }, ResultPath: '$.data.result', OutputPath: '$.data', End: true } });
    expect(await outcomeOf(def, { comment: 'x', data: { val1: 23, val2: 17 } })).toEqual(ok({ val1: 23, val2: 17, result: { lambdaresult: 3 } }));
  });
});

describe('Wait workflow state', () => {
  it('"Seconds": 10 introduces a 10-second delay', async () => {
    const run = await runDoc(machine({ wait_ten_seconds: { Type: 'Wait', Seconds: 10, Next: 'NextState' }, NextState: { Type: 'Pass', End: true } }), { a: 1 });
    expect(run.outcome).toEqual(ok({ a: 1 }));
    expect(run.elapsedMs).toBe(10_000);
  });

  it('"Timestamp" waits until an absolute time; a time already past does not wait', async () => {
    const until = new Date(START + 3_600_000).toISOString().replace('.000Z', 'Z');
    const run = await runDoc(machine({ wait_until: { Type: 'Wait', Timestamp: until, End: true } }));
    expect(run.elapsedMs).toBe(3_600_000);
    const past = await runDoc(machine({ wait_until: { Type: 'Wait', Timestamp: '2016-03-14T01:59:00Z', End: true } }));
    expect(past.outcome).toEqual(ok({}));
    expect(past.elapsedMs).toBe(0);
  });

  it('"TimestampPath": "$.expirydate" selects the time from the input', async () => {
    const run = await runDoc(machine({ wait_until: { Type: 'Wait', TimestampPath: '$.expirydate', End: true } }), { expirydate: '2026-01-02T00:00:00Z' });
    expect(run.outcome).toEqual(ok({ expirydate: '2026-01-02T00:00:00Z' }));
    expect(run.elapsedMs).toBe(86_400_000);
  });

  it('"SecondsPath" selects the seconds from the input', async () => {
    const run = await runDoc(machine({ W: { Type: 'Wait', SecondsPath: '$.wait', End: true } }), { wait: 42 });
    expect(run.elapsedMs).toBe(42_000);
  });

  it('JSONata: "Seconds" and "Timestamp" take expressions', async () => {
    const seconds = await runDoc(jsonata({ W: { Type: 'Wait', Seconds: '{% $states.input.delay * 2 %}', End: true } }), { delay: 5 });
    expect(seconds.elapsedMs).toBe(10_000);
    const ts = await runDoc(jsonata({ W: { Type: 'Wait', Timestamp: '{% $states.input.at %}', Output: { waited: true }, End: true } }), { at: '2026-01-01T00:05:00Z' });
    expect(ts.outcome).toEqual(ok({ waited: true }));
    expect(ts.elapsedMs).toBe(300_000);
  });
});

describe('Map workflow state (inline)', () => {
  it('the inline Map example: ItemsPath, ItemSelector with $$.Map.Item.Value, MaxConcurrency 0', async () => {
    const def = machine({
      'Validate-All': {
        Type: 'Map',
        ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Validate', States: { Validate: { Type: 'Pass', End: true } } },
        End: true,
        ItemsPath: '$.detail.shipped',
        ItemSelector: { 'parcel.$': '$$.Map.Item.Value', 'courier.$': '$.detail.delivery-partner' },
        MaxConcurrency: 0,
      },
    });
    const input = {
      'ship-date': '2016-03-14T01:59:00Z',
      detail: {
        'delivery-partner': 'UQS',
        shipped: [
          { prod: 'R31', 'dest-code': 9511, quantity: 1344 },
          { prod: 'S39', 'dest-code': 9511, quantity: 40 },
        ],
      },
    };
    expect(await outcomeOf(def, input)).toEqual(
      ok([
        { parcel: { prod: 'R31', 'dest-code': 9511, quantity: 1344 }, courier: 'UQS' },
        { parcel: { prod: 'S39', 'dest-code': 9511, quantity: 40 }, courier: 'UQS' },
      ]),
    );
  });

  it('MaxConcurrency 1 runs one iteration at a time: three 10-second waits take 30 seconds, unbounded 10', async () => {
    const def = (max: number): Json =>
      machine({ M: { Type: 'Map', MaxConcurrency: max, ItemProcessor: { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 10, End: true } } }, End: true } });
    const serial = await runDoc(def(1), [1, 2, 3]);
    expect(serial.outcome).toEqual(ok([1, 2, 3]));
    expect(serial.elapsedMs).toBe(30_000);
    expect((await runDoc(def(0), [1, 2, 3])).elapsedMs).toBe(10_000);
  });

  const failing = (extra: Record<string, Json>): Json =>
    machine({
      M: {
        Type: 'Map',
        ...extra,
        ItemProcessor: {
          StartAt: 'C',
          States: {
            C: { Type: 'Choice', Choices: [{ Variable: '$', NumericGreaterThan: 6, Next: 'Bad' }], Default: 'Good' },
            Bad: { Type: 'Fail', Error: 'TooBig', Cause: 'item > 6' },
            Good: { Type: 'Pass', End: true },
          },
        },
        End: true,
      },
    });
  const items = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const exceeded = { status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold', cause: 'The specified tolerated failure threshold for the Map Run was exceeded.' };

  it('ToleratedFailurePercentage: the run fails when failed items / all items exceed it; 100 never fails', async () => {
    expect(await outcomeOf(failing({ ToleratedFailurePercentage: 40 }), items)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await outcomeOf(failing({ ToleratedFailurePercentage: 29 }), items)).toEqual(exceeded);
    expect(await outcomeOf(failing({ ToleratedFailurePercentage: 100 }), [7, 8])).toEqual(ok([{ Error: 'TooBig', Cause: 'item > 6' }, { Error: 'TooBig', Cause: 'item > 6' }]));
  });

  it('ToleratedFailureCountPath / ToleratedFailurePercentagePath read the threshold from the input', async () => {
    const countPath = machine({ Wrap: { Type: 'Pass', Parameters: { 'count.$': '$.count', 'items.$': '$.items' }, Next: 'M' }, ...((failing({ ToleratedFailureCountPath: '$.count', ItemsPath: '$.items' }) as { States: Record<string, Json> }).States) });
    expect(await outcomeOf(countPath, { count: 10, items })).toMatchObject({ status: 'SUCCEEDED' });
    expect(await outcomeOf(countPath, { count: 3, items })).toEqual(exceeded);
    const pct = failing({ ToleratedFailurePercentagePath: '$.percentage', ItemsPath: '$.items' });
    expect(await outcomeOf(pct, { percentage: 15, items })).toEqual(exceeded);
  });

  it('"If you specify both values, the workflow fails when it exceeds either value"', async () => {
    expect(await outcomeOf(failing({ ToleratedFailureCount: 10, ToleratedFailurePercentage: 20 }), items)).toEqual(exceeded);
    expect(await outcomeOf(failing({ ToleratedFailureCount: 2, ToleratedFailurePercentage: 100 }), items)).toEqual(exceeded);
    expect(await outcomeOf(failing({ ToleratedFailureCount: 4, ToleratedFailurePercentage: 40 }), items)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('JSONata Map: Items, ItemSelector with $states.context.Map.Item, Output over $states.result', async () => {
    const def = jsonata({
      M: {
        Type: 'Map',
        Items: '{% $states.input.orders %}',
        ItemSelector: { n: '{% $states.context.Map.Item.Index + 1 %}', id: '{% $states.context.Map.Item.Value.id %}' },
        ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', Output: "{% $string($states.input.n) & ':' & $states.input.id %}", End: true } } },
        Output: { lines: '{% $states.result %}' },
        End: true,
      },
    });
    expect(await outcomeOf(def, { orders: [{ id: 'a' }, { id: 'b' }] })).toEqual(ok({ lines: ['1:a', '2:b'] }));
  });
});

describe('Parallel, Succeed and Fail workflow states', () => {
  it('a Parallel state\'s output is an array of its branches\' outputs, in branch order', async () => {
    const def = machine({
      LookupCustomerInfo: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'LookupAddress', States: { LookupAddress: { Type: 'Wait', Seconds: 5, Next: 'Address' }, Address: { Type: 'Pass', Result: 'address', End: true } } },
          { StartAt: 'LookupPhone', States: { LookupPhone: { Type: 'Pass', Result: 'phone', End: true } } },
        ],
        End: true,
      },
    });
    const run = await runDoc(def);
    expect(run.outcome).toEqual(ok(['address', 'phone']));
    expect(run.elapsedMs).toBe(5_000);
  });

  it('Succeed ends the execution with its (filtered) input; Fail with its Error and Cause', async () => {
    expect(await outcomeOf(machine({ Done: { Type: 'Succeed', InputPath: '$.keep' } }), { keep: { a: 1 }, drop: 2 })).toEqual(ok({ a: 1 }));
    expect(await outcomeOf(machine({ FailState: { Type: 'Fail', Error: 'ErrorA', Cause: 'Kaiju attack' } }))).toEqual({ status: 'FAILED', error: 'ErrorA', cause: 'Kaiju attack' });
  });

  it('Fail with ErrorPath and CausePath (JSONPath) and with JSONata Error and Cause', async () => {
    const paths = machine({ F: { Type: 'Fail', ErrorPath: '$.e', CausePath: "States.Format('code {}', $.code)" } });
    expect(await outcomeOf(paths, { e: 'Bad', code: 7 })).toEqual({ status: 'FAILED', error: 'Bad', cause: 'code 7' });
    const ata = jsonata({ F: { Type: 'Fail', Error: '{% $states.input.e %}', Cause: "{% 'code ' & $states.input.code %}" } });
    expect(await outcomeOf(ata, { e: 'Bad', code: 7 })).toEqual({ status: 'FAILED', error: 'Bad', cause: 'code 7' });
  });
});

describe('Task resources', () => {
  it('a bare Lambda function ARN receives the input and its result is the state result', async () => {
    expect(await outcomeOf(machine({ T: { Type: 'Task', Resource: `${FN}double`, End: true } }), { n: 4 }, { double: { handler: (e) => ({ n: (e as { n: number }).n * 2 }) } })).toEqual(ok({ n: 8 }));
  });

  it('lambda:invoke returns the Invoke API response with the function\'s result in Payload', async () => {
    const def = jsonata({ T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'double', Payload: { n: 5 } }, Output: '{% $states.result.Payload %}', End: true } });
    expect(await outcomeOf(def, {}, { double: { handler: (e) => ({ n: (e as { n: number }).n * 2 }) } })).toEqual(ok({ n: 10 }));
  });

  it('lambda:invoke.waitForTaskToken waits for the token; the answer sent with it is the result', async () => {
    const { Engine } = await import('../../workflows/engine/engine.ts');
    const { VirtualClock } = await import('../../workflows/engine/clock.ts');
    const { ModuleLambdaInvoker } = await import('../../workflows/engine/lambda.ts');
    const tokens: string[] = [];
    const engine = new Engine({ clock: new VirtualClock(), lambda: new ModuleLambdaInvoker({ notify: { handler: (e) => void tokens.push((e as { token: string }).token) } }) });
    const { stateMachineArn } = await engine.createStateMachine({
      name: 'callback',
      definition: machine({ T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Parameters: { FunctionName: 'notify', Payload: { 'token.$': '$$.Task.Token' } }, End: true } }),
    });
    const { executionArn } = await engine.startExecution({ stateMachineArn });
    for (let i = 0; i < 20 && tokens.length === 0; i++) await new Promise((r) => setImmediate(r));
    await engine.sendTaskFailure(tokens[0] ?? '', 'Rejected', 'no');
    expect(await engine.waitForExecution(executionArn)).toMatchObject({ status: 'FAILED', error: 'Rejected', cause: 'no' });
  });

  it('states:startExecution starts another state machine and returns its ARN and start date', async () => {
    const { Engine } = await import('../../workflows/engine/engine.ts');
    const { VirtualClock } = await import('../../workflows/engine/clock.ts');
    const { ModuleLambdaInvoker } = await import('../../workflows/engine/lambda.ts');
    const engine = new Engine({ clock: new VirtualClock(START), lambda: new ModuleLambdaInvoker({}) });
    const child = await engine.createStateMachine({ name: 'child', definition: machine({ W: { Type: 'Wait', Seconds: 1, End: true } }) });
    const parent = await engine.createStateMachine({
      name: 'parent',
      definition: machine({ S: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution', Parameters: { StateMachineArn: child.stateMachineArn, Name: 'kid', Input: { a: 1 } }, End: true } }),
    });
    const { executionArn } = await engine.startExecution({ stateMachineArn: parent.stateMachineArn });
    expect(await engine.waitForExecution(executionArn)).toMatchObject({
      status: 'SUCCEEDED',
      output: { ExecutionArn: 'arn:aws:states:us-east-1:000000000000:execution:child:kid', StartDate: new Date(START).toISOString() },
    });
  });

  it('refuses any other resource, naming the state', () => {
    for (const resource of ['arn:aws:states:::sqs:sendMessage', 'arn:aws:states:::aws-sdk:s3:getObject', 'arn:aws:states:us-east-1:123456789012:activity:Approve']) {
      const def = machine({ Send: { Type: 'Task', Resource: resource, End: true } });
      expect(() => loadProgram(def)).toThrow(DefinitionError);
      try {
        loadProgram(def);
      } catch (err) {
        expect((err as DefinitionError).problems.join('\n')).toContain(`State 'Send' uses the resource '${resource}'`);
      }
    }
  });
});
