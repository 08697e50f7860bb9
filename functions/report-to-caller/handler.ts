import middy from '@middy/core';
import { logger } from '../adapters/logger.ts';
import { observability } from '../adapters/observability.ts';
import { answerCaller } from '../adapters/workflows.ts';
import type { Callback } from '../domain/review.ts';

/** SendTaskSuccess / SendTaskFailure for a proposal that carried a task token. */
export async function reportToCaller(input: { reviewId: string; callback: Callback }) {
  const result = await answerCaller(input.callback);
  logger.info(result.delivered ? 'caller answered' : 'caller no longer waiting', {
    reviewId: input.reviewId,
    ...result,
  });
  return result;
}

export const handler = middy(reportToCaller).use(observability());
