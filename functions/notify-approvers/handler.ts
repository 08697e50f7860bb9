import middy from '@middy/core';
import { config } from '../config.ts';
import { logger } from '../adapters/logger.ts';
import { observability } from '../adapters/observability.ts';
import { now as clockNow } from '../adapters/clock.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { claimNotification } from '../domain/review.ts';
import { ReviewNotFound } from '../domain/errors.ts';
import { approvalRequested, type BusEvent } from '../domain/review-events.ts';
import { emailCurrentApprovers, emailWatchers, watchersOf } from '../app/notify.ts';
import { linkKeyFrom, linkKeyMiddleware } from '../adapters/link-key.ts';
import type { Context } from 'aws-lambda';

export interface NotifyInput {
  reviewId: string;
  /** The workflow execution asking ($$.Execution.Id): its retries may send again, other executions may not. */
  executionRef: string;
}

/** Emails the current step's approvers once per step, and returns the "Approval Requested" event to publish. */
export async function notifyApprovers(
  input: NotifyInput,
  context: Context,
): Promise<{ notified: string[]; event?: BusEvent }> {
  const now = clockNow();
  // Claimed once per step: a lost race is decided again, and another execution's claim means it emails.
  const { result: claimed, review: current } = await reviewsTable(config().REVIEWS_TABLE).mutate<boolean>(
    input.reviewId,
    (review) => {
      if (!review) throw new ReviewNotFound(input.reviewId);
      if (review.status !== 'PENDING') return { done: false };
      const claim = claimNotification(review, input.executionRef, now);
      if (claim === 'taken') {
        logger.info('approvers already notified for this step', { reviewId: review.id, step: review.step });
        return { done: false };
      }
      if (claim === 'mine') return { done: true };
      return { next: claim.next, entries: [claim.entry], result: true };
    },
  );
  if (!claimed || !current) return { notified: [] };

  const notified = await emailCurrentApprovers(current, linkKeyFrom(context), now);
  if (current.step === 0 && current.notify.length) {
    await emailWatchers(current, watchersOf(current), `A ${current.tier}-tier action is waiting for review`);
  }
  return { notified, event: approvalRequested(current, now) };
}

export const handler = middy(notifyApprovers).use(observability()).use(linkKeyMiddleware());
