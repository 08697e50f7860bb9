import middy from '@middy/core';
import { config } from '../config.ts';
import { logger } from '../adapters/logger.ts';
import { observability } from '../adapters/observability.ts';
import { now as clockNow } from '../adapters/clock.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { completed } from '../domain/review.ts';

/** Marks the review COMPLETED (kept RETENTION_DAYS, then removed by the table's TTL), conditional on the version the restart loaded; a concurrent restart that won is fine. */
export async function completeReview(input: { reviewId: string }): Promise<{ completed: boolean }> {
  const { result } = await reviewsTable(config().REVIEWS_TABLE, {
    retentionDays: config().RETENTION_DAYS,
  }).mutate<boolean>(input.reviewId, (review) => {
    // Gone, or completed by a concurrent restart that won: nothing to do.
    if (!review || review.status === 'COMPLETED') return { done: false };
    const { next, entry } = completed(review, clockNow());
    return { next, entries: [entry], result: true };
  });
  if (result) logger.info('review completed', { reviewId: input.reviewId });
  return { completed: result };
}

export const handler = middy(completeReview).use(observability());
