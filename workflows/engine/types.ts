/** Amazon States Language shapes and the serialisable state of an execution. */
import type { Json, JsonObject } from './json.ts';

export type QueryLanguage = 'JSONPath' | 'JSONata';

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
  Output?: Json;
  Assign?: JsonObject;
}

export interface ChoiceRule {
  Next?: string;
  Condition?: Json;
  Variable?: string;
  And?: ChoiceRule[];
  Or?: ChoiceRule[];
  Not?: ChoiceRule;
  Assign?: JsonObject;
  Output?: Json;
  [operator: string]: Json | ChoiceRule | ChoiceRule[] | undefined;
}

export interface StatesBlock {
  StartAt: string;
  States: Record<string, StateDef>;
  ProcessorConfig?: { Mode?: string; ExecutionType?: string };
}

/** One state of a definition; fields are read according to Type and query language. */
export interface StateDef {
  Type: 'Task' | 'Pass' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';
  QueryLanguage?: QueryLanguage;
  Comment?: string;
  Next?: string;
  End?: boolean;
  // JSONPath
  InputPath?: string | null;
  OutputPath?: string | null;
  ResultPath?: string | null;
  Parameters?: Json;
  ResultSelector?: Json;
  Result?: Json;
  // JSONata
  Arguments?: Json;
  Output?: Json;
  // both
  Assign?: JsonObject;
  Retry?: Retrier[];
  Catch?: Catcher[];
  // Task
  Resource?: string;
  Credentials?: Json;
  TimeoutSeconds?: number | string;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number | string;
  HeartbeatSecondsPath?: string;
  // Choice
  Choices?: ChoiceRule[];
  Default?: string;
  // Wait
  Seconds?: number | string;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  // Fail
  Error?: string;
  ErrorPath?: string;
  Cause?: string;
  CausePath?: string;
  // Parallel
  Branches?: StatesBlock[];
  // Map
  Items?: Json;
  ItemsPath?: string;
  ItemSelector?: Json;
  ItemProcessor?: StatesBlock;
  Iterator?: StatesBlock;
  MaxConcurrency?: number | string;
  MaxConcurrencyPath?: string;
  ToleratedFailureCount?: number | string;
  ToleratedFailureCountPath?: string;
  ToleratedFailurePercentage?: number | string;
  ToleratedFailurePercentagePath?: string;
  ItemReader?: Json;
  ItemBatcher?: Json;
  ResultWriter?: Json;
  Label?: string;
}

export interface StateMachineDefinition extends StatesBlock {
  Comment?: string;
  Version?: string;
  TimeoutSeconds?: number;
  QueryLanguage?: QueryLanguage;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** What a frame is waiting for, with the deadlines that wake it. */
export type Pending =
  | {
      kind: 'task';
      /** Unique per attempt; results for older attempts are ignored. */
      invocationId: string;
      resource: string;
      parameters: Json;
      taskToken?: string;
      /** For waitForTaskToken: the Lambda that receives the token has returned. */
      submitted?: boolean;
      deadline?: number;
      heartbeatDeadline?: number;
      heartbeatSeconds?: number;
      /** A Distributed Map reading its items (parameters: an ItemReaderRequest); the result starts the iterations. */
      itemReader?: true;
    }
  | { kind: 'wait'; until: number }
  | { kind: 'retry'; until: number }
  | {
      kind: 'branches';
      /** Child frame ids by branch or item index; null once that child finished. */
      children: (string | null)[];
      results: (Json | null)[];
      done: boolean[];
      /** Map: the iteration inputs not started yet begin at nextIndex. */
      items?: Json[];
      rawItems?: Json[];
      nextIndex: number;
      maxConcurrency: number;
      failures: number;
      toleratedCount?: number;
      toleratedPercentage?: number;
      stateInput: Json;
      effectiveInput: Json;
    };

/** One thread of control through a block of states: the root, a branch or a map iteration. */
export interface Frame {
  id: string;
  parentId?: string;
  /** Index of this frame in its parent's branches/items. */
  index?: number;
  /** Key of the states block this frame runs in (see Program.blocks). */
  block: string;
  current: string;
  input: Json;
  vars: Record<string, Json>;
  enteredEventId: number;
  enteredTime: number;
  retryCounts: number[];
  /** Total retries of the current state ($$.State.RetryCount). */
  retryCount: number;
  /** Map iteration: $$.Map.Item. */
  mapItem?: { Index: number; Value: Json };
  pending?: Pending;
}

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  details?: Record<string, Json>;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: Json;
  output?: Json;
  error?: string;
  cause?: string;
  startDate: number;
  stopDate?: number;
  /** Execution TimeoutSeconds as an absolute deadline. */
  deadline?: number;
  nextEventId: number;
  nextSeq: number;
  rootFrameId: string;
  frames: Record<string, Frame>;
  /** Task token -> frame id, for SendTaskSuccess/Failure/Heartbeat. */
  tokens: Record<string, string>;
}

/** Something the outside world must do for an execution to progress. */
export type Effect =
  | {
      kind: 'invoke';
      executionArn: string;
      frameId: string;
      invocationId: string;
      stateName: string;
      resource: string;
      parameters: Json;
      taskToken?: string;
      /** Read a Distributed Map's items (parameters: an ItemReaderRequest) instead of running a Task resource. */
      itemReader?: true;
    }
  | { kind: 'timer'; executionArn: string; frameId: string; at: number; key: string }
  | { kind: 'finished'; executionArn: string; status: ExecutionStatus };

/** What can happen to an execution from outside. */
export type ExecutionEvent =
  | { kind: 'start' }
  | { kind: 'taskSucceeded'; frameId: string; invocationId: string; output: Json }
  | { kind: 'taskFailed'; frameId: string; invocationId: string; error: string; cause?: string }
  /** The Lambda that received a task token returned; the task now waits for the token. */
  | { kind: 'taskSubmitted'; frameId: string; invocationId: string; output: Json }
  | { kind: 'timer'; frameId: string; key: string }
  | { kind: 'tokenSuccess'; token: string; output: Json }
  | { kind: 'tokenFailure'; token: string; error?: string; cause?: string }
  | { kind: 'tokenHeartbeat'; token: string }
  | { kind: 'executionTimeout' }
  | { kind: 'stop'; error?: string; cause?: string };
