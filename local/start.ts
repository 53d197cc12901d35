/**
 * `npm start`: Accord on its embedded stack. Starts DynamoDB Local and s3rver
 * on loopback with their data under one folder, creates the table and buckets
 * when missing, and serves the HTTP API.
 *
 *   npm start -- [--port N] [--data DIR] [--host ADDRESS] [--quiet]
 *   (or PORT, ACCORD_DATA, ACCORD_HOST)
 */
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NOTIFICATION_ENV } from '../functions/notifications/config.ts';
import { type DispatchLoop, startDispatchLoop } from '../functions/notifications/dispatch-loop.ts';
import { startApiServer, type ApiServer } from './api-server.ts';
import { EmbeddedStackError, startEmbeddedServices, type EmbeddedServices } from './embedded-services.ts';
import { startLocalWorkflows } from './local-stack.ts';
import { provisionStorage } from './provision.ts';
import { deliverObjectCreated, redeliverPendingUploads } from './s3-events.ts';
import type { LocalStepFunctions } from './stepfunctions-service.ts';

const USAGE = `usage: npm start -- [--port N] [--data DIR] [--host ADDRESS] [--quiet]

  --port N        HTTP port of the API (default 3000, or PORT)
  --data DIR      folder for all local data (default ./.accord, or ACCORD_DATA)
  --host ADDRESS  address the API listens on (default 127.0.0.1, or ACCORD_HOST)
  --quiet         no access log`;

interface Options {
  port: number;
  dataDir: string;
  host: string;
  quiet: boolean;
}

function readOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      data: { type: 'string' },
      host: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const portText = values.port ?? process.env.PORT ?? '3000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) throw new EmbeddedStackError(`--port ${portText} is not a TCP port: give a number from 1 to 65535 (0 picks a free one)`);
  return {
    port,
    dataDir: resolve(values.data ?? process.env.ACCORD_DATA ?? '.accord'),
    host: values.host ?? process.env.ACCORD_HOST ?? '127.0.0.1',
    quiet: values.quiet,
  };
}

/** Fails fast, before Java starts, when the API port is taken. */
function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      fail(
        error.code === 'EADDRINUSE'
          ? new EmbeddedStackError(`port ${port} is already in use: stop what listens there or start with --port N (e.g. npm start -- --port ${port + 1})`)
          : new EmbeddedStackError(`cannot listen on ${host}:${port}: ${error.message}`),
      );
    });
    probe.listen(port, host, () => probe.close(() => done()));
  });
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  if (options.port !== 0) await assertPortFree(options.host, options.port);

  const running: { services?: EmbeddedServices; api?: ApiServer; workflows?: LocalStepFunctions; dispatch?: DispatchLoop } = {};
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping Accord…`);
    await running.api?.close();
    await running.dispatch?.stop();
    await running.workflows?.service.stop();
    await running.services?.stop();
    console.log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // `npm start` runs us under `sh -c`; a SIGTERM to npm ends that shell without
  // passing the signal on. Outliving our parent would orphan the stack, so stop.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop('parent process exited');
  }, 500).unref();

  const services = await startEmbeddedServices({ dataDir: options.dataDir, onObjectCreated: deliverObjectCreated });
  running.services = services;
  try {
    const created = await provisionStorage(services);
    // The handlers read their endpoints and resource names from the environment, exactly as on Lambda.
    // Locally, e-mail is written as .eml files into the data folder, and webhooks may be plain http on loopback.
    const mailDir = join(services.dataDir, 'outbox');
    Object.assign(process.env, services.environment, { [NOTIFICATION_ENV.mailOutboxDir]: mailDir, [NOTIFICATION_ENV.webhookAllowLoopbackHttp]: 'true' });
    // The engagement workflows, from the same CDK stack that deploys them, on the local Step Functions runtime.
    const workflows = await startLocalWorkflows({ dataDir: options.dataDir, clock: 'real' });
    running.workflows = workflows;
    Object.assign(process.env, workflows.environment);
    const api = await startApiServer({ port: options.port, host: options.host, ...(options.quiet ? {} : { log: (line: string) => console.log(line) }) });
    running.api = api;
    // The stand-in for the EventBridge schedule that runs the notification dispatcher on AWS.
    running.dispatch = startDispatchLoop({ intervalMs: 2_000 });
    // Uploads whose notification a killed stack never handled (S3 notifications live in this process here).
    const redelivered = await redeliverPendingUploads();

    const what = [created.createdTable ? 'created the table' : '', created.createdBuckets.length ? `created ${created.createdBuckets.join(', ')}` : ''].filter(Boolean);
    console.log(
      [
        'Accord is running on its embedded stack.',
        `  API             ${api.url}   (try: curl ${api.url}/health)`,
        `  OpenAPI         ${api.url}/v1/openapi.json`,
        `  DynamoDB Local  ${services.dynamodb.endpoint}`,
        `  S3 (s3rver)     ${services.s3.endpoint}`,
        `  Step Functions  ${workflows.service.endpoint}   (${Object.keys(workflows.stateMachines).length} state machine(s); ${workflows.service.recovered} execution(s) resumed)`,
        `  e-mail outbox   ${mailDir}`,
        `  data folder     ${services.dataDir}${what.length ? ` (${what.join('; ')})` : ' (existing data)'}${redelivered ? `; ${redelivered} pending upload(s) delivered again` : ''}`,
        'Press Ctrl-C to stop.',
      ].join('\n'),
    );
  } catch (error) {
    await running.workflows?.service.stop();
    await services.stop();
    throw error;
  }
}

main().catch((error: unknown) => {
  if (error instanceof EmbeddedStackError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
    console.error(`accord: ${error.message}`);
  } else {
    console.error('accord: failed to start:', error);
  }
  process.exit(1);
});
