import middy from '@middy/core';
import { observability } from '../adapters/observability.ts';
import { deps } from '../app/deps.ts';
import { completeReview as complete } from '../app/restart.ts';

/** The restart's last step: marks the review COMPLETED, conditional on its version; a concurrent restart that won is fine. */
export async function completeReview(input: { reviewId: string }): Promise<{ completed: boolean }> {
  return complete(deps(), input);
}

export const handler = middy(completeReview).use(observability());
