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
import { ENGAGEMENT_STATE_MACHINE_ENV } from '../../workflows/engagement/names.ts';
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

export function executionArnOf(agreementId: string): string {
  return `${stateMachineArn().replace(':stateMachine:', ':execution:')}:${agreementId}`;
}

/** Starts the agreement's engagement; already started is fine. */
export async function startEngagement(agreementId: string): Promise<void> {
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn: stateMachineArn(), name: agreementId, input: JSON.stringify({ agreementId }) }));
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
  }
}

/** Stops the agreement's engagement (withdrawn, declined); already stopped or never started is fine. */
export async function stopEngagement(agreementId: string, cause: string): Promise<void> {
  try {
    await sfn.send(new StopExecutionCommand({ executionArn: executionArnOf(agreementId), error: 'Accord.AgreementEnded', cause }));
  } catch (error) {
    if (!(error instanceof ExecutionDoesNotExist)) throw error;
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
