/**
 * The Step Functions API operations over an Engine, with AWS's request and
 * response shapes (camelCase members, dates as epoch seconds, payloads as
 * JSON strings) and AWS's error names and messages. Transport-free: the
 * HTTP server in service.ts feeds it the operation name from X-Amz-Target
 * and the parsed body.
 */
import { DefinitionError } from '../engine/errors.ts';
import { type Engine, SfnApiError } from '../engine/engine.ts';
import type { Json } from '../engine/json.ts';
import type { ExecutionStore } from '../engine/store.ts';
import type { ExecutionRecord, ExecutionStatus } from '../engine/types.ts';
import { apiHistoryEvent } from './history.ts';

type Body = Record<string, unknown>;
type Answer = Record<string, Json>;

const MAX_PAYLOAD = 262_144;
const STATUSES: ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
const DEFAULT_ROLE = 'arn:aws:iam::000000000000:role/accord-local';

const seconds = (ms: number): number => ms / 1000;

function validation(message: string): SfnApiError {
  return new SfnApiError('ValidationException', `1 validation error detected: ${message}`);
}

function requiredString(body: Body, member: string): string {
  const v = body[member];
  if (v === undefined || v === null) throw validation(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  if (typeof v !== 'string') throw new SfnApiError('SerializationException', `Unexpected value for '${member}': a string was expected`);
  return v;
}

function optionalString(body: Body, member: string): string | undefined {
  const v = body[member];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new SfnApiError('SerializationException', `Unexpected value for '${member}': a string was expected`);
  return v;
}

function maxLength(member: string, value: string | undefined, max: number): void {
  if (value !== undefined && value.length > max) {
    throw validation(`Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
  }
}

/** AWS's rule for state machine and execution names. */
function checkName(name: string): void {
  // eslint-disable-next-line no-control-regex
  if (name.length < 1 || name.length > 80 || /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/.test(name)) {
    throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
  }
}

function checkArn(arn: string, kind: 'stateMachine' | 'execution'): void {
  const re = kind === 'stateMachine' ? /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/ : /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;
  if (!re.test(arn)) throw new SfnApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
}

function parseJsonMember(text: string, errorName: string, prefix: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new SfnApiError(errorName, `${prefix}: '${err instanceof Error ? err.message : String(err)}'`);
  }
}

/** Pagination token: the offset into a stable ordering, opaque to callers. */
function readToken(body: Body): number {
  const token = optionalString(body, 'nextToken');
  if (token === undefined) return 0;
  const n = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(n) || n < 0) throw new SfnApiError('InvalidToken', `Invalid Token: 'Invalid nextToken'`);
  return n;
}

function page<T>(items: T[], body: Body, defaultSize: number): { items: T[]; nextToken?: string } {
  const start = readToken(body);
  const raw = body.maxResults;
  const size = typeof raw === 'number' && raw > 0 ? Math.min(raw, 1000) : defaultSize;
  const slice = items.slice(start, start + size);
  const next = start + size;
  return next < items.length ? { items: slice, nextToken: Buffer.from(String(next), 'utf8').toString('base64url') } : { items: slice };
}

function executionSummary(r: ExecutionRecord): Answer {
  return {
    executionArn: r.executionArn,
    stateMachineArn: r.stateMachineArn,
    name: r.name,
    status: r.status,
    startDate: seconds(r.startDate),
    ...(r.stopDate !== undefined ? { stopDate: seconds(r.stopDate) } : {}),
  };
}

export class StepFunctionsApi {
  constructor(
    private readonly engine: Engine,
    private readonly store: ExecutionStore,
    private readonly region: string,
  ) {}

  /** Runs one operation; throws SfnApiError for what AWS answers with an error. */
  async call(operation: string, body: Body): Promise<Answer> {
    switch (operation) {
      case 'CreateStateMachine':
        return this.createStateMachine(body);
      case 'DescribeStateMachine':
        return this.describeStateMachine(body);
      case 'ListStateMachines':
        return this.listStateMachines(body);
      case 'StartExecution':
        return this.startExecution(body);
      case 'DescribeExecution':
        return this.describeExecution(body);
      case 'StopExecution':
        return this.stopExecution(body);
      case 'ListExecutions':
        return this.listExecutions(body);
      case 'GetExecutionHistory':
        return this.getExecutionHistory(body);
      case 'SendTaskSuccess':
        return this.sendTaskSuccess(body);
      case 'SendTaskFailure':
        return this.sendTaskFailure(body);
      case 'SendTaskHeartbeat':
        return this.sendTaskHeartbeat(body);
      default:
        throw new SfnApiError('UnknownOperationException', `The local Step Functions service does not support the operation '${operation}'`);
    }
  }

  private async createStateMachine(body: Body): Promise<Answer> {
    const name = requiredString(body, 'name');
    const definition = requiredString(body, 'definition');
    const roleArn = requiredString(body, 'roleArn');
    checkName(name);
    const type = optionalString(body, 'type') ?? 'STANDARD';
    if (type !== 'STANDARD') throw new SfnApiError('ValidationException', `The local Step Functions service runs STANDARD state machines only, not ${type}`);
    const arn = this.engine.stateMachineArn(name);
    const existing = await this.store.getStateMachine(arn);
    if (existing) {
      // Same name, definition and role: AWS answers with the existing machine.
      if (existing.definition === definition && (existing.roleArn ?? DEFAULT_ROLE) === roleArn) {
        return { stateMachineArn: arn, creationDate: seconds(existing.creationDate) };
      }
      throw new SfnApiError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    try {
      const created = await this.engine.createStateMachine({ name, definition, roleArn });
      return { stateMachineArn: created.stateMachineArn, creationDate: seconds(created.creationDate) };
    } catch (err) {
      if (err instanceof DefinitionError) throw new SfnApiError('InvalidDefinition', `Invalid State Machine Definition: '${err.problems.join(', ')}'`);
      throw err;
    }
  }

  private async machine(arn: string): Promise<NonNullable<Awaited<ReturnType<ExecutionStore['getStateMachine']>>>> {
    checkArn(arn, 'stateMachine');
    const sm = await this.store.getStateMachine(arn);
    if (!sm) throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return sm;
  }

  private async describeStateMachine(body: Body): Promise<Answer> {
    const sm = await this.machine(requiredString(body, 'stateMachineArn'));
    return {
      stateMachineArn: sm.stateMachineArn,
      name: sm.name,
      status: 'ACTIVE',
      definition: sm.definition,
      roleArn: sm.roleArn ?? DEFAULT_ROLE,
      type: 'STANDARD',
      creationDate: seconds(sm.creationDate),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  private async listStateMachines(body: Body): Promise<Answer> {
    const all = await this.store.listStateMachines();
    const { items, nextToken } = page(all, body, 100);
    return {
      stateMachines: items.map((sm) => ({ stateMachineArn: sm.stateMachineArn, name: sm.name, type: 'STANDARD', creationDate: seconds(sm.creationDate) })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  private async startExecution(body: Body): Promise<Answer> {
    const stateMachineArn = requiredString(body, 'stateMachineArn');
    const name = optionalString(body, 'name');
    const inputText = optionalString(body, 'input');
    if (name !== undefined) checkName(name);
    maxLength('input', inputText, MAX_PAYLOAD);
    await this.machine(stateMachineArn);
    const input = inputText === undefined ? {} : parseJsonMember(inputText, 'InvalidExecutionInput', 'Invalid State Machine Execution Input');
    const started = await this.engine.startExecution({ stateMachineArn, input, ...(name !== undefined ? { name } : {}) });
    return { executionArn: started.executionArn, startDate: seconds(started.startDate) };
  }

  private async execution(body: Body): Promise<ExecutionRecord> {
    const arn = requiredString(body, 'executionArn');
    checkArn(arn, 'execution');
    return this.engine.describeExecution(arn);
  }

  private async describeExecution(body: Body): Promise<Answer> {
    const r = await this.execution(body);
    return {
      ...executionSummary(r),
      input: JSON.stringify(r.input),
      inputDetails: { included: true },
      ...(r.status === 'SUCCEEDED' ? { output: JSON.stringify(r.output ?? null), outputDetails: { included: true } } : {}),
      ...(r.error !== undefined ? { error: r.error } : {}),
      ...(r.cause !== undefined ? { cause: r.cause } : {}),
      redriveCount: 0,
    };
  }

  private async stopExecution(body: Body): Promise<Answer> {
    const r = await this.execution(body);
    const error = optionalString(body, 'error');
    const cause = optionalString(body, 'cause');
    maxLength('error', error, 256);
    maxLength('cause', cause, 32_768);
    const { stopDate } = await this.engine.stopExecution(r.executionArn, { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) });
    return { stopDate: seconds(stopDate) };
  }

  private async listExecutions(body: Body): Promise<Answer> {
    const sm = await this.machine(requiredString(body, 'stateMachineArn'));
    const status = optionalString(body, 'statusFilter');
    if (status !== undefined && !STATUSES.includes(status as ExecutionStatus)) {
      throw validation(`Value '${status}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${STATUSES.join(', ')}]`);
    }
    const records = await this.engine.listExecutions({ stateMachineArn: sm.stateMachineArn, ...(status !== undefined ? { status: status as ExecutionStatus } : {}) });
    const { items, nextToken } = page(records, body, 100);
    return { executions: items.map(executionSummary), ...(nextToken ? { nextToken } : {}) };
  }

  private async getExecutionHistory(body: Body): Promise<Answer> {
    const r = await this.execution(body);
    const includeData = body.includeExecutionData !== false;
    let events = await this.engine.getExecutionHistory(r.executionArn);
    if (body.reverseOrder === true) events = [...events].reverse();
    const { items, nextToken } = page(events, body, 100);
    return { events: items.map((e) => apiHistoryEvent(e, this.region, includeData)), ...(nextToken ? { nextToken } : {}) };
  }

  private token(body: Body): string {
    const token = requiredString(body, 'taskToken');
    if (token.length < 1 || token.length > 2048) throw validation(`Value at 'taskToken' failed to satisfy constraint: Member must have length less than or equal to 2048`);
    return token;
  }

  private async sendTaskSuccess(body: Body): Promise<Answer> {
    const token = this.token(body);
    const text = requiredString(body, 'output');
    maxLength('output', text, MAX_PAYLOAD);
    const output = parseJsonMember(text, 'InvalidOutput', 'Invalid Output');
    await this.engine.sendTaskSuccess(token, output);
    return {};
  }

  private async sendTaskFailure(body: Body): Promise<Answer> {
    const token = this.token(body);
    const error = optionalString(body, 'error');
    const cause = optionalString(body, 'cause');
    maxLength('error', error, 256);
    maxLength('cause', cause, 32_768);
    await this.engine.sendTaskFailure(token, error, cause);
    return {};
  }

  private async sendTaskHeartbeat(body: Body): Promise<Answer> {
    await this.engine.sendTaskHeartbeat(this.token(body));
    return {};
  }
}
