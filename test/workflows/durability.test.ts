/**
 * Durability: the service runs as a child process and is killed with SIGKILL
 * while executions are in a Wait, in a waitForTaskToken task and in a running
 * Lambda task, and while many short loops are mid-flight. Started again on the
 * same data folder, every execution finishes correctly: the wait ends at its
 * original deadline, the token is still good, the interrupted Lambda is
 * invoked again (at least once), and no completed state runs twice.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateStateMachineCommand, DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent, SFNClient, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const ROLE = 'arn:aws:iam::000000000000:role/accord-local';
const FN = 'arn:aws:lambda:us-east-1:000000000000:function:';

const machines = {
  waiter: { QueryLanguage: 'JSONata', StartAt: 'Sleep', States: { Sleep: { Type: 'Wait', Seconds: 2, Next: 'Done' }, Done: { Type: 'Pass', Output: { slept: true }, End: true } } },
  approval: {
    QueryLanguage: 'JSONata',
    StartAt: 'Ask',
    States: {
      Ask: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Arguments: { FunctionName: `${FN}notify`, Payload: { token: '{% $states.context.Task.Token %}' } }, Next: 'Done' },
      Done: { Type: 'Pass', Output: { decision: '{% $states.input.decision %}' }, End: true },
    },
  },
  worker: {
    QueryLanguage: 'JSONata',
    StartAt: 'Work',
    States: {
      Work: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: `${FN}slow`, Payload: { n: 21 } }, Output: '{% $states.result.Payload %}', End: true },
    },
  },
  loop: {
    QueryLanguage: 'JSONata',
    StartAt: 'Init',
    States: {
      Init: { Type: 'Pass', Output: { i: 0 }, Next: 'Step' },
      Step: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: `${FN}count`, Payload: '{% $states.input %}' }, Output: '{% $states.result.Payload %}', Next: 'Check' },
      Check: { Type: 'Choice', Choices: [{ Condition: '{% $states.input.i < 1000 %}', Next: 'Step' }], Default: 'Done' },
      Done: { Type: 'Succeed' },
    },
  },
};

interface Child {
  process: ChildProcess;
  endpoint: string;
  recovered: number;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];

async function startService(dataDir: string, env: Record<string, string>): Promise<Child> {
  const child = spawn(
    NODE,
    ['--import', 'tsx', 'workflows/cli/serve.ts', '--data', dataDir, '--quiet', '--lambda', 'notify=test/workflows/fixtures/notify.ts', '--lambda', 'slow=test/workflows/fixtures/slow.ts', '--lambda', 'count=test/workflows/fixtures/count.ts'],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const line = await new Promise<string>((done, fail) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', done);
    void exited.then((code) => fail(new Error(`the service exited (${String(code)}) before listening: ${stderr}`)));
  });
  const ready = JSON.parse(line) as { endpoint: string; recovered: number };
  return { process: child, endpoint: ready.endpoint, recovered: ready.recovered, exited };
}

function client(endpoint: string): SFNClient {
  return new SFNClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
}

async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function history(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const out: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
    out.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('SIGKILL of the service process', () => {
  it('every execution finishes correctly after a restart: a Wait, a task token, a running Lambda, loops mid-flight', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'accord-sfn-kill-'));
    const invocations = join(dataDir, 'invocations.txt');
    const env = { ACCORD_TEST_INVOCATIONS: invocations };
    try {
      const first = await startService(dataDir, env);
      let sfn = client(first.endpoint);
      const arns: Record<string, string> = {};
      for (const [name, definition] of Object.entries(machines)) {
        arns[name] = (await sfn.send(new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: ROLE }))).stateMachineArn ?? '';
      }
      const start = async (machine: string, name: string): Promise<string> =>
        (await sfn.send(new StartExecutionCommand({ stateMachineArn: arns[machine], name, input: '{}' }))).executionArn ?? '';
      const waiter = await start('waiter', 'w');
      const approval = await start('approval', 'a');
      const worker = await start('worker', 'k');

      // Kill once the Wait has begun, the token has been handed out and the Lambda is running.
      await until(async () => ((await history(sfn, waiter)).some((e) => e.type === 'WaitStateEntered') ? true : undefined), 'the wait');
      await until(async () => ((await history(sfn, approval)).some((e) => e.type === 'TaskSubmitted') ? true : undefined), 'the token');
      await until(() => Promise.resolve(readFileSync(invocations, { encoding: 'utf8', flag: 'a+' }).length > 0 ? true : undefined), 'the Lambda');
      // And while loops make transitions as fast as they can (1,000 durable steps each: they are mid-flight).
      const loops: string[] = [];
      for (let i = 0; i < 10; i++) loops.push(await start('loop', `loop-${i}`));
      first.process.kill('SIGKILL');
      expect(await first.exited).toBeNull();
      sfn.destroy();

      const second = await startService(dataDir, env);
      // The three executions and the loops, which were mid-flight.
      expect(second.recovered).toBeGreaterThan(3);
      sfn = client(second.endpoint);

      const scheduled = (await history(sfn, approval)).find((e) => e.type === 'TaskScheduled');
      const { Payload } = JSON.parse(scheduled?.taskScheduledEventDetails?.parameters ?? '{}') as { Payload: { token: string } };
      await sfn.send(new SendTaskSuccessCommand({ taskToken: Payload.token, output: '{"decision":"approved"}' }));

      const finished = async (arn: string) =>
        until(async () => {
          const d = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
          return d.status === 'RUNNING' ? undefined : d;
        }, arn);

      expect(await finished(approval)).toMatchObject({ status: 'SUCCEEDED', output: '{"decision":"approved"}' });
      expect((await history(sfn, approval)).filter((e) => e.type === 'TaskSubmitted')).toHaveLength(1);

      expect(await finished(waiter)).toMatchObject({ status: 'SUCCEEDED', output: '{"slept":true}' });
      const waitEvents = await history(sfn, waiter);
      const entered = waitEvents.find((e) => e.type === 'WaitStateEntered')?.timestamp?.getTime() ?? 0;
      const exited = waitEvents.find((e) => e.type === 'WaitStateExited')?.timestamp?.getTime() ?? 0;
      expect(exited - entered).toBeGreaterThanOrEqual(2000);

      // The Lambda was running when the process died: invoked again, and its result used once.
      expect(await finished(worker)).toMatchObject({ status: 'SUCCEEDED', output: '{"doubled":42,"attempt":2}' });
      expect(readFileSync(invocations, 'utf8').trim().split('\n')).toEqual(['21', '21']);
      const workerEvents = await history(sfn, worker);
      expect(workerEvents.filter((e) => e.type === 'TaskScheduled')).toHaveLength(1);
      expect(workerEvents.filter((e) => e.type === 'TaskSucceeded')).toHaveLength(1);

      for (const arn of loops) {
        expect(await finished(arn)).toMatchObject({ status: 'SUCCEEDED', output: '{"i":1000}' });
        const events = await history(sfn, arn);
        expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
        expect(events.filter((e) => e.type === 'TaskStateEntered')).toHaveLength(1000);
        expect(events.filter((e) => e.type === 'TaskSucceeded')).toHaveLength(1000);
      }
      sfn.destroy();
      second.process.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
