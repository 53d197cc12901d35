/**
 * vitest globalSetup: one embedded stack (DynamoDB Local + s3rver, on free
 * loopback ports, in a fresh temporary data folder) for the whole test run.
 *
 * Its `environment` is copied into process.env here, in the main vitest
 * process, before any worker starts: vitest 4 builds each fork's environment
 * from process.env at that point, so tests (and the application code they call)
 * see AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3, the credentials and the
 * resource names exactly as `npm start` sets them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedServices } from '../../local/embedded-services.ts';
import { startLocalWorkflows } from '../../local/local-stack.ts';
import { provisionStorage } from '../../local/provision.ts';
import { deliverObjectCreated } from '../../local/s3-events.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'accord-test-stack-'));
  const started = performance.now();
  const services = await startEmbeddedServices({ dataDir, onObjectCreated: deliverObjectCreated });
  try {
    await provisionStorage(services);
  } catch (error) {
    await services.stop();
    throw error;
  }
  // The engagement workflows on the local Step Functions runtime (real time; end-to-end tests start their own on a virtual clock).
  let workflows: Awaited<ReturnType<typeof startLocalWorkflows>>;
  try {
    workflows = await startLocalWorkflows({ dataDir, clock: 'real' });
  } catch (error) {
    await services.stop();
    throw error;
  }
  // A smaller upload limit than production's 512 MiB, so the tests can upload a file over it.
  const environment = { ...services.environment, ...workflows.environment, ACCORD_MAX_UPLOAD_BYTES: String(16 * 1024 * 1024) };
  const previous = Object.fromEntries(Object.keys(environment).map((name) => [name, process.env[name]]));
  Object.assign(process.env, environment);
  if (process.env.ACCORD_DEBUG_STACK) {
    console.log(`embedded stack up in ${Math.round(performance.now() - started)} ms: ${JSON.stringify(services.environment)}`);
  }

  return async () => {
    await workflows.service.stop();
    await services.stop();
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await rm(dataDir, { recursive: true, force: true });
  };
}
