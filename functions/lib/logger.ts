import { Logger } from '@aws-lambda-powertools/logger';

/** One structured logger for every function. Never log headers or bodies: they carry keys and account data. */
export const logger = new Logger({ serviceName: 'accord' });
