/**
 * AWS Step Functions Developer Guide, "Intrinsic functions for JSONPath states
 * in Step Functions" (intrinsic-functions.html): each function's example input,
 * the call the page shows and the result it states; its input-validation rules
 * and the reserved characters.
 */
import { describe, expect, it } from 'vitest';
import type { Json } from '../../workflows/engine/json.ts';
import { machine, outcomeOf, runDoc, seeded } from './docs-support.ts';

/** A Pass state whose Parameters hold the page's call. */
function call(parameters: Record<string, Json>): Json {
  return machine({ Call: { Type: 'Pass', Parameters: parameters, End: true } });
}

const ok = (output: Json): { status: 'SUCCEEDED'; output: Json } => ({ status: 'SUCCEEDED', output });

describe('Intrinsics for arrays', () => {
  it('States.Array: {"Id": 123456} gives "BuildId": [123456]', async () => {
    expect(await outcomeOf(call({ 'BuildId.$': 'States.Array($.Id)' }), { Id: 123456 })).toEqual(ok({ BuildId: [123456] }));
  });

  it('States.ArrayPartition: chunks of four from [1..9] give [[1,2,3,4],[5,6,7,8],[9]]', async () => {
    const input = { inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9] };
    expect(await outcomeOf(call({ 'inputArray.$': 'States.ArrayPartition($.inputArray,4)' }), input)).toEqual(ok({ inputArray: [[1, 2, 3, 4], [5, 6, 7, 8], [9]] }));
  });

  it('States.ArrayPartition: "If you specify a non-integer value for the second argument, Step Functions will round it off to the nearest integer"', async () => {
    const input = { inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9] };
    expect(await outcomeOf(call({ 'inputArray.$': 'States.ArrayPartition($.inputArray, 3.6)' }), input)).toEqual(ok({ inputArray: [[1, 2, 3, 4], [5, 6, 7, 8], [9]] }));
  });

  it('States.ArrayContains: lookingFor 5 in [1..9] gives {"contains": true}', async () => {
    const input = { inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9], lookingFor: 5 };
    expect(await outcomeOf(call({ 'contains.$': 'States.ArrayContains($.inputArray, $.lookingFor)' }), input)).toEqual(ok({ contains: true }));
  });

  it('States.ArrayRange(1, 9, 2) gives {"array": [1,3,5,7,9]}', async () => {
    expect(await outcomeOf(call({ 'array.$': 'States.ArrayRange(1, 9, 2)' }))).toEqual(ok({ array: [1, 3, 5, 7, 9] }));
  });

  it('States.ArrayRange: non-integer arguments are rounded off to the nearest integer', async () => {
    expect(await outcomeOf(call({ 'array.$': 'States.ArrayRange(0.6, 8.7, 1.9)' }))).toEqual(ok({ array: [1, 3, 5, 7, 9] }));
  });

  it('States.ArrayRange: "The newly generated array can\'t contain more than 1000 items"', async () => {
    expect(await outcomeOf(call({ 'array.$': 'States.ArrayRange(1, 1000, 1)' }))).toMatchObject({ status: 'SUCCEEDED' });
    expect(await outcomeOf(call({ 'array.$': 'States.ArrayRange(0, 1000, 1)' }))).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });

  it('States.ArrayRange: "You must specify a non-zero value for the third argument"', async () => {
    expect(await outcomeOf(call({ 'array.$': 'States.ArrayRange(1, 9, 0)' }))).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });

  it('States.ArrayGetItem: index 5 of [1..9] gives {"item": 6}', async () => {
    const input = { inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9], index: 5 };
    expect(await outcomeOf(call({ 'item.$': 'States.ArrayGetItem($.inputArray, $.index)' }), input)).toEqual(ok({ item: 6 }));
  });

  it('States.ArrayLength of [1..9] gives {"length": 9}', async () => {
    expect(await outcomeOf(call({ 'length.$': 'States.ArrayLength($.inputArray)' }), { inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9] })).toEqual(ok({ length: 9 }));
  });

  it('States.ArrayUnique of [1,2,3,3,3,3,3,3,4] gives {"array": [1,2,3,4]}', async () => {
    expect(await outcomeOf(call({ 'array.$': 'States.ArrayUnique($.inputArray)' }), { inputArray: [1, 2, 3, 3, 3, 3, 3, 3, 4] })).toEqual(ok({ array: [1, 2, 3, 4] }));
  });
});

describe('Intrinsics for data encoding and decoding', () => {
  it('States.Base64Encode("Data to encode") gives {"base64": "RGF0YSB0byBlbmNvZGU="}', async () => {
    expect(await outcomeOf(call({ 'base64.$': 'States.Base64Encode($.input)' }), { input: 'Data to encode' })).toEqual(ok({ base64: 'RGF0YSB0byBlbmNvZGU=' }));
  });

  it('States.Base64Decode("RGF0YSB0byBlbmNvZGU=") decodes the encoded example back', async () => {
    // The page prints {"data": "Decoded data"}, but that base64 text is the
    // encoding of "Data to encode" from the example above it.
    expect(await outcomeOf(call({ 'data.$': 'States.Base64Decode($.base64)' }), { base64: 'RGF0YSB0byBlbmNvZGU=' })).toEqual(ok({ data: 'Data to encode' }));
  });
});

describe('Intrinsic for hash calculation', () => {
  it('States.Hash("input data", "SHA-1") gives the SHA-1 hex digest', async () => {
    // The page prints "aaff4a450a104cd177d28d18d7485e8cae074b7", one digit short
    // of a SHA-1 digest; this is the full digest of "input data".
    expect(await outcomeOf(call({ 'output.$': 'States.Hash($.Data, $.Algorithm)' }), { Data: 'input data', Algorithm: 'SHA-1' })).toEqual(ok({ output: 'aaff4a450a104cd177d28d18d74485e8cae074b7' }));
  });

  it('States.Hash accepts MD5, SHA-1, SHA-256, SHA-384 and SHA-512', async () => {
    const out = await outcomeOf(
      call({
        'md5.$': "States.Hash($.Data, 'MD5')",
        'sha256.$': "States.Hash($.Data, 'SHA-256')",
        'sha384.$': "States.Hash($.Data, 'SHA-384')",
        'sha512.$': "States.Hash($.Data, 'SHA-512')",
      }),
      { Data: 'input data' },
    );
    expect(out.status).toBe('SUCCEEDED');
    const o = (out as { output: Record<string, string> }).output;
    expect([o.md5?.length, o.sha256?.length, o.sha384?.length, o.sha512?.length]).toEqual([32, 64, 96, 128]);
  });
});

describe('Intrinsics for JSON data manipulation', () => {
  it('States.JsonMerge(json1, json2, false): a shallow merge, json2\'s key a replaces json1\'s', async () => {
    const input = { json1: { a: { a1: 1, a2: 2 }, b: 2 }, json2: { a: { a3: 1, a4: 2 }, c: 3 } };
    expect(await outcomeOf(call({ 'output.$': 'States.JsonMerge($.json1, $.json2, false)' }), input)).toEqual(ok({ output: { a: { a3: 1, a4: 2 }, b: 2, c: 3 } }));
  });

  it('States.StringToJson parses the escaped JSON string to { "foo": "bar" }', async () => {
    expect(await outcomeOf(call({ 'parsed.$': 'States.StringToJson($.escapedJsonString)' }), { escapedJsonString: '{"foo": "bar"}' })).toEqual(ok({ parsed: { foo: 'bar' } }));
  });

  it('States.JsonToString returns the data as JSON text', async () => {
    // The page shows the text with a space after the colon; Step Functions
    // (and the recorded executions) write it compactly.
    expect(await outcomeOf(call({ 'text.$': 'States.JsonToString($.unescapedJson)' }), { unescapedJson: { foo: 'bar' } })).toEqual(ok({ text: '{"foo":"bar"}' }));
  });

  it('Error handling page: "Cause.$": "States.StringToJson($.Cause)" turns a catcher\'s Cause string into JSON', async () => {
    const def = machine({ Handle: { Type: 'Pass', Parameters: { 'Cause.$': 'States.StringToJson($.Cause)' }, End: true } });
    expect(await outcomeOf(def, { Error: 'X', Cause: '{"errorMessage":"boom"}' })).toEqual(ok({ Cause: { errorMessage: 'boom' } }));
  });
});

describe('Intrinsics for Math operations', () => {
  it('States.MathRandom(1, 999): a number between start (inclusive) and end (exclusive)', async () => {
    const def = call({ 'random.$': 'States.MathRandom($.start, $.end)' });
    for (const r of [0, 0.5, 0.999999]) {
      const out = (await runDoc(def, { start: 1, end: 999 }, { random: () => r })).outcome as unknown as { output: { random: number } };
      expect(Number.isInteger(out.output.random)).toBe(true);
      expect(out.output.random).toBeGreaterThanOrEqual(1);
      expect(out.output.random).toBeLessThan(999);
    }
  });

  it('States.MathRandom with a seed: "if you use this function with the same seed value, it will return identical numbers"', async () => {
    const def = call({ 'a.$': 'States.MathRandom($.start, $.end, 7)', 'b.$': 'States.MathRandom($.start, $.end, 7)', 'c.$': 'States.MathRandom($.start, $.end, 8)' });
    const first = (await runDoc(def, { start: 1, end: 1_000_000 }, { random: seeded(1) })).outcome as unknown as { output: { a: number; b: number; c: number } };
    const second = (await runDoc(def, { start: 1, end: 1_000_000 }, { random: seeded(2) })).outcome as unknown as { output: { a: number; b: number; c: number } };
    expect(first.output.a).toBe(first.output.b);
    expect(second.output.a).toBe(first.output.a);
    expect(first.output.c).not.toBe(first.output.a);
    expect(first.output.a).toBeGreaterThanOrEqual(1);
    expect(first.output.a).toBeLessThan(1_000_000);
  });

  it('States.MathRandom: non-integer start and end are rounded off to the nearest integer', async () => {
    const def = call({ 'random.$': 'States.MathRandom(0.6, 1.6)' });
    for (const r of [0, 0.9999]) expect((await runDoc(def, {}, { random: () => r })).outcome).toEqual(ok({ random: 1 }));
  });

  it('States.MathAdd(111, -1) gives {"value1": 110}', async () => {
    expect(await outcomeOf(call({ 'value1.$': 'States.MathAdd($.value1, $.step)' }), { value1: 111, step: -1 })).toEqual(ok({ value1: 110 }));
  });

  it('States.MathAdd rounds non-integers to the nearest integer', async () => {
    expect(await outcomeOf(call({ 'v.$': 'States.MathAdd($.a, $.b)' }), { a: 1.4, b: 2.6 })).toEqual(ok({ v: 4 }));
  });
});

describe('Intrinsic for String operation', () => {
  it('States.StringSplit("1,2,3,4,5", ",") gives ["1","2","3","4","5"]', async () => {
    expect(await outcomeOf(call({ 'array.$': 'States.StringSplit($.inputString, $.splitter)' }), { inputString: '1,2,3,4,5', splitter: ',' })).toEqual(ok({ array: ['1', '2', '3', '4', '5'] }));
  });

  it('States.StringSplit with several delimiting characters ".+,=" gives ["This","is","a","test","string"]', async () => {
    expect(await outcomeOf(call({ 'myStringArray.$': 'States.StringSplit($.inputString, $.splitter)' }), { inputString: 'This.is+a,test=string', splitter: '.+,=' })).toEqual(
      ok({ myStringArray: ['This', 'is', 'a', 'test', 'string'] }),
    );
  });
});

describe('Intrinsic for unique identifier generation', () => {
  it('States.UUID() returns a version 4 UUID, a new one each call', async () => {
    const out = (await outcomeOf(call({ 'uuid.$': 'States.UUID()', 'other.$': 'States.UUID()' }))) as unknown as { output: { uuid: string; other: string } };
    expect(out.output.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(out.output.other).not.toBe(out.output.uuid);
  });
});

describe('Intrinsic for generic operation', () => {
  it("States.Format('Hello, my name is {}.', $.name) and States.Format($.template, $.name) give the same sentence", async () => {
    const input = { name: 'Arnav', template: 'Hello, my name is {}.' };
    const def = call({ 'literal.$': "States.Format('Hello, my name is {}.', $.name)", 'fromPath.$': 'States.Format($.template, $.name)' });
    expect(await outcomeOf(def, input)).toEqual(ok({ literal: 'Hello, my name is Arnav.', fromPath: 'Hello, my name is Arnav.' }));
  });

  const nine = (template: string): string =>
    `States.Format('${template}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))`;
  const recipe = { ImageRecipe: { Arn: 'arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/my-recipe/1.0.0' } };

  it('nests up to 10 intrinsics: nine nested calls as in the page\'s myArn field', async () => {
    // Split on '/', item 2 is "1.0.0"; split that on '.', items 0 and 1 are "1" and "0".
    expect(await outcomeOf(call({ 'myArn.$': nine('{}.{}') }), recipe)).toEqual(ok({ myArn: '1.0' }));
  });

  it('"There must be as many remaining arguments as there are occurrences of {}": the page\'s own myArn template has three for two', async () => {
    expect(await outcomeOf(call({ 'myArn.$': nine('{}.{}.{}') }), recipe)).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });
});

describe('Reserved characters in intrinsic functions', () => {
  it("\\' \\{ \\} and \\\\ stand for ' { } and \\", async () => {
    const def = call({ 'text.$': "States.Format('it\\'s \\{literal\\} and a backslash \\\\ for {}', $.who)" });
    expect(await outcomeOf(def, { who: 'Arnav' })).toEqual(ok({ text: "it's {literal} and a backslash \\ for Arnav" }));
  });

  it('a path with characters outside member-name-shorthand uses bracket notation: $.abc.[\'def ghi\']', async () => {
    expect(await outcomeOf(call({ 'v.$': "States.Array($.abc.['def ghi'])" }), { abc: { 'def ghi': 1 } })).toEqual(ok({ v: [1] }));
  });
});
