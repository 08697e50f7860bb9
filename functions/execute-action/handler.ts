import middy from '@middy/core';
import { config } from '../config.ts';
import { logger } from '../adapters/logger.ts';
import { observability } from '../adapters/observability.ts';
import { now as clockNow } from '../adapters/clock.ts';
import { sendEmail } from '../adapters/mail.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { assertApprovedActionIntact } from '../domain/decision.ts';
import { esc } from '../http/html.ts';
import type { Action } from '../../events/index.ts';
import { advance, type Review } from '../domain/review.ts';

type Executor = (action: Action, review: Review) => Promise<string>;

/** The executors behind registry.ts: each performs one approved action type and returns its reference. */
const EXECUTORS: Record<string, Executor> = {
  customer_email: async (action, review) => {
    const { subject, body } = action.payload as { subject: string; body: string };
    return sendEmail(config().MAIL_FROM, {
      to: [action.target!],
      subject,
      text: body,
      html: `<!doctype html><html><body><div style="white-space:pre-wrap">${esc(body)}</div><!-- hitl-gate review ${esc(review.id)} --></body></html>`,
    });
  },
};

/**
 * Performs an approved action that hitl-gate executes itself, once: the review records it, and a
 * restart that finds it recorded does nothing. Nothing runs unless the action matches its approved hash.
 */
export async function executeAction(input: { reviewId: string }): Promise<{ executed: boolean; ref?: string }> {
  const table = reviewsTable(config().REVIEWS_TABLE);
  const review = await table.get(input.reviewId);
  if (review?.status !== 'APPROVED' || !review.decision) return { executed: false };
  if (review.execution) return { executed: true, ref: review.execution.ref };
  assertApprovedActionIntact(review);
  const executor = EXECUTORS[review.decision.action.type];
  if (!executor) return { executed: false };

  const ref = await executor(review.decision.action, review);
  const at = clockNow().toISOString();
  const type = review.decision.action.type;
  // Recorded on whatever version is there now (only the sweeper's re-drive claim can race this).
  await table.mutate(review.id, (current) => {
    if (!current || current.execution) return { done: undefined };
    return {
      next: advance(current, { execution: { by: 'hitl-gate', at, ref } }, at),
      entries: [{ at, what: 'executed', by: { id: 'hitl-gate', kind: 'system' }, note: `${type}: ${ref}` }],
      result: undefined,
    };
  });
  logger.info('approved action performed by hitl-gate', {
    reviewId: review.id,
    type: review.decision.action.type,
    ref,
  });
  return { executed: true, ref };
}

export const handler = middy(executeAction).use(observability());
