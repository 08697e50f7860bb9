import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { ActionProposed, describeIssues } from '../../events/index.ts';
import { logger } from '../adapters/logger.ts';
import { observability } from '../adapters/observability.ts';
import { wire } from '../app/deps.ts';
import { systemClock } from '../adapters/clock.ts';
import { policy } from '../adapters/policy-files.ts';
import { newReview, type Review } from '../domain/review.ts';
import { invalidProposal, type BusEvent } from '../domain/review-events.ts';
import { executionProblems } from '../executors/registry.ts';

const deps = wire({ clock: systemClock, policy });

export type ClassifyResult = { valid: true; review: Review } | { valid: false; event: BusEvent };

/** Validates the proposal against its contract and classifies it by the stage's policy into a review draft. */
export async function classify(event: EventBridgeEvent<string, unknown>): Promise<ClassifyResult> {
  const parsed = ActionProposed.safeParse(event.detail);
  if (!parsed.success) {
    const errors = describeIssues(parsed.error);
    logger.warn('proposal rejected as invalid', { errors, eventId: event.id });
    return { valid: false, event: invalidProposal(event, errors, deps().clock.now()) };
  }
  const proposal = parsed.data;
  // An action hitl-gate would perform itself must be performable before anyone is asked to approve it.
  const problems = executionProblems(proposal.action);
  if (problems.length) {
    logger.warn('proposal rejected as not performable', { errors: problems, eventId: event.id });
    return { valid: false, event: invalidProposal(event, problems, deps().clock.now()) };
  }
  const now = deps().clock.now();
  // The route is resolved now: whoever is away now is replaced by their delegate.
  const classification = deps().policy.classify(proposal.action, {
    agentId: proposal.agentId,
    requestedBy: proposal.requestedBy,
    at: now,
  });
  const review = newReview(proposal, classification, now);
  logger.info('proposal classified', {
    reviewId: review.id,
    proposalId: proposal.proposalId,
    tier: review.tier,
    rule: review.rule,
  });
  return { valid: true, review };
}

export const handler = middy(classify).use(observability());
