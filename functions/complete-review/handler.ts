import middy from '@middy/core';
import { observability } from '../adapters/observability.ts';
import { wire } from '../app/deps.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { systemClock } from '../adapters/clock.ts';
import { completeReview as complete } from '../app/complete.ts';
import { stageNotifications } from '../adapters/notification-queue.ts';

const deps = wire({ store: reviewsTable, clock: systemClock, notifications: stageNotifications });

/** The restart's last step: marks the review COMPLETED, conditional on its version; a concurrent restart that won is fine. */
export async function completeReview(input: { reviewId: string }): Promise<{ completed: boolean }> {
  return complete(deps(), input);
}

export const handler = middy(completeReview).use(observability());
