import middy from '@middy/core';
import { config } from '../config.ts';
import { logger } from '../adapters/logger.ts';
import { observability } from '../adapters/observability.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { now as clockNow } from '../adapters/clock.ts';
import { callbackFor, claimRestart, isDecided, type Callback } from '../domain/review.ts';
import { assertApprovedActionIntact } from '../domain/decision.ts';
import { performedByHitlGate } from '../executors/registry.ts';
import { outcomeEvent, type BusEvent } from '../domain/review-events.ts';

export class ReviewNotDecided extends Error {
  override readonly name = 'ReviewNotDecided';
}

export type LoadOutcomeResult =
  | { reviewId: string; done: true }
  | { reviewId: string; done: false; version: number; event: BusEvent; callback?: Callback; execute: boolean };

/** The first step of every restart: read the decided review and what must be said about it. */
export async function loadOutcome(input: { reviewId: string; executionRef: string }): Promise<LoadOutcomeResult> {
  const { result: claimed, review: current } = await reviewsTable(config().REVIEWS_TABLE).mutate<'done' | 'claimed'>(
    input.reviewId,
    (review) => {
      if (!review) throw new ReviewNotDecided(`review ${input.reviewId} does not exist`);
      if (review.status === 'COMPLETED') return { done: 'done' };
      if (!isDecided(review.status)) throw new ReviewNotDecided(`review ${review.id} is ${review.status}`);
      const claim = claimRestart(review, input.executionRef, clockNow());
      if (claim === 'busy') {
        logger.info('another restart is finishing this review', { reviewId: review.id, holder: review.restart?.ref });
        return { done: 'done' };
      }
      if (claim === 'mine') return { done: 'claimed' };
      return { next: claim.next, entries: [], result: 'claimed' };
    },
  );
  if (claimed === 'done') return { reviewId: input.reviewId, done: true };
  const review = current!;
  // Nothing is granted unless the approved action is byte for byte the one whose hash was approved.
  if (review.status === 'APPROVED') assertApprovedActionIntact(review);
  const event = outcomeEvent(review);
  const callback = callbackFor(review, event.detail);
  logger.info('restarting decided review', { reviewId: review.id, status: review.status, callback: Boolean(callback) });
  // An approved action hitl-gate performs itself runs first; resume then loads again and reports it.
  const execute =
    review.status === 'APPROVED' && !review.execution && performedByHitlGate(review.decision!.action.type);
  return {
    reviewId: review.id,
    done: false,
    version: review.version,
    event,
    execute,
    ...(callback ? { callback } : {}),
  };
}

export const handler = middy(loadOutcome).use(observability());
