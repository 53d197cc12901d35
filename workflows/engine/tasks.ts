/**
 * Carrying out a Task's invoke effect: the resource integrations the local
 * runtime supports, with the result and error shapes Step Functions gives.
 */
import { ERR, StatesError } from './errors.ts';
import { type ItemReaderRequest, readItems } from './item-reader.ts';
import { type Json, isObject } from './json.ts';
import { type LambdaInvokeResponse, type LambdaInvoker, LambdaNotFoundError, functionNameOf } from './lambda.ts';
import { MAX_PAYLOAD_BYTES } from './interpreter.ts';
import { parseResource } from './program.ts';
import type { Effect, ExecutionEvent, ExecutionRecord } from './types.ts';

export interface TaskEnvironment {
  lambda: LambdaInvoker;
  now(): number;
  newId(): string;
  region: string;
  account: string;
  /** StartExecution of another local state machine. */
  startExecution(args: { stateMachineArn: string; input: Json; name?: string }): Promise<{ executionArn: string; startDate: number }>;
  /** Resolves when that execution has stopped. */
  waitForExecution(executionArn: string): Promise<ExecutionRecord>;
}

type InvokeEffect = Extract<Effect, { kind: 'invoke' }>;
type TaskOutcome = Extract<ExecutionEvent, { kind: 'taskSucceeded' | 'taskFailed' | 'taskSubmitted' }>;

/** The Lambda Invoke API response as the lambda:invoke integration returns it. */
export function invokeEnvelope(res: LambdaInvokeResponse, payload: Json, now: number): Json {
  const length = String(Buffer.byteLength(res.payload, 'utf8'));
  const date = new Date(now).toUTCString();
  const traceId = `Root=1-${Math.floor(now / 1000).toString(16)}-${res.requestId.replace(/-/g, '').slice(0, 24)};Sampled=0;Lineage=1`;
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload,
    SdkHttpMetadata: {
      AllHttpHeaders: {
        'X-Amz-Executed-Version': ['$LATEST'],
        'x-amzn-Remapped-Content-Length': ['0'],
        Connection: ['keep-alive'],
        'x-amzn-RequestId': [res.requestId],
        'Content-Length': [length],
        Date: [date],
        'X-Amzn-Trace-Id': [traceId],
        'Content-Type': ['application/json'],
      },
      HttpHeaders: {
        Connection: 'keep-alive',
        'Content-Length': length,
        'Content-Type': 'application/json',
        Date: date,
        'X-Amz-Executed-Version': '$LATEST',
        'x-amzn-Remapped-Content-Length': '0',
        'x-amzn-RequestId': res.requestId,
        'X-Amzn-Trace-Id': traceId,
      },
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: res.requestId },
    StatusCode: 200,
  };
}

function errorTypeOf(payload: string): string | undefined {
  try {
    const parsed = JSON.parse(payload) as unknown;
    if (isObject(parsed) && typeof parsed.errorType === 'string') return parsed.errorType;
  } catch {
    // not JSON
  }
  return undefined;
}

function compactJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

function tooLarge(text: string): boolean {
  return Buffer.byteLength(text, 'utf8') > MAX_PAYLOAD_BYTES;
}

export async function runTask(effect: InvokeEffect, env: TaskEnvironment): Promise<TaskOutcome> {
  const { frameId, invocationId } = effect;
  const ok = (output: Json): TaskOutcome => ({ kind: 'taskSucceeded', frameId, invocationId, output });
  const failed = (error: string, cause?: string): TaskOutcome => ({ kind: 'taskFailed', frameId, invocationId, error, ...(cause !== undefined ? { cause } : {}) });
  if (effect.itemReader) {
    try {
      return ok(await readItems(effect.parameters as unknown as ItemReaderRequest));
    } catch (err) {
      if (err instanceof StatesError) return failed(err.error, err.causeText);
      return failed(ERR.ItemReaderFailed, err instanceof Error ? err.message : String(err));
    }
  }
  const kind = parseResource(effect.resource);
  if (!kind) return failed(ERR.Runtime, `Unsupported resource '${effect.resource}'`);
  const requestId = env.newId();

  const callLambda = async (fn: string, payload: Json): Promise<LambdaInvokeResponse | TaskOutcome> => {
    try {
      return await env.lambda.invoke(fn, payload, requestId);
    } catch (err) {
      if (err instanceof LambdaNotFoundError) {
        const arn = `arn:aws:lambda:${env.region}:${env.account}:function:${functionNameOf(fn)}`;
        return failed(
          'Lambda.ResourceNotFoundException',
          `Function not found: ${arn} (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: ${requestId}; Proxy: null)`,
        );
      }
      return failed('Lambda.ServiceException', err instanceof Error ? err.message : String(err));
    }
  };

  switch (kind.kind) {
    case 'lambda-function': {
      const res = await callLambda(kind.functionArn, effect.parameters);
      if ('kind' in res) return res;
      if (res.functionError) return failed(errorTypeOf(res.payload) ?? 'Lambda.Unknown', res.payload);
      if (tooLarge(res.payload)) {
        return failed(ERR.DataLimitExceeded, `The state/task '${effect.resource}' returned a result with a size exceeding the maximum number of bytes service limit.`);
      }
      return ok(JSON.parse(res.payload) as Json);
    }
    case 'lambda-invoke': {
      const params = effect.parameters;
      if (!isObject(params) || typeof params.FunctionName !== 'string') {
        return failed(ERR.Runtime, 'The lambda:invoke integration needs Parameters/Arguments with a FunctionName string');
      }
      const payload = params.Payload === undefined ? {} : params.Payload;
      const res = await callLambda(params.FunctionName, payload);
      if ('kind' in res) return res;
      if (res.functionError) return failed(errorTypeOf(res.payload) ?? 'Lambda.Unknown', compactJson(res.payload));
      if (tooLarge(res.payload)) {
        return failed(ERR.DataLimitExceeded, `The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit.`);
      }
      const output = invokeEnvelope(res, JSON.parse(res.payload) as Json, env.now());
      if (kind.waitForTaskToken) return { kind: 'taskSubmitted', frameId, invocationId, output };
      return ok(output);
    }
    case 'start-execution': {
      const params = effect.parameters;
      if (!isObject(params) || typeof params.StateMachineArn !== 'string') {
        return failed(ERR.Runtime, 'The states:startExecution integration needs a StateMachineArn');
      }
      let input: Json = params.Input ?? {};
      if (typeof input === 'string') {
        try {
          input = JSON.parse(input) as Json;
        } catch {
          return failed('StepFunctions.InvalidExecutionInputException', 'The execution input is not valid JSON');
        }
      }
      let started: { executionArn: string; startDate: number };
      try {
        started = await env.startExecution({ stateMachineArn: params.StateMachineArn, input, ...(typeof params.Name === 'string' ? { name: params.Name } : {}) });
      } catch (err) {
        const name = err instanceof Error && err.name ? err.name : 'Error';
        return failed(`StepFunctions.${name}`, err instanceof Error ? err.message : String(err));
      }
      const startDate = new Date(started.startDate).toISOString();
      if (kind.mode === 'async') return ok({ ExecutionArn: started.executionArn, StartDate: startDate });
      if (kind.mode === 'token') return { kind: 'taskSubmitted', frameId, invocationId, output: { ExecutionArn: started.executionArn, StartDate: startDate } };
      const done = await env.waitForExecution(started.executionArn);
      const describe: Record<string, Json> = {
        ExecutionArn: done.executionArn,
        StateMachineArn: done.stateMachineArn,
        Name: done.name,
        Status: done.status,
        StartDate: startDate,
        StopDate: new Date(done.stopDate ?? env.now()).toISOString(),
        Input: kind.mode === 'sync2' ? done.input : JSON.stringify(done.input),
        ...(done.output !== undefined ? { Output: kind.mode === 'sync2' ? done.output : JSON.stringify(done.output) } : {}),
        ...(done.error !== undefined ? { Error: done.error } : {}),
        ...(done.cause !== undefined ? { Cause: done.cause } : {}),
      };
      if (done.status === 'SUCCEEDED') return ok(describe);
      return failed(ERR.TaskFailed, JSON.stringify(describe));
    }
  }
}
