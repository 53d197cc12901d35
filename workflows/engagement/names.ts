/** The environment variable naming the engagement state machine, for the functions that start and signal it. */
export const ENGAGEMENT_STATE_MACHINE_ENV = 'ACCORD_ENGAGEMENT_STATE_MACHINE_ARN';

/**
 * Executions of the engagement state machine, one per run: the first is named
 * after the agreement; run n + 1 of recurring terms is `<agreement>-run-<n + 1>`.
 * The expiry of a run's results waits in `<run>-expiry`; deleting an ended
 * agreement's results runs in `<agreement>-purge`.
 */
export function runExecutionName(agreementId: string, sequence: number): string {
  return sequence <= 1 ? agreementId : `${agreementId}-run-${sequence}`;
}

export function purgeExecutionName(agreementId: string): string {
  return `${agreementId}-purge`;
}
