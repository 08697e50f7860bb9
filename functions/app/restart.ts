// The restart: a short Express execution of the resume workflow that finishes a decided review (perform
// the action hitl-gate performs itself, publish the outcome, answer a waiting caller, mark it completed).
// A decision starts it; when that start is lost, the sweeper's re-drive starts it again from DynamoDB.
import { logger } from '../adapters/logger.ts';
import { assertApprovedActionIntact } from '../domain/decision.ts';
import { outcomeEvent, type BusEvent } from '../domain/review-events.ts';
import { type Callback, callbackFor, claimRestart, isDecided, unchanged } from '../domain/review.ts';
import { performedByHitlGate } from '../executors/performed.ts';
import type { Deps } from './deps.ts';
import { mutate } from './mutate.ts';

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
