/** An error raised inside an execution, named the way Step Functions names it. */
export class StatesError extends Error {
  readonly error: string;
  readonly causeText: string | undefined;
  constructor(error: string, cause?: string) {
    super(cause === undefined ? error : `${error}: ${cause}`);
    this.name = 'StatesError';
    this.error = error;
    this.causeText = cause;
  }
}

/**
 * An error found while evaluating a state's fields; its cause is prefixed with
 * the state's name and entered event id, as Step Functions reports it.
 */
export class EvaluationError extends StatesError {
  constructor(error: string, detail: string) {
    super(error, detail);
    this.name = 'EvaluationError';
  }
}

/** Raised when a definition cannot be run: structural problems, unknown resources. */
export class DefinitionError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid state machine definition: ${problems.join('; ')}`);
    this.name = 'DefinitionError';
    this.problems = problems;
  }
}

export const ERR = {
  ALL: 'States.ALL',
  Runtime: 'States.Runtime',
  TaskFailed: 'States.TaskFailed',
  Timeout: 'States.Timeout',
  HeartbeatTimeout: 'States.HeartbeatTimeout',
  NoChoiceMatched: 'States.NoChoiceMatched',
  DataLimitExceeded: 'States.DataLimitExceeded',
  IntrinsicFailure: 'States.IntrinsicFailure',
  ParameterPathFailure: 'States.ParameterPathFailure',
  ResultPathMatchFailure: 'States.ResultPathMatchFailure',
  ItemReaderFailed: 'States.ItemReaderFailed',
  ExceedToleratedFailureThreshold: 'States.ExceedToleratedFailureThreshold',
  QueryEvaluationError: 'States.QueryEvaluationError',
  BranchFailed: 'States.BranchFailed',
  Permissions: 'States.Permissions',
} as const;
