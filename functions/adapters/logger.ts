import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs; handlers append reviewId as the correlation key. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'hitl-gate' });
