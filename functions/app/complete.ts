// The restart's last steps: answer the caller waiting on the review, and mark it completed. Apart from
// restart.ts, which reads the outcome and builds its event, so these two functions bundle neither the
// decision rules nor the events' schemas.
import { logger } from '../adapters/logger.ts';
import { type Callback, completed, unchanged } from '../domain/review.ts';
import type { Deps } from './deps.ts';
import { mutate } from './mutate.ts';
import type { Delivery } from './ports.ts';

/**
 * Marks the review COMPLETED (kept for the retention, then removed by the table's TTL); a concurrent restart
 * that won is fine. A review with Slack messages has them updated to show how it ended (queued: the sender
 * holds the Slack token), so an expiry or a decision by email shows in Slack too.
 */
export async function completeReview(
  deps: Pick<Deps, 'store' | 'clock' | 'notifications'>,
  input: { reviewId: string },
): Promise<{ completed: boolean }> {
  const { step, review } = await mutate(deps.store, input.reviewId, (current) => {
    // Gone, or completed by a concurrent restart that won: nothing to do.
    if (!current || current.status === 'COMPLETED') return unchanged('completed-before');
    return completed(current, deps.clock.now());
  });
  if (step.kind === 'completed') logger.info('review completed', { reviewId: input.reviewId });
  // Also when completed before: a retry after a crash between the two still updates them (updates repeat harmlessly).
  if (review?.slackMessages?.length)
    await deps.notifications.enqueue([
      { kind: 'slack-update', reviewId: review.id, step: review.step, queuedAt: deps.clock.now().toISOString() },
    ]);
  return { completed: step.kind === 'completed' };
}

/**
 * Answers the caller a proposal named: SendTaskSuccess / SendTaskFailure for a task token, or
 * SendDurableExecutionCallbackSuccess / Failure for a durable function's callback.
 */
export async function reportToCaller(
  deps: Pick<Deps, 'workflows' | 'durableFunctions'>,
  input: { reviewId: string; callback: Callback },
): Promise<Delivery> {
  const { callback } = input;
  const result =
    'taskToken' in callback
      ? await deps.workflows.answerCaller(callback)
      : await deps.durableFunctions.answerCallback(callback);
  logger.info(result.delivered ? 'caller answered' : 'caller no longer waiting', {
    reviewId: input.reviewId,
    caller: 'taskToken' in callback ? 'task token' : 'durable function',
    ...result,
  });
  return result;
}
