/**
 * node --import tsx workflows/cli/serve.ts --data DIR [--port N] [--virtual-time]
 *     [--lambda NAME=MODULE ...] [--state-machine NAME=FILE ...] [--quiet]
 *
 * The local Step Functions service on its own. Prints one JSON line when it
 * listens — {"endpoint":"http://127.0.0.1:PORT","port":PORT,"recovered":N} —
 * and stops cleanly on SIGINT/SIGTERM. The durability tests run it as a child
 * process and SIGKILL it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startStepFunctionsService } from '../service/service.ts';

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: serve.ts --data DIR [--port N] [--virtual-time] [--lambda NAME=MODULE ...] [--state-machine NAME=FILE ...] [--quiet]\n`,
  );
  process.exit(2);
}

function pairs(list: string[], what: string): [string, string][] {
  return list.map((pair) => {
    const i = pair.indexOf('=');
    if (i <= 0) usage(`${what} expects NAME=PATH, got '${pair}'`);
    return [pair.slice(0, i), resolve(pair.slice(i + 1))];
  });
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        data: { type: 'string' },
        port: { type: 'string', default: '0' },
        'virtual-time': { type: 'boolean', default: false },
        lambda: { type: 'string', multiple: true, default: [] },
        'state-machine': { type: 'string', multiple: true, default: [] },
        quiet: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  if (!values.data) usage('--data is required');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) usage(`--port ${values.port} is not a TCP port`);
  const lambdas = Object.fromEntries(pairs(values.lambda, '--lambda'));
  const service = await startStepFunctionsService({
    dataDir: resolve(values.data),
    port,
    clock: values['virtual-time'] ? 'virtual' : 'real',
    lambdas,
    ...(values.quiet ? {} : { log: (line: string) => process.stderr.write(`${line}\n`) }),
  });
  for (const [name, file] of pairs(values['state-machine'], '--state-machine')) {
    await service.registerStateMachine(name, readFileSync(file, 'utf8'));
  }
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void service.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.write(`${JSON.stringify({ endpoint: service.endpoint, port: service.port, recovered: service.recovered })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`serve: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
