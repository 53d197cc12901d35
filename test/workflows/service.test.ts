/**
 * The local Step Functions service through @aws-sdk/client-sfn, exactly as
 * the application will call it: task tokens, name idempotency, history
 * shapes, the errors AWS gives, virtual time, and a restart on the same data
 * folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaModule } from '../../workflows/engine/lambda.ts';
import { type StepFunctionsService, startStepFunctionsService } from '../../workflows/service/service.ts';

const ROLE = 'arn:aws:iam::000000000000:role/accord-local';
const DAY = 86_400;

/** Waits for an approval: the Lambda receives the token, a person answers; three days without an answer is a timeout. */
const approval = {
  QueryLanguage: 'JSONata',
  StartAt: 'AskApproval',
  States: {
    AskApproval: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Arguments: { FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:notify', Payload: { token: '{% $states.context.Task.Token %}', who: '{% $states.input.who %}' } },
      TimeoutSeconds: 3 * DAY,
      HeartbeatSeconds: DAY,
      Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Lapsed', Output: { lapsed: '{% $states.errorOutput.Error %}' } }],
      Next: 'Approved',
    },
    Approved: { Type: 'Pass', Output: { approved: '{% $states.input.decision %}' }, End: true },
    Lapsed: { Type: 'Succeed' },
  },
};

const waiting = { QueryLanguage: 'JSONata', StartAt: 'Sleep', States: { Sleep: { Type: 'Wait', Seconds: 3600, Next: 'Done' }, Done: { Type: 'Pass', Output: { woke: true }, End: true } } };

function clientFor(service: StepFunctionsService): SFNClient {
  return new SFNClient({ endpoint: service.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

async function errorOf(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, ...(e.$metadata?.httpStatusCode !== undefined ? { status: e.$metadata.httpStatusCode } : {}) };
  }
  throw new Error('expected the call to fail');
}

/** Polls (without a fixed sleep) until `check` answers something. */
async function until<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the Step Functions API through @aws-sdk/client-sfn', () => {
  let dataDir: string;
  let service: StepFunctionsService;
  let sfn: SFNClient;
  const tokens: string[] = [];
  const notify: LambdaModule = {
    handler: (event) => {
      tokens.push((event as { token: string }).token);
      return { sent: true };
    },
  };
  let approvalArn: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'accord-sfn-'));
    service = await startStepFunctionsService({ dataDir, clock: 'virtual', virtualStart: Date.UTC(2026, 0, 5), resolveLambda: (name) => (name === 'notify' ? notify : undefined) });
    sfn = clientFor(service);
    const created = await sfn.send(new CreateStateMachineCommand({ name: 'approval', definition: JSON.stringify(approval), roleArn: ROLE }));
    approvalArn = created.stateMachineArn ?? '';
  });

  afterAll(async () => {
    sfn.destroy();
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  afterEach(() => {
    tokens.length = 0;
  });

  it('registers state machines: create is idempotent for the same definition, describe and list find them', async () => {
    expect(approvalArn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:approval');
    const again = await sfn.send(new CreateStateMachineCommand({ name: 'approval', definition: JSON.stringify(approval), roleArn: ROLE }));
    expect(again.stateMachineArn).toBe(approvalArn);
    expect(await errorOf(sfn.send(new CreateStateMachineCommand({ name: 'approval', definition: JSON.stringify(waiting), roleArn: ROLE })))).toEqual({
      name: 'StateMachineAlreadyExists',
      message: `State Machine Already Exists: '${approvalArn}'`,
      status: 400,
    });
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: approvalArn }));
    expect(described).toMatchObject({ name: 'approval', status: 'ACTIVE', type: 'STANDARD', roleArn: ROLE, definition: JSON.stringify(approval) });
    expect(described.creationDate).toEqual(new Date(Date.UTC(2026, 0, 5)));
    const listed = await sfn.send(new ListStateMachinesCommand({}));
    expect(listed.stateMachines?.map((m) => m.stateMachineArn)).toContain(approvalArn);
    const bad = await errorOf(sfn.send(new CreateStateMachineCommand({ name: 'broken', definition: '{"StartAt":"A","States":{"A":{"Type":"Nope"}}}', roleArn: ROLE })));
    expect(bad.name).toBe('InvalidDefinition');
    expect(bad.message).toMatch(/^Invalid State Machine Definition: '/);
  });

  it('drives an execution through a task token: heartbeat, success, and the token is spent', async () => {
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: approvalArn, name: 'run-1', input: JSON.stringify({ who: 'legal' }) }));
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:approval:run-1');
    const token = await until(() => tokens[0], 'the task token');

    // Name idempotency: same name and input while running answers the same execution; another input is refused.
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn: approvalArn, name: 'run-1', input: JSON.stringify({ who: 'legal' }) }));
    expect(again).toMatchObject({ executionArn: started.executionArn, startDate: started.startDate });
    expect(await errorOf(sfn.send(new StartExecutionCommand({ stateMachineArn: approvalArn, name: 'run-1', input: '{"who":"ops"}' })))).toEqual({
      name: 'ExecutionAlreadyExists',
      message: `Execution Already Exists: '${started.executionArn}'`,
      status: 400,
    });

    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    const running = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(running).toMatchObject({ status: 'RUNNING', name: 'run-1', input: '{"who":"legal"}', stateMachineArn: approvalArn });
    expect(running.stopDate).toBeUndefined();

    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ decision: 'yes' }) }));
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: '{"approved":"yes"}' });
    expect(done.stopDate).toBeInstanceOf(Date);

    const spent = "Task Timed Out: 'Provided task does not exist anymore'";
    expect(await errorOf(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toEqual({ name: 'TaskTimedOut', message: spent, status: 400 });
    expect(await errorOf(sfn.send(new SendTaskHeartbeatCommand({ taskToken: token })))).toMatchObject({ name: 'TaskTimedOut' });
    expect(await errorOf(sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'X' })))).toMatchObject({ name: 'TaskTimedOut' });
    expect(await errorOf(sfn.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' })))).toMatchObject({ name: 'InvalidToken', status: 400 });
    expect(await errorOf(sfn.send(new StartExecutionCommand({ stateMachineArn: approvalArn, name: 'run-1', input: JSON.stringify({ who: 'legal' }) })))).toMatchObject({
      name: 'ExecutionAlreadyExists',
    });

    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));
    expect(history.events?.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    const [first, , scheduled, , , succeeded] = history.events ?? [];
    expect(first).toMatchObject({ id: 1, previousEventId: 0, executionStartedEventDetails: { input: '{"who":"legal"}', inputDetails: { truncated: false }, roleArn: ROLE } });
    expect(first?.timestamp).toBeInstanceOf(Date);
    expect(scheduled?.taskScheduledEventDetails).toMatchObject({ resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: 'us-east-1', timeoutInSeconds: 3 * DAY, heartbeatInSeconds: DAY });
    expect(JSON.parse(scheduled?.taskScheduledEventDetails?.parameters ?? '{}')).toMatchObject({ Payload: { token, who: 'legal' } });
    expect(succeeded?.taskSucceededEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke.waitForTaskToken', output: '{"decision":"yes"}', outputDetails: { truncated: false } });

    const paged = await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, maxResults: 4, reverseOrder: true, includeExecutionData: false }));
    expect(paged.events?.map((e) => e.id)).toEqual([10, 9, 8, 7]);
    expect(paged.events?.[0]?.executionSucceededEventDetails).toBeUndefined();
    const rest = await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, maxResults: 100, reverseOrder: true, nextToken: paged.nextToken }));
    expect(rest.events?.map((e) => e.id)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(rest.nextToken).toBeUndefined();
  });

  it('fires a three-day task timeout at once under the virtual clock; the token is then timed out', async () => {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: approvalArn, name: 'lapses', input: '{"who":"ops"}' }));
    const token = await until(() => tokens[0], 'the task token');
    const before = service.now();
    // Heartbeats every day keep it alive until the three-day task timeout.
    for (let day = 0; day < 3; day++) {
      await service.advance(DAY * 1000 - 1);
      await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    }
    await service.advance(10);
    expect(service.now() - before).toBe(3 * DAY * 1000 + 7);
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: '{"lapsed":"States.Timeout"}' });
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const timedOut = history.events?.find((e) => e.type === 'TaskTimedOut');
    expect(timedOut?.taskTimedOutEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke.waitForTaskToken', error: 'States.Timeout' });
    expect(await errorOf(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toMatchObject({ name: 'TaskTimedOut' });
  });

  it('fails a task with SendTaskFailure and stops an execution with StopExecution', async () => {
    const failed = await sfn.send(new StartExecutionCommand({ stateMachineArn: approvalArn, input: '{"who":"a"}' }));
    const token = await until(() => tokens[0], 'the task token');
    await sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'Declined', cause: 'not this quarter' }));
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn: failed.executionArn }))).toMatchObject({ status: 'FAILED', error: 'Declined', cause: 'not this quarter' });

    const stopped = await sfn.send(new StartExecutionCommand({ stateMachineArn: approvalArn, name: 'to-stop', input: '{"who":"b"}' }));
    const stop = await sfn.send(new StopExecutionCommand({ executionArn: stopped.executionArn, error: 'Withdrawn', cause: 'partner left' }));
    expect(stop.stopDate).toBeInstanceOf(Date);
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn: stopped.executionArn }))).toMatchObject({ status: 'ABORTED', error: 'Withdrawn', cause: 'partner left' });

    const aborted = await sfn.send(new ListExecutionsCommand({ stateMachineArn: approvalArn, statusFilter: 'ABORTED' }));
    expect(aborted.executions?.map((e) => e.name)).toEqual(['to-stop']);
    const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn: approvalArn, maxResults: 2 }));
    expect(all.executions).toHaveLength(2);
    expect(all.nextToken).toBeDefined();
    expect(all.executions?.[0]).toMatchObject({ stateMachineArn: approvalArn, status: expect.any(String) as string });
  });

  it('answers unknown names and bad input with the errors AWS gives', async () => {
    const unknownExecution = 'arn:aws:states:us-east-1:000000000000:execution:approval:nope';
    expect(await errorOf(sfn.send(new DescribeExecutionCommand({ executionArn: unknownExecution })))).toEqual({
      name: 'ExecutionDoesNotExist',
      message: `Execution Does Not Exist: '${unknownExecution}'`,
      status: 400,
    });
    const unknownMachine = 'arn:aws:states:us-east-1:000000000000:stateMachine:nope';
    expect(await errorOf(sfn.send(new StartExecutionCommand({ stateMachineArn: unknownMachine })))).toEqual({
      name: 'StateMachineDoesNotExist',
      message: `State Machine Does Not Exist: '${unknownMachine}'`,
      status: 400,
    });
    expect(await errorOf(sfn.send(new ListExecutionsCommand({ stateMachineArn: unknownMachine })))).toMatchObject({ name: 'StateMachineDoesNotExist' });
    expect(await errorOf(sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:approval' })))).toMatchObject({ name: 'InvalidArn' });
    expect(await errorOf(sfn.send(new StartExecutionCommand({ stateMachineArn: approvalArn, input: '{not json' })))).toMatchObject({ name: 'InvalidExecutionInput' });
    expect(await errorOf(sfn.send(new StartExecutionCommand({ stateMachineArn: approvalArn, name: 'has space' })))).toEqual({ name: 'InvalidName', message: "Invalid Name: 'has space'", status: 400 });
    const big = JSON.stringify({ blob: 'x'.repeat(262_144) });
    expect(await errorOf(sfn.send(new StartExecutionCommand({ stateMachineArn: approvalArn, input: big })))).toMatchObject({ name: 'ValidationException' });
    expect(await errorOf(sfn.send(new SendTaskSuccessCommand({ taskToken: 'x', output: 'not json' })))).toMatchObject({ name: 'InvalidOutput' });
    const ghost = Buffer.from(JSON.stringify({ e: unknownExecution, n: '1' })).toString('base64url');
    expect(await errorOf(sfn.send(new SendTaskSuccessCommand({ taskToken: ghost, output: '{}' })))).toMatchObject({ name: 'TaskDoesNotExist' });
  });
});

describe('restart on the same data folder', () => {
  it('picks up a waiting execution and its task token, and the virtual clock resumes where it stopped', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'accord-sfn-'));
    const tokens: string[] = [];
    const notify: LambdaModule = { handler: (event) => (tokens.push((event as { token: string }).token), { sent: true }) };
    const options = { dataDir, clock: 'virtual' as const, virtualStart: Date.UTC(2026, 0, 5), lambdas: { notify } };
    try {
      let service = await startStepFunctionsService(options);
      const waitArn = await service.registerStateMachine('waiting', waiting);
      const approvalArn = await service.registerStateMachine('approval', approval);
      const sleeping = await service.engine.startExecution({ stateMachineArn: waitArn, name: 'sleeper' });
      const asking = await service.engine.startExecution({ stateMachineArn: approvalArn, name: 'asker', input: { who: 'x' } });
      const token = await until(() => tokens[0], 'the task token');
      await service.advance(1000 * 1800);
      await expect(startStepFunctionsService(options)).rejects.toThrow(/in use by process/);
      await service.stop();

      service = await startStepFunctionsService(options);
      try {
        expect(service.recovered).toBe(2);
        expect(service.now()).toBe(Date.UTC(2026, 0, 5) + 1000 * 1800);
        await service.advance(1000 * 1800);
        expect(await service.engine.describeExecution(sleeping.executionArn)).toMatchObject({ status: 'SUCCEEDED', output: { woke: true } });
        const sfn = clientFor(service);
        await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"decision":"late yes"}' }));
        expect(await sfn.send(new DescribeExecutionCommand({ executionArn: asking.executionArn }))).toMatchObject({ status: 'SUCCEEDED', output: '{"approved":"late yes"}' });
        sfn.destroy();
        // The Lambda that received the token had returned before the stop: it is not invoked again.
        expect(tokens).toEqual([token]);
      } finally {
        await service.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
