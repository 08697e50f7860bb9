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
import { EXECUTORS, NotPerformed, performedByHitlGate } from '../executors/registry.ts';
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

/** The approved action was not started by this attempt (the provider said "not now", or another restart is at it): try again later. */
export class ActionDeferred extends Error {
  override readonly name = 'ActionDeferred';
}

/**
 * Performs an approved action that hitl-gate executes itself, at most once: it is claimed on the review before
 * it starts, and what became of it is recorded. A claim found without a result (an attempt that stopped after
 * starting) is recorded as `unknown`, never started again. Nothing runs unless the action matches its hash.
 */
export async function executeAction(
  deps: Pick<Deps, 'store' | 'clock' | 'mailer'>,
  input: { reviewId: string; executionRef: string },
): Promise<{ executed: boolean; result?: Execution['result']; ref?: string }> {
  const review = await deps.store.get(input.reviewId);
  if (review?.status !== 'APPROVED' || !review.decision) return { executed: false };
  const executor = EXECUTORS[review.decision.action.type];
  if (!executor) return { executed: false };
  assertApprovedActionIntact(review);

  const { step, review: claimed } = await mutate(deps.store, review.id, (current) => {
    if (!current) throw new ReviewNotFound(review.id);
    return claimExecution(current, input.executionRef, deps.clock.now());
  });
  if (step.kind === 'unchanged' && step.reason === 'done-before') return reportOf(claimed?.execution);
  if (step.kind === 'unchanged' && step.reason === 'in-progress')
    throw new ActionDeferred(`another restart started the action at ${claimed?.execution?.at}; waiting for its result`);
  if (step.kind === 'unchanged') {
    logger.warn('an earlier attempt started the approved action and stopped; it is not started again', {
      reviewId: review.id,
      claim: claimed?.execution?.claim,
    });
    return record(deps, review.id, {
      result: 'unknown',
      error: 'an earlier attempt started it and stopped before recording the result',
    });
  }

  let outcome: ExecutionResult;
  try {
    outcome = { result: 'performed', ref: await executor.perform(review.decision.action, review, deps) };
  } catch (err) {
    if (err instanceof NotPerformed && err.retryable) {
      // Certainly not started: give the claim back, so the retry (or the sweeper's re-drive) may start it.
      await mutate(deps.store, review.id, (current) => {
        if (!current) throw new ReviewNotFound(review.id);
        return releaseExecution(current, input.executionRef, deps.clock.now());
      });
      throw new ActionDeferred(err.message, { cause: err });
    }
    outcome = {
      result: err instanceof NotPerformed ? 'failed' : 'unknown',
      error: (err as Error).message ?? String(err),
    };
    logger.error('the approved action did not complete', { reviewId: review.id, ...outcome, error: err as Error });
  }
  return record(deps, review.id, outcome);
}

/** Records the result on whatever version is there now (only the sweeper's re-drive claim can race this). */
async function record(deps: Pick<Deps, 'store' | 'clock'>, reviewId: string, outcome: ExecutionResult) {
  const { review } = await mutate(deps.store, reviewId, (current) => {
    if (!current) throw new ReviewNotFound(reviewId);
    return executed(current, outcome, deps.clock.now());
  });
  logger.info('approved action performed by hitl-gate', { reviewId, type: review?.decision?.action.type, ...outcome });
  return reportOf(review?.execution);
}

function reportOf(execution: Execution | undefined) {
  if (execution?.by !== 'hitl-gate') return { executed: false };
  return {
    executed: true,
    result: execution.result,
    ...(execution.result === 'performed' ? { ref: execution.ref } : {}),
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
