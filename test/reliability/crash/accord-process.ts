/**
 * The process the crash test kills: Accord as `npm start` runs it (local/start.ts)
 * — s3rver with its files in the data folder, the local Step Functions runtime
 * with its SQLite store there too, the task handlers, the HTTP API and the
 * notification dispatcher — with two differences that make 50 restarts
 * affordable: DynamoDB Local runs in the test process and outlives us (its
 * endpoint comes in AWS_ENDPOINT_URL_DYNAMODB), and the CDK template is
 * synthesised once by the test and read from a file.
 *
 * The test arms a crash over IPC: `{ type: 'arm', writes: N, when }` makes
 * this process SIGKILL itself at the N-th persisted write from then on
 * (a DynamoDB, S3 or Step Functions call that changes something), just
 * before it is sent, while it is in flight, or just after its answer arrived.
 * `{ type: 'dispatch', at }` runs one dispatcher round at that time (the way a
 * later EventBridge tick would), so that claims a killed round left behind
 * can be taken over without waiting for their lease in real time.
 *
 * Environment: CRASH_DATA_DIR, CRASH_TEMPLATE (JSON file), CRASH_API_PORT, CRASH_S3_PORT.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpRequest } from '@smithy/types';
import { NOTIFICATION_ENV } from '../../../functions/notifications/config.ts';
import { startDispatchLoop } from '../../../functions/notifications/dispatch-loop.ts';
import { PROJECT_ROOT } from '../../../infra/constructs/accord-function.ts';
import { startApiServer } from '../../../local/api-server.ts';
import { LOOPBACK, localEnvironment, startS3 } from '../../../local/embedded-services.ts';
import { stateMachineVariables } from '../../../local/local-stack.ts';
import { provisionStorage } from '../../../local/provision.ts';
import { redeliverPendingUploads, deliverObjectCreated } from '../../../local/s3-events.ts';
import { startLocalStepFunctions } from '../../../local/stepfunctions-service.ts';
import type { CfnTemplate } from '../../../workflows/engine/cdk.ts';

export type CrashWhen = 'before' | 'during' | 'after';
export type ToChild = { type: 'arm'; writes: number; when: CrashWhen } | { type: 'disarm' } | { type: 'count' } | { type: 'dispatch'; at: string };
export type FromChild = { type: 'writes'; count: number } | { type: 'dispatched'; settled: number } | { type: 'crashing'; write: string };

const READ_TARGETS = /\.(Get|BatchGet|Query|Scan|Describe|List|TransactGet)/;

/** A short name of what the request does, or undefined when it changes nothing. */
function writeOf(request: HttpRequest): string | undefined {
  const target = request.headers['x-amz-target'];
  if (target) return READ_TARGETS.test(target) ? undefined : target;
  if (request.method === 'GET' || request.method === 'HEAD') return undefined;
  return `${request.method} ${request.path}`;
}

let armed: { left: number; when: CrashWhen } | undefined;
let writes = 0;

function send(message: FromChild): void {
  process.send?.(message);
}

function die(write: string): never {
  send({ type: 'crashing', write });
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: killed');
}

// Every AWS SDK v3 client of this process sends through NodeHttpHandler.
const prototype = NodeHttpHandler.prototype;
const original = Object.getOwnPropertyDescriptor(prototype, 'handle')?.value as NodeHttpHandler['handle'];
prototype.handle = function handle(this: NodeHttpHandler, request, options) {
  const write = writeOf(request);
  if (write === undefined) return original.call(this, request, options);
  writes += 1;
  const crash = armed !== undefined && --armed.left === 0 ? armed.when : undefined;
  if (crash === 'before') die(write);
  const sent = original.call(this, request, options);
  if (crash === 'during') setImmediate(() => die(write));
  if (crash === 'after') return sent.then(() => die(write));
  return sent;
};

process.on('message', (message: ToChild) => {
  if (message.type === 'arm') {
    armed = { left: message.writes, when: message.when };
  } else if (message.type === 'disarm') {
    armed = undefined;
  } else if (message.type === 'count') {
    send({ type: 'writes', count: writes });
  } else {
    void import('../../../functions/tasks/dispatch-notifications.ts')
      .then(({ dispatchDue }) => dispatchDue(new Date(message.at)))
      .then((report) => send({ type: 'dispatched', settled: report.settled }));
  }
});
process.channel?.unref();

async function main(): Promise<void> {
  const dataDir = required('CRASH_DATA_DIR');
  const template = JSON.parse(await readFile(required('CRASH_TEMPLATE'), 'utf8')) as CfnTemplate;
  const s3 = await startS3(dataDir, Number(required('CRASH_S3_PORT')), deliverObjectCreated);
  const dynamodbEndpoint = required('AWS_ENDPOINT_URL_DYNAMODB');
  const s3Endpoint = `http://${LOOPBACK}:${s3.port}`;
  Object.assign(process.env, localEnvironment({ dynamodb: dynamodbEndpoint, s3: s3Endpoint }), {
    [NOTIFICATION_ENV.mailOutboxDir]: join(dataDir, 'outbox'),
    [NOTIFICATION_ENV.webhookAllowLoopbackHttp]: 'true',
  });
  await provisionStorage({ dynamodb: { endpoint: dynamodbEndpoint, port: 0, pid: 0 }, s3: { endpoint: s3Endpoint, port: s3.port } });
  const workflows = await startLocalStepFunctions({ dataDir, template, projectRoot: PROJECT_ROOT, clock: 'real' });
  Object.assign(process.env, workflows.environment, stateMachineVariables(template, workflows.stateMachines));
  const api = await startApiServer({ port: Number(required('CRASH_API_PORT')) });
  startDispatchLoop({ intervalMs: 500 });
  const redelivered = await redeliverPendingUploads();
  console.log(`ready ${api.url} resumed=${workflows.service.recovered} redelivered=${redelivered}`);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

main().catch((error: unknown) => {
  console.error('accord-process failed to start:', error);
  process.exit(1);
});
