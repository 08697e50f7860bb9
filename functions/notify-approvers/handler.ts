import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { config } from '../config.ts';
import { logger } from '../adapters/logger.ts';
import { sendEmail } from '../adapters/mail.ts';
import { reviewsTable, StaleReview } from '../adapters/reviews-table.ts';
import { claimNotification, currentApprovers, type Review } from '../domain/review.ts';
import { approvalRequested, type BusEvent } from '../domain/review-events.ts';
import { reviewEmail } from './email.ts';
import { linkKeyFrom, linkKeyMiddleware } from '../adapters/link-key.ts';
import { newNonce, signDecisionToken } from '../domain/tokens.ts';
import type { Context } from 'aws-lambda';

const DAY = 24 * 3600_000;

/** A link stays valid a day past the step's deadline, so a late click shows what happened instead of failing. */
function linkExpiry(review: Review, now: Date): Date {
  const due = review.deadline ? Date.parse(review.deadline) : now.getTime() + 7 * DAY;
  return new Date(Math.max(due, now.getTime()) + DAY);
}

export class ReviewNotFound extends Error {
  override readonly name = 'ReviewNotFound';
}

export interface NotifyInput {
  reviewId: string;
  /** The workflow execution asking ($$.Execution.Id): its retries may send again, other executions may not. */
  executionRef: string;
}

/** Emails the current step's approvers once per step, and returns the "Approval Requested" event to publish. */
export async function notifyApprovers(input: NotifyInput, context: Context): Promise<{ notified: string[]; event?: BusEvent }> {
  const { REVIEWS_TABLE, MAIL_FROM, PUBLIC_URL } = config();
  const table = reviewsTable(REVIEWS_TABLE);
  const review = await table.get(input.reviewId);
  if (!review) throw new ReviewNotFound(`review ${input.reviewId} does not exist`);
  if (review.status !== 'PENDING') return { notified: [] };

  const now = new Date();
  const claim = claimNotification(review, input.executionRef, now);
  if (claim === 'taken') {
    logger.info('approvers already notified for this step', { reviewId: review.id, step: review.step });
    return { notified: [] };
  }
  let current: Review = review;
  if (claim !== 'mine') {
    try {
      current = await table.save(review, claim.next, [claim.entry]);
    } catch (err) {
      if (!(err instanceof StaleReview)) throw err;
      logger.info('review changed while claiming the notification', { reviewId: review.id });
      return { notified: [] };
    }
  }

  const approvers = currentApprovers(current);
  const key = linkKeyFrom(context);
  const base = new URL(`reviews/${encodeURIComponent(current.id)}`, PUBLIC_URL.endsWith('/') ? PUBLIC_URL : PUBLIC_URL + '/');
  for (const approver of approvers) {
    // One signed, single-use link per approver and step.
    const token = await signDecisionToken(key, { reviewId: current.id, approverId: approver.id, step: current.step, nonce: newNonce(), expiresAt: linkExpiry(current, now) }, now);
    const link = new URL(base);
    link.searchParams.set('t', token);
    const messageId = await sendEmail(MAIL_FROM, reviewEmail(current, approver, link.toString()));
    logger.info('approver notified', { reviewId: current.id, approver: approver.id, messageId });
  }
  return { notified: approvers.map((a) => a.id), event: approvalRequested(current, now) };
}

export const handler = middy(notifyApprovers).use(injectLambdaContext(logger)).use(linkKeyMiddleware());
