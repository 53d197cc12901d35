/**
 * Distributed Map on the local runtime: the item processor runs inline (as
 * an inline Map does), items come from an ItemReader reading s3rver of the
 * embedded stack through the AWS SDK, MaxConcurrency, ItemSelector,
 * ItemBatcher and the tolerated failure thresholds apply.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3 } from '../../functions/lib/clients.ts';
import { BUCKETS } from '../../infra/definitions.ts';
import { newId } from '../../shared/ids.ts';
import { DefinitionError } from '../../workflows/engine/errors.ts';
import { Interpreter } from '../../workflows/engine/interpreter.ts';
import { parseItems } from '../../workflows/engine/item-reader.ts';
import type { Json } from '../../workflows/engine/json.ts';
import type { LambdaModule } from '../../workflows/engine/lambda.ts';
import { loadProgram } from '../../workflows/engine/program.ts';
import { runAsl } from '../../workflows/runner.ts';

const BUCKET = BUCKETS.results.localName;
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:';

async function put(body: string): Promise<string> {
  const key = `test/distributed-map/${newId('run')}.data`;
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  return key;
}

function distributed(map: Record<string, Json>, processor: Record<string, Json> = { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } }, language: 'JSONata' | 'JSONPath' = 'JSONata'): Json {
  return {
    QueryLanguage: language,
    StartAt: 'M',
    States: { M: { Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, ...processor }, End: true, ...map } },
  };
}

const reader = (inputType: string, key: string, config: Record<string, Json> = {}): Json => ({
  Resource: 'arn:aws:states:::s3:getObject',
  ReaderConfig: { InputType: inputType, ...config },
  Arguments: { Bucket: '{% $states.input.bucket %}', Key: key },
});

const run = (definition: Json, input: Json = { bucket: BUCKET }, lambdas: Record<string, LambdaModule> = {}) => runAsl({ definition, input, virtualTime: true, lambdas });

describe('a distributed Map with an ItemReader over S3', () => {
  it('reads a JSON array, selects each item with its index and the state input, and keeps the order of the items', async () => {
    const key = await put(JSON.stringify([{ shard: 0 }, { shard: 1 }, { shard: 2 }]));
    const definition = distributed({
      ItemReader: reader('JSON', key),
      ItemSelector: { shard: '{% $states.context.Map.Item.Value.shard %}', index: '{% $states.context.Map.Item.Index %}', bucket: '{% $states.input.bucket %}' },
    });
    expect(await run(definition)).toEqual({
      status: 'SUCCEEDED',
      output: [0, 1, 2].map((shard) => ({ shard, index: shard, bucket: BUCKET })),
    });
  });

  it('runs at most MaxConcurrency iterations at a time', async () => {
    const key = await put(`${[1, 2, 3, 4, 5, 6, 7].map((n) => JSON.stringify({ n })).join('\n')}\n`);
    let running = 0;
    let most = 0;
    const slow: LambdaModule = {
      handler: async (event) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return (event as { n: number }).n * 10;
      },
    };
    const definition = distributed(
      { ItemReader: reader('JSONL', key), MaxConcurrency: 2 },
      { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: `${FN}slow`, End: true } } },
    );
    expect(await run(definition, { bucket: BUCKET }, { slow })).toEqual({ status: 'SUCCEEDED', output: [10, 20, 30, 40, 50, 60, 70] });
    expect(most).toBe(2);
  });

  it('keeps the first MaxItems items of JSON Lines', async () => {
    const key = await put('{"n":1}\n\n{"n":2}\r\n{"n":3}\n');
    expect(await run(distributed({ ItemReader: reader('JSONL', key, { MaxItems: 2 }) }))).toEqual({ status: 'SUCCEEDED', output: [{ n: 1 }, { n: 2 }] });
  });

  it('reads CSV rows as objects of strings, by the first row or by given headers and delimiter', async () => {
    const first = await put('name,city\r\n"Acme, Inc.",Paris\r\n"Say ""hi""","Line\nbreak"\r\n');
    expect(await run(distributed({ ItemReader: reader('CSV', first, { CSVHeaderLocation: 'FIRST_ROW' }) }))).toEqual({
      status: 'SUCCEEDED',
      output: [
        { name: 'Acme, Inc.', city: 'Paris' },
        { name: 'Say "hi"', city: 'Line\nbreak' },
      ],
    });
    const given = await put('1|one\n2|two\n');
    expect(await run(distributed({ ItemReader: reader('CSV', given, { CSVHeaderLocation: 'GIVEN', CSVHeaders: ['id', 'word'], CSVDelimiter: 'PIPE' }) }))).toEqual({
      status: 'SUCCEEDED',
      output: [
        { id: '1', word: 'one' },
        { id: '2', word: 'two' },
      ],
    });
  });

  it('batches items with ItemBatcher: MaxItemsPerBatch and BatchInput', async () => {
    const key = await put(JSON.stringify([1, 2, 3, 4, 5]));
    const definition = distributed({ ItemReader: reader('JSON', key), ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { from: '{% $states.input.bucket %}' } } });
    expect(await run(definition)).toEqual({
      status: 'SUCCEEDED',
      output: [
        { BatchInput: { from: BUCKET }, Items: [1, 2] },
        { BatchInput: { from: BUCKET }, Items: [3, 4] },
        { BatchInput: { from: BUCKET }, Items: [5] },
      ],
    });
  });

  it('fails with States.ItemReaderFailed when the object is missing or holds no array, which Catch sees', async () => {
    const missing = distributed({ ItemReader: reader('JSON', 'test/distributed-map/none.json') });
    expect(await run(missing)).toMatchObject({ status: 'FAILED', error: 'States.ItemReaderFailed', cause: expect.stringContaining('NoSuchKey') as unknown });
    const notArray = await put('{"items": [1]}');
    const caught = {
      QueryLanguage: 'JSONata',
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemReader: reader('JSON', notArray),
          ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' }, StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
          Catch: [{ ErrorEquals: ['States.ItemReaderFailed'], Next: 'Caught', Output: '{% $states.errorOutput.Error %}' }],
          End: true,
        },
        Caught: { Type: 'Succeed' },
      },
    };
    expect(await run(caught)).toEqual({ status: 'SUCCEEDED', output: 'States.ItemReaderFailed' });
  });

  it('fails the run past ToleratedFailureCount, and tolerates failures up to it', async () => {
    const key = await put(JSON.stringify([1, 7, 8, 2]));
    const processor = {
      StartAt: 'C',
      States: {
        C: { Type: 'Choice', Choices: [{ Condition: '{% $states.input > 6 %}', Next: 'Bad' }], Default: 'Good' },
        Bad: { Type: 'Fail', Error: 'TooBig', Cause: 'item > 6' },
        Good: { Type: 'Pass', End: true },
      },
    };
    expect(await run(distributed({ ItemReader: reader('JSON', key), ToleratedFailureCount: 1 }, processor))).toEqual({
      status: 'FAILED',
      error: 'States.ExceedToleratedFailureThreshold',
      cause: 'The specified tolerated failure threshold for the Map Run was exceeded.',
    });
    expect(await run(distributed({ ItemReader: reader('JSON', key), ToleratedFailureCount: 2 }, processor))).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('reads with JSONPath Parameters and selects with ItemSelector paths', async () => {
    const key = await put(JSON.stringify(['a', 'b']));
    const definition = distributed(
      {
        ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { 'Bucket.$': '$.bucket', Key: key } },
        ItemSelector: { 'value.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index' },
      },
      undefined,
      'JSONPath',
    );
    expect(await run(definition)).toEqual({
      status: 'SUCCEEDED',
      output: [
        { value: 'a', index: 0 },
        { value: 'b', index: 1 },
      ],
    });
  });

  it('runs a distributed Map over the state input when it has no ItemReader', async () => {
    expect(await run(distributed({ Items: '{% $states.input.list %}' }), { list: [1, 2] })).toEqual({ status: 'SUCCEEDED', output: [1, 2] });
  });

  it('reads its items again after a crash: the read is an effect that recovery derives again', async () => {
    const program = loadProgram(distributed({ ItemReader: reader('JSON', 'some/key.json') }));
    let ids = 0;
    const interpreter = new Interpreter(program, { now: () => 0, random: () => 0.5, newId: () => `id${ids++}` });
    const record = interpreter.newExecution({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:e', stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:m', name: 'e', input: { bucket: BUCKET }, startDate: 0 });
    const step = await interpreter.step(record, { kind: 'start' });
    const read = step.effects.find((effect) => effect.kind === 'invoke');
    expect(read).toMatchObject({ itemReader: true, resource: 'arn:aws:states:::s3:getObject', parameters: { Bucket: BUCKET, Key: 'some/key.json', InputType: 'JSON' } });
    expect(interpreter.recoverEffects(JSON.parse(JSON.stringify(record)) as typeof record)).toContainEqual(read);
  });
});

describe('what the local runtime refuses of a distributed Map', () => {
  const problems = (definition: Json): string[] => {
    try {
      loadProgram(definition);
      return [];
    } catch (error) {
      return error instanceof DefinitionError ? error.problems : [String(error)];
    }
  };

  it('names readers and writers it cannot run', () => {
    expect(problems(distributed({ ItemReader: { Resource: 'arn:aws:states:::s3:listObjectsV2', Arguments: { Bucket: 'b' } } }))).toEqual([
      expect.stringContaining("State 'M': the ItemReader resource \"arn:aws:states:::s3:listObjectsV2\" is not supported by the local runtime") as unknown,
    ]);
    expect(problems(distributed({ ItemReader: reader('PARQUET', 'k') }))).toEqual([expect.stringContaining('InputType "PARQUET" is not supported') as unknown]);
    expect(problems(distributed({ ItemReader: reader('JSON', 'k'), ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Arguments: { Bucket: 'b', Prefix: 'p' } } }))).toEqual([
      expect.stringContaining('ResultWriter is not supported by the local runtime') as unknown,
    ]);
  });

  it('parses CSV and JSON Lines the way the reader reads objects', () => {
    expect(parseItems('\ufeffa;b\n1;2\n\n', { InputType: 'CSV', CSVDelimiter: 'SEMICOLON', Key: 'k' })).toEqual([{ a: '1', b: '2' }]);
    expect(() => parseItems('{"a":1}\nnot json\n', { InputType: 'JSONL', Key: 'k' })).toThrow(/Line 2 of k is not valid JSON/);
  });
});
