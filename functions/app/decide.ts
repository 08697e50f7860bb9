// An approver's decision, however it arrives (the email link's page or JSON today; Slack and the inbox next).
import { logger } from '../adapters/logger.ts';
import { count, Metric, measure } from '../adapters/observability.ts';
import { type DecideCommand, decide } from '../domain/decision.ts';
import { AlreadyDecided, ReviewNotFound, TokenUsed } from '../domain/errors.ts';
import type { Review } from '../domain/review.ts';
import type { Deps } from './deps.ts';
import { mutate } from './mutate.ts';
import { restartDecided } from './restart.ts';

export interface DecisionInput {
  reviewId: string;
  /** Who decides, already authenticated (a verified link's approver). */
  approverId: string;
  /** The single-use link's nonce: claimed in the same write as the decision, so a link decides once. */
  nonce: string;
  decision: DecideCommand['decision'];
  reason?: string;
  /** The edits as the approver gave them, read against the review as it is when the decision is made. */
  edits?: (review: Review) => Record<string, unknown> | undefined;
}

/**
 * Records the decision in one conditional write (a lost race decides again on the review as it is now)
 * and, when it ends the review, restarts it. Refusals are domain errors carrying the review as it is.
 */
export async function decideReview(deps: Deps, input: DecisionInput): Promise<{ review: Review; decided: boolean }> {
  const now = deps.clock.now();
  const { step, review } = await mutate(
    deps.store,
    input.reviewId,
    (current) => {
      if (!current) throw new ReviewNotFound(input.reviewId);
      if (current.usedLinks?.includes(input.nonce)) {
        if (current.status !== 'PENDING') throw new AlreadyDecided(current.id, current.decision).about(current);
        throw new TokenUsed().about(current);
      }
      try {
        const edits = input.edits?.(current);
        return decide(
          current,
          {
            approverId: input.approverId,
            decision: input.decision,
            ...(input.reason !== undefined ? { reason: input.reason } : {}),
            ...(edits ? { edits } : {}),
          },
          deps.policy,
          now,
        );
      } catch (err) {
        if (err instanceof AlreadyDecided) throw err.about(current);
        throw err;
      }
    },
    { consumeLink: input.nonce },
  );
  if (!review) throw new ReviewNotFound(input.reviewId);
  const decided = step.kind === 'decided';
  count(Metric.Decisions, { decision: input.decision });
  if (decided) measure(Metric.DecisionLatency, now.getTime() - Date.parse(review.createdAt));
  logger.info('decision recorded', {
    reviewId: review.id,
    approver: input.approverId,
    decision: input.decision,
    decided,
    status: review.status,
  });
  if (decided) await restartDecided(deps, review.id);
  return { review, decided };
}
