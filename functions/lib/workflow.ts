import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidToken,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { ENGAGEMENT_STATE_MACHINE_ENV, purgeExecutionName, runExecutionName } from '../../workflows/engagement/names.ts';
import type { WaitingFor } from '../store/agreement-store.ts';
import { sfn } from './clients.ts';
import { requireEnv } from './config.ts';
import { agreementStore } from './stores.ts';

/**
 * How the API and the tasks talk to an agreement's engagement workflow: start
 * it, stop it, and answer what it waits for. Each is safe to repeat: the
 * execution is named after the agreement, and a wait answered twice (by the
 * API and by the task that found the condition already met) is answered once.
 */

function stateMachineArn(): string {
  return requireEnv(ENGAGEMENT_STATE_MACHINE_ENV);
}

export function executionArnOf(executionName: string): string {
  return `${stateMachineArn().replace(':stateMachine:', ':execution:')}:${executionName}`;
}

/** Starts the agreement's engagement; already started is fine. */
export async function startEngagement(agreementId: string): Promise<void> {
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn: stateMachineArn(), name: agreementId, input: JSON.stringify({ agreementId }) }));
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
  }
}

/** The executions that may be running the agreement's runs: the first, the current run's, and the next one of recurring terms. */
async function runExecutionNames(agreementId: string): Promise<string[]> {
  const stored = await agreementStore().get(agreementId);
  const runId = stored?.agreement.currentRunId;
  const run = runId ? await agreementStore().getRun(agreementId, runId) : undefined;
  const names = new Set([agreementId]);
  if (run) {
    names.add(run.executionName);
    names.add(runExecutionName(agreementId, (run.sequence ?? 1) + 1));
  }
  return [...names];
}

/**
 * Stops the agreement's engagement (withdrawn, declined) wherever it runs;
 * already stopped or never started is fine. Executions waiting for results
 * to expire go on: their step finds the results already deleted.
 */
export async function stopEngagement(agreementId: string, cause: string): Promise<void> {
  for (const name of await runExecutionNames(agreementId)) {
    try {
      await sfn.send(new StopExecutionCommand({ executionArn: executionArnOf(name), error: 'Accord.AgreementEnded', cause }));
    } catch (error) {
      if (!(error instanceof ExecutionDoesNotExist)) throw error;
    }
  }
}

/** Starts the deletion of every run's results and kept uploads of an agreement that ended; starting it again is fine. */
export async function startResultsPurge(agreementId: string): Promise<void> {
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn: stateMachineArn(), name: purgeExecutionName(agreementId), input: JSON.stringify({ agreementId, purge: true }) }));
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
  }
}

/**
 * Answers the workflow step waiting on the agreement for `what`, if one is
 * waiting. A token already answered, timed out or unknown is not an error:
 * the workflow has moved on.
 */
export async function answerWait(agreementId: string, what: WaitingFor, output: Record<string, unknown>): Promise<boolean> {
  const wait = await agreementStore().getWait(agreementId, what);
  if (!wait) return false;
  try {
    await sfn.send(new SendTaskSuccessCommand({ taskToken: wait.taskToken, output: JSON.stringify(output) }));
  } catch (error) {
    if (!(error instanceof TaskDoesNotExist || error instanceof TaskTimedOut || error instanceof InvalidToken)) throw error;
  }
  await agreementStore().deleteWait(agreementId, what, wait.taskToken);
  return true;
}
