import { logger } from '../adapters/logger.ts';
import { count, Metric } from '../adapters/observability.ts';
import { ReviewNotFound } from '../domain/errors.ts';
import { cancel } from '../domain/escalation.ts';
import type { Actor, Review } from '../domain/review.ts';
import type { Deps } from './deps.ts';
import { mutate } from './mutate.ts';
import { restartDecided } from './restart.ts';

/** Withdraws a pending review: its links stop working, and the restart publishes "Approval Cancelled". */
export async function cancelReview(
  deps: Pick<Deps, 'store' | 'clock' | 'workflows'>,
  input: { reviewId: string; by: Actor & { kind: 'person' | 'system' }; reason: string },
): Promise<Review> {
  const { review } = await mutate(deps.store, input.reviewId, (current) => {
    if (!current) throw new ReviewNotFound(input.reviewId);
    return cancel(current, input.by, input.reason, deps.clock.now());
  });
  if (!review) throw new ReviewNotFound(input.reviewId);
  count(Metric.Cancellations);
  logger.info('review cancelled', { reviewId: review.id, by: input.by.id });
  await restartDecided(deps, review.id);
  return review;
}
