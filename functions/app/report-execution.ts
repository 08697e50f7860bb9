import { logger } from '../adapters/logger.ts';
import { type ExecutionReport, reportExecution } from '../domain/agent-execution.ts';
import { ReviewNotFound } from '../domain/errors.ts';
import type { Review } from '../domain/review.ts';
import { performedByHitlGate } from '../executors/performed.ts';
import type { Deps } from './deps.ts';
import { mutate } from './mutate.ts';

/**
 * An agent reports on the approved action it performs: claims the approval before it runs the action (only
 * one claim holds), then says what became of it. Recorded on the review; a repeated report changes nothing.
 */
export async function reportAgentExecution(
  deps: Pick<Deps, 'store' | 'clock'>,
  input: { reviewId: string; report: ExecutionReport; by: string },
): Promise<{ review: Review; recorded: boolean }> {
  const { step, review } = await mutate(deps.store, input.reviewId, (current) =>
    reportExecution(
      current,
      input.reviewId,
      input.report,
      input.by,
      current?.decision ? performedByHitlGate(current.decision.action.type) : false,
      deps.clock.now(),
    ),
  );
  if (!review) throw new ReviewNotFound(input.reviewId);
  const recorded = step.kind !== 'unchanged';
  logger.info('agent execution report', {
    reviewId: review.id,
    result: input.report.result,
    recorded,
    by: input.by,
  });
  return { review, recorded };
}
