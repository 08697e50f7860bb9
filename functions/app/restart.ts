// The restart: a short Express execution of the resume workflow that finishes a decided review (perform
// the action hitl-gate performs itself, publish the outcome, answer a waiting caller, mark it completed).
// A decision starts it; when that start is lost, the sweeper's re-drive starts it again from DynamoDB.
import { logger } from '../adapters/logger.ts';
import { assertApprovedActionIntact } from '../domain/decision.ts';
import { ReviewNotFound } from '../domain/errors.ts';
import { outcomeEvent, type BusEvent } from '../domain/review-events.ts';
import {
  callbackFor,
  claimExecution,
  claimRestart,
  completed,
  type Execution,
  type ExecutionResult,
  executed,
  isDecided,
  releaseExecution,
  unchanged,
  type Callback,
} from '../domain/review.ts';
import { performedByHitlGate } from '../executors/performed.ts';
import type { Deps } from './deps.ts';
import { mutate } from './mutate.ts';
import type { Delivery } from './ports.ts';

/** Starts the restart of a review just decided. If that fails, the review stays decided and the sweeper re-drives it. */
export async function restartDecided(deps: Pick<Deps, 'workflows'>, reviewId: string): Promise<void> {
  try {
    const executionArn = await deps.workflows.restart(reviewId);
    logger.info('restart started', { reviewId, executionArn });
  } catch (err) {
    logger.error('restart could not be started; the sweeper will re-drive it', { reviewId, error: err as Error });
  }
}

export class ReviewNotDecided extends Error {
  override readonly name = 'ReviewNotDecided';
}

export type LoadOutcomeResult =
  | { reviewId: string; done: true }
  | { reviewId: string; done: false; version: number; event: BusEvent; callback?: Callback; execute: boolean };

/**
 * The first step of every restart: claim the decided review for this execution (one restart at a time has
 * an effect) and say what must be done with it.
 */
export async function loadOutcome(
  deps: Pick<Deps, 'store' | 'clock'>,
  input: { reviewId: string; executionRef: string },
): Promise<LoadOutcomeResult> {
  const { step, review } = await mutate(deps.store, input.reviewId, (current) => {
    if (!current) throw new ReviewNotDecided(`review ${input.reviewId} does not exist`);
    if (current.status === 'COMPLETED') return unchanged('completed');
    if (!isDecided(current.status)) throw new ReviewNotDecided(`review ${current.id} is ${current.status}`);
    return claimRestart(current, input.executionRef, deps.clock.now());
  });
  if (!review || (step.kind === 'unchanged' && step.reason !== 'mine')) {
    if (step.kind === 'unchanged' && step.reason === 'busy')
      logger.info('another restart is finishing this review', {
        reviewId: input.reviewId,
        holder: review?.restart?.ref,
      });
    return { reviewId: input.reviewId, done: true };
  }
  // Nothing is granted unless the approved action is byte for byte the one whose hash was approved.
  if (review.status === 'APPROVED') assertApprovedActionIntact(review);
  const event = outcomeEvent(review);
  const callback = callbackFor(review, event.detail);
  logger.info('restarting decided review', { reviewId: review.id, status: review.status, callback: Boolean(callback) });
  // An approved action hitl-gate performs itself runs first; the restart then loads again and reports it.
  const type = review.decision?.action.type;
  const execute =
    review.status === 'APPROVED' &&
    (!review.execution || review.execution.result === 'started') &&
    type !== undefined &&
    performedByHitlGate(type);
  return {
    reviewId: review.id,
    done: false,
    version: review.version,
    event,
    execute,
    ...(callback ? { callback } : {}),
  };
}

/** Marks the review COMPLETED (kept for the retention, then removed by the table's TTL); a concurrent restart that won is fine. */
export async function completeReview(
  deps: Pick<Deps, 'store' | 'clock'>,
  input: { reviewId: string },
): Promise<{ completed: boolean }> {
  const { step } = await mutate(deps.store, input.reviewId, (current) => {
    // Gone, or completed by a concurrent restart that won: nothing to do.
    if (!current || current.status === 'COMPLETED') return unchanged('completed-before');
    return completed(current, deps.clock.now());
  });
  if (step.kind === 'completed') logger.info('review completed', { reviewId: input.reviewId });
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
