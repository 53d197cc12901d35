/**
 * npm run --silent asl -- --definition FILE [--input FILE] [--virtual-time] [--lambda NAME=MODULE ...]
 *
 * Runs one state machine locally and prints one JSON object, like
 * DescribeExecution: {"status":"SUCCEEDED","output":...} or
 * {"status":"FAILED","error":"...","cause":"..."}. An invalid definition
 * prints {"status":"INVALID_DEFINITION","problems":[...]} and exits with 2.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Json } from '../engine/json.ts';
import { runAsl } from '../runner.ts';

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run --silent asl -- --definition FILE [--input FILE] [--virtual-time] [--lambda NAME=MODULE ...]\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        definition: { type: 'string' },
        input: { type: 'string' },
        'virtual-time': { type: 'boolean', default: false },
        lambda: { type: 'string', multiple: true, default: [] },
      },
      strict: true,
    }));
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  if (!values.definition) usage('--definition is required');
  const definition = readFileSync(values.definition, 'utf8');
  let input: Json = {};
  if (values.input) {
    try {
      input = JSON.parse(readFileSync(values.input, 'utf8')) as Json;
    } catch (err) {
      usage(`--input: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const lambdas: Record<string, string> = {};
  for (const binding of values.lambda ?? []) {
    const eq = binding.indexOf('=');
    if (eq <= 0) usage(`--lambda expects NAME=MODULE, got '${binding}'`);
    lambdas[binding.slice(0, eq)] = resolve(binding.slice(eq + 1));
  }
  const result = await runAsl({ definition, input, virtualTime: values['virtual-time'] === true, lambdas });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = result.status === 'INVALID_DEFINITION' ? 2 : 0;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
