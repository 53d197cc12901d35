/**
 * AWS Step Functions Developer Guide:
 * - "Transforming data with JSONata in Step Functions" (transforming-data.html):
 *   QueryLanguage, {% %} strings, $states, expression errors, the examples and
 *   the functions Step Functions adds ($partition, $range, $hash, $random,
 *   $uuid, $parse);
 * - "Passing data between states with variables" (workflow-variables.html):
 *   Assign, when new values take effect, and scopes;
 * - "Accessing execution data from the Context object" (input-output-contextobject.html).
 */
import { describe, expect, it } from 'vitest';
import type { Json } from '../../workflows/engine/json.ts';
import { FN, START, jsonata, machine, outcomeOf, runDoc, seeded } from './docs-support.ts';

const ok = (output: Json): { status: 'SUCCEEDED'; output: Json } => ({ status: 'SUCCEEDED', output });

describe('Transforming data with JSONata: converting JSONPath to JSONata', () => {
  it('the page\'s Parameters and Arguments samples give the same result for { "title": "Doctor" } and customerName "María"', async () => {
    const jsonPath = machine({
      Init: { Type: 'Pass', Assign: { customerName: 'María' }, Next: 'Task' },
      Task: { Type: 'Pass', Parameters: { static: 'Hello', 'title.$': '$.title', 'name.$': '$customerName', 'not-evaluated': '$customerName' }, End: true },
    });
    const jsonAta = jsonata({
      Init: { Type: 'Pass', Assign: { customerName: 'María' }, Next: 'Task' },
      Task: { Type: 'Pass', Output: { static: 'Hello', title: '{% $states.input.title %}', name: '{% $customerName %}', 'not-evaluated': '$customerName' }, End: true },
    });
    const expected = ok({ static: 'Hello', title: 'Doctor', name: 'María', 'not-evaluated': '$customerName' });
    expect(await outcomeOf(jsonPath, { title: 'Doctor' })).toEqual(expected);
    expect(await outcomeOf(jsonAta, { title: 'Doctor' })).toEqual(expected);
  });

  it('QueryLanguage: a state-level value overrides the top level, which defaults to JSONPath', async () => {
    const def = machine({
      Path: { Type: 'Pass', Parameters: { 'v.$': '$.v' }, Next: 'Ata' },
      Ata: { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% $states.input.v + 1 %}', End: true },
    });
    expect(await outcomeOf(def, { v: 1 })).toEqual(ok(2));
  });

  it('"the string must start with {% with no leading spaces, and must end with %}": anything else is a literal', async () => {
    const def = jsonata({ S: { Type: 'Pass', Output: { a: ' {% 1 + 1 %}', b: '{% 1 + 1 %} ', c: '{% 1 + 1 %}' }, End: true } });
    expect(await outcomeOf(def)).toEqual(ok({ a: ' {% 1 + 1 %}', b: '{% 1 + 1 %} ', c: 2 }));
  });

  it('"Output can also accept any type of JSON value too, for example: "Output":true, "Output":42"', async () => {
    expect(await outcomeOf(jsonata({ S: { Type: 'Pass', Output: true, End: true } }))).toEqual(ok(true));
    expect(await outcomeOf(jsonata({ S: { Type: 'Pass', Output: 42, End: true } }))).toEqual(ok(42));
  });

  it('"Items": [1, "{% $two %}", 3] in a Map state', async () => {
    const def = jsonata({
      Init: { Type: 'Pass', Assign: { two: 2 }, Next: 'M' },
      M: { Type: 'Map', Items: [1, '{% $two %}', 3], ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', Output: '{% $states.input * 10 %}', End: true } } }, End: true },
    });
    expect(await outcomeOf(def)).toEqual(ok([10, 20, 30]));
  });

  it('"TimeoutSeconds" : "{% $timeout %}" in a Task', async () => {
    const def = jsonata({
      Init: { Type: 'Pass', Assign: { timeout: 7 }, Next: 'T' },
      T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Arguments: { FunctionName: 'notify', Payload: {} }, TimeoutSeconds: '{% $timeout %}', End: true },
    });
    const run = await runDoc(def, {}, { lambdas: () => ({ notify: { handler: () => null } }) });
    expect(run.outcome).toEqual({ status: 'FAILED', error: 'States.Timeout' });
    expect(run.elapsedMs).toBe(7_000);
  });
});

describe('Transforming data with JSONata: examples', () => {
  it('Example: Input and Output', async () => {
    const def = {
      Comment: 'Input and Output example using JSONata',
      QueryLanguage: 'JSONata',
      StartAt: 'Basic Input and Output',
      States: {
        'Basic Input and Output': {
          QueryLanguage: 'JSONata',
          Type: 'Succeed',
          Output: { lastName: "{% 'Last=>' & $states.input.customer.lastName %}", orderValue: '{% $states.input.order.total %}' },
        },
      },
    };
    const input = { customer: { firstName: 'Martha', lastName: 'Rivera' }, order: { items: 7, total: 27.91 } };
    expect(await outcomeOf(def, input)).toEqual(ok({ lastName: 'Last=>Rivera', orderValue: 27.91 }));
  });

  it('Example: Filtering with JSONata', async () => {
    const def = jsonata({ FilterDietProducts: { Type: 'Pass', Output: { dietProducts: '{% $states.input.products[calories=0] %}' }, End: true } });
    const input = {
      products: [
        { calories: 140, flavour: 'Cola', name: 'Product-1' },
        { calories: 0, flavour: 'Cola', name: 'Product-2' },
        { calories: 160, flavour: 'Orange', name: 'Product-3' },
        { calories: 100, flavour: 'Orange', name: 'Product-4' },
        { calories: 0, flavour: 'Lime', name: 'Product-5' },
      ],
    };
    expect(await outcomeOf(def, input)).toEqual(
      ok({
        dietProducts: [
          { calories: 0, flavour: 'Cola', name: 'Product-2' },
          { calories: 0, flavour: 'Lime', name: 'Product-5' },
        ],
      }),
    );
  });
});

describe('Reserved variable: $states', () => {
  it('$states.input "always refers to the original state input", $states.result to the task\'s raw result', async () => {
    const def = jsonata({
      T: {
        Type: 'Task',
        Resource: `${FN}add`,
        Arguments: { a: '{% $states.input.a %}', b: 2 },
        Output: { input: '{% $states.input %}', result: '{% $states.result %}' },
        End: true,
      },
    });
    expect(await outcomeOf(def, { a: 40 }, { add: { handler: (e) => ({ sum: (e as { a: number; b: number }).a + (e as { b: number }).b }) } })).toEqual(ok({ input: { a: 40 }, result: { sum: 42 } }));
  });

  it('$states.errorOutput "can be used in the Catch field\'s Assign or Output"', async () => {
    const def = jsonata({
      T: {
        Type: 'Task',
        Resource: `${FN}fail`,
        Catch: [{ ErrorEquals: ['States.ALL'], Assign: { lastError: '{% $states.errorOutput.Error %}' }, Output: { caught: '{% $states.errorOutput %}', input: '{% $states.input %}' }, Next: 'After' }],
        End: true,
      },
      After: { Type: 'Pass', Output: { lastError: '{% $lastError %}', before: '{% $states.input %}' }, End: true },
    });
    const fail = { invoke: () => ({ payload: '{"errorType":"Oops","errorMessage":"no"}', functionError: 'Unhandled' }) };
    expect(await outcomeOf(def, { n: 1 }, { fail })).toEqual(
      ok({ lastError: 'Oops', before: { caught: { Error: 'Oops', Cause: '{"errorType":"Oops","errorMessage":"no"}' }, input: { n: 1 } } }),
    );
  });

  it('$states.result of a Map and a Parallel is the array of branch or iteration outputs', async () => {
    const def = jsonata({
      P: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'A', States: { A: { Type: 'Pass', Output: 'a', End: true } } },
          { StartAt: 'B', States: { B: { Type: 'Pass', Output: 'b', End: true } } },
        ],
        Output: { joined: "{% $join($states.result, '+') %}" },
        End: true,
      },
    });
    expect(await outcomeOf(def)).toEqual(ok({ joined: 'a+b' }));
  });
});

describe('Handling expression errors: States.QueryEvaluationError', () => {
  const cause = (expr: string, field: string, detail: string): string => `An error occurred while executing the state 'S' (entered at the event id #2). The JSONata expression '${expr}' specified for the field '${field}' ${detail}`;

  it('Type error: {% $x + $y %} fails when $x or $y is not a number', async () => {
    const def = jsonata({ S: { Type: 'Pass', Assign: { x: 'one', y: 2 }, Next: 'T' }, T: { Type: 'Pass', Output: '{% $x + $y %}', End: true } });
    expect(await outcomeOf(def)).toMatchObject({ status: 'FAILED', error: 'States.QueryEvaluationError' });
  });

  it('Type incompatibility: TimeoutSeconds {% $timeout %} fails when $timeout is a string', async () => {
    const def = jsonata({ S: { Type: 'Task', Resource: `${FN}f`, TimeoutSeconds: "{% 'ten' %}", End: true } });
    expect(await outcomeOf(def, {}, { f: { handler: () => 1 } })).toEqual({
      status: 'FAILED',
      error: 'States.QueryEvaluationError',
      cause: cause("'ten'", 'TimeoutSeconds', "returned an unexpected result type. Expected 'number', but was 'string' for value: \"ten\""),
    });
  });

  it('Failure to return a result: {% $states.input.thisFieldDoesNotExist %}', async () => {
    const def = jsonata({ S: { Type: 'Pass', Output: { v: '{% $states.input.thisFieldDoesNotExist %}' }, End: true } });
    expect(await outcomeOf(def, { a: 1 })).toEqual({ status: 'FAILED', error: 'States.QueryEvaluationError', cause: cause('$states.input.thisFieldDoesNotExist', 'Output/v', 'returned nothing (undefined).') });
  });

  it('"Your Task, Map, and Parallel states can provide a Catch field to catch the error, and a Retry field to retry on the error"', async () => {
    const def = jsonata({
      S: { Type: 'Task', Resource: `${FN}f`, Output: '{% $states.result.missing %}', Catch: [{ ErrorEquals: ['States.QueryEvaluationError'], Output: '{% $states.errorOutput.Error %}', Next: 'C' }], End: true },
      C: { Type: 'Succeed' },
    });
    expect(await outcomeOf(def, {}, { f: { handler: () => ({}) } })).toEqual(ok('States.QueryEvaluationError'));
  });
});

describe('JSONata functions provided by Step Functions', () => {
  it('$partition([1,2,3,4], chunkSize) and $range(0, 10, 2), as in the page\'s Assign examples', async () => {
    const def = jsonata({
      S: { Type: 'Pass', Assign: { arrayPartition: '{% $partition([1,2,3,4], $states.input.chunkSize) %}', arrayRange: '{% $range(0, 10, 2) %}' }, Next: 'T' },
      T: { Type: 'Pass', Output: { arrayPartition: '{% $arrayPartition %}', arrayRange: '{% $arrayRange %}' }, End: true },
    });
    expect(await outcomeOf(def, { chunkSize: 3 })).toEqual(ok({ arrayPartition: [[1, 2, 3], [4]], arrayRange: [0, 2, 4, 6, 8, 10] }));
  });

  it('"Built-in JSONata functions that require integer values as parameters will automatically round down any non-integer numbers provided"', async () => {
    const def = jsonata({ S: { Type: 'Pass', Output: { p: '{% $partition([1,2,3,4,5], 2.9) %}', r: '{% $range(0.5, 6.9, 2.7) %}' }, End: true } });
    expect(await outcomeOf(def)).toEqual(ok({ p: [[1, 2], [3, 4], [5]], r: [0, 2, 4, 6] }));
  });

  it('$range: "The delta value can be positive or negative"', async () => {
    expect(await outcomeOf(jsonata({ S: { Type: 'Pass', Output: '{% $range(10, 0, -5) %}', End: true } }))).toEqual(ok([10, 5, 0]));
  });

  it('$hash($states.input.content, $hashAlgorithmName), the JSONata equivalent of States.Hash', async () => {
    const def = jsonata({
      A: { Type: 'Pass', Assign: { hashAlgorithmName: 'SHA-1' }, Next: 'S' },
      S: { Type: 'Pass', Output: { myHash: '{% $hash($states.input.content, $hashAlgorithmName) %}' }, End: true },
    });
    expect(await outcomeOf(def, { content: 'input data' })).toEqual(ok({ myHash: 'aaff4a450a104cd177d28d18d74485e8cae074b7' }));
  });

  it('$random(): 0 ≤ n < 1; $random(seed): "If you use this function with the same seed value, it returns an identical number"', async () => {
    const def = jsonata({ S: { Type: 'Pass', Output: { randNoSeed: '{% $random() %}', randSeeded: '{% $random($states.input.seed) %}', again: '{% $random($states.input.seed) %}', floored: '{% $random($states.input.seed + 0.7) %}' }, End: true } });
    const a = (await runDoc(def, { seed: 12 }, { random: seeded(1) })).outcome as unknown as { output: Record<string, number> };
    const b = (await runDoc(def, { seed: 12 }, { random: seeded(2) })).outcome as unknown as { output: Record<string, number> };
    for (const v of Object.values(a.output)) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
    expect(a.output.again).toBe(a.output.randSeeded);
    expect(b.output.randSeeded).toBe(a.output.randSeeded);
    expect(a.output.floored).toBe(a.output.randSeeded);
    expect(b.output.randNoSeed).not.toBe(a.output.randNoSeed);
  });

  it('$uuid() returns a v4 UUID', async () => {
    const out = (await outcomeOf(jsonata({ S: { Type: 'Pass', Output: { uniqueId: '{% $uuid() %}' }, End: true } }))) as unknown as { output: { uniqueId: string } };
    expect(out.output.uniqueId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('$parse($states.input.json_string) deserializes a JSON string', async () => {
    const def = jsonata({ S: { Type: 'Pass', Output: { deserializedPayload: '{% $parse($states.input.json_string) %}' }, End: true } });
    expect(await outcomeOf(def, { json_string: '{"a":[1,true,null]}' })).toEqual(ok({ deserializedPayload: { a: [1, true, null] } }));
  });
});

describe('Passing data between states with variables', () => {
  it('"Assign": {"productName": "product1", "count": 42, "available": true}; referenced as $productName', async () => {
    const def = jsonata({
      S: { Type: 'Pass', Assign: { productName: 'product1', count: 42, available: true }, Next: 'T' },
      T: { Type: 'Pass', Output: { p: '{% $productName %}', c: '{% $count %}', a: '{% $available %}' }, End: true },
    });
    expect(await outcomeOf(def)).toEqual(ok({ p: 'product1', c: 42, a: true }));
  });

  it('a variable stored in step 1 is read in step 5 while the output in between moves on', async () => {
    const def = jsonata({
      Step1: { Type: 'Pass', Assign: { x: '{% $states.input.apiData %}' }, Output: {}, Next: 'Step2' },
      Step2: { Type: 'Pass', Output: 2, Next: 'Step3' },
      Step3: { Type: 'Pass', Output: 3, Next: 'Step4' },
      Step4: { Type: 'Pass', Output: 4, Next: 'Step5' },
      Step5: { Type: 'Pass', Output: { x: '{% $x %}', input: '{% $states.input %}' }, End: true },
    });
    expect(await outcomeOf(def, { apiData: { id: 'a1' } })).toEqual(ok({ x: { id: 'a1' }, input: 4 }));
  });

  it('Assign and Output are evaluated together: neither sees the values the same state assigns', async () => {
    const def = jsonata({
      S: { Type: 'Pass', Assign: { x: 1 }, Next: 'T' },
      T: { Type: 'Pass', Assign: { x: '{% $x + 1 %}', y: '{% $x + 10 %}' }, Output: { x: '{% $x %}' }, Next: 'U' },
      U: { Type: 'Pass', Output: { x: '{% $x %}', y: '{% $y %}', fromT: '{% $states.input %}' }, End: true },
    });
    expect(await outcomeOf(def)).toEqual(ok({ x: 2, y: 11, fromT: { x: 1 } }));
  });

  it('variables work in JSONPath states too: Assign with .$ keys, referenced as $name and $name.field', async () => {
    const def = machine({
      S: { Type: 'Pass', Assign: { 'user.$': '$.user', greeting: 'hi' }, Next: 'T' },
      T: { Type: 'Pass', Parameters: { 'name.$': '$user.name', 'greeting.$': '$greeting' }, End: true },
    });
    expect(await outcomeOf(def, { user: { name: 'Ana' } })).toEqual(ok({ name: 'Ana', greeting: 'hi' }));
  });

  it('scope: Parallel branches read the outer variables; what a branch assigns stays in the branch and comes out only through Output', async () => {
    const def = jsonata({
      Outer: { Type: 'Pass', Assign: { shared: 'outer' }, Next: 'P' },
      P: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'A', States: { A: { Type: 'Pass', Assign: { inner: 'a' }, Next: 'A2' }, A2: { Type: 'Pass', Output: "{% $shared & '/' & $inner %}", End: true } } },
          { StartAt: 'B', States: { B: { Type: 'Pass', Output: "{% $shared & '/b' %}", End: true } } },
        ],
        Next: 'After',
      },
      After: { Type: 'Pass', Output: { results: '{% $states.input %}', innerVisible: '{% $exists($inner) %}' }, End: true },
    });
    expect(await outcomeOf(def)).toEqual(ok({ results: ['outer/a', 'outer/b'], innerVisible: false }));
  });

  it('scope: an Assign on the Map or Parallel state itself is in the outer scope', async () => {
    const def = jsonata({
      M: { Type: 'Map', Items: [1, 2, 3], ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, Assign: { total: '{% $sum($states.result) %}' }, Next: 'After' },
      After: { Type: 'Pass', Output: '{% $total %}', End: true },
    });
    expect(await outcomeOf(def)).toEqual(ok(6));
  });
});

describe('Accessing execution data from the Context object', () => {
  it('"ExecutionID" : "{% $states.context.Execution.Id %}" and "ExecutionID.$": "$$.Execution.Id" give the execution ARN', async () => {
    const arn = 'arn:aws:states:us-east-1:000000000000:execution:docs:executionName';
    const a = jsonata({ S: { Type: 'Pass', Output: { ExecutionID: '{% $states.context.Execution.Id %}' }, End: true } });
    const p = machine({ S: { Type: 'Pass', Parameters: { 'ExecutionID.$': '$$.Execution.Id' }, End: true } });
    expect((await runDoc(a, {}, { name: 'executionName' })).outcome).toEqual(ok({ ExecutionID: arn }));
    expect((await runDoc(p, {}, { name: 'executionName' })).outcome).toEqual(ok({ ExecutionID: arn }));
  });

  it('fields: Execution Id, Input, Name, StartTime; State EnteredTime, Name, RetryCount; StateMachine Id, Name', async () => {
    const def = machine({
      First: { Type: 'Wait', Seconds: 2, Next: 'Test' },
      Test: { Type: 'Pass', Parameters: { 'ctx.$': '$$' }, End: true },
    });
    const out = (await runDoc(def, { key: 'value' }, { name: 'executionName' })).outcome as unknown as { output: { ctx: Record<string, Record<string, Json>> } };
    const ctx = out.output.ctx;
    expect(ctx.Execution).toMatchObject({
      Id: 'arn:aws:states:us-east-1:000000000000:execution:docs:executionName',
      Input: { key: 'value' },
      Name: 'executionName',
      // "When a timestamp has zero fractional seconds, Step Functions removes the trailing zeros rather than pad the output."
      StartTime: '2026-01-01T00:00:00Z',
    });
    expect(typeof ctx.Execution?.RoleArn).toBe('string');
    expect(ctx.State).toEqual({ EnteredTime: new Date(START + 2000).toISOString().replace('.000Z', 'Z'), Name: 'Test', RetryCount: 0 });
    expect(ctx.StateMachine).toEqual({ Id: 'arn:aws:states:us-east-1:000000000000:stateMachine:docs', Name: 'docs' });
    expect(ctx.Task).toBeUndefined();
  });

  it('State.RetryCount counts the retries of the current state', async () => {
    let calls = 0;
    const def = machine({ T: { Type: 'Task', Resource: `${FN}f`, Parameters: { 'retry.$': '$$.State.RetryCount' }, Retry: [{ ErrorEquals: ['Again'], IntervalSeconds: 1, MaxAttempts: 3 }], End: true } });
    const f = {
      handler: (e: Json): Json => {
        if (++calls < 4) throw Object.assign(new Error('again'), { name: 'Again' });
        return e;
      },
    };
    expect(await outcomeOf(def, {}, { f })).toEqual(ok({ retry: 3 }));
  });

  it('Task.Token is there for a .waitForTaskToken task', async () => {
    const tokens: string[] = [];
    const def = jsonata({
      T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Arguments: { FunctionName: 'notify', Payload: { token: '{% $states.context.Task.Token %}' } }, TimeoutSeconds: 1, End: true },
    });
    await runDoc(def, {}, { lambdas: () => ({ notify: { handler: (e) => void tokens.push((e as { token: string }).token) } }) });
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatch(/^\S{16,}$/);
  });

  it('Map context: ItemSelector with $$.Map.Item.Index, Value and Source gives the page\'s output for bob, meg and joe', async () => {
    const processor = { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'TestPass', States: { TestPass: { Type: 'Pass', End: true } } };
    const jsonPath = machine({
      ExampleMapState: { Type: 'Map', ItemSelector: { 'ContextIndex.$': '$$.Map.Item.Index', 'ContextValue.$': '$$.Map.Item.Value', 'ContextSource.$': '$$.Map.Item.Source' }, ItemProcessor: processor, End: true },
    });
    const jsonAta = jsonata({
      ExampleMapState: {
        Type: 'Map',
        ItemSelector: { ContextIndex: '{% $states.context.Map.Item.Index %}', ContextValue: '{% $states.context.Map.Item.Value %}', ContextSource: '{% $states.context.Map.Item.Source %}' },
        ItemProcessor: processor,
        End: true,
      },
    });
    const input = [{ who: 'bob' }, { who: 'meg' }, { who: 'joe' }];
    const expected = ok([
      { ContextIndex: 0, ContextValue: { who: 'bob' }, ContextSource: 'STATE_DATA' },
      { ContextIndex: 1, ContextValue: { who: 'meg' }, ContextSource: 'STATE_DATA' },
      { ContextIndex: 2, ContextValue: { who: 'joe' }, ContextSource: 'STATE_DATA' },
    ]);
    expect(await outcomeOf(jsonPath, input)).toEqual(expected);
    expect(await outcomeOf(jsonAta, input)).toEqual(expected);
  });

  it('JSONPath states read the context from InputPath, OutputPath, ItemsPath, a Choice Variable, ResultSelector and Parameters', async () => {
    const def = machine({
      In: { Type: 'Pass', InputPath: '$$.Execution.Input', Next: 'Choose' },
      Choose: { Type: 'Choice', Choices: [{ Variable: '$$.Execution.Input.go', BooleanEquals: true, Next: 'M' }], Default: 'M' },
      M: { Type: 'Map', ItemsPath: '$$.Execution.Input.items', ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, ResultSelector: { 'n.$': '$$.State.Name', 'items.$': '$' }, Next: 'Out' },
      Out: { Type: 'Pass', OutputPath: '$$.Execution.Input.items', End: true },
    });
    expect(await outcomeOf(def, { go: true, items: [1, 2] })).toEqual(ok([1, 2]));
    const selector = machine({ M: { Type: 'Map', ItemsPath: '$$.Execution.Input.items', ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, ResultSelector: { 'n.$': '$$.State.Name', 'items.$': '$' }, End: true } });
    expect(await outcomeOf(selector, { items: [1, 2] })).toEqual(ok({ n: 'M', items: [1, 2] }));
  });
});
