import middy from '@middy/core';
import { logger } from '../adapters/logger.ts';
import { count, Metric, observability } from '../adapters/observability.ts';
import { wire } from '../app/deps.ts';
import { grantsTable, reviewsTable } from '../adapters/reviews-table.ts';
import { systemClock } from '../adapters/clock.ts';
import { policy } from '../adapters/policy-files.ts';
import { applyStandingGrant } from '../app/standing.ts';
import { type Refusal, recordRefusal } from '../app/status.ts';
import { hasCaller, intakeNext, type IntakeNext, type Review } from '../domain/review.ts';
import { invalidProposal, outcomeEvent, type BusEvent } from '../domain/review-events.ts';
import { performedByHitlGate } from '../executors/performed.ts';

const deps = wire({ store: reviewsTable, grants: grantsTable, clock: systemClock, policy });

export interface OpenReviewResult {
  reviewId: string;
  next: IntakeNext;
  /** For `conflict`: the rejection to publish; for `publish`: the policy's approval. */
  event?: BusEvent;
}

/**
 * Persists the review with a conditional put: a duplicate proposal finds the review it already opened.
 * Given `invalid` instead, keeps the refusal where the review would have been, so the agent's status lookup
 * answers `invalid` with the problems (a proposal without a usable agentId and proposalId cannot be looked up).
 */
export async function openReview(input: { review: Review }): Promise<OpenReviewResult>;
export async function openReview(input: { invalid: Refusal }): Promise<{ recorded: boolean }>;
export async function openReview(
  input: { review: Review } | { invalid: Refusal },
): Promise<OpenReviewResult | { recorded: boolean }> {
  if ('invalid' in input) return recordRefusal(deps(), input.invalid);
  return open(input.review);
}

async function open(draft: Review): Promise<OpenReviewResult> {
  // A standing approval that covers the proposal decides it before it is written: one write, no reviewers asked.
  const input = { review: await applyStandingGrant(deps(), draft) };
  const { review: existing, created } = await deps().store.open(input.review);
  const next = intakeNext(existing, created, input.review.actionHash);
  // Counted here, not in classify: intake's retries and a duplicate proposal classify again, but create once.
  if (created && existing.status === 'PENDING') count(Metric.ReviewsOpened, { tier: existing.tier });
  else if (created && existing.decision?.by.every((a) => a.kind === 'policy')) count(Metric.AutoApproved);
  logger.info(created ? 'review opened' : 'proposal seen before', {
    reviewId: existing.id,
    status: existing.status,
    next,
  });
  // Approved by the policy with nobody to answer and nothing for hitl-gate to do: intake publishes it itself.
  if (
    next === 'resume' &&
    existing.status === 'APPROVED' &&
    !hasCaller(existing) &&
    !performedByHitlGate(existing.action.type)
  )
    return { reviewId: existing.id, next: 'publish', event: outcomeEvent(existing) };
  if (next !== 'conflict') return { reviewId: existing.id, next };
  const error = `proposalId: "${existing.proposalId}" was already used by agent "${existing.agentId}" for a different action (review ${existing.id}); use a new proposalId`;
  return {
    reviewId: existing.id,
    next,
    event: invalidProposal(
      { detail: { proposalId: existing.proposalId, agentId: existing.agentId, action: input.review.action } },
      [error],
      deps().clock.now(),
    ),
  };
}

export const handler = middy(openReview).use(observability());
