/** The environment variable naming the engagement state machine, for the functions that start and signal it. */
export const ENGAGEMENT_STATE_MACHINE_ENV = 'ACCORD_ENGAGEMENT_STATE_MACHINE_ARN';
