import middy from '@middy/core';
import { config } from '../config.ts';
import { logger } from '../adapters/logger.ts';
import { observability } from '../adapters/observability.ts';
import { now as clockNow } from '../adapters/clock.ts';
import { reviewsTable, StaleReview } from '../adapters/reviews-table.ts';
import { completed } from '../domain/review.ts';

/** Marks the review COMPLETED (kept RETENTION_DAYS, then removed by the table's TTL), conditional on the version the restart loaded; a concurrent restart that won is fine. */
export async function completeReview(input: { reviewId: string }): Promise<{ completed: boolean }> {
  const table = reviewsTable(config().REVIEWS_TABLE, { retentionDays: config().RETENTION_DAYS });
  const review = await table.get(input.reviewId);
  if (!review || review.status === 'COMPLETED') return { completed: false };
  const { next, entry } = completed(review, clockNow());
  try {
    await table.save(review, next, [entry]);
    logger.info('review completed', { reviewId: review.id });
    return { completed: true };
  } catch (err) {
    if (err instanceof StaleReview) return { completed: false };
    throw err;
  }
}

export const handler = middy(completeReview).use(observability());
