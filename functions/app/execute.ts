// The restart's one step that acts on the world: an approved action of a type hitl-gate performs itself
// (executors/), performed at most once. Apart from the other steps (restart.ts), so only the function that
// performs actions bundles the executors and their schemas.
import { logger } from '../adapters/logger.ts';
import { assertApprovedActionIntact } from '../domain/decision.ts';
import { ReviewNotFound } from '../domain/errors.ts';
import { claimExecution, type Execution, type ExecutionResult, executed, releaseExecution } from '../domain/review.ts';
import { EXECUTORS, NotPerformed } from '../executors/registry.ts';
import type { Deps } from './deps.ts';
import { mutate } from './mutate.ts';

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
